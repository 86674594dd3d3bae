"""The ``http`` source against a real HTTP server on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from exporter.errors import ConfigError, SourceDataError, SourceError, SourceUnavailable
from exporter.sources import ReadSpec
from exporter.sources.http import HttpSource

EMAIL = "jane.doe+x@example.com"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


class _Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _source(url: str, env: Mapping[str, str] | None = None, sleeps: _Sleeps | None = None,
            **options: Any) -> HttpSource:
    return HttpSource("crm", {"base_url": url, **options}, base_dir=Path("."), env=env or {},
                      sleep=sleeps if sleeps is not None else (lambda s: None))


def _read(src: HttpSource, ids: Mapping[str, tuple[str, ...]] | None = None, **params: Any
          ) -> list[list[dict[str, Any]]]:
    spec = ReadSpec(label="crm/events", needs=("email",), params=params)
    with src:
        return list(src.read(spec, ids or {"email": (EMAIL,)}))


def _flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b]


def test_bearer_auth_and_encoded_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/api/contacts/{EMAIL}/events", headers={"Authorization": "Bearer t0k"}) \
        .respond_with_json({"data": {"items": [{"id": 1}, {"id": 2}]}})
    src = _source(httpserver.url_for("/api"), env={"CRM_TOKEN": "t0k"},
                  auth={"type": "bearer", "token_env": "CRM_TOKEN"})
    assert _flat(_read(src, endpoint="/contacts/{email}/events", records="data.items")) == [{"id": 1}, {"id": 2}]
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] == "Bearer t0k"
    assert request.environ["RAW_URI"] == "/api/contacts/jane.doe%2Bx%40example.com/events"


def test_value_cannot_change_the_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_json([])
    _read(_source(httpserver.url_for("/")), {"email": ("../admin", "..")}, endpoint="/contacts/{email}/events")
    assert [r.environ["RAW_URI"] for r, _ in httpserver.log] == ["/contacts/..%2Fadmin/events",
                                                                 "/contacts/%2E%2E/events"]


def test_api_key_header_and_query_template(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search", query_string={"email": EMAIL, "kind": "all"},
                              headers={"X-Api-Key": "k-123"}).respond_with_json([{"id": "e1"}])
    src = _source(httpserver.url_for(""), env={"CRM_KEY": "k-123"},
                  auth={"type": "header", "header": "X-Api-Key", "value_env": "CRM_KEY"}, headers={"X-Extra": "1"})
    assert _flat(_read(src, endpoint="/search", query={"email": "{email}", "kind": "all"})) == [{"id": "e1"}]
    assert httpserver.log[0][0].headers["X-Api-Key"] == "k-123"
    assert httpserver.log[0][0].headers["X-Extra"] == "1"


def test_missing_secret_names_the_variable(httpserver: HTTPServer) -> None:
    src = _source(httpserver.url_for("/"), auth={"type": "bearer", "token_env": "CRM_TOKEN"})
    with pytest.raises(ConfigError, match="CRM_TOKEN"):
        src.open()


def test_page_pagination(httpserver: HTTPServer) -> None:
    items = [{"id": i} for i in range(5)]

    def handler(request: Request) -> Response:
        page, size = int(request.args["page"]), int(request.args["per_page"])
        body = {"items": items[(page - 1) * size: page * size]}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/events").respond_with_handler(handler)
    batches = _read(_source(httpserver.url_for("")), endpoint="/events", query={"email": "{email}"},
                    records="items", pagination={"type": "page", "param": "page", "size_param": "per_page", "size": 2})
    assert [len(b) for b in batches] == [2, 2, 1]
    assert _flat(batches) == items
    assert len(httpserver.log) == 3


def test_page_pagination_ignored_by_the_api_is_detected(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_json([{"id": 1}])
    with pytest.raises(SourceDataError, match="same page"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"},
              pagination={"type": "page"})


def test_cursor_pagination_and_loop(httpserver: HTTPServer) -> None:
    pages = {"": ({"id": 1}, "c2"), "c2": ({"id": 2}, "c3"), "c3": ({"id": 3}, None)}

    def handler(request: Request) -> Response:
        item, nxt = pages[request.args.get("cursor", "")]
        return Response(json.dumps({"data": [item], "meta": {"next_cursor": nxt}}), content_type="application/json")

    httpserver.expect_request("/events").respond_with_handler(handler)
    params: dict[str, Any] = {"endpoint": "/events", "query": {"email": "{email}"}, "records": "data",
              "pagination": {"type": "cursor", "param": "cursor", "next": "meta.next_cursor"}}
    assert _flat(_read(_source(httpserver.url_for("")), **params)) == [{"id": 1}, {"id": 2}, {"id": 3}]

    pages["c3"] = ({"id": 3}, "c2")  # the API loops
    with pytest.raises(SourceDataError, match="loop"):
        _read(_source(httpserver.url_for("")), **params)


def test_max_pages(httpserver: HTTPServer) -> None:
    counter = iter(range(1000))

    def handler(request: Request) -> Response:
        return Response(json.dumps({"data": [{}], "next": f"c{next(counter)}"}), content_type="application/json")

    httpserver.expect_request("/events").respond_with_handler(handler)
    with pytest.raises(SourceDataError, match="max_pages=3"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"}, records="data",
              pagination={"type": "cursor", "next": "next"}, max_pages=3)
    assert len(httpserver.log) == 3


def test_link_pagination_relative_urls(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/events", query_string={"email": EMAIL}).respond_with_json(
        [{"id": 1}], headers={"Link": '<page2?token=abc>; rel="next"'})
    httpserver.expect_request("/v1/page2", query_string={"token": "abc"}).respond_with_json(
        [{"id": 2}], headers={"Link": '</v1/page3>; rel="next", </v1/events>; rel="first"'})
    httpserver.expect_request("/v1/page3").respond_with_json([{"id": 3}])
    rows = _flat(_read(_source(httpserver.url_for("/v1/")), endpoint="events", query={"email": "{email}"},
                       pagination={"type": "link"}))
    assert rows == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_link_to_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_json(
        [{"id": 1}], headers={"Link": '<http://evil.example:8080/steal>; rel="next"'})
    with pytest.raises(SourceDataError, match="another host"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"},
              pagination={"type": "link"})
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("retry_after", ["0", "1"])
def test_429_honours_retry_after_then_succeeds(httpserver: HTTPServer, retry_after: str) -> None:
    httpserver.expect_ordered_request("/events").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": retry_after}))
    httpserver.expect_ordered_request("/events").respond_with_json([{"id": 1}])
    sleeps = _Sleeps()
    rows = _flat(_read(_source(httpserver.url_for(""), sleeps=sleeps), endpoint="/events", query={"e": "{email}"}))
    assert rows == [{"id": 1}]
    assert sleeps == [float(retry_after)]
    assert len(httpserver.log) == 2


def test_retry_after_http_date_is_capped(httpserver: HTTPServer) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    httpserver.expect_ordered_request("/events").respond_with_response(
        Response("", status=503, headers={"Retry-After": later}))
    httpserver.expect_ordered_request("/events").respond_with_json([])
    sleeps = _Sleeps()
    _read(_source(httpserver.url_for(""), sleeps=sleeps, backoff_max=7), endpoint="/events", query={"e": "{email}"})
    assert sleeps == [7.0]


def test_default_source_sleeps_for_retry_after(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source made without an injected sleep waits with ``time.sleep``, for what Retry-After asks
    (counted, not timed: the sleep is recorded instead of measured)."""
    httpserver.expect_ordered_request("/events").respond_with_response(
        Response("", status=429, headers={"Retry-After": "1"}))
    httpserver.expect_ordered_request("/events").respond_with_json([{"id": 1}])
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the default, looked up when the source is made
    src = HttpSource("crm", {"base_url": httpserver.url_for("")}, base_dir=Path("."), env={})
    monkeypatch.undo()
    assert src.retry.sleep == slept.append
    assert _flat(_read(src, endpoint="/events", query={"e": "{email}"})) == [{"id": 1}]
    assert slept == [1.0] and len(httpserver.log) == 2


