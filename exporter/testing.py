"""Testing helpers: a pytest plugin that runs a throw-away PostgreSQL server.

Enable it in ``conftest.py`` with ``pytest_plugins = ["exporter.testing"]``. Fixtures:

``postgres_server`` (session)
    A fresh cluster (``initdb`` into a temporary folder, trust auth, listening on 127.0.0.1 on a
    free port) with ``url``, ``port``, ``stop()`` and ``start()`` — tests may stop it to simulate an
    outage. It is stopped and deleted at the end of the session.
``postgres_url`` (function)
    A SQLAlchemy URL of a new, empty database on that server, dropped after the test (the server is
    restarted first if the test left it stopped).

Where the server binaries come from (``$EXPORTER_PG``):

``auto`` (the default)
    the system's PostgreSQL server binaries — ``$EXPORTER_PG_BINDIR``, ``/usr/lib/postgresql/<n>/bin``
    (newest first), ``PATH`` — and, when there are none, the PostgreSQL 16 that the pip package
    ``pgserver`` ships (in the ``test`` extra), so a machine with Python alone runs the PostgreSQL
    tests too;
``system``
    only the system's binaries (CI uses the system PostgreSQL 15 this way);
``pgserver``
    only ``pgserver``'s binaries, even when the system has its own — to check that fallback.

Either way the same server is started the same way (``initdb``, ``pg_ctl``, a temporary folder). As
root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` user; with ``pgserver``'s binaries and no such
user, as a ``pgserver`` user created with ``useradd`` (what ``pgserver`` itself does as root). When no
binaries are found the fixtures skip — or fail when ``CI`` is set, so a CI run cannot silently lose the
PostgreSQL tests. The pytest header names the binaries used. Never imported by the exporter itself.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cleanup import remove_tree

__all__ = ["PostgresServer", "find_postgres_bindir", "pgserver_bindir", "postgres_server", "postgres_url",
           "select_postgres"]

_MODES = ("auto", "system", "pgserver")


def find_postgres_bindir() -> Path | None:
    """Folder holding the system's ``initdb`` and ``pg_ctl``, or None."""
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


def pgserver_bindir() -> Path | None:
    """The ``bin`` folder of the PostgreSQL that the pip package ``pgserver`` ships, or None.

    Found without importing ``pgserver`` (its import sets up lock files and an exit handler for a
    server of its own, which these fixtures do not use)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        bindir = Path(folder) / "pginstall" / "bin"
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def select_postgres() -> tuple[Path | None, str, str]:
    """``(bindir, origin, why)`` per ``$EXPORTER_PG``: ``origin`` is ``"system"`` or ``"pgserver"``;
    ``bindir`` is None when nothing usable was found, and ``why`` then says what was looked for."""
    mode = (os.environ.get("EXPORTER_PG") or "auto").strip().lower()
    if mode not in _MODES:
        return None, "system", f"EXPORTER_PG={mode!r} is not one of {', '.join(_MODES)}"
    if mode in ("auto", "system"):
        bindir = find_postgres_bindir()
        if bindir is not None:
            return bindir, "system", ""
    if mode in ("auto", "pgserver"):
        bindir = pgserver_bindir()
        if bindir is not None:
            return bindir, "pgserver", ""
    looked = {
        "auto": "PostgreSQL server binaries (initdb, pg_ctl) not found in $EXPORTER_PG_BINDIR, "
                "/usr/lib/postgresql/*/bin or PATH, and the pip package pgserver is not installed — "
                "pip install -e '.[test]' installs it",
        "system": "EXPORTER_PG=system: PostgreSQL server binaries (initdb, pg_ctl) not found in "
                  "$EXPORTER_PG_BINDIR, /usr/lib/postgresql/*/bin or PATH — install postgresql "
                  "(e.g. apt-get install postgresql-15)",
        "pgserver": "EXPORTER_PG=pgserver: the pip package pgserver is not installed (pip install pgserver)",
    }
    return None, "pgserver" if mode == "pgserver" else "system", looked[mode]


def _sbin(tool: str) -> str:
    """``runuser``/``useradd`` — in /usr/sbin or /sbin, which a non-login PATH may lack."""
    return shutil.which(tool) or next(
        (str(d / tool) for d in (Path("/usr/sbin"), Path("/sbin")) if (d / tool).is_file()), tool)


def _run_as_user(origin: str) -> str:
    """The account ``initdb``/``pg_ctl`` run as when the tests run as root (they refuse root)."""
    import pwd  # POSIX only, as running as root is

    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        if origin != "pgserver":
            raise
    try:
        return pwd.getpwnam("pgserver").pw_name
    except KeyError:
        subprocess.run([_sbin("useradd"), "--system", "--no-create-home", "-s", "/usr/sbin/nologin", "pgserver"],
                       check=True, capture_output=True, text=True, timeout=60)
        return pwd.getpwnam("pgserver").pw_name


def _let_user_run(bindir: Path, user: str) -> None:
    """Make ``bindir`` (inside a root-owned virtualenv) runnable by ``user``: read + traverse for
    everyone on its ancestors, the PostgreSQL tree readable (as ``pgserver`` does as root)."""
    probe = [_sbin("runuser"), "-u", user, "--", str(bindir / "initdb"), "--version"]
    if subprocess.run(probe, capture_output=True, timeout=60, check=False).returncode == 0:
        return
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    for folder in bindir.parents:
        folder.chmod(folder.stat().st_mode | rx)
    install = bindir.parent
    for path in [install, *install.rglob("*"), *(install.parent.parent / "pgserver.libs").glob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | (rx if path.is_dir() or mode & stat.S_IXUSR else stat.S_IRGRP | stat.S_IROTH))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary folder (see the module docstring)."""

    def __init__(self, bindir: Path, *, port: int | None = None, origin: str = "system") -> None:
        self.bindir = bindir
        #: ``"system"`` or ``"pgserver"``: where the binaries come from (see the module docstring)
        self.origin = origin
        self.port = port or _free_port()
        # initdb and pg_ctl refuse to run as root: run them as the `postgres` user then (or, with
        # pgserver's binaries on a machine without one, as a `pgserver` user)
        self._as: list[str] = []
        user = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            user = _run_as_user(origin)
            if origin == "pgserver":
                _let_user_run(bindir, user)
            self._as = [_sbin("runuser"), "-u", user, "--"]
        self.dir = Path(tempfile.mkdtemp(prefix="exporter-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if user is not None:
            shutil.chown(self.dir, user=user)
        self.running = False

    @property
    def version(self) -> str:
        """``postgres --version`` of the binaries, e.g. ``postgres (PostgreSQL) 16.2``."""
        done = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True,
                              timeout=60, check=False)
        return done.stdout.strip()

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
            remove_tree(self.dir, "the throw-away PostgreSQL's folder")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> str:
    bindir, origin, why = select_postgres()
    if bindir is None:
        return f"postgres: none ({why})"
    return f"postgres: {origin} binaries in {bindir} (EXPORTER_PG={os.environ.get('EXPORTER_PG') or 'auto'})"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir, origin, why = select_postgres()
    if bindir is None:
        _unavailable(why)
        raise AssertionError("unreachable")
    try:
        server = PostgresServer(bindir, origin=origin)
    except (KeyError, LookupError, OSError, subprocess.SubprocessError) as exc:
        # e.g. running as root without a `postgres` user
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
