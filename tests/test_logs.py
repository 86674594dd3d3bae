"""No subject data in logs (issue #8, part 8).

A full export of the typical demo subject (PDF and HTML included) with EVERY logger at DEBUG —
the exporter's, SQLAlchemy's (which logs bound parameters and result rows at INFO/DEBUG unless
filtered), httpx/httpcore's, WeasyPrint's — plus Python warnings and whatever reaches the process's
stdout/stderr; and the CLI's stderr in verbose mode. None of the subject's identifiers
(bundle.json ``subject.identifiers``) and none of a sample of string values from the data files
may appear in any of it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from ministore import ANN, MiniStore
from pytest_httpserver import HTTPServer

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.resources import catalog_dir, schemas_dir

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes any traceback (exc_info)


@pytest.fixture()
def all_logs() -> Iterator[Capture]:
    """Every logger at DEBUG (also those libraries quieten by default), captured; restored after."""
    handler = Capture()
    root = logging.getLogger()
    names = ["", "exporter", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool",
             "httpx", "httpcore", "weasyprint", "weasyprint.progress", "fontTools", "PIL", "duckdb", "pyarrow",
             "urllib3", "asyncio", "faker", *logging.root.manager.loggerDict]
    saved = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    root.addHandler(handler)
    logging.captureWarnings(True)
    try:
        yield handler
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


def reference_text() -> str:
    """Text that is not subject data (catalog, schemas, demo config): values found there are not checked."""
    parts = [(catalog_dir() / "categories.toml").read_text(encoding="utf-8")]
    parts += [p.read_text(encoding="utf-8") for p in schemas_dir().rglob("*.json")]
    return "\n".join(parts)


def subject_values(package: Path, *, sample: int = 400) -> list[str]:
    """The subject's identifiers and a sample of string values of the data files."""
    bundle = orjson.loads((package / "bundle.json").read_bytes())
    idents = [i["value"] for i in bundle["subject"]["identifiers"]]
    reference = reference_text()
    values: set[str] = set()

    def walk(v: object) -> None:
        if isinstance(v, str):
            if len(v) >= 6 and v not in reference and not v.startswith("[") and "card ending" not in v:
                values.add(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for data in sorted((package / "data").glob("*.jsonl")):
        for line in data.read_bytes().splitlines():
            walk(orjson.loads(line))
    picked = random.Random(8).sample(sorted(values), min(sample, len(values)))
    # long texts: also look for a distinctive piece of them (a log line might quote a fragment)
    pieces = [v[:24] for v in picked if len(v) > 40]
    name = bundle["subject"]["display_name"]
    return sorted({*idents, *picked, *pieces, *([name] if name else [])})


def leaks(text: str, values: list[str]) -> list[str]:
    """Values found in ``text``: e-mail addresses in any case, everything else as written (a
    lower-case "reports" in a library's message is not the subject's screen name "Reports")."""
    folded = text.casefold()
    return [v for v in values if (v.casefold() in folded if "@" in v else v in text)]


def test_full_export_of_the_typical_subject_logs_no_subject_data(
        demo_store: Path, tmp_path: Path, all_logs: Capture, capfd: pytest.CaptureFixture[str]) -> None:
    # a SQLite file with a URL option is read through SQLAlchemy (a plain one with the stdlib's
    # sqlite3, which logs nothing): its engine logs statements, parameters and rows at DEBUG
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    config = demo.demo_config_path(store)
    text = config.read_text(encoding="utf-8")
    assert 'url = "sqlite:///piconext.sqlite"\n' in text
    config.write_text(text.replace('url = "sqlite:///piconext.sqlite"\n', 'url = "sqlite:///piconext.sqlite?timeout=5"\n'),
                      encoding="utf-8")
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu", request_id="LOGS")
    result = export(request, config, tmp_path / "out", ExportOptions(now=NOW))
    assert (result.path / "report.pdf").is_file() and (result.path / "index.html").is_file()
    out, err = capfd.readouterr()
    logged = "\n".join(all_logs.lines)
    assert len(all_logs.lines) > 100, "SQLAlchemy and the others did log (at DEBUG)"
    assert "sqlalchemy.engine" in logged and "[parameters hidden]" in logged
    values = subject_values(result.path)
    assert len(values) > 300
    assert demo.DEFAULT_DEMO_SUBJECT in values and "ACC-000101" in values
    assert leaks(logged, values) == []
    assert leaks(out + err, values) == []


def test_cli_stderr_in_verbose_mode(demo_store: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-W", "default", "-m", "exporter", "export", "--config",
           str(demo.demo_config_path(demo_store)), "--subject", demo.DEFAULT_DEMO_SUBJECT, "--jurisdiction", "eu",
           "--out", str(tmp_path), "--request-id", "CLI", "--now", "2026-11-25T12:00:00Z", "--verbose",
           "--no-pdf"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    values = [v for v in subject_values(tmp_path / "CLI") if v != demo.DEFAULT_DEMO_SUBJECT]
    assert leaks(done.stderr, values) == []
    assert done.stdout.strip() == str(tmp_path / "CLI")  # stdout: the package path only
    # the identifier the operator typed is on the command line, but never echoed back
    assert demo.DEFAULT_DEMO_SUBJECT not in done.stderr
    # a failing run: the error line names what failed, not the data
    strict = subprocess.run([sys.executable, "-m", "exporter", "export", "--config",
                             str(demo.demo_config_path(demo_store)), "--subject", "email:nobody-here@nowhere.example",
                             "--jurisdiction", "eu", "--out", str(tmp_path), "--strict", "--no-pdf", "--no-html",
                             "--verbose"], capture_output=True, text=True, check=False)
    assert strict.returncode == 5 and "error:" in strict.stderr and "nobody-here" not in strict.stderr


def test_http_source_at_debug_logs_no_identifier(httpserver: HTTPServer, tmp_path: Path, all_logs: Capture) -> None:
    chat = {"chat_id": "CHT-000001", "account_id": ANN["account_id"], "started_at": "2025-04-01T10:00:00Z",
            "ended_at": "2025-04-01T10:05:00Z", "channel": "web_widget",
            "messages": [{"at": "2025-04-01T10:00:00Z", "from": "subject", "text": "Secret-ish chat text 4711"}]}
    httpserver.expect_request(f"/accounts/{ANN['account_id']}/chats").respond_with_data(
        json.dumps({"data": [chat]}), content_type="application/json")
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""))
    all_logs.lines.clear()  # the test's own set-up (inserting the rows) is not the exporter's doing
    request = AccessRequest.parse([ANN["email"]], jurisdiction="eu", request_id="HTTP")
    result = export(request, store.config, tmp_path / "out", ExportOptions(now=NOW, pdf=False, html=False))
    assert result.counts["support_chats"] == 1
    # (the test's own HTTP server, werkzeug, logs its access log: that is the remote API's log, not ours)
    logged = "\n".join(line for line in all_logs.lines if not line.startswith("werkzeug "))
    assert "httpcore" in logged or "httpx" in logged  # the HTTP stack did log at DEBUG
    values = [*subject_values(result.path), "Secret-ish chat text 4711", ANN["account_id"], ANN["email"]]
    assert leaks(logged, values) == []
