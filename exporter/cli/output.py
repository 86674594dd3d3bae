"""What the commands print besides their results: ``--json`` documents, an error as one line
(``error: …``, never a traceback, never subject data) and its exit code, an unexpected failure,
the operator's findings, and the log lines on stderr (each once).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

import typer

from ..errors import ExporterError

__all__ = ["crash", "echo_json", "fail", "finding_line", "setup_logging"]


def echo_json(data: Any) -> None:
    """One JSON document on stdout (``--json``)."""
    from ..collect.writers import dumps

    typer.echo(dumps(data, indent=True).decode())


def fail(exc: ExporterError, as_json: bool = False) -> NoReturn:
    """The error as one line on stderr (and, with ``--json``, as ``{"ok": false, "error": …}`` on
    stdout), then exit with its exit code."""
    typer.echo(f"error: {exc}", err=True)
    if as_json:
        echo_json({"ok": False, "error": exc.to_dict()})
    raise typer.Exit(exc.exit_code)


def crash(exc: Exception, verbose: bool, as_json: bool = False) -> NoReturn:
    """An unexpected exception: one line without its message (it might hold subject data)."""
    if verbose:
        raise exc
    typer.echo(f"error: unexpected internal error ({type(exc).__name__}); run again with --verbose for the "
               "traceback and report it", err=True)
    if as_json:
        echo_json({"ok": False, "error": {"error": type(exc).__name__, "code": "internal", "message":
                                           "unexpected internal error", "hint": "run again with --verbose",
                                           "retriable": False, "exit_code": 1, "context": {}}})
    raise typer.Exit(1)

def finding_line(f: Any) -> str:
    """One stderr line per finding for the operator: code, category, count, message, action."""
    return (f"finding {f.code}{' (blocking)' if f.blocking else ''}: category {f.category or '-'}, "
            f"{f.count} record{'s' if f.count != 1 else ''}: {f.message} — {f.action}")


class _Lowercase(logging.Formatter):
    """``warning: …`` / ``error: …``, like the CLI's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _Once(logging.Filter):
    """A warning or error printed already in this process is not printed again (a library may
    repeat the same warning once per font, file or batch)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.getMessage())
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def setup_logging(verbose: bool, quiet: bool) -> None:
    """Log lines on stderr. The export's warnings reach the terminal this way only (grouped, one
    line per kind: exporter.messages), each once; ``--quiet`` keeps errors only."""
    level = logging.ERROR if quiet else (logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Lowercase())
    handler.addFilter(_Once())
    logging.basicConfig(level=level, handlers=[handler], force=True)
