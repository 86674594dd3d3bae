"""A worker process's state, kept between tasks: the loaded configuration, the output backend and
the warm PDF renderer (WeasyPrint loaded once; each report's garbage collected before the next),
started at ``worker_process_init`` and closed at shutdown; and the process's memory, reported
with each result.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from celery import signals

from ..config import Config
from .backends import OutputBackend
from ..runtime import use_system_allocator

__all__ = ["WorkerState", "close_renderer", "renderer", "renderer_pid", "rss_mb", "worker_state"]

log = logging.getLogger("exporter.queue")


class WorkerState:
    """What one worker process keeps between tasks (rebuilt in a forked child)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.config: Config | None = None
        self.backend: OutputBackend | None = None
        self.renderer: Any = None
        self.tasks = 0


_state: WorkerState | None = None
_state_lock = threading.Lock()


def worker_state() -> WorkerState:
    global _state
    with _state_lock:
        if _state is None or _state.pid != os.getpid():  # a forked child builds its own
            _state = WorkerState()
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


def renderer(state: WorkerState) -> Any:
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
    state = worker_state()
    if isinstance(state.renderer, _InProcessRenderer):
        return os.getpid()
    pool = getattr(state.renderer, "_pool", None)
    procs = getattr(pool, "_processes", None) or {}
    return next(iter(procs), None)


def close_renderer(**_: Any) -> None:
    state = _state
    if state is not None and state.renderer is not None and state.pid == os.getpid():
        try:
            state.renderer.close()
        finally:
            state.renderer = None


def rss_mb(pid: int | str = "self") -> float | None:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _warm_in_child(**_: Any) -> None:
    """Prefork: each pool process warms its PDF renderer up before its first task (and uses the
    allocator that returns freed memory, :mod:`exporter.runtime`)."""
    use_system_allocator()
    try:
        renderer(worker_state())
    except Exception as exc:  # noqa: BLE001 - the first PDF task reports the problem
        log.warning("the PDF renderer could not be warmed up (%s)", type(exc).__name__)


signals.worker_process_init.connect(_warm_in_child)
signals.worker_process_shutdown.connect(close_renderer)
signals.worker_shutdown.connect(close_renderer)
