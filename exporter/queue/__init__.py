"""Exports as tasks on a Celery worker queue (Redis broker): the optional ``queue`` extra.

    pip install 'piconext-exporter[queue]'
    EXPORTER_BROKER_URL=redis://localhost:6379/0 EXPORTER_CONFIG=exporter.toml EXPORTER_OUT=/srv/packages \\
        celery -A exporter.queue.worker worker --concurrency 2 --hostname w1@%h

    from exporter.queue import make_app, submit, job_status
    app = make_app()                                  # QueueSettings.from_env(): EXPORTER_BROKER_URL …
    job_id, created = submit(app, AccessRequest.from_dict(body), ExportOptions(pdf=True))
    job_status(app, job_id)     # {"status": "queued" | "running" | "retrying" | "done" | "failed", …}

The task (``exporter.export``) takes the JSON of an :class:`~exporter.AccessRequest` and of the
queueable :class:`~exporter.ExportOptions` (:data:`QUEUED_OPTIONS`), runs :func:`exporter.export`
on the worker into its work folder and hands the finished package to the output backend
(:mod:`exporter.queue.backends`; shipped: a folder shared by the workers). It returns the JSON
result summary (``ExportResult.to_dict()`` without the server path, plus ``location``,
``attempts``, ``seconds``, ``reused`` and ``worker``).

* **Idempotent by request id** (the job id *is* the request id): a task whose package is stored
  returns the stored summary (``reused: true``); an exclusive lock per request id (``flock``, freed
  by the kernel when its holder dies) keeps a duplicate delivery from exporting it twice at once;
  the package is written by the atomic writer and moved into the backend without replacing, so it
  is never written twice, overwritten or seen half-made.
* **Errors**: a retriable one (:class:`~exporter.errors.SourceUnavailable`) retries the task with
  exponential back-off up to ``max_retries``; any other fails it at once with
  :class:`TaskFailed`, whose ``error`` is ``ExporterError.to_dict()`` (``code`` …).
* **Delivery**: ``acks_late`` and ``task_reject_on_worker_lost``: a worker killed mid-export never
  acknowledged its task, and the broker gives it to another worker after the visibility timeout.
* **Progress**: task state ``PROGRESS`` with ``category``, ``rows``, ``records`` and ``worker``.
* **PDF**: one warm :class:`~exporter.render.worker.WarmRenderer` per worker process, kept between
  tasks.

docs/scaling.md explains running it; examples/webservice uses it. The modules: :mod:`.app` (the
Celery app), :mod:`.task` (the task's body), :mod:`.process` (a worker process's state and warm
renderer), :mod:`.payload` (requests, options and errors as JSON), :mod:`.settings`,
:mod:`.client` (submit, status), :mod:`.backends` (where packages go).
"""

from .app import EXPORT_TASK, make_app
from .client import JOB_STATES, forget_job, job_status, submit
from .payload import QUEUED_OPTIONS, TaskFailed, fixed_request, options_from_dict, options_to_dict
from .settings import QueueSettings
from .backends import LocalFolderBackend, OutputBackend

__all__ = [
    "EXPORT_TASK",
    "JOB_STATES",
    "QUEUED_OPTIONS",
    "LocalFolderBackend",
    "OutputBackend",
    "QueueSettings",
    "TaskFailed",
    "fixed_request",
    "forget_job",
    "job_status",
    "make_app",
    "options_from_dict",
    "options_to_dict",
    "submit",
]
