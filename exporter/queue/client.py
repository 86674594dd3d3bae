"""The client side of the queue (a service queuing exports): submit a request once per request id,
ask a job's status, forget a job.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from celery import Celery

from ..api import AccessRequest, ExportOptions
from ..errors import RequestError
from .app import EXPORT_TASK
from .backends import OutputBackend
from .payload import TaskFailed, fixed_request, options_to_dict

__all__ = ["JOB_STATES", "forget_job", "job_status", "submit"]

#: what :func:`job_status` reports: ``queued`` (sent, not started), ``running``, ``retrying`` (a
#: retriable error; the task runs again after a back-off), ``done``, ``failed``, ``unknown``
JOB_STATES = ("queued", "running", "retrying", "done", "failed", "unknown")
_JOB_KEY = "exporter:job:{}"


def _redis(app: Celery) -> Any:
    client = getattr(app.backend, "client", None)
    if client is None:
        raise RuntimeError("exporter.queue needs a Redis result backend")
    return client


def submit(app: Celery, request: AccessRequest, options: ExportOptions | None = None, *,
           retry_failed: bool = False, queue: str | None = None) -> tuple[str, bool]:
    """Queue the export of ``request`` once: returns ``(job id, created)``; the job id is the
    request id (fixed now, with the received date). A second submit of the same request id
    queues nothing and returns ``created=False`` (a different request under a used id is a
    :class:`~exporter.errors.RequestError`); with ``retry_failed`` a job that failed is queued
    again (a failed export leaves nothing behind). ``queue`` routes it to the workers consuming
    that queue (``celery worker -Q``; default ``celery``)."""
    access = fixed_request(request, options)
    rid = access.request_id
    assert rid is not None
    payload = {"request": access.to_dict(), "options": options_to_dict(options)}
    digest = hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()
    client = _redis(app)
    key = _JOB_KEY.format(rid)
    if not client.set(key, digest, nx=True):
        known = client.get(key)
        if isinstance(known, bytes):
            known = known.decode()
        if known != digest:
            raise RequestError("this request id is used by a different request", request_id=rid,
                               hint="use a new request id")
        if not (retry_failed and app.AsyncResult(rid).state == "FAILURE"):
            return rid, False
    try:
        app.send_task(EXPORT_TASK, args=[payload["request"], payload["options"]], task_id=rid,
                      **({"queue": queue} if queue else {}))
    except BaseException:
        client.delete(key)
        raise
    return rid, True


def job_status(app: Celery, job_id: str, backend: OutputBackend | None = None) -> dict[str, Any]:
    """The job as JSON: ``{"job_id", "status": one of JOB_STATES, "progress"?, "result"?, "error"?}``.

    With ``backend`` a package stored by an earlier job whose task state expired is ``done`` too.
    """
    res = app.AsyncResult(job_id)
    state = res.state
    out: dict[str, Any] = {"job_id": job_id}
    if state == "SUCCESS":
        out.update(status="done", result=res.result)
    elif state == "FAILURE":
        exc = res.result
        out.update(status="failed", error=exc.error if isinstance(exc, TaskFailed)
                   else {"error": type(exc).__name__, "code": "internal", "retriable": False})
    elif state == "RETRY":
        exc = res.result
        out.update(status="retrying", error=exc.error if isinstance(exc, TaskFailed) else None)
    elif state in ("STARTED", "PROGRESS"):
        info = res.info if isinstance(res.info, dict) else {}
        out.update(status="running", progress=info if state == "PROGRESS" else {"stage": "start"})
    else:  # PENDING: sent and waiting, or never seen
        summary = backend.summary(job_id) if backend is not None else None
        if summary is not None:
            out.update(status="done", result=summary)
        elif _redis(app).exists(_JOB_KEY.format(job_id)):
            out.update(status="queued")
        else:
            out.update(status="unknown")
    return out


def forget_job(app: Celery, job_id: str) -> None:
    """Remove the job's record (its package, if any, stays): the id may then be submitted anew."""
    _redis(app).delete(_JOB_KEY.format(job_id))
    app.AsyncResult(job_id).forget()
