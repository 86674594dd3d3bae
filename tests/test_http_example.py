"""The documented HTTP example (examples/http/support-platform.toml) against a real local server."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import orjson
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from exporter import AccessRequest, SourceError, export
from exporter import demo

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-not-a-secret"


def config_with_http(store: Path, base_url: str) -> Path:
    """The demo config with its file-based support_chats stream replaced by the HTTP example."""
    text = demo.demo_config_path(store).read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = [b for b in blocks if not (b.startswith("[[sources.files.streams]]") and 'category = "support_chats"' in b)]
    assert len(kept) == len(blocks) - 1
    example = (ROOT / "examples" / "http" / "support-platform.toml").read_text(encoding="utf-8")
    example = example.replace("https://support.piconext.example/api", base_url)
    path = store / "with-http.toml"
    path.write_text("".join(kept) + "\n" + example, encoding="utf-8")
    return path


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    return demo.build_demo_store(tmp_path / "store", heavy_events=200)


def chats_by_account(store: Path) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for line in (store / "support_chats.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out.setdefault(rec["account_id"], []).append(rec)
    return out


def test_http_example_collects_support_chats(store: Path, httpserver: HTTPServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    chats = chats_by_account(store)
    seen: list[tuple[str, str, str]] = []

    def handler(request: Request) -> Response:
        seen.append((request.path, request.args.get("page", ""), request.headers.get("Authorization", "")))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response("{}", status=401, content_type="application/json")
        account = request.path.split("/")[3]
        page, size = int(request.args["page"]), int(request.args["per_page"])
        items = chats.get(account, [])[(page - 1) * size: page * size]
        return Response(json.dumps({"data": items, "page": page}), content_type="application/json")

    httpserver.expect_request(re.compile(r"^/v2/accounts/[^/]+/chats$")).respond_with_handler(handler)
    monkeypatch.setenv("SUPPORT_API_TOKEN", TOKEN)
    config = config_with_http(store, httpserver.url_for("/"))
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu")
    result = export(request, config, tmp_path / "out", now=dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc),
                    pdf=False, html=False)

    account = demo.DEMO_IDENTIFIERS["typical"]["account_id"]
    want = chats[account]
    assert len(want) >= 2  # several pages with per_page = 2
    bundle = orjson.loads((result.path / "bundle.json").read_bytes())
    entry = next(c for c in bundle["categories"] if c["id"] == "support_chats")
    assert entry["count"] == len(want)
    assert entry["provenance"] == [{"read": "support_api/support_chats", "count": len(want)}]
    got = [orjson.loads(line) for line in (result.path / "data" / "support_chats.jsonl").read_bytes().splitlines()]
    assert [c["chat_id"] for c in got] == [c["chat_id"] for c in want]
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in seen)
    assert {p for p, _, _ in seen} == {f"/v2/accounts/{account}/chats"}  # only this subject was asked for
    assert len(seen) == len(want) // 2 + 1


def test_http_example_bad_token_fails_without_package(store: Path, httpserver: HTTPServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    httpserver.expect_request(re.compile(r"^/v2/.*")).respond_with_data("{}", status=401, content_type="application/json")
    monkeypatch.setenv("SUPPORT_API_TOKEN", "wrong")
    config = config_with_http(store, httpserver.url_for("/"))
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu")
    with pytest.raises(SourceError) as exc:
        export(request, config, tmp_path / "out", pdf=False, html=False)
    assert exc.value.context["source"] == "support_api"
    assert "SUPPORT_API_TOKEN" in str(exc.value) and "wrong" not in str(exc.value)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
