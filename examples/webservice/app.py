"""Example: the exporter embedded in a small web service (Starlette).

Two modes. **Queued** (``create_app(..., queue=celery_app)``, or ``EXPORTER_BROKER_URL`` set): the
export runs as a task on Celery workers (exporter.queue, docs/scaling.md) and the service answers
at once:

    POST /requests              JSON access request → queued → 202 Accepted, Location: /requests/{id}
                                (the same request id again: 200 with the existing job, nothing queued;
                                another request under a used id: 409)
    GET  /requests/{id}         {"status": "queued" | "running" | "retrying" | "done" | "failed",
                                 "progress": {"category", "rows", …}, "error": {…}, "result_url"}
    GET  /requests/{id}/result  200 + the result summary and manifest when done; 202 while it is not;
                                the error (4xx/5xx) when it failed

**In-process** (no queue; the default, for a single machine):

    POST /requests          JSON access request → runs the export in a thread pool → 201 + result JSON
    GET  /requests/{id}     {"status": "running" | "done" | "failed", ...}; for a finished package its
                            manifest (file list with SHA-256) and, if this process made it, the result

examples/webservice/README.md shows how to run both.

Run it against the demo store::

    pip install starlette uvicorn
    exporter demo --dir exporter-demo                       # builds exporter-demo/store/
    EXPORTER_CONFIG=exporter-demo/store/exporter.toml EXPORTER_OUT=packages \\
        uvicorn --factory examples.webservice.app:app_from_env --host 127.0.0.1 --port 8000
    curl -s localhost:8000/requests -H 'content-type: application/json' \\
        -d '{"identifiers": ["email:jane.doe@nordlicht-gmbh.example"], "jurisdiction": "eu",
             "request_id": "DSAR-1", "options": {"pdf": false}}'
    curl -s localhost:8000/requests/DSAR-1

What it shows (docs/library.md, "Embedding in a service"):

* the configuration is loaded **once** (:func:`exporter.load_config`) and shared by every export;
  exports run in a bounded :class:`~concurrent.futures.ThreadPoolExecutor`, never on the event loop;
* the request body is parsed by :meth:`exporter.AccessRequest.from_dict` (errors carry a JSON
  pointer); clients may choose only harmless options (pdf, html, strict, allow_partial) — never
  paths, keys or ``force``;
* every :class:`exporter.ExporterError` becomes a JSON error (``to_dict()``) with an HTTP status
  chosen from its class, and ``Retry-After`` when it is ``retriable``;
* responses carry counts, coverage, due dates and digests — no subject data.

This is an example, not a product: it has no authentication, and job states live in memory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import threading
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from exporter import (
    AccessRequest,
    Config,
    ConfigError,
    ExporterError,
    ExportOptions,
    OutputError,
    RecordValidationError,
    RequestError,
    SourceDataError,
    SubjectNotFound,
    export,
    load_config,
)

__all__ = ["CLIENT_OPTIONS", "app_from_env", "create_app", "http_status"]

#: Options a client may set in the request body ("options": {...}); everything else is the operator's.
CLIENT_OPTIONS = frozenset({"pdf", "html", "strict", "allow_partial"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")  # the exporter's request id syntax
RETRY_AFTER_SECONDS = 60


def http_status(exc: ExporterError) -> int:
    """The HTTP status for an exporter error: the client's fault (4xx) or ours/upstream (5xx)."""
    if isinstance(exc, (RequestError, SubjectNotFound)):
        return 422  # fix the request (identifiers, jurisdiction, …)
    if exc.retriable:
        return 503  # a source is down: try again later (Retry-After)
    if isinstance(exc, (SourceDataError, RecordValidationError)):
        return 502  # a source returned bad data: escalate to the data owner
    if isinstance(exc, ConfigError):
        return 500  # our configuration is wrong: escalate to the operator
    return 500


def _error(exc: ExporterError) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.retriable else None
    return JSONResponse({"error": exc.to_dict()}, status_code=http_status(exc), headers=headers)