def test_the_source_retries_with_the_exports_retry_policy() -> None:
    """One retry policy: the http source's options become a RetryPolicy (exporter.retry)."""
    from exporter.retry import RetryPolicy

    src = _source("http://127.0.0.1:9", max_retries=4, backoff=0.25, backoff_max=1.0)
    assert isinstance(src.retry, RetryPolicy)
    assert (src.retry.attempts, src.retry.wait, src.retry.max_wait) == (5, 0.25, 1.0)
    assert [src.retry.delay(n) for n in range(5)] == [0.0, 0.25, 0.5, 1.0, 1.0]
    assert src.retry.delay(1, asked=9.0) == 1.0  # Retry-After is capped alike


def test_503_until_retries_run_out(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_data("down", status=503)
    sleeps = _Sleeps()
    with pytest.raises(SourceUnavailable) as info:
        _read(_source(httpserver.url_for(""), sleeps=sleeps, max_retries=3, backoff=0.5, backoff_max=1.5),
              endpoint="/events", query={"e": "{email}"})
    assert len(httpserver.log) == 4
    assert sleeps == [0.5, 1.0, 1.5]  # exponential, capped
    assert info.value.retriable and "HTTP 503" in str(info.value)
    assert EMAIL not in str(info.value) and "jane" not in str(info.value)


def test_timeout(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/events").respond_with_handler(slow)
    with pytest.raises(SourceUnavailable, match="timed out"):
        _read(_source(httpserver.url_for(""), timeout=0.2, max_retries=1), endpoint="/events",
              query={"e": "{email}"})
    deadline = time.monotonic() + 5  # let the server finish both slow answers before the next test
    while len(httpserver.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(httpserver.log) == 2


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = _Sleeps()
    with pytest.raises(SourceUnavailable, match="connection failed") as info:
        _read(_source(f"http://127.0.0.1:{port}", sleeps=sleeps, max_retries=2), endpoint="/events/{email}")
    assert len(sleeps) == 2
    assert "jane" not in str(info.value)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_names_the_variable_not_the_secret(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/events").respond_with_data("no", status=status)
    src = _source(httpserver.url_for(""), env={"CRM_TOKEN": "sekrit"}, auth={"type": "bearer",
                                                                               "token_env": "CRM_TOKEN"})
    with pytest.raises(SourceError) as info:
        _read(src, endpoint="/events", query={"e": "{email}"})
    assert not isinstance(info.value, SourceUnavailable)
    assert "$CRM_TOKEN" in str(info.value) and "sekrit" not in str(info.value)
    assert len(httpserver.log) == 1  # not retried


def test_404_means_nothing_held_unless_configured(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/contacts/nobody@x.com").respond_with_data("", status=404)
    src = _source(httpserver.url_for(""))
    assert _read(src, {"email": ("nobody@x.com",)}, endpoint="/contacts/{email}") == []
    with pytest.raises(SourceError, match="HTTP 404"):
        _read(src, {"email": ("nobody@x.com",)}, endpoint="/contacts/{email}", not_found="error")


def test_other_4xx_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_data("bad", status=422)
    with pytest.raises(SourceError, match="HTTP 422") as info:
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"})
    assert not info.value.retriable


@pytest.mark.parametrize("body", ['{"data": [{"id": 1}, {"id"', "<html>oops</html>"])
def test_truncated_or_non_json_body(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request("/events").respond_with_data(body, content_type="application/json")
    with pytest.raises(SourceDataError, match="not valid JSON"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"}, records="data")


def test_wrong_records_path(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/events").respond_with_json({"data": {"rows": []}})
    with pytest.raises(SourceDataError, match="data.items"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"}, records="data.items")
    httpserver.clear()
    httpserver.expect_request("/events").respond_with_json({"data": [1, 2]})
    with pytest.raises(SourceDataError, match="list of objects"):
        _read(_source(httpserver.url_for("")), endpoint="/events", query={"e": "{email}"}, records="data")


def test_template_must_use_exactly_the_needed_type(httpserver: HTTPServer) -> None:
    with pytest.raises(ConfigError, match="account_id"):
        _read(_source(httpserver.url_for("")), endpoint="/a/{account_id}")
    with pytest.raises(ConfigError, match="exactly one"):
        _read(_source(httpserver.url_for("")), endpoint="/events")
