"""Testing helpers: a pytest plugin that runs a throw-away PostgreSQL server.

Enable it in ``conftest.py`` with ``pytest_plugins = ["exporter.testing"]``. Fixtures:

``postgres_server`` (session)
    A fresh cluster (``initdb`` into a temporary folder, trust auth, listening on 127.0.0.1 on a
    free port) with ``url``, ``port``, ``stop()`` and ``start()`` — tests may stop it to simulate an
    outage. It is stopped and deleted at the end of the session.
``postgres_url`` (function)
    A SQLAlchemy URL of a new, empty database on that server, dropped after the test (the server is
    restarted first if the test left it stopped).

The server binaries are looked up in ``$EXPORTER_PG_BINDIR``, ``/usr/lib/postgresql/<n>/bin``
(newest first) and ``PATH``. When they are missing the fixtures skip — or fail when ``CI`` is set,
so a CI run cannot silently lose the PostgreSQL tests. Never imported by the exporter itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_postgres_bindir", "postgres_server", "postgres_url"]


def find_postgres_bindir() -> Path | None:
    """Folder holding ``initdb`` and ``pg_ctl``, or None."""
    candidates: list[Path] = []
    if os.environ.get("EXPORTER_PG_BINDIR"):
        candidates.append(Path(os.environ["EXPORTER_PG_BINDIR"]))
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        candidates += [p / "bin" for p in versions]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary folder (see the module docstring)."""

    def __init__(self, bindir: Path, *, port: int | None = None) -> None:
        self.bindir = bindir
        self.port = port or _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="exporter-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        # initdb and pg_ctl refuse to run as root: run them as the `postgres` user then
        self._as: list[str] = []
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.running = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [*self._as, str(self.bindir / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.dir,
                              check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{log}")
        return done

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync", "--locale=C")

    def start(self) -> None:
        if self.running:
            return
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.log), "-w", "-t", "60", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``mode``: smart | fast | immediate); open connections are cut."""
        if not self.running:
            return
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def _sql_tool(self, tool: str, *args: str) -> None:
        self._run(tool, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *args)

    def create_database(self, name: str) -> str:
        self._sql_tool("createdb", name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._sql_tool("dropdb", "--force", "--if-exists", name)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_postgres_bindir()
    if bindir is None:
        _unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found in $EXPORTER_PG_BINDIR, "
                     "/usr/lib/postgresql/*/bin or PATH — install postgresql (e.g. apt-get install postgresql-15)")
        raise AssertionError("unreachable")
    try:
        server = PostgresServer(bindir)
    except (KeyError, LookupError, OSError) as exc:  # e.g. running as root without a `postgres` user
        _unavailable(f"cannot prepare a PostgreSQL data folder: {exc}")
        raise AssertionError("unreachable") from exc
    try:
        server.init()
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        server.destroy()
        _unavailable(f"cannot start PostgreSQL from {bindir}: {exc}")
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture()
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:16]
    postgres_server.start()
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.start()  # a test may have stopped it
        postgres_server.drop_database(name)
