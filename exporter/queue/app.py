"""The Celery app factory, the export task, and the client helpers (submit, job status).

See :mod:`exporter.queue` for the overview and docs/scaling.md for running it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from celery import Celery, Task, signals

from ..api import AccessRequest, ExportOptions, export
from ..config import Config, load_config
from ..errors import ExporterError, RequestError
from ..reliability import RetryPolicy
from .backends import LocalFolderBackend, OutputBackend

__all__ = [
    "EXPORT_TASK",
    "JOB_STATES",
    "QUEUED_OPTIONS",
    "QueueSettings",
    "TaskFailed",
    "fixed_request",
    "forget_job",
    "job_status",
    "make_app",
    "options_from_dict",
    "options_to_dict",
    "renderer_pid",
    "submit",
]

log = logging.getLogger("exporter.queue")

EXPORT_TASK = "exporter.export"
#: what :func:`job_status` reports: ``queued`` (sent, not started), ``running``, ``retrying`` (a
#: retriable error; the task runs again after a back-off), ``done``, ``failed``, ``unknown``
JOB_STATES = ("queued", "running", "retrying", "done", "failed", "unknown")
#: the options a queued request may carry (the rest — keys, paths, force — is the worker's)
QUEUED_OPTIONS = ("pdf", "html", "strict", "allow_partial", "now", "acknowledge")
_JOB_KEY = "exporter:job:{}"


class TaskFailed(Exception):  # noqa: N818 - the name a client sees as the task's exception type
    """The export task failed; ``args[0]`` is the error as JSON (``ExporterError.to_dict()``:
    ``code``, ``message``, ``retriable``, ``context`` … plus ``attempts``). Never subject data."""

    @property
    def error(self) -> dict[str, Any]:
        inner: Any = self
        while isinstance(inner, TaskFailed) and inner.args:  # a rebuilt exception may wrap the original
            inner = inner.args[0]
        return dict(inner) if isinstance(inner, Mapping) else {"code": "internal"}


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    return float(value) if value not in (None, "") else default


@dataclass(frozen=True)
class QueueSettings:
    """Everything the app and its workers need. :meth:`from_env` reads the ``EXPORTER_*`` variables
    (docs/scaling.md); the client (a service queuing exports) needs only the broker."""

    broker_url: str
    result_backend: str | None = None  #: default: the broker's Redis
    config: str | None = None  #: the exporter configuration (workers only)
    out: str | None = None  #: the shared package folder (LocalFolderBackend; workers, and a service reading summaries)
    work: str | None = None  #: where a worker builds a package before ``put`` (default ``<out>/.work``)
    #: seconds a task may stay unacknowledged before the broker gives it to another worker: longer
    #: than the longest export (a killed worker's task waits that long before it is redelivered)
    visibility_timeout: float = 7200.0
    restore_interval: float = 10.0  #: how often a worker looks for tasks whose visibility timeout passed
    max_retries: int = 8  #: task retries after a retriable error (source unavailable)
    retry_backoff: float = 30.0  #: seconds before the first task retry, doubled each time …
    retry_backoff_max: float = 600.0  #: … up to this
    source_attempts: int = 3  #: tries of an unavailable source within one run (RetryPolicy.attempts)
    source_wait: float = 1.0  #: RetryPolicy.wait
    lock_wait: float = 5.0  #: seconds before a duplicate that finds its request being exported looks again
    time_limit: float | None = None  #: hard time limit of one export (seconds), None = none
    sign_key: str | None = None  #: Ed25519 key (PEM) to sign manifests
    backend_factory: Any = field(default=None, compare=False, repr=False)  #: () -> OutputBackend; default LocalFolderBackend(out)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> QueueSettings:
        e = os.environ if env is None else env
        broker = e.get("EXPORTER_BROKER_URL")
        if not broker:
            raise RuntimeError("set EXPORTER_BROKER_URL (e.g. redis://localhost:6379/0)")
        return cls(
            broker_url=broker, result_backend=e.get("EXPORTER_RESULT_BACKEND") or None,
            config=e.get("EXPORTER_CONFIG") or None, out=e.get("EXPORTER_OUT") or None,
            work=e.get("EXPORTER_WORK") or None,
            visibility_timeout=_env_float(e, "EXPORTER_VISIBILITY_TIMEOUT", cls.visibility_timeout),
            restore_interval=_env_float(e, "EXPORTER_RESTORE_INTERVAL", cls.restore_interval),
            max_retries=int(_env_float(e, "EXPORTER_MAX_RETRIES", cls.max_retries)),
            retry_backoff=_env_float(e, "EXPORTER_RETRY_BACKOFF", cls.retry_backoff),
            retry_backoff_max=_env_float(e, "EXPORTER_RETRY_BACKOFF_MAX", cls.retry_backoff_max),
            source_attempts=int(_env_float(e, "EXPORTER_SOURCE_ATTEMPTS", cls.source_attempts)),
            source_wait=_env_float(e, "EXPORTER_SOURCE_WAIT", cls.source_wait),
            lock_wait=_env_float(e, "EXPORTER_LOCK_WAIT", cls.lock_wait),
            time_limit=_env_float(e, "EXPORTER_TIME_LIMIT", 0) or None,
            sign_key=e.get("EXPORTER_SIGN_KEY") or None,
        )

    def backend(self) -> OutputBackend:
        if self.backend_factory is not None:
            return self.backend_factory()  # type: ignore[no-any-return]
        if not self.out:
            raise RuntimeError("set EXPORTER_OUT to the package folder shared by the workers")
        return LocalFolderBackend(self.out)

    def work_dir(self) -> Path:
        if self.work:
            return Path(self.work).resolve()
        if not self.out:
            raise RuntimeError("set EXPORTER_OUT (or EXPORTER_WORK)")
        return Path(self.out).resolve() / ".work"

    def backoff(self, retries: int) -> float:
        return float(min(self.retry_backoff_max, self.retry_backoff * 2 ** retries))


# ------------------------------------------------------------------------------------------------
# Options and requests as JSON
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# Worker-process state: the configuration, the backend and the warm PDF renderer, once per process
# ------------------------------------------------------------------------------------------------


class _WorkerState:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.config: Config | None = None
        self.backend: OutputBackend | None = None
        self.renderer: Any = None
        self.tasks = 0


_state: _WorkerState | None = None
_state_lock = threading.Lock()


def _worker_state() -> _WorkerState:
    global _state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():  # a forked child builds its own
            _state = _WorkerState()
        return _state


class _InProcessRenderer:
    """The warm renderer for a process that may not start one (a prefork pool process is daemonic):
    WeasyPrint loaded and a throw-away report rendered once (the helper's warm-up,
    :func:`exporter.render.worker._warm_up`, in a thread, so that the pool process reports for work
    at once), then every report rendered here, the previous report's garbage collected first — the
    helper's routine, in this process."""

    def __init__(self) -> None:
        from ..render import worker

        self._worker = worker
        self._warm = threading.Thread(target=worker._warm_up, name="pdf-warm-up", daemon=True)
        self._warm.start()

    def __call__(self, bundle: Any, samples: Any, schemas: Any, out: Path, **kwargs: Any) -> None:
        self._warm.join()  # never two WeasyPrint renders at once
        self._worker._render(bundle, samples, schemas, Path(out), kwargs)

    def close(self) -> None:
        self._warm.join()


