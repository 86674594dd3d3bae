"""PicoNext right-of-access exporter (GDPR Art. 15, UK GDPR, CCPA/CPRA).

Public API: build an :class:`AccessRequest`, call :func:`export`, read the :class:`ExportResult`.
Errors derive from :class:`ExporterError` (see :mod:`exporter.errors`).
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    ExporterError,
    OutputError,
    RecordValidationError,
    RequestError,
    SourceDataError,
    SourceError,
    SourceUnavailable,
    SubjectNotFound,
)

__all__ = [
    "AccessRequest",
    "ClockStop",
    "ConfigError",
    "ExportResult",
    "ExporterError",
    "Extension",
    "OutputError",
    "RecordValidationError",
    "RequestError",
    "SourceDataError",
    "SourceError",
    "SourceUnavailable",
    "SubjectNotFound",
    "export",
    "parse_identifier",
    "verify_package",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import AccessRequest, ClockStop, ExportResult, Extension, export, parse_identifier, verify_package

_LAZY = {"AccessRequest", "ClockStop", "ExportResult", "Extension", "export", "parse_identifier", "verify_package"}


def __getattr__(name: str) -> Any:
    # The API module pulls in sources, rules and renderers; load it on first use only.
    if name in _LAZY:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'exporter' has no attribute {name!r}")
