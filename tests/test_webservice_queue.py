"""examples/webservice in queued mode: POST answers 202 with a status URL, a real Celery worker on a
real Redis exports, GET shows the progress and then the result. No timed assertions."""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from queue_support import Cluster, redis_server, wait_for  # noqa: F401 - redis_server is a fixture

from exporter import ExportOptions, demo, verify_package
from exporter.queue import job_status
from exporter.queue.server import RedisServer

pytest.importorskip("starlette")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from test_webservice import load_example  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, demo_store: Path,  # noqa: F811
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("webq")
    c = Cluster(redis_server, demo.demo_config_path(demo_store), base / "shared", base)
    try:
        c.add("web1")
        yield c
    finally:
        c.close()


@pytest.fixture
def client(cluster: Cluster) -> Iterator[TestClient]:
    webservice: ModuleType = load_example()
    app = webservice.create_app(None, cluster.out, queue=cluster.app, options=ExportOptions(now=NOW, pdf=False))
    with TestClient(app) as c:
        yield c


def body(persona: str, **kw: Any) -> dict[str, Any]:
    return {"identifiers": [f"email:{demo.DEMO_SUBJECTS[persona]}"], "jurisdiction": "eu",
            "received": "2026-11-02", **kw}


def test_post_is_accepted_with_a_status_url_then_done(client: TestClient, cluster: Cluster) -> None:
    r = client.post("/requests", json=body("typical", request_id="W-1", options={"html": False}))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == "/requests/W-1" and r.json() == {
        "request_id": "W-1", "status": "queued", "status_url": "/requests/W-1"}
    states = []

    def done() -> dict[str, Any] | None:
        g = client.get(r.headers["location"])
        assert g.status_code == 200, g.text
        states.append(g.json()["status"])
        return g.json() if g.json()["status"] in ("done", "failed") else None

    status = wait_for(done, "the export")
    assert status["status"] == "done" and status["result_url"] == "/requests/W-1/result", status
    assert set(states) <= {"queued", "running", "done"}
    res = client.get("/requests/W-1/result")
    assert res.status_code == 200
    result = res.json()
    assert result["request_id"] == "W-1" and result["records"] > 0 and result["coverage"]["complete"]
    assert "location" not in result and "path" not in result and result["due"] == "2026-12-02"
    package = cluster.out / "W-1"
    assert result["manifest_sha256"] == hashlib.sha256((package / "manifest.json").read_bytes()).hexdigest()
    assert {f["path"] for f in result["manifest"]["files"]} >= {"bundle.json", "data/orders.jsonl"}
    assert not (package / "index.html").exists() and verify_package(package) == []
    assert demo.DEMO_SUBJECTS["typical"] not in res.text + r.text


def test_the_same_request_id_twice_returns_the_existing_job(client: TestClient, cluster: Cluster) -> None:
    first = client.post("/requests", json=body("sparse", request_id="W-2"))
    second = client.post("/requests", json=body("sparse", request_id="W-2"))
    assert first.status_code == 202 and second.status_code == 200, second.text
    assert second.headers["location"] == "/requests/W-2" and second.json()["existing"] is True
    wait_for(lambda: job_status(cluster.app, "W-2")["status"] == "done", "W-2")
    third = client.post("/requests", json=body("sparse", request_id="W-2"))
    assert third.status_code == 200 and third.json()["status"] == "done"
    assert third.json()["result"]["reused"] is False  # still the first (and only) run's result
    other = client.post("/requests", json=body("typical", request_id="W-2"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "request"
    assert [p.name for p in cluster.out.iterdir() if p.name.startswith("W-2")] == ["W-2"]


def test_a_failed_job_and_unknown_ids(client: TestClient) -> None:
    r = client.post("/requests", json={"identifiers": ["email:nobody@example.org"], "jurisdiction": "eu",
                                       "request_id": "W-3", "options": {"strict": True}})
    assert r.status_code == 202
    status = wait_for(lambda: (g := client.get("/requests/W-3").json())["status"] == "failed" and g, "W-3")
    assert status["error"]["code"] == "subject_not_found"
    res = client.get("/requests/W-3/result")
    assert res.status_code == 422 and res.json()["error"]["code"] == "subject_not_found"
    assert client.get("/requests/NOPE").status_code == 404
    assert client.get("/requests/NOPE/result").status_code == 404
    assert client.get("/requests/.hidden").status_code == 404
    bad = client.post("/requests", json={"identifiers": ["jane"], "jurisdiction": "eu"})
    assert bad.status_code == 422 and bad.json()["error"]["context"]["pointer"] == "/identifiers/0"


def test_result_while_the_job_waits_is_202(client: TestClient, cluster: Cluster) -> None:
    """A job queued for workers that consume another queue stays queued: /result says 202."""
    from exporter import AccessRequest
    from exporter.queue import forget_job, submit

    access = AccessRequest.from_dict(body("uk", jurisdiction="uk", request_id="W-4"))
    submit(cluster.app, access, ExportOptions(now=NOW, pdf=False), queue="nobody-listens")
    try:
        g = client.get("/requests/W-4")
        assert g.status_code == 200 and g.json()["status"] == "queued"
        res = client.get("/requests/W-4/result")
        assert res.status_code == 202 and res.headers["location"] == "/requests/W-4"
    finally:
        forget_job(cluster.app, "W-4")
    assert client.get("/requests/W-4").status_code == 404
