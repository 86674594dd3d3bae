"""PicoNext right-of-access exporter (GDPR Art. 15, UK GDPR, CCPA/CPRA).

Public API (reference: docs/library.md): build an :class:`AccessRequest`, call :func:`export`
with a :class:`Config` (from :func:`load_config`, loaded once and shared) and optionally
:class:`ExportOptions`, read the :class:`ExportResult` (with its :class:`Coverage`). Errors
derive from :class:`ExporterError` (see :mod:`exporter.errors`). Every name in ``__all__`` is
part of the stable API; everything else is internal.
"""

from importlib import import_module
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
    "CategoryCoverage",
    "ClockStop",
    "Config",
    "ConfigError",
    "Coverage",
    "ExportOptions",
    "ExportResult",
    "ExporterError",
    "Extension",
    "Identifier",
    "OutputError",
    "ReadCoverage",
    "RecordValidationError",
    "RequestError",
    "RetryPolicy",
    "SourceDataError",
    "SourceError",
    "SourceUnavailable",
    "SubjectNotFound",
    "export",
    "load_config",
    "parse_identifier",
    "verify_package",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .api import (
        AccessRequest,
        CategoryCoverage,
        ClockStop,
        Coverage,
        ExportOptions,
        ExportResult,
        Extension,
        ReadCoverage,
        export,
        parse_identifier,
        verify_package,
    )
    from .config import Config, load_config
    from .collect.identity import Identifier
    from .reliability import RetryPolicy

# The API pulls in sources, rules and renderers: load each module on first use only.
_LAZY = {
    **dict.fromkeys(("AccessRequest", "CategoryCoverage", "ClockStop", "Coverage", "ExportOptions", "ExportResult",
                     "Extension", "ReadCoverage", "export", "parse_identifier", "verify_package"), ".api"),
    "Config": ".config",
    "load_config": ".config",
    "Identifier": ".collect.identity",
    "RetryPolicy": ".reliability",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        return getattr(import_module(module, __name__), name)
    raise AttributeError(f"module 'exporter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
