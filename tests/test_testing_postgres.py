"""exporter.testing: which PostgreSQL the tests start ($EXPORTER_PG), and that it is a real server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from exporter.testing import PostgresServer, find_postgres_bindir, pgserver_bindir, select_postgres


def _major(bindir: Path) -> int:
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return int(out.split()[-1].split(".")[0])


def test_the_test_extra_brings_a_postgresql_of_its_own() -> None:
    bindir = pgserver_bindir()
    assert bindir is not None, "pip install -e '.[test]' installs pgserver"
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()
    assert _major(bindir) >= 16


def test_exporter_pg_chooses_the_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTER_PG", "pgserver")
    assert select_postgres() == (pgserver_bindir(), "pgserver", "")

    system = find_postgres_bindir()
    monkeypatch.setenv("EXPORTER_PG", "system")
    bindir, origin, why = select_postgres()
    assert (bindir, origin) == (system, "system")
    assert (why == "") == (system is not None) and (system is not None or "EXPORTER_PG=system" in why)

    monkeypatch.delenv("EXPORTER_PG")  # auto: the system's when there are any, else pgserver's
    assert select_postgres()[:2] == ((system, "system") if system else (pgserver_bindir(), "pgserver"))

    monkeypatch.setenv("EXPORTER_PG", "docker")
    bindir, _, why = select_postgres()
    assert bindir is None and "'docker'" in why and "pgserver" in why


@pytest.mark.postgres
def test_the_session_server_is_the_chosen_one_and_answers(postgres_server: PostgresServer,
                                                           postgres_url: str) -> None:
    bindir, origin, _ = select_postgres()
    assert (postgres_server.bindir, postgres_server.origin) == (bindir, origin)
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version_num")).scalar_one()
            conn.execute(sa.text("CREATE TABLE t (x int)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1), (2)"))
            assert conn.execute(sa.text("SELECT sum(x) FROM t")).scalar_one() == 3
    finally:
        engine.dispose()
    major = int(version) // 10000
    assert bindir is not None and major == _major(bindir)
    assert f"(PostgreSQL) {major}." in postgres_server.version
