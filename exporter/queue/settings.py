"""The queue's settings: broker, result backend, the workers' configuration and package folder,
visibility timeout, retry back-off and limits — from the ``EXPORTER_*`` environment variables
(docs/scaling.md) or given in code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends import LocalFolderBackend, OutputBackend

__all__ = ["QueueSettings"]


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
