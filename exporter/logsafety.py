"""Keep subject data out of log output, whatever level an operator turns logging up to.

The exporter's own messages never carry subject values (identifiers, record contents). Some
libraries it uses do when their loggers are switched to INFO/DEBUG:

* SQLAlchemy logs the bound parameters of every statement (``[generated in …] ('jane@…',)``) and,
  at DEBUG, every result row (``Row ('ACC-000101', …)``) — both are subject data;
* httpx logs every request URL at INFO, and our URLs carry identifier values (the ``http``
  source filters that itself; it is repeated here so it holds before any source is opened).

:func:`install_log_filters` (called by every export; idempotent) adds filters to those loggers that
drop the row records and replace parameter values with ``[parameters hidden]``. SQL text (from the
configuration) and column names are kept: they help debugging and hold no subject data.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["install_log_filters"]


class _SqlValues(logging.Filter):
    """SQLAlchemy engine records: statements and column names pass; parameters and rows do not."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if not isinstance(msg, str):
            return True
        if msg.startswith("Row"):
            return False
        if not record.args or msg.startswith("Col "):
            return True
        if msg.startswith("[%s") and isinstance(record.args, tuple) and record.args:  # "[generated in …] (params)"
            record.msg, record.args = "[%s] [parameters hidden]", (record.args[0],)
        else:
            record.msg, record.args = msg.replace("%", "%%") + " [values hidden]", ()
        return True


class _NoRequestUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("HTTP Request:")


_LOGGERS: dict[str, logging.Filter] = {
    "sqlalchemy.engine.Engine": _SqlValues(),
    "sqlalchemy.engine": _SqlValues(),
    "httpx": _NoRequestUrls(),
}
_done = False
_lock = threading.Lock()


def install_log_filters() -> None:
    """Attach the filters (once per process)."""
    global _done
    if _done:
        return
    with _lock:
        for name, flt in _LOGGERS.items():
            logger = logging.getLogger(name)
            if flt not in logger.filters:
                logger.addFilter(flt)
        _done = True
