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
    │   └── ForeignRecordError      a record's identifiers are none of the subject's (never exported)
    ├── SubjectNotFound             raised only when the caller asks for strict mode
    ├── IncompletePackage           the package was written but some category was not searched (CLI)
    └── OutputError                 the package could not be written / already exists / fails verify

Every error has ``code`` (a stable machine-readable name), ``retriable``, ``exit_code`` (the CLI's
exit status), ``message``, ``hint`` and ``context`` (JSON-safe facts: file, key, source, category,
record, pointer …), and :meth:`ExporterError.to_dict` gives all of it as one JSON-ready object for
a service's response or log. Errors survive pickling (process pools) with their context.
See docs/library.md for what a caller should do with each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ConfigError",
    "ExporterError",
    "ForeignRecordError",
    "IncompletePackage",
    "OutputError",
    "RecordValidationError",
    "RequestError",
    "SourceDataError",
    "SourceError",
    "SourceUnavailable",
    "SubjectNotFound",
    "UnacknowledgedFinding",
]


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return str(value)


def _restore(cls: type[ExporterError], message: str, hint: str | None, context: dict[str, Any]) -> ExporterError:
    return cls(message, hint=hint, **context)


class ExporterError(Exception):
    """Base class. ``hint`` says what to do; ``retriable`` whether retrying later may help.

    ``code`` names the kind of error for machines (stable across releases), ``exit_code`` is the
    CLI's exit status for it, ``context`` holds where it happened (never subject data).
    """

    code: str = "error"
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

    def located(self) -> str:
        """The message with where it happened (file, line, key, record, pointer …) but without the
        source, category and stream, for a reason shown beside those: a partial package's
        "incomplete" reason (``app/orders: malformed JSON line: … (file: orders.jsonl, line: 3)``)."""
        where = {k: v for k, v in self.context.items() if k not in ("source", "category", "stream")}
        if not where:
            return self.message
        return f"{self.message} (" + ", ".join(f"{k}: {v}" for k, v in where.items()) + ")"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default pickling would call cls(*args) and lose hint and context.
        return (_restore, (type(self), self.message, self.hint, dict(self.context)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for a service response or a structured log line::

            {"error": "SourceUnavailable", "code": "source_unavailable", "message": "…",
             "hint": "…" | None, "retriable": true, "exit_code": 3,
             "context": {"source": "crm", "category": "orders"}}
        """
        return {
            "error": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "retriable": self.retriable,
            "exit_code": self.exit_code,
            "context": _json_safe(self.context),
        }


class ConfigError(ExporterError):
    """A configuration, catalog or rules file is wrong. Context: ``file``, ``key``."""

    code = "config"
    exit_code = 2


class RequestError(ExporterError):
    """The access request itself is malformed (identifier syntax, jurisdiction, dates)."""

    code = "request"
    exit_code = 2


class SourceError(ExporterError):
    """A data source failed. Context: ``source``, ``category``/``stream``."""

    code = "source"
    exit_code = 3


class SourceUnavailable(SourceError):
    """The source could not be reached or answered with a transient failure."""

    code = "source_unavailable"
    retriable = True


class SourceDataError(SourceError):
    """The source returned data that cannot be read (malformed line, wrong encoding)."""

    code = "source_data"


class RecordValidationError(ExporterError):
    """A record does not match its category schema.

    Context: ``source``, ``category``, ``record`` (the record key, not its content),
    ``pointer`` (JSON pointer of the offending value), ``rule`` (the failed schema keyword).
    """

    code = "record_invalid"
    exit_code = 4


class ForeignRecordError(RecordValidationError):
    """A record that a source returned carries identifiers, none of which is the subject's: it
    belongs to somebody else and the export stops (nothing is written). Context as for
    :class:`RecordValidationError`; never the identifier values."""

    code = "record_foreign"


class SubjectNotFound(ExporterError):
    """No identifier of the request matched anything (only raised in strict mode)."""

    code = "subject_not_found"
    exit_code = 5


class IncompletePackage(ExporterError):
    """The package was written, but it does not answer the request completely: some category was
    not searched (no configured source covers it) or could not be read. The CLI raises it after
    writing the package unless ``--allow-partial`` accepts a partial answer; the library reports the
    same through ``ExportResult.complete`` / ``ExportResult.coverage``. Context: ``categories``."""

    code = "incomplete"
    exit_code = 7


class UnacknowledgedFinding(ExporterError):
    """A blocking finding for the operator (exporter.law.findings) was not acknowledged: no package
    is published. Acknowledge its code (``--acknowledge CODE``) after dealing with it."""

    code = "unacknowledged_finding"
    exit_code = 8


class OutputError(ExporterError):
    """The package cannot be written (exists, disk full) or does not verify."""

    code = "output"
    exit_code = 6
