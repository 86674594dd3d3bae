"""The Celery app factory: the app configured for exports that survive a killed worker (late
acknowledgement, one task reserved at a time, JSON only) with the export task registered.

See :mod:`exporter.queue` for the overview and docs/scaling.md for running it; the task's body is
:mod:`exporter.queue.task`, the client side :mod:`exporter.queue.client`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import Celery, Task

from .payload import TaskFailed
from .settings import QueueSettings
from .task import run_export

__all__ = ["EXPORT_TASK", "make_app"]

EXPORT_TASK = "exporter.export"


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
        return run_export(self, request, options, source_failures)

    # retries are bounded by run_export (source errors), not by Celery's max_retries
    app.task(name=EXPORT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, throws=(TaskFailed,),
             max_retries=None)(export_package)
    return app
