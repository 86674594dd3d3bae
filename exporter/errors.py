"""The exporter's exception tree.

Every error a user can cause or meet derives from :class:`ExporterError` and carries enough
context to act on it: *what* went wrong, *where* (file / key path, source, category, record key,
JSON pointer) and *what to do*. ``retriable`` tells a caller (the DSAR service) whether trying the
same request again later can help. Messages never contain subject data values.

    ExporterError
    ├── ConfigError                 bad configuration file / catalog / rules (fatal, fix the file)
    ├── RequestError                bad access request (unknown jurisdiction, bad identifier syntax)
    ├── SourceError                 a data source failed
    │   ├── SourceUnavailable       unreachable / timed out / 5xx / 429 (retriable)
    │   └── SourceDataError         the source answered with something unreadable (bad line, encoding)
    ├── RecordValidationError       a record broke its category's JSON Schema
    ├── SubjectNotFound             raised only when the caller asks for strict mode
    └── OutputError                 the package could not be written / already exists / fails verify
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ExporterError",
    "ConfigError",
    "RequestError",
    "SourceError",
    "SourceUnavailable",
    "SourceDataError",
    "RecordValidationError",
    "SubjectNotFound",
    "OutputError",
]


class ExporterError(Exception):
    """Base class. ``hint`` says what to do; ``retriable`` whether retrying later may help."""

    retriable: bool = False
    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        parts = [self.message]
        if self.context:
            parts.append("(" + ", ".join(f"{k}: {v}" for k, v in self.context.items()) + ")")
        if self.hint:
            parts.append(f"— {self.hint}")
        return " ".join(parts)


class ConfigError(ExporterError):
    """A configuration, catalog or rules file is wrong. Context: ``file``, ``key``."""

    exit_code = 2


class RequestError(ExporterError):
    """The access request itself is malformed (identifier syntax, jurisdiction, dates)."""

    exit_code = 2


class SourceError(ExporterError):
    """A data source failed. Context: ``source``, ``category``/``stream``."""

    exit_code = 3


class SourceUnavailable(SourceError):
    """The source could not be reached or answered with a transient failure."""

    retriable = True


class SourceDataError(SourceError):
    """The source returned data that cannot be read (malformed line, wrong encoding)."""


class RecordValidationError(ExporterError):
    """A record does not match its category schema.

    Context: ``source``, ``category``, ``record`` (the record key, not its content),
    ``pointer`` (JSON pointer of the offending value), ``rule`` (the failed schema keyword).
    """

    exit_code = 4


class SubjectNotFound(ExporterError):
    """No identifier of the request matched anything (only raised in strict mode)."""

    exit_code = 5


class OutputError(ExporterError):
    """The package cannot be written (exists, disk full) or does not verify."""

    exit_code = 6
