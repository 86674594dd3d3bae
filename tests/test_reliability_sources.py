"""Source faults end to end through ``exporter.export`` (issue #8, part 1).

Every fault is produced for real: an HTTP server on 127.0.0.1 that fails on purpose (5xx, 429,
slow answers, cut-off bodies), a port nobody listens on, the throw-away PostgreSQL server stopped
in the middle of a streamed read, a malformed JSON Lines file, a CSV in the wrong encoding.

Without ``allow_partial`` the export fails with an error naming the source and the output folder
holds nothing (no hidden partial folder either). With it, the package is complete apart from the
categories the failed source feeds, which bundle.json, manifest.json and the PDF mark incomplete
with the reason; the package verifies.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from ministore import ANN, BOB, MiniStore, marketing_csv
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from exporter import AccessRequest, export
from exporter.api import ExportOptions, ExportResult
from exporter.errors import SourceDataError, SourceError, SourceUnavailable
from exporter.packaging.package import verify
from exporter.reliability import RetryPolicy
from exporter.testing import PostgresServer

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
FAST = ExportOptions(now=NOW, pdf=False, html=False, retry=RetryPolicy(attempts=2, wait=0.01))
CHATS = "/accounts/ACC-000001/chats"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def run(store: MiniStore, out: Path, **changes: Any) -> ExportResult:
    request = AccessRequest.parse([ANN["email"]], jurisdiction="eu", request_id="R-1")
    return export(request, store.config, out, FAST.replace(env=store.env(), **changes))


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def assert_nothing_written(out: Path) -> None:
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == [], "no package, no partial folder"


def assert_error_names_source(exc: SourceError, source: str) -> None:
    assert exc.context.get("source") == source
    assert source in str(exc)
    for value in (ANN["email"], ANN["account_id"], BOB["email"]):
        assert value not in str(exc)  # errors never carry subject data


def assert_incomplete(result: ExportResult, category: str, *, because: str) -> dict[str, Any]:
    """The category is incomplete in the result, bundle.json and manifest.json; the package verifies."""
    assert verify(result.path) == []
    bundle, manifest = load(result.path / "bundle.json"), load(result.path / "manifest.json")
    entry = next(e for e in bundle["categories"] if e["id"] == category)
    assert entry["status"] == "incomplete"
    assert because in entry["incomplete_reason"]
    assert bundle["summary"]["complete"] is False
    assert manifest["complete"] is False
    assert {"category": category, "reason": entry["incomplete_reason"]} in manifest["incomplete"]
    assert category in result.incomplete and because in result.incomplete[category]
    assert any(category in w for w in bundle["warnings"])
    return bundle


def chats_ok(request: Request) -> Response:
    return Response(json.dumps({"data": [] if "ACC-000001" not in request.path else
                                [{"chat_id": "CHT-000001", "account_id": "ACC-000001",
                                  "started_at": "2025-04-01T10:00:00Z", "ended_at": "2025-04-01T10:05:00Z",
                                  "channel": "web_widget", "messages": []}]}),
                    content_type="application/json")


# -- HTTP ------------------------------------------------------------------------------------------


def test_http_5xx_is_retried_a_bounded_number_of_times_then_fails(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(CHATS).respond_with_data("down for maintenance", status=503)
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=1)
    out = tmp_path / "out"
    with pytest.raises(SourceUnavailable, match="HTTP 503") as info:
        run(store, out)
    assert_error_names_source(info.value, "support_api")
    assert info.value.retriable
    # (1 + max_retries) requests per try, 2 tries: bounded, and exactly that
    assert len(httpserver.log) == 4
    assert_nothing_written(out)


@pytest.mark.parametrize(("status", "headers"), [(503, {}), (429, {"Retry-After": "0"})])
def test_http_transient_failures_are_retried_and_the_export_completes(
        httpserver: HTTPServer, tmp_path: Path, status: int, headers: dict[str, str]) -> None:
    answers = iter([Response("busy", status=status, headers=headers)] * 2)

    def handler(request: Request) -> Response:
        return next(answers, None) or chats_ok(request)

    httpserver.expect_request(CHATS).respond_with_handler(handler)
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=1)
    result = run(store, tmp_path / "out")
    assert not result.incomplete and result.counts["support_chats"] == 1
    assert len(httpserver.log) == 3  # two failures, then the answer
    assert verify(result.path) == []


def test_http_timeout(httpserver: HTTPServer, tmp_path: Path) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return chats_ok(request)

    httpserver.expect_request(CHATS).respond_with_handler(slow)
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=0, http_timeout=0.1)
    out = tmp_path / "out"
    with pytest.raises(SourceUnavailable, match="timed out") as info:
        run(store, out, retry=RetryPolicy(attempts=1))
    assert_error_names_source(info.value, "support_api")
    assert_nothing_written(out)
    deadline = time.monotonic() + 5  # let the server finish the slow answer before the next test
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_fails_and_writes_nothing(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", http_url=f"http://127.0.0.1:{_closed_port()}")
    out = tmp_path / "out"  # does not exist yet: a failed export must not leave it behind either
    with pytest.raises(SourceUnavailable, match="connection failed") as info:
        run(store, out)
    assert_error_names_source(info.value, "support_api")
    assert not out.exists()


def test_connection_refused_with_allow_partial_marks_the_category_in_bundle_manifest_and_pdf(
        tmp_path: Path) -> None:
    from pypdf import PdfReader

    store = MiniStore(tmp_path / "store", http_url=f"http://127.0.0.1:{_closed_port()}")
    result = run(store, tmp_path / "out", allow_partial=True, pdf=True, html=True)
    bundle = assert_incomplete(result, "support_chats", because="support_api")
    held = {e["id"]: e["status"] for e in bundle["categories"]}
    assert held["account"] == held["personalisation"] == held["support_emails"] == "held"
    assert result.counts["personalisation"] == store.n_personalisation
    text = " ".join((page.extract_text() or "") for page in PdfReader(result.path / "report.pdf").pages)
    flat = " ".join(text.split())
    title = next(e["title"] for e in bundle["categories"] if e["id"] == "support_chats")
    assert title in flat
    assert "Incomplete" in flat or "incomplete" in flat
    assert "support_api" in flat  # the reason names the source
    html = (result.path / "index.html").read_text(encoding="utf-8")
    assert "incomplete" in html and "support_api" in html


def test_truncated_json_body_is_a_data_error_not_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(CHATS).respond_with_data('{"data": [{"chat_id": "CHT-0',
                                                       content_type="application/json")
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=3)
    out = tmp_path / "out"
    with pytest.raises(SourceDataError, match="not valid JSON") as info:
        run(store, out)
    assert_error_names_source(info.value, "support_api")
    assert not info.value.retriable
    assert len(httpserver.log) == 1  # unreadable data is not retried
    assert_nothing_written(out)


class CutOffServer:
    """Answers every request with a Content-Length larger than the body, then hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.connections += 1
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                             b'{"data": [{"chat_id": "CHT-000001", "account_id": "ACC-0')

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def cutoff() -> Iterator[CutOffServer]:
    server = CutOffServer()
    yield server
    server.close()