async def _read_request(request: Request, base: ExportOptions) -> tuple[AccessRequest, ExportOptions]:
    """The POSTed access request and the options a client may set (RequestError when invalid)."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise RequestError("the request body is not JSON", pointer="") from None
    if not isinstance(body, dict):
        raise RequestError("the access request must be a JSON object", pointer="")
    opts = _client_options(body.pop("options", None), base)
    return AccessRequest.from_dict(body), opts


def _client_options(raw: Any, base: ExportOptions) -> ExportOptions:
    if raw is None:
        return base
    if not isinstance(raw, Mapping):
        raise RequestError("options must be an object", pointer="/options")
    for key, value in raw.items():
        if key not in CLIENT_OPTIONS:
            raise RequestError(f"option {key!r} cannot be set by a client", pointer=f"/options/{key}",
                               hint=f"allowed: {', '.join(sorted(CLIENT_OPTIONS))}")
        if not isinstance(value, bool):
            raise RequestError(f"option {key!r} must be true or false", pointer=f"/options/{key}")
    return base.replace(**dict(raw))


def create_app(config: Config | str | Path | None, out_dir: str | Path, *, workers: int = 4,
               options: ExportOptions | None = None, queue: Any = None) -> Starlette:
    """The service: exports for ``config`` into ``out_dir``, at most ``workers`` at a time.

    ``options`` are the operator's defaults (e.g. ``ExportOptions(sign_key=…)``); a fixed ``now``
    in them makes the packages reproducible (tests). With ``queue`` (a Celery app from
    :func:`exporter.queue.make_app`) the exports are queued instead, run by the workers (which
    hold the configuration: ``config`` may be None) into the shared folder ``out_dir``.
    """
    if queue is not None:
        return _queued_app(queue, out_dir, options or ExportOptions())
    if config is None:
        raise ValueError("the in-process service needs the exporter configuration")
    cfg = config if isinstance(config, Config) else load_config(config)  # once, shared by all exports
    out = Path(out_dir).resolve()
    base = options or ExportOptions()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export")
    lock = threading.Lock()
    jobs: dict[str, dict[str, Any]] = {}  # request id → {"status": …, "result"/"error": …}

    async def create_request(request: Request) -> JSONResponse:
        try:
            access, opts = await _read_request(request, base)
        except RequestError as exc:
            return _error(exc)
        # Fix the received date and the request id now, so the job can be tracked while it runs.
        received = access.received or (base.now or dt.datetime.now(dt.UTC)).date()
        access = replace(access, received=received, request_id=access.resolved_id(received))
        rid = access.request_id
        assert rid is not None
        with lock:
            if jobs.get(rid, {}).get("status") == "running" or (out / rid).exists():
                conflict = OutputError("a package for this request id exists or is being made",
                                       request_id=rid, hint=f"GET /requests/{rid}, or use a new request id")
                return JSONResponse({"error": conflict.to_dict()}, status_code=409)
            jobs[rid] = {"request_id": rid, "status": "running"}
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(executor, partial(export, access, cfg, out, opts))
        except ExporterError as exc:
            with lock:
                jobs[rid] = {"request_id": rid, "status": "failed", "error": exc.to_dict()}
            return _error(exc)
        except Exception as exc:  # noqa: BLE001 - a bug: record it without details that may hold subject data
            with lock:
                jobs[rid] = {"request_id": rid, "status": "failed",
                             "error": {"error": type(exc).__name__, "code": "internal", "retriable": False}}
            return JSONResponse({"error": jobs[rid]["error"]}, status_code=500)
        body_out = result.to_dict()
        body_out.pop("path")  # a server path is no business of the client
        with lock:
            jobs[rid] = {"request_id": rid, "status": "done", "result": body_out}
        return JSONResponse(body_out, status_code=201, headers={"Location": f"/requests/{rid}"})

    async def get_request(request: Request) -> JSONResponse:
        rid = request.path_params["request_id"]
        if not _ID.match(rid):
            return JSONResponse({"error": {"code": "not_found", "message": "no such request"}}, status_code=404)
        with lock:
            job = dict(jobs.get(rid) or {})
        manifest_path = out / rid / "manifest.json"
        if job.get("status") in ("running", "failed"):
            return JSONResponse(job)
        if manifest_path.is_file():  # done now, or by an earlier run of the service
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            return JSONResponse({"request_id": rid, "status": "done", "result": job.get("result"),
                                 "manifest": manifest})
        return JSONResponse({"error": {"code": "not_found", "message": "no such request"}}, status_code=404)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        executor.shutdown(wait=True)

    return Starlette(
        routes=[
            Route("/requests", create_request, methods=["POST"]),
            Route("/requests/{request_id}", get_request, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _error_status(error: Mapping[str, Any]) -> int:
    """:func:`http_status` for an error that arrived as JSON (a failed task's ``TaskFailed.error``)."""
    code = error.get("code")
    if code in ("request", "subject_not_found"):
        return 422
    if error.get("retriable"):
        return 503
    if code in ("source_data", "record_invalid", "record_foreign"):
        return 502
    return 500


def _public(status: Mapping[str, Any], rid: str) -> dict[str, Any]:
    """A job status for the client: no server paths."""
    out = {"request_id": rid, **{k: v for k, v in status.items() if k != "job_id"}}
    if isinstance(out.get("result"), Mapping):
        out["result"] = {k: v for k, v in out["result"].items() if k not in ("location", "path")}
    if out.get("status") == "done":
        out["result_url"] = f"/requests/{rid}/result"
    return out


def _queued_app(queue: Any, out_dir: str | Path, base: ExportOptions) -> Starlette:
    from exporter.queue import LocalFolderBackend, job_status, submit

    backend = LocalFolderBackend(out_dir)  # the folder the workers share: finished packages and summaries

    async def create_request(request: Request) -> JSONResponse:
        try:
            access, opts = await _read_request(request, base)
        except RequestError as exc:
            return _error(exc)
        try:  # a round trip to Redis: off the event loop
            rid, created = await asyncio.get_running_loop().run_in_executor(None, partial(submit, queue, access, opts))
        except RequestError as exc:  # the id is taken by a different request
            return JSONResponse({"error": exc.to_dict()}, status_code=409)
        location = {"Location": f"/requests/{rid}"}
        if created:
            return JSONResponse({"request_id": rid, "status": "queued", "status_url": f"/requests/{rid}"},
                                status_code=202, headers=location)
        status = await asyncio.get_running_loop().run_in_executor(None, partial(job_status, queue, rid, backend))
        return JSONResponse({**_public(status, rid), "status_url": f"/requests/{rid}", "existing": True},
                            status_code=200, headers=location)

    async def _status(request: Request) -> tuple[str, dict[str, Any]] | JSONResponse:
        rid = request.path_params["request_id"]
        if not _ID.match(rid):
            return JSONResponse({"error": {"code": "not_found", "message": "no such request"}}, status_code=404)
        status = await asyncio.get_running_loop().run_in_executor(None, partial(job_status, queue, rid, backend))
        if status["status"] == "unknown":
            return JSONResponse({"error": {"code": "not_found", "message": "no such request"}}, status_code=404)
        return rid, status

    async def get_request(request: Request) -> JSONResponse:
        got = await _status(request)
        if isinstance(got, JSONResponse):
            return got
        rid, status = got
        return JSONResponse(_public(status, rid))

    async def get_result(request: Request) -> JSONResponse:
        got = await _status(request)
        if isinstance(got, JSONResponse):
            return got
        rid, status = got
        if status["status"] == "failed":
            error = status.get("error") or {"code": "internal"}
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if error.get("retriable") else None
            return JSONResponse({"error": error}, status_code=_error_status(error), headers=headers)
        if status["status"] != "done":
            return JSONResponse(_public(status, rid), status_code=202, headers={"Location": f"/requests/{rid}"})
        manifest_path = out / rid / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else None
        return JSONResponse({**_public(status, rid)["result"], "manifest": manifest})

    out = backend.root
    return Starlette(routes=[
        Route("/requests", create_request, methods=["POST"]),
        Route("/requests/{request_id}", get_request, methods=["GET"]),
        Route("/requests/{request_id}/result", get_result, methods=["GET"]),
    ])


def app_from_env() -> Starlette:
    """For ``uvicorn --factory``: queued when ``EXPORTER_BROKER_URL`` is set (then ``EXPORTER_OUT``
    is the workers' shared folder), else in-process with ``EXPORTER_CONFIG`` (required),
    ``EXPORTER_OUT``, ``EXPORTER_WORKERS``."""
    if os.environ.get("EXPORTER_BROKER_URL"):
        from exporter.queue import QueueSettings, make_app

        return create_app(None, os.environ.get("EXPORTER_OUT", "packages"),
                          queue=make_app(QueueSettings.from_env()))
    config = os.environ.get("EXPORTER_CONFIG")
    if not config:
        raise SystemExit("set EXPORTER_CONFIG to the exporter's configuration file")
    return create_app(config, os.environ.get("EXPORTER_OUT", "packages"),
                      workers=int(os.environ.get("EXPORTER_WORKERS", "4")))
