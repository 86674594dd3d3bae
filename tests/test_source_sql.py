"""The ``sql`` source against SQLite and a real (throw-away) PostgreSQL server — same test bodies."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from exporter.errors import ConfigError, SourceError, SourceUnavailable
from exporter.sources import ReadSpec
from exporter.sources.sql import SqlSource

EMAILS = [f"user{i}@example.com" for i in range(20)]


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (account_id VARCHAR(20) PRIMARY KEY, email VARCHAR(100), "
                             "name VARCHAR(100))"))
        conn.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, account_id VARCHAR(20), kind VARCHAR(20))"))
        conn.execute(sa.text("INSERT INTO accounts VALUES (:a, :e, :n)"),
                     [{"a": f"A-{i}", "e": e, "n": f"Name {i}"} for i, e in enumerate(EMAILS)])
        conn.execute(sa.text("INSERT INTO events VALUES (:i, :a, :k)"),
                     [{"i": i, "a": f"A-{i % 3}", "k": "login"} for i in range(300)])
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(url as a config would give it, base_dir)."""
    if request.param == "sqlite":
        (tmp_path / "store").mkdir()
        _fill(f"sqlite:///{tmp_path / 'store' / 'app.sqlite'}")
        yield "sqlite:///store/app.sqlite", tmp_path  # relative: resolved against base_dir
    else:
        url = request.getfixturevalue("postgres_url")
        _fill(url)
        yield url, tmp_path


def _source(db: tuple[str, Path], **options: object) -> SqlSource:
    url, base = db
    return SqlSource("app", {"url": url, **options}, base_dir=base, env={})


def _read(src: SqlSource, query: str, needs: tuple[str, ...], ids: dict[str, tuple[str, ...]],
          **params: object) -> list[list[dict[str, object]]]:
    spec = ReadSpec(label="app/test", needs=needs, params={"query": query, **params})
    return list(src.read(spec, ids))


def test_expanding_binds_with_several_values(db: tuple[str, Path]) -> None:
    with _source(db) as src:
        assert isinstance(src, SqlSource)
        batches = _read(src, "SELECT account_id, email FROM accounts WHERE lower(email) IN :email ORDER BY account_id",
                        ("email",), {"email": (EMAILS[3], EMAILS[7], "nobody@example.com")})
    rows = [r for b in batches for r in b]
    assert rows == [{"account_id": "A-3", "email": EMAILS[3]}, {"account_id": "A-7", "email": EMAILS[7]}]


def test_two_identifier_types(db: tuple[str, Path]) -> None:
    with _source(db) as src:
        assert isinstance(src, SqlSource)
        batches = _read(src, "SELECT account_id FROM accounts WHERE lower(email) IN :email OR account_id IN :account_id "
                        "ORDER BY account_id", ("email", "account_id"),
                        {"email": (EMAILS[1],), "account_id": ("A-2", "A-12")})
    assert [r["account_id"] for b in batches for r in b] == ["A-1", "A-12", "A-2"]


def test_streams_in_batches(db: tuple[str, Path]) -> None:
    with _source(db, batch_size=1000) as src:
        assert isinstance(src, SqlSource)
        batches = _read(src, "SELECT id, kind FROM events WHERE account_id IN :account_id ORDER BY id",
                        ("account_id",), {"account_id": ("A-0",)}, batch_size=30)
    assert [len(b) for b in batches] == [30, 30, 30, 10]
    assert [r["id"] for b in batches for r in b] == list(range(0, 300, 3))


def test_injection_attempt_matches_nothing(db: tuple[str, Path]) -> None:
    with _source(db) as src:
        assert isinstance(src, SqlSource)
        evil = ("x' OR '1'='1", "'); DROP TABLE accounts; --")
        assert _read(src, "SELECT * FROM accounts WHERE lower(email) IN :email", ("email",), {"email": evil}) == []
        assert len(_read(src, "SELECT * FROM accounts", (), {})[0]) == 20  # table intact


def test_bad_query_names_the_stream_not_the_values(db: tuple[str, Path]) -> None:
    with _source(db) as src, pytest.raises(ConfigError) as info:
        assert isinstance(src, SqlSource)
        _read(src, "SELECT no_such_column FROM accounts WHERE lower(email) IN :email", ("email",),
              {"email": ("secret.subject@example.com",)})
    text = str(info.value)
    assert "app/test" in text and "no_such_column" in text
    assert "secret.subject" not in text