def test_response_cut_off_mid_body_is_retried_then_fails(cutoff: CutOffServer, tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", http_url=f"http://127.0.0.1:{cutoff.port}", http_retries=1)
    out = tmp_path / "out"
    with pytest.raises(SourceUnavailable, match="connection failed") as info:
        run(store, out)
    assert_error_names_source(info.value, "support_api")
    assert cutoff.connections == 4  # (1 + max_retries) × 2 tries
    assert_nothing_written(out)
    result = run(store, out, allow_partial=True)
    assert_incomplete(result, "support_chats", because="connection failed")


# -- files -----------------------------------------------------------------------------------------


def test_malformed_jsonl_line(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    store.write_emails(extra_lines=[b'{"message_id": "EM-0000009", "account_id": "ACC-000001", oops}'])
    out = tmp_path / "out"
    with pytest.raises(SourceDataError, match="malformed JSON line") as info:
        run(store, out)
    assert_error_names_source(info.value, "files")
    assert info.value.context["file"] == "support_emails.jsonl"
    assert info.value.context["line"] == 4
    assert_nothing_written(out)
    result = run(store, out, allow_partial=True)
    assert_incomplete(result, "support_emails", because="malformed JSON line")
    # records of batches completed before the bad line are kept (here none: one batch of 1000)
    assert result.counts["support_emails"] <= 2


def test_csv_in_the_wrong_encoding(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    (store.root / "marketing.csv").write_bytes(marketing_csv("latin-1", extra_name="Müller-Lüdenscheidt"))
    out = tmp_path / "out"
    with pytest.raises(SourceDataError, match="not valid utf-8") as info:
        run(store, out)
    assert_error_names_source(info.value, "files")
    assert info.value.context["file"] == "marketing.csv" and info.value.context["line"] == 2
    assert "encoding" in (info.value.hint or "")
    assert_nothing_written(out)
    result = run(store, out, allow_partial=True)
    assert_incomplete(result, "marketing_subscriptions", because="not valid utf-8")


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_database_dies_mid_stream(postgres_server: PostgresServer, postgres_url: str, tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", sql_url=postgres_url, personalisation_rows=60, batch_size=5)
    seen: list[int] = []

    def progress(category: str, n: int) -> None:
        if category == "personalisation":
            seen.append(n)
            if len(seen) == 1:
                postgres_server.stop()  # cuts the streaming connection after the first batch

    out = tmp_path / "out"
    with pytest.raises(SourceUnavailable) as info:
        run(store, out, progress=progress)
    assert_error_names_source(info.value, "app")
    assert seen == [5, -5]  # the second try (which could not connect) first withdrew the first try's rows
    assert_nothing_written(out)

    postgres_server.start()
    seen.clear()
    result = run(store, out, progress=progress, allow_partial=True)
    bundle = assert_incomplete(result, "personalisation", because="app/personalisation")
    entry = next(e for e in bundle["categories"] if e["id"] == "personalisation")
    assert entry["provenance"][0]["read"] == "app/personalisation" and "failed" in entry["provenance"][0]
    assert next(e for e in bundle["categories"] if e["id"] == "account")["status"] == "held"
    assert next(e for e in bundle["categories"] if e["id"] == "support_emails")["status"] == "held"


@pytest.mark.postgres
def test_database_restart_mid_stream_is_retried_from_the_start(
        postgres_server: PostgresServer, postgres_url: str, tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", sql_url=postgres_url, personalisation_rows=60, batch_size=5)
    restarted = threading.Event()
    calls = {"n": 0}

    def progress(category: str, n: int) -> None:
        if category == "personalisation":
            calls["n"] += 1
            if calls["n"] == 2:
                postgres_server.stop()
                threading.Thread(target=lambda: (time.sleep(0.3), postgres_server.start(), restarted.set()),
                                 daemon=True).start()

    result = run(store, tmp_path / "out", progress=progress, retry=RetryPolicy(attempts=4, wait=0.5))
    assert restarted.is_set()
    assert not result.incomplete and result.counts["personalisation"] == 60
    lines = (result.path / "data" / "personalisation.jsonl").read_bytes().splitlines()
    ids = [orjson.loads(line)["item_id"] for line in lines]
    assert ids == sorted(set(ids)) and len(ids) == 60  # read again from the start: no duplicates, no gaps
    assert verify(result.path) == []


@pytest.mark.postgres
def test_database_down_from_the_start(postgres_server: PostgresServer, postgres_url: str, tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", sql_url=postgres_url)
    postgres_server.stop()
    out = tmp_path / "out"
    with pytest.raises(SourceUnavailable, match="cannot connect") as info:
        run(store, out)
    assert_error_names_source(info.value, "app")
    assert "password" not in str(info.value)
    assert_nothing_written(out)
    result = run(store, out, allow_partial=True)
    for category in ("account", "personalisation"):
        assert_incomplete(result, category, because="app")
    # the files source needs identifiers only the database yields: incomplete too, and said why
    bundle = assert_incomplete(result, "support_emails", because="account_id could not be resolved")
    assert any("identity lookup" in w for w in bundle["warnings"])
    assert result.records == 0