def _renderer(state: _WorkerState) -> Any:
    """The process's warm PDF renderer, started on first use (or at ``worker_process_init``) and
    kept: WeasyPrint stays loaded and warm between tasks, and each report's garbage is collected
    before the next, so memory stays flat. A :class:`~exporter.render.worker.WarmRenderer` (a
    helper process, rendering while index.html is written) where this process may have children
    (solo pool), else :class:`_InProcessRenderer` (prefork pool processes)."""
    if state.renderer is None:
        import multiprocessing

        if multiprocessing.current_process().daemon:
            state.renderer = _InProcessRenderer()
        else:
            from ..render.worker import WarmRenderer

            state.renderer = WarmRenderer()
    return state.renderer


def renderer_pid() -> int | None:
    """The pid of the process that renders this process's PDFs (None before the first)."""
    state = _worker_state()
    if isinstance(state.renderer, _InProcessRenderer):
        return os.getpid()
    pool = getattr(state.renderer, "_pool", None)
    procs = getattr(pool, "_processes", None) or {}
    return next(iter(procs), None)


def _close_renderer(**_: Any) -> None:
    state = _state
    if state is not None and state.renderer is not None and state.pid == os.getpid():
        try:
            state.renderer.close()
        finally:
            state.renderer = None


def _rss_mb(pid: int | str = "self") -> float | None:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


