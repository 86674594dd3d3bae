"""examples/webservice: the exporter embedded in a Starlette app (TestClient and a real uvicorn)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from exporter import ExportOptions, SourceUnavailable, demo, load_config

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette >= 1.x prefers httpx2 for its TestClient; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

APP = Path(__file__).resolve().parent.parent / "examples" / "webservice" / "app.py"
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webservice_example", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def webservice() -> ModuleType:
    return load_example()


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = demo.build_demo_store(tmp_path_factory.mktemp("web") / "store", heavy_events=200)
    return demo.demo_config_path(store)


@pytest.fixture
def client(webservice: ModuleType, config_path: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = webservice.create_app(config_path, tmp_path / "packages", workers=4,
                                options=ExportOptions(now=NOW, pdf=False))
    with TestClient(app) as c:
        yield c


def body(persona: str, **kw: Any) -> dict[str, Any]:
    return {"identifiers": [f"email:{demo.DEMO_SUBJECTS[persona]}"], "jurisdiction": "eu",
            "received": "2026-11-02", **kw}


def test_post_runs_the_export_and_get_shows_the_manifest(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/requests", json=body("typical", request_id="DSAR-1", options={"html": False}))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/requests/DSAR-1"
    result = r.json()
    assert result["request_id"] == "DSAR-1" and "path" not in result
    assert result["records"] > 0 and result["counts"]["orders"] > 0 and result["coverage"]["complete"]
    assert result["due"] == "2026-12-02" and result["generated_at"] == "2026-11-25T10:00:00Z"
    package = tmp_path / "packages" / "DSAR-1"
    assert result["manifest_sha256"] == hashlib.sha256((package / "manifest.json").read_bytes()).hexdigest()
    assert not (package / "index.html").exists() and not (package / "report.pdf").exists()
    assert demo.DEMO_SUBJECTS["typical"] not in r.text

    g = client.get("/requests/DSAR-1")
    assert g.status_code == 200
    status = g.json()
    assert status["status"] == "done" and status["result"] == result
    assert {f["path"] for f in status["manifest"]["files"]} >= {"bundle.json", "data/orders.jsonl"}


def test_request_id_defaults_to_a_stable_one(client: TestClient) -> None:
    r = client.post("/requests", json=body("sparse"))
    assert r.status_code == 201
    rid = r.json()["request_id"]
    assert rid.startswith("DSAR-20261102-eu-") and r.headers["location"] == f"/requests/{rid}"
    assert client.get(f"/requests/{rid}").json()["status"] == "done"


def test_same_request_id_twice_is_a_conflict(client: TestClient) -> None:
    assert client.post("/requests", json=body("sparse", request_id="DSAR-2")).status_code == 201
    r = client.post("/requests", json=body("marketing_only", request_id="DSAR-2"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "output"


@pytest.mark.parametrize(("payload", "pointer"), [
    ({"identifiers": ["jane"], "jurisdiction": "eu"}, "/identifiers/0"),
    ({"identifiers": ["email:a@b.example"]}, "/jurisdiction"),
    ({"identifiers": ["email:a@b.example"], "jurisdiction": "eu", "request_id": "../../etc"}, "/request_id"),
    ({"identifiers": ["email:a@b.example"], "jurisdiction": "eu", "options": {"force": True}}, "/options/force"),
    ({"identifiers": ["email:a@b.example"], "jurisdiction": "eu", "options": {"pdf": "yes"}}, "/options/pdf"),
    (["email:a@b.example"], ""),
])
def test_bad_requests_are_422_with_a_pointer(client: TestClient, payload: Any, pointer: str) -> None:
    r = client.post("/requests", json=payload)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "request" and error["retriable"] is False and error["context"]["pointer"] == pointer
    assert "a@b.example" not in r.text


def test_request_errors_found_by_the_export_are_422(client: TestClient) -> None:
    r = client.post("/requests", json={"identifiers": ["email:a@b.example"], "jurisdiction": "mars"})
    assert r.status_code == 422 and "unknown jurisdiction" in r.json()["error"]["message"]
    r = client.post("/requests", json={"identifiers": ["device_id:D-1"], "jurisdiction": "eu"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "request"


def test_strict_unknown_subject_is_422_and_recorded(client: TestClient) -> None:
    r = client.post("/requests", json={"identifiers": ["email:nobody@example.org"], "jurisdiction": "eu",
                                       "request_id": "DSAR-3", "options": {"strict": True}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "subject_not_found"
    g = client.get("/requests/DSAR-3").json()
    assert g["status"] == "failed" and g["error"]["code"] == "subject_not_found"


def test_not_json_and_unknown_ids(client: TestClient) -> None:
    r = client.post("/requests", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "request"
    assert client.get("/requests/NOPE").status_code == 404
    assert client.get("/requests/..%2F..%2Fetc").status_code == 404
    assert client.get("/requests/.hidden").status_code == 404


def test_retriable_source_failure_is_503_with_retry_after(webservice: ModuleType, config_path: Path,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise SourceUnavailable("connection refused", source="app")

    monkeypatch.setattr(webservice, "export", down)
    app = webservice.create_app(config_path, tmp_path, options=ExportOptions(now=NOW))
    with TestClient(app) as client:
        r = client.post("/requests", json=body("typical", request_id="DSAR-4"))
    assert r.status_code == 503 and r.headers["retry-after"] == "60"
    assert r.json()["error"] == {"error": "SourceUnavailable", "code": "source_unavailable",
                                 "message": "connection refused", "hint": None, "retriable": True,
                                 "exit_code": 3, "context": {"source": "app"}}


def test_http_status_for_each_error_class(webservice: ModuleType) -> None:
    import exporter

    expected = {"ConfigError": 500, "RequestError": 422, "SourceError": 500, "SourceUnavailable": 503,
                "SourceDataError": 502, "RecordValidationError": 502, "SubjectNotFound": 422, "OutputError": 500}
    for name, status in expected.items():
        assert webservice.http_status(getattr(exporter, name)("x")) == status, name


def test_concurrent_requests(client: TestClient) -> None:
    personas = ["typical", "marketing_only", "terminated", "sparse", "heavy_logs", "california", "uk"]
    with ThreadPoolExecutor(max_workers=len(personas)) as pool:
        responses = list(pool.map(lambda p: client.post("/requests", json=body(p, request_id=f"C-{p}")), personas))
    assert [r.status_code for r in responses] == [201] * len(personas)
    for p, r in zip(personas, responses, strict=True):
        assert client.get(f"/requests/C-{p}").json()["status"] == "done"
        assert r.json()["counts"] and r.json()["request_id"] == f"C-{p}"


def test_a_real_server_on_localhost(webservice: ModuleType, config_path: Path, tmp_path: Path) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    import httpx

    app = webservice.create_app(load_config(config_path), tmp_path, options=ExportOptions(now=NOW, pdf=False))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        r = httpx.post(f"{base}/requests", json=body("uk", jurisdiction="uk", request_id="U-1"), timeout=120)
        assert r.status_code == 201, r.text
        assert r.json()["jurisdiction"] == "uk"
        g = httpx.get(f"{base}/requests/U-1", timeout=30)
        assert g.json()["status"] == "done" and (tmp_path / "U-1" / "report.pdf").exists() is False
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
