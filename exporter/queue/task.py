"""The export task's body, on a worker: one access request exported once per request id (an
exclusive lock per id; a stored package is reused), retried with back-off while a source is
unavailable, its progress reported as task state, the package handed to the output backend.
See :mod:`exporter.queue` for the guarantees.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Task

from ..api import AccessRequest, ExportOptions, ExportResult, export
from ..config import Config, load_config
from ..errors import ExporterError
from ..reliability import RetryPolicy
from .backends import OutputBackend
from .payload import TaskFailed, fixed_request, options_from_dict
from .process import WorkerState, renderer, renderer_pid, rss_mb, worker_state
from .settings import QueueSettings

__all__ = ["run_export"]

log = logging.getLogger("exporter.queue")


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


@dataclass(frozen=True)
class _Delivery:
    """One delivery of the export task: what it was sent, and how often a source failed it before."""

    task: Task
    request: Mapping[str, Any]
    options: Mapping[str, Any] | None
    source_failures: int

    @property
    def settings(self) -> QueueSettings:
        return self.task.app.exporter_settings  # type: ignore[no-any-return]

    @property
    def attempts(self) -> int:
        return self.source_failures + 1

    def retry(self, countdown: float, exc: Exception | None = None, *, source_failed: bool = False) -> Any:
        """The task sent again after ``countdown`` seconds, with the same request and options."""
        return self.task.retry(exc=exc, countdown=countdown,
                               kwargs={"request": dict(self.request), "options": self.options,
                                       "source_failures": self.source_failures + (1 if source_failed else 0)})


def run_export(task: Task, request: Mapping[str, Any], options: Mapping[str, Any] | None,
               source_failures: int = 0) -> dict[str, Any]:
    """The export task's body: parse the request, take its lock, reuse a stored package or export,
    store the package with the backend; the result summary (see :mod:`exporter.queue`)."""
    job = _Delivery(task, request, options, source_failures)
    state = worker_state()
    worker = _worker_info(task)
    opts, access = _parse(request, options)
    rid = access.request_id
    assert rid is not None
    if state.backend is None:
        state.backend = job.settings.backend()
    backend = state.backend
    work = job.settings.work_dir()
    with _request_lock(work, rid) as locked:
        if not locked:  # a duplicate delivery while another worker exports it: look again later
            log.info("request %s is being exported by another worker; checking again in %.0f s", rid,
                     job.settings.lock_wait)
            raise job.retry(job.settings.lock_wait)
        if backend.exists(rid):  # finished before (a redelivery, a retry, a second submit)
            log.info("request %s: package exists, returning its result", rid)
            stored = backend.summary(rid) or {"request_id": rid, "location": backend.locate(rid)}
            return {**stored, "reused": True, "worker": worker}
        config = _config(job, state)
        progress = _Progress(task, rid, worker)
        progress.report("start")
        started = time.perf_counter()
        result = _export(job, state, access, config, work, opts, progress)
        progress.report("store")
        return _store(job, state, backend, rid, result, started, worker)


def _parse(request: Mapping[str, Any], options: Mapping[str, Any] | None) -> tuple[ExportOptions, AccessRequest]:
    try:
        opts = options_from_dict(options)
        return opts, fixed_request(AccessRequest.from_dict(request), opts)
    except ExporterError as exc:
        raise TaskFailed({**exc.to_dict(), "attempts": 1}) from None


def _config(job: _Delivery, state: WorkerState) -> Config:
    """The worker's exporter configuration, loaded on its first task."""
    if state.config is None:
        if not job.settings.config:
            raise TaskFailed({"error": "ConfigError", "code": "config", "retriable": False,
                              "message": "the worker has no exporter configuration (EXPORTER_CONFIG)",
                              "attempts": job.attempts})
        try:
            state.config = load_config(job.settings.config)
        except ExporterError as exc:
            raise TaskFailed({**exc.to_dict(), "attempts": job.attempts}) from None
    return state.config


def _export(job: _Delivery, state: WorkerState, access: AccessRequest, config: Config, work: Path,
            opts: ExportOptions, progress: _Progress) -> ExportResult:
    """The export into the work folder; a retriable error sends the task again after a back-off."""
    settings, rid = job.settings, access.request_id
    try:
        run_opts = opts.replace(
            force=True,  # replaces only a leftover in the work folder (of a run that died before put)
            progress=progress,
            retry=RetryPolicy(attempts=max(1, settings.source_attempts), wait=settings.source_wait),
            sign_key=settings.sign_key,
            pdf_renderer=renderer(state) if opts.pdf else None,
        )
        return export(access, config, work, run_opts)
    except ExporterError as exc:
        error = {**exc.to_dict(), "attempts": job.attempts}
        if exc.retriable and job.source_failures < settings.max_retries:
            countdown = settings.backoff(job.source_failures)
            log.warning("request %s: %s (%s); retry %d of %d in %.0f s", rid, exc.code,
                        exc.context.get("source", "?"), job.attempts, settings.max_retries, countdown)
            raise job.retry(countdown, TaskFailed(error), source_failed=True) from None
        log.warning("request %s failed: %s", rid, exc.code)
        raise TaskFailed(error) from None
    except Exception as exc:  # noqa: BLE001 - a bug: no details, they may hold subject data
        log.error("request %s failed: internal error (%s)", rid, type(exc).__name__)
        raise TaskFailed({"error": type(exc).__name__, "code": "internal", "retriable": False,
                          "message": "internal error", "attempts": job.attempts}) from None


def _store(job: _Delivery, state: WorkerState, backend: OutputBackend, rid: str, result: ExportResult,
           started: float, worker: dict[str, Any]) -> dict[str, Any]:
    """The package handed to the backend; the result summary, with the worker's memory."""
    summary = result.to_dict()
    summary.pop("path")
    summary.update(seconds=round(time.perf_counter() - started, 3), attempts=job.attempts)
    summary["location"] = backend.put(rid, result.path, summary)
    state.tasks += 1
    helper = renderer_pid()
    worker.update(tasks=state.tasks, rss_mb=rss_mb(), renderer_pid=helper,
                  renderer_rss_mb=rss_mb(helper) if helper else None)
    return {**summary, "reused": False, "worker": worker}