@contextmanager
def _request_lock(work: Path, request_id: str) -> Iterator[bool]:
    """An exclusive ``flock`` on ``work/.locks/<request id>.lock``, or False when another live
    process holds it (the kernel drops it when its holder dies, even on SIGKILL)."""
    locks = work / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(locks / f"{request_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


class _Progress:
    """``ExportOptions.progress`` → task state ``PROGRESS`` (category, rows), at most a few a second."""

    def __init__(self, task: Task, request_id: str, worker: dict[str, Any]) -> None:
        self.task, self.request_id, self.worker = task, request_id, worker
        self.category: str | None = None
        self.rows = 0
        self.total = 0
        self.categories_done = 0
        self.last = 0.0

    def __call__(self, category: str, records: int) -> None:
        if category != self.category:
            if self.category is not None:
                self.categories_done += 1
            self.category, self.rows = category, 0
            self.last = 0.0  # a new category is always reported
        self.rows += records
        self.total += records
        now = time.monotonic()
        if now - self.last >= 0.25:
            self.last = now
            self.report()

    def report(self, stage: str = "collect") -> None:
        self.task.update_state(state="PROGRESS", meta={
            "request_id": self.request_id, "stage": stage, "category": self.category, "rows": self.rows,
            "records": self.total, "categories_done": self.categories_done, "worker": self.worker})


def _worker_info(task: Task) -> dict[str, Any]:
    return {"hostname": task.request.hostname or socket.gethostname(), "pid": os.getpid()}


def _run_export(task: Task, request: Mapping[str, Any], options: Mapping[str, Any] | None,
                source_failures: int = 0) -> dict[str, Any]:
    settings: QueueSettings = task.app.exporter_settings
    state = _worker_state()
    worker = _worker_info(task)
    try:
        opts = options_from_dict(options)
        access = fixed_request(AccessRequest.from_dict(request), opts)
    except ExporterError as exc:
        raise TaskFailed({**exc.to_dict(), "attempts": 1}) from None
    rid = access.request_id
    assert rid is not None
    if state.backend is None:
        state.backend = settings.backend()
    backend = state.backend
    work = settings.work_dir()
    with _request_lock(work, rid) as locked:
        if not locked:  # a duplicate delivery while another worker exports it: look again later
            log.info("request %s is being exported by another worker; checking again in %.0f s", rid,
                     settings.lock_wait)
            raise task.retry(countdown=settings.lock_wait,
                             kwargs={"request": dict(request), "options": options,
                                     "source_failures": source_failures})
        if backend.exists(rid):  # finished before (a redelivery, a retry, a second submit)
            log.info("request %s: package exists, returning its result", rid)
            stored = backend.summary(rid) or {"request_id": rid, "location": backend.locate(rid)}
            return {**stored, "reused": True, "worker": worker}
        if state.config is None:
            if not settings.config:
                raise TaskFailed({"error": "ConfigError", "code": "config", "retriable": False,
                                  "message": "the worker has no exporter configuration (EXPORTER_CONFIG)",
                                  "attempts": source_failures + 1})
            try:
                state.config = load_config(settings.config)
            except ExporterError as exc:
                raise TaskFailed({**exc.to_dict(), "attempts": source_failures + 1}) from None
        progress = _Progress(task, rid, worker)
        progress.report("start")
        started = time.perf_counter()
        try:
            run_opts = opts.replace(
                force=True,  # replaces only a leftover in the work folder (of a run that died before put)
                progress=progress,
                retry=RetryPolicy(attempts=max(1, settings.source_attempts), wait=settings.source_wait),
                sign_key=settings.sign_key,
                pdf_renderer=_renderer(state) if opts.pdf else None,
            )
            result = export(access, state.config, work, run_opts)
        except ExporterError as exc:
            error = {**exc.to_dict(), "attempts": source_failures + 1}
            if exc.retriable and source_failures < settings.max_retries:
                countdown = settings.backoff(source_failures)
                log.warning("request %s: %s (%s); retry %d of %d in %.0f s", rid, exc.code,
                            exc.context.get("source", "?"), source_failures + 1, settings.max_retries, countdown)
                raise task.retry(exc=TaskFailed(error), countdown=countdown,
                                 kwargs={"request": dict(request), "options": options,
                                         "source_failures": source_failures + 1}) from None
            log.warning("request %s failed: %s", rid, exc.code)
            raise TaskFailed(error) from None
        except Exception as exc:  # noqa: BLE001 - a bug: no details, they may hold subject data
            log.error("request %s failed: internal error (%s)", rid, type(exc).__name__)
            raise TaskFailed({"error": type(exc).__name__, "code": "internal", "retriable": False,
                              "message": "internal error", "attempts": source_failures + 1}) from None
        progress.report("store")
        summary = result.to_dict()
        summary.pop("path")
        summary.update(seconds=round(time.perf_counter() - started, 3), attempts=source_failures + 1)
        summary["location"] = backend.put(rid, result.path, summary)
        state.tasks += 1
        helper = renderer_pid()
        worker.update(tasks=state.tasks, rss_mb=_rss_mb(), renderer_pid=helper,
                      renderer_rss_mb=_rss_mb(helper) if helper else None)
        return {**summary, "reused": False, "worker": worker}


# ------------------------------------------------------------------------------------------------
# The app
# ------------------------------------------------------------------------------------------------


def make_app(settings: QueueSettings | None = None, *, main: str = "exporter") -> Celery:
    """A Celery app with the export task (:data:`EXPORT_TASK`) registered.

    Late acknowledgement (``acks_late``; ``task_reject_on_worker_lost``), one task reserved per
    worker process at a time, JSON only, task state tracked (``STARTED``, ``PROGRESS``), the
    Redis visibility timeout from ``settings``. Without ``settings``: :meth:`QueueSettings.from_env`.
    """
    s = settings or QueueSettings.from_env()
    app = Celery(main, broker=s.broker_url, backend=s.result_backend or s.broker_url, set_as_current=False)
    transport = {"visibility_timeout": s.visibility_timeout, "unacked_restore_interval": s.restore_interval,
                 "unacked_restore_throttle": 1}
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, task_track_started=True,
        worker_prefetch_multiplier=1, task_acks_on_failure_or_timeout=True,
        broker_transport_options=transport, result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        result_extended=False,  # the task's arguments (subject identifiers) are not kept with its result
        worker_hijack_root_logger=False, task_time_limit=s.time_limit,
        worker_send_task_events=False, result_expires=dt.timedelta(days=7),
    )
    app.exporter_settings = s

    def export_package(self: Task, request: dict[str, Any], options: dict[str, Any] | None = None,
                       source_failures: int = 0) -> dict[str, Any]:
        """Export one access request on this worker; see :mod:`exporter.queue`."""
        return _run_export(self, request, options, source_failures)

    # retries are bounded by _run_export (source errors), not by Celery's max_retries
    app.task(name=EXPORT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, throws=(TaskFailed,),
             max_retries=None)(export_package)
    return app


def _warm_in_child(**_: Any) -> None:
    """Prefork: each pool process warms its PDF renderer up before its first task."""
    try:
        _renderer(_worker_state())
    except Exception as exc:  # noqa: BLE001 - the first PDF task reports the problem
        log.warning("the PDF renderer could not be warmed up (%s)", type(exc).__name__)


signals.worker_process_init.connect(_warm_in_child)
signals.worker_process_shutdown.connect(_close_renderer)
signals.worker_shutdown.connect(_close_renderer)


# ------------------------------------------------------------------------------------------------
# Client side
# ------------------------------------------------------------------------------------------------


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