@pytest.mark.parametrize(
    ("query", "needs"),
    [("SELECT * FROM accounts WHERE lower(email) IN :email AND account_id IN :account_id", ("email",)),
     ("SELECT * FROM accounts WHERE lower(email) IN :email", ("email", "account_id"))],
)
def test_placeholders_must_match_needs(db: tuple[str, Path], query: str, needs: tuple[str, ...]) -> None:
    with _source(db) as src, pytest.raises(ConfigError, match="account_id"):
        assert isinstance(src, SqlSource)
        _read(src, query, needs, {t: ("v",) for t in needs})


def test_url_from_environment(db: tuple[str, Path]) -> None:
    url, base = db
    src = SqlSource("app", {"url_env": "APP_DB_URL"}, base_dir=base, env={"APP_DB_URL": url})
    with src:
        assert _read(src, "SELECT account_id FROM accounts WHERE account_id IN :a", ("a",), {"a": ("A-1",)}) \
            == [[{"account_id": "A-1"}]]
    with pytest.raises(ConfigError, match="APP_DB_URL"):
        SqlSource("app", {"url_env": "APP_DB_URL"}, base_dir=base, env={}).open()


def test_missing_sqlite_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        SqlSource("app", {"url": "sqlite:///nope.sqlite"}, base_dir=tmp_path, env={}).open()
    assert not (tmp_path / "nope.sqlite").exists()


def test_missing_driver_and_bad_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="driver") as info:
        SqlSource("app", {"url": "mysql+mysqldb://u:hunter2@127.0.0.1/x"}, base_dir=tmp_path, env={}).open()
    assert "hunter2" not in str(info.value)
    with pytest.raises(ConfigError, match="cannot be parsed"):
        SqlSource("app", {"url": "not a url"}, base_dir=tmp_path, env={}).open()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_postgres_is_retriable_and_hides_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:{_closed_port()}/app"
    with pytest.raises(SourceUnavailable) as info:
        SqlSource("app", {"url": url, "connect_timeout": 2}, base_dir=tmp_path, env={}).open()
    assert info.value.retriable
    assert "s3cr3t-pw" not in str(info.value) and "***" in str(info.value)


