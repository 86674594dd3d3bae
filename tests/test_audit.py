"""The field-level coverage audit against real stores: SQLite and PostgreSQL (SQLAlchemy's
inspector), JSON Lines / CSV files, hive-partitioned Parquet (DuckDB) and an HTTP API on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from exporter import demo
from exporter.audit import AuditReport, audit
from exporter.cli import app
from exporter.errors import ConfigError

EMAIL = "mo.member@example.com"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def _sql(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for stmt in (
            "DROP TABLE IF EXISTS members", "DROP TABLE IF EXISTS audit_trail",
            "CREATE TABLE members (member_id TEXT PRIMARY KEY, email TEXT, nickname TEXT, joined TEXT,"
            " churn_score INTEGER, status TEXT)",
            "CREATE TABLE audit_trail (entry_id INTEGER PRIMARY KEY, member_id TEXT, action TEXT)",
        ):
            con.execute(sa.text(stmt))
        con.execute(sa.text("INSERT INTO members VALUES ('M-1', :e, 'Mo', '2025-01-01T00:00:00Z', 7, 'active')"),
                    {"e": EMAIL})
    engine.dispose()


SQL_CONFIG = '''
[sources.db]
kind = "sql"
{url}

[[sources.db.identities]]
needs = ["email"]
query = "SELECT member_id, email FROM members WHERE lower(email) IN :email"
yields = {{ account_id = "member_id" }}

[[sources.db.streams]]
category = "account"
needs = ["account_id"]
map = {{ account_id = "member_id", display_name = "nickname", created_at = "joined" }}
query = "SELECT m.member_id, m.email, m.nickname, m.joined, m.status FROM members m WHERE m.member_id IN :account_id"
'''

EXCLUDE = '''
[[sources.db.exclude]]
table = "members"
columns = ["churn_score"]
reason = "withheld"
note = "test: a ground stated here"

[[sources.db.exclude]]
table = "audit_trail"
columns = ["*"]
reason = "not_personal"
note = "test: a note stated here"
'''


def _columns(report: AuditReport, table: str) -> dict[str, dict[str, Any]]:
    t = next(t for t in report.tables if t.table == table)
    return {c.name: c.to_dict() for c in t.columns}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sql_tables_through_the_inspector(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
        line = f'url = "{url}"'
    else:
        url = request.getfixturevalue("postgres_url")
        line = 'url_env = "AUDIT_DB_URL"'
    _sql(url)
    cfg = tmp_path / "exporter.toml"
    cfg.write_text(SQL_CONFIG.format(url=line), encoding="utf-8")
    env = {"AUDIT_DB_URL": url}

    report = audit(cfg, env=env)
    assert {t.table for t in report.tables} == {"members", "audit_trail"}  # every table, read or not
    members = _columns(report, "members")
    assert members["member_id"] == {"name": "member_id", "status": "exported", "exported_as": ["account.account_id"]}
    assert members["nickname"]["exported_as"] == ["account.display_name"]  # under the stream's map
    assert members["churn_score"]["status"] == "not_exported"
    assert set(_columns(report, "audit_trail")) == {"entry_id", "member_id", "action"}
    assert ("db", "members", "churn_score") in report.unexplained and not report.clean
    assert EMAIL not in json.dumps(report.to_dict())  # names, never values

    cfg.write_text(SQL_CONFIG.format(url=line) + EXCLUDE, encoding="utf-8")
    report = audit(cfg, env=env)
    assert report.clean, report.to_text()
    assert _columns(report, "members")["churn_score"] == {
        "name": "churn_score", "status": "excluded", "reason": "withheld", "note": "test: a ground stated here"}
    assert _columns(report, "audit_trail")["action"]["reason"] == "not_personal"


PARSER_CONFIG = '''
[sources.db]
kind = "sql"
{url}

[[sources.db.identities]]
needs = ["email"]
query = "SELECT member_id, email FROM members WHERE lower(email) IN :email"
yields = {{ account_id = "member_id" }}

[[sources.db.streams]]
category = "orders"
needs = ["account_id"]
query = """WITH mine AS (
    SELECT o."Line No", o.placed, o.member_id FROM "Order Lines" AS o WHERE o.member_id IN :account_id)
  SELECT mine."Line No" AS order_id, mine.placed AS ordered_at,
         (SELECT max(p.amount) FROM payments p WHERE p.line_no = mine."Line No") AS total
  FROM mine ORDER BY mine.placed"""

[[sources.db.streams]]
category = "company_contact"
needs = ["account_id"]
query = """SELECT l.lead_id AS contact_id, x.nick AS full_name, l.score AS lead_score
  FROM {schema}.leads AS l
  JOIN (SELECT member_id, nickname AS nick FROM members) AS x ON x.member_id = l.member_id
  WHERE l.member_id IN :account_id"""
'''


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sql_parser_follows_ctes_subqueries_quoted_and_qualified_names(backend: str, tmp_path: Path,
                                                                       request: pytest.FixtureRequest) -> None:
    """The tables a query reads and where each result column comes from, by sqlglot's parser and
    column lineage: a CTE (whose name is no table), a scalar subquery, a derived table in a join,
    a quoted table and column name with a space, a schema-qualified table."""
    if backend == "sqlite":
        url, line, schema = f"sqlite:///{tmp_path / 'db.sqlite'}", "", "main"
        line = f'url = "{url}"'
    else:
        url, line, schema = request.getfixturevalue("postgres_url"), 'url_env = "AUDIT_DB_URL"', "crm"
    _sql(url)
    engine = sa.create_engine(url)
    with engine.begin() as con:
        if schema == "crm":
            con.execute(sa.text("CREATE SCHEMA crm"))
        for stmt in (
            'CREATE TABLE "Order Lines" ("Line No" TEXT PRIMARY KEY, member_id TEXT, placed TEXT, "Gift Note" TEXT)',
            "CREATE TABLE payments (line_no TEXT, amount REAL, processor_ref TEXT)",
            f"CREATE TABLE {schema}.leads (lead_id TEXT, member_id TEXT, score INTEGER, owner TEXT)",
        ):
            con.execute(sa.text(stmt))
    engine.dispose()
    cfg = tmp_path / "exporter.toml"
    cfg.write_text(PARSER_CONFIG.format(url=line, schema=schema), encoding="utf-8")
    report = audit(cfg, env={"AUDIT_DB_URL": url})
    tables = {t.table for t in report.tables}
    assert "mine" not in tables and "x" not in tables  # a CTE and a derived table are no tables
    leads = "leads" if schema == "main" else "crm.leads"  # main.leads is SQLite's leads: reported once
    assert {"members", "audit_trail", "Order Lines", "payments", leads} <= tables
    assert not any(t.table.startswith("main.") for t in report.tables)
    lines = _columns(report, "Order Lines")
    assert lines["Line No"]["exported_as"] == ["orders.order_id"]  # quoted, through the CTE
    assert lines["placed"]["exported_as"] == ["orders.ordered_at"]
    assert lines["member_id"]["status"] == "not_exported"  # read in the CTE, not returned
    assert lines["Gift Note"]["status"] == "not_exported"
    pay = _columns(report, "payments")
    assert pay["amount"]["exported_as"] == ["orders.total"]  # a scalar subquery's column
    assert pay["processor_ref"]["status"] == "not_exported"
    lead = _columns(report, leads)
    assert lead["lead_id"]["exported_as"] == ["company_contact.contact_id"]
    assert lead["score"]["exported_as"] == ["company_contact.lead_score"]
    assert lead["owner"]["status"] == "not_exported"
    # joined to a column of a derived table and not returned: not exported (the join is not traced into it)
    assert lead["member_id"]["status"] == "not_exported"
    members = _columns(report, "members")
    assert members["nickname"]["exported_as"] == ["company_contact.full_name"]  # via the derived table
    assert not report.problems, report.problems
    assert ("db", "Order Lines", "Gift Note") in report.unexplained


def test_files_parquet_and_http(tmp_path: Path, httpserver: HTTPServer) -> None:
    _sql(f"sqlite:///{tmp_path / 'db.sqlite'}")
    (tmp_path / "mails.jsonl").write_text(json.dumps({
        "message_id": "E-1", "ticket_id": "T-1", "account_id": "M-1", "direction": "from_you",
        "sent_at": "2025-01-01T00:00:00Z", "subject_line": "Hi", "body": "Hello", "ticket_status": "open",
        "spam_score": 0.1}) + "\n", encoding="utf-8")
    (tmp_path / "optouts.csv").write_text("preference_id,contact_id,email,channel,source,recorded_at,note,row_hash\n",
                                          encoding="utf-8")
    part = tmp_path / "logs" / "month=2025-01"
    part.mkdir(parents=True)
    pq.write_table(pa.table({"event_id": ["A-1"], "occurred_at": ["2025-01-01T00:00:00Z"], "account_id": ["M-1"],
                             "ip_address": ["192.0.2.1"], "browser": ["Firefox"], "page": ["/"],
                             "status_code": [200], "shard": [3]}), part / "p.parquet")
    httpserver.expect_request("/members/M-1/chats").respond_with_json({"data": [{
        "chat_id": "C-1", "account_id": "M-1", "started_at": "2025-01-01T00:00:00Z", "ended_at": "2025-01-01T00:01:00Z",
        "channel": "web", "messages": [], "bot_confidence": 0.9}]})
    cfg = tmp_path / "exporter.toml"
    cfg.write_text(SQL_CONFIG.format(url='url = "sqlite:///db.sqlite"') + EXCLUDE + f'''
[sources.files]
kind = "files"

[[sources.files.streams]]
category = "support_emails"
needs = ["account_id"]
path = "mails.jsonl"
match = {{ account_id = "account_id" }}

[[sources.files.identities]]
needs = ["contact_id"]
path = "optouts.csv"
match = {{ contact_id = "contact_id" }}
yields = {{ email = "email" }}

[sources.logs]
kind = "parquet"

[[sources.logs.streams]]
category = "access_logs"
needs = ["account_id"]
path = "logs/**/*.parquet"
match = {{ account_id = "account_id" }}
columns = ["event_id", "occurred_at", "account_id", "ip_address", "browser", "page", "status_code"]
order_by = ["occurred_at", "event_id"]

[sources.api]
kind = "http"
base_url = "{httpserver.url_for("/").rstrip("/")}"

[[sources.api.streams]]
category = "support_chats"
needs = ["account_id"]
endpoint = "/members/{{account_id}}/chats"
records = "data"
''', encoding="utf-8")

    report = audit(cfg)
    assert ("api", "/members/{account_id}/chats") in report.uninspected and not report.clean
    assert len(httpserver.log) == 0  # no identifier, no request

    report = audit(cfg, sample=[f"email:{EMAIL}"])
    mails = _columns(report, "mails.jsonl")
    assert mails["body"]["exported_as"] == ["support_emails.body"]
    assert "spam_score" in mails and "does not define" in mails["spam_score"]["problem"]
    optouts = _columns(report, "optouts.csv")  # read by an identities read only: nothing exported
    assert list(optouts) == ["preference_id", "contact_id", "email", "channel", "source", "recorded_at", "note",
                             "row_hash"] and {c["status"] for c in optouts.values()} == {"not_exported"}
    logs = _columns(report, "logs/**/*.parquet")
    assert logs["ip_address"]["status"] == "exported"
    assert logs["shard"]["status"] == "not_exported" and logs["month"]["status"] == "not_exported"  # partition key
    chats = _columns(report, "/members/{account_id}/chats")
    assert chats["channel"]["exported_as"] == ["support_chats.channel"]
    assert "does not define" in chats["bot_confidence"]["problem"]
    assert not report.uninspected and not report.clean
    unexplained = {(s, t, c) for s, t, c in report.unexplained}
    assert ("logs", "logs/**/*.parquet", "shard") in unexplained and ("files", "optouts.csv", "row_hash") in unexplained

    # the CLI: text by default, --json for machines, exit 7 with --strict while not clean
    runner = CliRunner()
    res = runner.invoke(app, ["audit", "--config", str(cfg), "--sample", f"email:{EMAIL}"])
    assert res.exit_code == 0 and "NOT EXPORTED" in res.stdout and "NOT CLEAN" in res.stdout
    res = runner.invoke(app, ["audit", "--config", str(cfg), "--sample", f"email:{EMAIL}", "--json", "--strict"])
    assert res.exit_code == 7
    data = json.loads(res.stdout)
    assert data["clean"] is False and {"source": "logs", "table": "logs/**/*.parquet", "column": "shard"} in data["unexplained"]
    assert EMAIL not in res.stdout


def test_demo_config_is_clean(demo_store: Path) -> None:
    """Every column of every demo table is exported or excluded with a stated reason."""
    report = audit(demo.demo_config_path(demo_store))
    assert report.clean, report.to_text()
    assert not report.stale_exclusions, report.stale_exclusions
    res = CliRunner().invoke(app, ["audit", "--config", str(demo.demo_config_path(demo_store)), "--strict"])
    assert res.exit_code == 0 and "clean: every column" in res.stdout


def test_exclusions_are_validated(tmp_path: Path) -> None:
    _sql(f"sqlite:///{tmp_path / 'db.sqlite'}")
    cfg = tmp_path / "exporter.toml"
    cfg.write_text(SQL_CONFIG.format(url='url = "sqlite:///db.sqlite"') + '''
[[sources.db.exclude]]
table = "members"
columns = ["churn_score"]
reason = "secret"
note = "no such reason"
''', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        audit(cfg)
    assert "sources.db.exclude" in str(info.value)
