"""What a queued job carries as JSON: the access request (its received date and request id fixed
when it is queued), the queueable export options (:data:`QUEUED_OPTIONS`), and the error a failed
task reports (:class:`TaskFailed`, never subject data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..api import AccessRequest, ExportOptions
from ..errors import RequestError

__all__ = ["QUEUED_OPTIONS", "TaskFailed", "fixed_request", "options_from_dict", "options_to_dict"]

#: the options a queued request may carry (the rest — keys, paths, force — is the worker's)
QUEUED_OPTIONS = ("pdf", "html", "strict", "allow_partial", "now", "acknowledge")


class TaskFailed(Exception):  # noqa: N818 - the name a client sees as the task's exception type
    """The export task failed; ``args[0]`` is the error as JSON (``ExporterError.to_dict()``:
    ``code``, ``message``, ``retriable``, ``context`` … plus ``attempts``). Never subject data."""

    @property
    def error(self) -> dict[str, Any]:
        inner: Any = self
        while isinstance(inner, TaskFailed) and inner.args:  # a rebuilt exception may wrap the original
            inner = inner.args[0]
        return dict(inner) if isinstance(inner, Mapping) else {"code": "internal"}


def options_to_dict(options: ExportOptions | None) -> dict[str, Any]:
    """The part of ``options`` a queued request carries (:data:`QUEUED_OPTIONS`) as JSON."""
    o = options or ExportOptions()
    return {"pdf": o.pdf, "html": o.html, "strict": o.strict, "allow_partial": o.allow_partial,
            "now": o.now.isoformat() if o.now else None, "acknowledge": sorted(o.acknowledge)}


def options_from_dict(data: Mapping[str, Any] | None, base: ExportOptions | None = None) -> ExportOptions:
    """Inverse of :func:`options_to_dict`; unknown members are refused (RequestError)."""
    opts = base or ExportOptions()
    if not data:
        return opts
    if not isinstance(data, Mapping):
        raise RequestError("options must be an object", pointer="/options")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in QUEUED_OPTIONS:
            raise RequestError(f"option {key!r} cannot be queued", pointer=f"/options/{key}",
                               hint=f"allowed: {', '.join(QUEUED_OPTIONS)}")
        if key == "acknowledge":  # codes of blocking findings the operator accepts (exporter.law.findings)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RequestError("acknowledge must be a list of finding codes", pointer="/options/acknowledge")
            changes["acknowledge"] = frozenset(value)
        elif key == "now":
            if value is not None:
                try:
                    changes["now"] = dt.datetime.fromisoformat(value)
                except (TypeError, ValueError):
                    raise RequestError("now must be an ISO date-time", pointer="/options/now") from None
        elif isinstance(value, bool):
            changes[key] = value
        else:
            raise RequestError(f"option {key!r} must be true or false", pointer=f"/options/{key}")
    return opts.replace(**changes)


def fixed_request(request: AccessRequest, options: ExportOptions | None = None) -> AccessRequest:
    """``request`` with its received date and request id fixed now (a task retried after
    midnight must not derive another id)."""
    now = (options.now if options and options.now else None) or dt.datetime.now(dt.UTC)
    received = request.received or now.date()
    return replace(request, received=received, request_id=request.resolved_id(received))