@pytest.mark.postgres
def test_server_stopped_mid_stream(postgres_server: object, postgres_url: str, tmp_path: Path) -> None:
    from exporter.testing import PostgresServer

    assert isinstance(postgres_server, PostgresServer)
    _fill(postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:  # enough rows that the server-side cursor cannot have sent them all
        conn.execute(sa.text("INSERT INTO events SELECT g, 'A-0', 'bulk' FROM generate_series(1000, 60000) g"))
    engine.dispose()
    src = SqlSource("app", {"url": postgres_url}, base_dir=tmp_path, env={})
    spec = ReadSpec(label="app/events", needs=("account_id",),
                    params={"query": "SELECT * FROM events WHERE account_id IN :account_id ORDER BY id",
                            "batch_size": 50})
    with src:
        stream = src.read(spec, {"account_id": ("A-0",)})
        assert len(next(stream)) == 50
        postgres_server.stop("fast")
        with pytest.raises(SourceUnavailable) as info:
            for _ in stream:
                pass
    assert info.value.retriable and "app/events" in str(info.value)
    postgres_server.start()


# -- SQLite files through the standard library's sqlite3 (no SQLAlchemy import) ---------------------


def test_sqlite_file_is_read_by_the_stdlib_like_sqlalchemy_reads_it(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    _fill(f"sqlite:///{tmp_path / 'store' / 'app.sqlite'}")
    query = ("SELECT e.id, e.kind, a.email, '12:30' AS literal_time, 'a\\:b' AS escaped FROM events e "
             "JOIN accounts a USING (account_id) WHERE e.account_id IN :account_id OR lower(a.email) IN :email "
             "ORDER BY e.id")
    ids = {"account_id": ("A-1", "A-2"), "email": (EMAILS[0],)}
    stdlib = SqlSource("app", {"url": "sqlite:///store/app.sqlite"}, base_dir=tmp_path, env={})
    # a URL option sends the same file through SQLAlchemy's pysqlite dialect
    alchemy = SqlSource("app", {"url": "sqlite:///store/app.sqlite?timeout=5"}, base_dir=tmp_path, env={})
    with stdlib, alchemy:
        assert stdlib.sqlite_path == tmp_path / "store" / "app.sqlite" and stdlib.engine is None
        assert alchemy.sqlite_path is None and alchemy.engine is not None
        ours = _read(stdlib, query, ("account_id", "email"), ids, batch_size=64)
        theirs = _read(alchemy, query, ("account_id", "email"), ids, batch_size=64)
    assert [len(b) for b in ours] == [64, 64, 64, 64, 44] and ours == theirs
    assert ours[0][0] == {"id": 0, "kind": "login", "email": EMAILS[0], "literal_time": "12:30", "escaped": "a:b"}


def test_sqlite_errors_through_the_stdlib(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    _fill(f"sqlite:///{tmp_path / 'store' / 'app.sqlite'}")
    src = SqlSource("app", {"url": "sqlite:///store/app.sqlite"}, base_dir=tmp_path, env={})
    with src, pytest.raises(ConfigError) as info:
        _read(src, "SELECT * FROM no_such_table WHERE account_id IN :a", ("a",), {"a": ("secret-value",)})
    assert "no such table: no_such_table" in str(info.value) and "app/test" in str(info.value)
    assert "secret-value" not in str(info.value)
    with src, pytest.raises(ConfigError, match="lower"):  # the checks on the query are the same
        _read(src, "SELECT * FROM accounts WHERE email IN :email", ("email",), {"email": ("x@example.com",)})
    (tmp_path / "store" / "broken.sqlite").write_bytes(b"not a database, " * 200)
    errors = []
    for url in ("sqlite:///store/broken.sqlite", "sqlite:///store/broken.sqlite?timeout=5"):  # stdlib, SQLAlchemy
        with SqlSource("app", {"url": url}, base_dir=tmp_path, env={}) as broken, pytest.raises(SourceError) as err:
            _read(broken, "SELECT * FROM accounts", (), {})
        errors.append((type(err.value), str(err.value)))
    assert errors[0] == errors[1] and "DatabaseError" in errors[0][1]


def test_sqlite_only_config_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "store").mkdir()
    _fill(f"sqlite:///{tmp_path / 'store' / 'app.sqlite'}")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from exporter.sources import ReadSpec\n"
        "from exporter.sources.sql import SqlSource\n"
        f"src = SqlSource('app', {{'url': 'sqlite:///store/app.sqlite'}}, base_dir=Path({str(tmp_path)!r}), env={{}})\n"
        "spec = ReadSpec(label='app/t', needs=('a',), params={'query': 'SELECT account_id FROM accounts "
        "WHERE account_id IN :a'})\n"
        "with src:\n"
        "    rows = [r for b in src.read(spec, {'a': ('A-1', 'A-3')}) for r in b]\n"
        "print(sorted(r['account_id'] for r in rows), 'sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['A-1', 'A-3'] False"


def test_audit_engine_for_a_stdlib_sqlite_source(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    _fill(f"sqlite:///{tmp_path / 'store' / 'app.sqlite'}")
    src = SqlSource("app", {"url": "sqlite:///store/app.sqlite"}, base_dir=tmp_path, env={})
    with src:
        engine = src.sqlalchemy_engine()
        assert sorted(sa.inspect(engine).get_table_names()) == ["accounts", "events"]
    assert src.engine is None and src.sqlite_path is None


def test_cli_export_of_a_sqlite_and_files_config_imports_neither_sqlalchemy_nor_duckdb(tmp_path: Path) -> None:
    """The CLI reads what a SQLite-only (plus files) config names without SQLAlchemy or DuckDB,
    and writes the same records the SQLAlchemy path reads."""
    import json
    import subprocess
    import sys

    from ministore import ANN, MiniStore

    store = MiniStore(tmp_path / "store", personalisation_rows=7)
    code = (
        "import sys\n"
        "from exporter.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('MODULES', sorted(m for m in ('sqlalchemy', 'duckdb') if m in sys.modules), code)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, "export", "--config", str(store.config), "--subject",
                          ANN["email"], "--jurisdiction", "eu", "--out", str(tmp_path / "out"), "--no-pdf",
                          "--no-html", "--allow-partial", "--quiet", "--request-id", "R1", "--json"],
                         capture_output=True, text=True, check=False)
    assert out.stdout.strip().splitlines()[-1] == "MODULES [] 0", out.stderr[-2000:]
    result = json.loads("\n".join(out.stdout.strip().splitlines()[:-1]))
    rows = (Path(result["path"]) / "data" / "personalisation.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 7


def test_wrong_query_is_a_config_error_before_connecting(tmp_path: Path) -> None:
    """The query's checks come first: an unreachable database does not hide a wrong query."""
    spec = ReadSpec(label="app/test", needs=("email",), params={"query": "SELECT * FROM accounts WHERE email IN :email"})
    for url in (f"postgresql+psycopg://app@127.0.0.1:{_closed_port()}/app", "sqlite:///nope.sqlite"):
        src = SqlSource("app", {"url": url, "connect_timeout": 1}, base_dir=tmp_path, env={})
        with pytest.raises(ConfigError, match="lower"):
            next(src.read(spec, {"email": ("x@example.com",)}))
