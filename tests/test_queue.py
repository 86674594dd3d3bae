"""exporter.queue with the real parts: a real Redis server and real Celery worker processes.

Two workers (``w1``, ``w2``; solo pool, one export at a time each) export from the demo store into
one shared package folder. The tests poll the task states with generous deadlock guards and never
assert on time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from queue_support import Cluster, leftovers, redis_server, wait_for  # noqa: F401 - redis_server is a fixture

from exporter import AccessRequest, ExportOptions, OutputError, RequestError, demo, verify_package
from exporter.queue import (
    EXPORT_TASK,
    LocalFolderBackend,
    OutputBackend,
    job_status,
    options_from_dict,
    options_to_dict,
    submit,
)
from exporter.queue.server import RedisServer

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
FAST = ExportOptions(now=NOW, pdf=False, acknowledge=frozenset({"sale_after_opt_out"}))  # the demo Californian: a blocking finding
PERSONAS = ["typical", "marketing_only", "terminated", "sparse", "heavy_logs", "california", "uk"]


def request(persona: str, rid: str, **kw: Any) -> AccessRequest:
    jurisdiction = {"california": "ca", "uk": "uk"}.get(persona, "eu")
    return AccessRequest.parse([f"email:{demo.DEMO_SUBJECTS[persona]}"], jurisdiction=jurisdiction,
                               received=dt.date(2026, 11, 2), request_id=rid, **kw)


def finished(app: Any, job: str, backend: OutputBackend | None = None) -> dict[str, Any] | None:
    status = job_status(app, job, backend)
    return status if status["status"] in ("done", "failed") else None


def wait_done(app: Any, job: str) -> dict[str, Any]:
    return wait_for(lambda: finished(app, job), f"job {job}")  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------
# Without Celery: the backend and the JSON forms
# ------------------------------------------------------------------------------------------------


def _package(folder: Path, name: str = "P-1") -> Path:
    pkg = folder / name
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "a.jsonl").write_text("{}\n")
    (pkg / "manifest.json").write_text("{}\n")
    return pkg


def test_local_backend_put_exists_locate_summary(tmp_path: Path) -> None:
    backend = LocalFolderBackend(tmp_path / "shared")
    assert isinstance(backend, OutputBackend)
    assert not backend.exists("P-1") and backend.locate("P-1") is None and backend.summary("P-1") is None
    pkg = _package(tmp_path / "work")
    where = backend.put("P-1", pkg, {"request_id": "P-1", "records": 3})
    assert where == str((tmp_path / "shared" / "P-1").resolve()) == backend.locate("P-1")
    assert backend.exists("P-1") and not pkg.exists()  # moved, not copied
    assert backend.summary("P-1") == {"request_id": "P-1", "records": 3, "location": where}
    assert (Path(where) / "data" / "a.jsonl").read_text() == "{}\n"


def test_local_backend_never_replaces_a_stored_package(tmp_path: Path) -> None:
    backend = LocalFolderBackend(tmp_path / "shared")
    backend.put("P-1", _package(tmp_path / "w1"), {"n": 1})
    second = _package(tmp_path / "w2")
    (second / "data" / "a.jsonl").write_text("second\n")
    with pytest.raises(OutputError, match="stored already"):
        backend.put("P-1", second, {"n": 2})
    assert (tmp_path / "shared" / "P-1" / "data" / "a.jsonl").read_text() == "{}\n"
    assert backend.summary("P-1") == {"n": 1, "location": backend.locate("P-1")}
    # a folder that appeared meanwhile (another writer): refused by the no-replace rename
    (tmp_path / "shared" / "P-2" / "x").mkdir(parents=True)
    with pytest.raises(OutputError, match="stored already"):
        backend.put("P-2", _package(tmp_path / "w3", "P-2"), {"n": 3})
    with pytest.raises(OutputError):
        backend.put("../etc", _package(tmp_path / "w4", "x"), {})


def test_local_backend_copies_from_another_filesystem(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temporary folder")
    work = Path(os.environ.get("TMPDIR_SHM", shm)) / f"exporter-test-{os.getpid()}"
    try:
        backend = LocalFolderBackend(tmp_path / "shared")
        backend.put("P-1", _package(work), {"n": 1})
        assert backend.exists("P-1") and not (work / "P-1").exists()
        assert (tmp_path / "shared" / "P-1" / "data" / "a.jsonl").read_text() == "{}\n"
        assert leftovers(tmp_path / "shared") == []
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_options_json_round_trip_and_refusals() -> None:
    opts = ExportOptions(now=NOW, pdf=False, strict=True)
    data = options_to_dict(opts)
    assert json.loads(json.dumps(data)) == data
    back = options_from_dict(data)
    assert (back.now, back.pdf, back.strict, back.html, back.allow_partial) == (NOW, False, True, True, False)
    for bad in ({"force": True}, {"sign_key": "/k"}, {"pdf": "yes"}, {"now": "soon"}):
        with pytest.raises(RequestError):
            options_from_dict(bad)


# ------------------------------------------------------------------------------------------------
# With Redis and two workers
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, demo_store: Path,  # noqa: F811
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("queue")
    c = Cluster(redis_server, demo.demo_config_path(demo_store), base / "shared", base)
    try:
        c.add("w1")
        c.add("w2")
        yield c
    finally:
        c.close()


@pytest.fixture
def workers(cluster: Cluster) -> Cluster:
    cluster.ensure("w1", "w2")
    return cluster


def test_a_burst_is_spread_over_both_workers_and_every_package_verifies(workers: Cluster) -> None:
    app = workers.app
    jobs = []
    for n in range(20):
        job, created = submit(app, request(PERSONAS[n % len(PERSONAS)], f"B-{n:02d}"), FAST)
        assert created and job == f"B-{n:02d}"
        jobs.append(job)
    results = [wait_done(app, job) for job in jobs]
    assert [r["status"] for r in results] == ["done"] * 20, [r.get("error") for r in results]
    hosts = {r["result"]["worker"]["hostname"] for r in results}
    assert hosts == {"w1@test", "w2@test"}
    for job, r in zip(jobs, results, strict=True):
        res = r["result"]
        assert res["request_id"] == job and res["reused"] is False and res["attempts"] == 1
        assert Path(res["location"]) == workers.out.resolve() / job
        assert verify_package(res["location"]) == []
        manifest = Path(res["location"]) / "manifest.json"
        assert res["manifest_sha256"] == hashlib.sha256(manifest.read_bytes()).hexdigest()
        assert res["deadlines"]["received"] == "2026-11-02" and res["coverage"]["categories"]
        assert res["counts"] and "path" not in res
    assert sum(r["result"]["records"] for r in results) > 0
    assert leftovers(workers.out) == []
    assert sorted(p.name for p in workers.out.iterdir() if not p.name.startswith(".")) == sorted(jobs)


def test_the_result_never_holds_subject_data(workers: Cluster) -> None:
    job, _ = submit(workers.app, request("typical", "NS-1"), FAST)
    status = wait_done(workers.app, job)
    assert status["status"] == "done"
    text = json.dumps(status)
    for email in demo.DEMO_SUBJECTS.values():
        assert email not in text
    log = "".join(w.log.read_text(errors="replace") for w in workers.workers.values())
    assert demo.DEMO_SUBJECTS["typical"] not in log


def test_the_same_request_id_twice_makes_one_package(workers: Cluster) -> None:
    app = workers.app
    job, created = submit(app, request("typical", "D-1"), FAST)
    again, created_again = submit(app, request("typical", "D-1"), FAST)
    assert (job, created, again, created_again) == ("D-1", True, "D-1", False)
    first = wait_done(app, job)["result"]
    manifest = workers.out / "D-1" / "manifest.json"
    stamp = (manifest.stat().st_mtime_ns, manifest.stat().st_ino)

    # a different request under the same id is refused
    with pytest.raises(RequestError, match="different request"):
        submit(app, request("sparse", "D-1"), FAST)

    # a redelivery (the same task message again, past the submit check): the stored result
    payload = [request("typical", "D-1").to_dict(), options_to_dict(FAST)]
    app.send_task(EXPORT_TASK, args=payload, task_id="D-1-redelivered")
    dup = wait_done(app, "D-1-redelivered")["result"]
    assert dup["reused"] is True and first["reused"] is False
    assert dup["manifest_sha256"] == first["manifest_sha256"] and dup["location"] == first["location"]
    assert (manifest.stat().st_mtime_ns, manifest.stat().st_ino) == stamp
    assert [p.name for p in workers.out.iterdir() if p.name.startswith("D-1")] == ["D-1"]


def test_two_deliveries_at_once_export_once(workers: Cluster) -> None:
    """Both workers get the same request at the same moment: the per-request lock lets one
    export; the other waits (task retry) and returns the stored result."""
    app = workers.app
    payload = [request("heavy_logs", "D-2").to_dict(), options_to_dict(ExportOptions(now=NOW, pdf=True))]
    app.send_task(EXPORT_TASK, args=payload, task_id="D-2-a", queue="w1")
    app.send_task(EXPORT_TASK, args=payload, task_id="D-2-b", queue="w2")
    a, b = wait_done(app, "D-2-a"), wait_done(app, "D-2-b")
    assert a["status"] == b["status"] == "done", (a, b)
    assert sorted([a["result"]["reused"], b["result"]["reused"]]) == [False, True]
    assert a["result"]["manifest_sha256"] == b["result"]["manifest_sha256"]
    assert verify_package(workers.out / "D-2") == []
    assert leftovers(workers.out) == []


def test_a_worker_killed_mid_export_is_replaced_by_the_other(workers: Cluster) -> None:
    app = workers.app
    job, _ = submit(app, request("heavy_logs", "K-1"), ExportOptions(now=NOW, pdf=True))

    def collecting() -> dict[str, Any] | None:
        status = job_status(app, job)
        assert status["status"] not in ("done", "failed"), status
        progress = status.get("progress") or {}
        return progress if progress.get("category") else None

    progress = wait_for(collecting, "the export to start collecting", interval=0.01)
    assert isinstance(progress["rows"], int) and progress["rows"] >= 0 and progress["records"] >= 0
    assert progress["request_id"] == job and progress["stage"] == "collect"
    victim = next(w for w in workers.workers.values() if w.hostname == progress["worker"]["hostname"])
    assert progress["worker"]["pid"] == victim.pid
    victim.kill()
    assert not victim.alive()
    half = leftovers(workers.out)
    assert half, "the killed export should have left its hidden work folder"
    assert not (workers.out / job).exists()

    done = wait_done(app, job)
    assert done["status"] == "done", done
    result = done["result"]
    assert result["worker"]["hostname"] != victim.hostname and result["reused"] is False
    assert verify_package(result["location"]) == []
    assert (Path(result["location"]) / "report.pdf").is_file()
    assert leftovers(workers.out) == []  # the killed run's half package was removed by the rerun


def test_a_prefork_pool_process_killed_mid_export_is_replaced_at_once(cluster: Cluster) -> None:
    """Prefork: the pool process dies, the worker survives and rejects the task back to the queue
    (task_reject_on_worker_lost), a new pool process runs it. PDFs render in the pool process
    (it may not start a helper), warmed up when it starts."""
    import signal

    pf = cluster.add("pf", queues="pf", pool="prefork")
    app = cluster.app
    try:
        job, _ = submit(app, request("heavy_logs", "K-2"), ExportOptions(now=NOW, pdf=True), queue="pf")

        def collecting() -> dict[str, Any] | None:
            status = job_status(app, job)
            assert status["status"] not in ("done", "failed"), status
            progress = status.get("progress") or {}
            return progress if progress.get("category") else None

        child = wait_for(collecting, "the export to start collecting", interval=0.01)["worker"]["pid"]
        assert child != pf.pid
        os.kill(child, signal.SIGKILL)
        done = wait_done(app, job)
        assert pf.alive()
    finally:
        cluster.workers["pf"].stop()
    assert done["status"] == "done", done
    result = done["result"]
    assert result["worker"]["hostname"] == "pf@test" and result["worker"]["pid"] != child
    assert result["worker"]["renderer_pid"] == result["worker"]["pid"]  # in-process, warm
    assert verify_package(result["location"]) == [] and (Path(result["location"]) / "report.pdf").is_file()
    assert leftovers(cluster.out) == []


def test_a_fatal_error_fails_at_once_with_its_code(workers: Cluster) -> None:
    app = workers.app
    nobody = AccessRequest.parse(["email:nobody@example.org"], jurisdiction="eu", request_id="F-1")
    job, _ = submit(app, nobody, FAST.replace(strict=True))
    status = wait_done(app, job)
    assert status["status"] == "failed"
    error = status["error"]
    assert error["code"] == "subject_not_found" and error["retriable"] is False and error["attempts"] == 1
    assert "nobody@example.org" not in json.dumps(status)
    mars = AccessRequest.parse(["email:nobody@example.org"], jurisdiction="mars", request_id="F-2")
    status = wait_done(app, submit(app, mars, FAST)[0])
    assert status["status"] == "failed" and status["error"]["code"] == "request"
    assert not (workers.out / "F-1").exists() and not (workers.out / "F-2").exists()
    # a failed job is not queued again unless asked
    assert submit(app, nobody, FAST.replace(strict=True)) == ("F-1", False)
    assert submit(app, nobody, FAST.replace(strict=True), retry_failed=True) == ("F-1", True)
    assert wait_done(app, "F-1")["error"]["code"] == "subject_not_found"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


HTTP_SOURCE = """
[sources.support_api]
kind = "http"
base_url = "http://127.0.0.1:{port}"
timeout = 2
max_retries = 0

[[sources.support_api.streams]]
category = "support_chats"
needs = ["account_id"]
endpoint = "/v2/accounts/{{account_id}}/chats"
records = "data"
pagination = {{ type = "page", param = "page", size_param = "per_page", size = 50 }}
not_found = "empty"
"""


def test_a_source_outage_is_retried_until_the_source_is_back(cluster: Cluster, demo_store: Path,
                                                            tmp_path: Path) -> None:
    from pytest_httpserver import HTTPServer

    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    port = _closed_port()  # nothing listens there until the test starts the server
    config = demo.demo_config_path(store)
    config.write_text(config.read_text() + HTTP_SOURCE.format(port=port))
    cluster.add("outage", config=config, queues="outage")
    app = cluster.app
    job, _ = submit(app, request("typical", "R-1"), FAST, queue="outage")

    def retrying() -> dict[str, Any] | None:
        status = job_status(app, job)
        assert status["status"] not in ("done", "failed"), status
        return status if status["status"] == "retrying" else None

    status = wait_for(retrying, "a retry")
    assert status["error"]["code"] == "source_unavailable" and status["error"]["context"]["source"] == "support_api"
    server = HTTPServer(host="127.0.0.1", port=port)
    server.expect_request(re.compile(r"/v2/accounts/[^/]+/chats")).respond_with_json({"data": [], "page": 1})
    server.start()
    try:
        done = wait_done(app, job)
    finally:
        server.stop()
        cluster.workers["outage"].stop()
    assert done["status"] == "done", done
    result = done["result"]
    assert result["attempts"] >= 2 and result["worker"]["hostname"] == "outage@test"
    assert "support_api" in result["coverage"]["sources"] and result["complete"]
    assert verify_package(result["location"]) == []


def test_the_pdf_renderer_stays_warm_and_memory_flat(workers: Cluster) -> None:
    app = workers.app
    seen = []
    for n in range(5):  # the same subject each time, so every report is the same size
        job, _ = submit(app, request("typical", f"M-{n}"), ExportOptions(now=NOW, pdf=True), queue="w1")
        status = wait_done(app, job)
        assert status["status"] == "done", status
        seen.append(status["result"]["worker"])
        assert (workers.out / job / "report.pdf").is_file()
    assert {w["hostname"] for w in seen} == {"w1@test"}
    assert len({w["pid"] for w in seen}) == 1
    assert len({w["renderer_pid"] for w in seen}) == 1 and seen[0]["renderer_pid"] is not None  # one warm helper
    assert [w["tasks"] - seen[0]["tasks"] for w in seen] == [0, 1, 2, 3, 4]
    print("worker and renderer RSS (MiB):", [(w["rss_mb"], w["renderer_rss_mb"]) for w in seen])
    # flat: after the first PDF export neither process keeps growing (generous bound, no timing)
    assert seen[-1]["rss_mb"] <= seen[1]["rss_mb"] + 24, seen
    assert seen[-1]["renderer_rss_mb"] <= seen[1]["renderer_rss_mb"] + 24, seen


def test_the_pdf_helper_ends_when_its_worker_is_killed(tmp_path: Path) -> None:
    """A worker SIGKILLed alone (the OOM killer) must not leave its warm renderer behind."""
    import signal
    import subprocess
    import sys

    script = ("import os, sys, time\n"
              "from exporter.render.worker import WarmRenderer\n"
              "r = WarmRenderer(); r._started.result()\n"
              "print(os.getpid(), *r._pool._processes, flush=True)\n"
              "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent, start_new_session=True)
    try:
        assert proc.stdout is not None
        parent, helper = map(int, proc.stdout.readline().split())
        assert parent == proc.pid and Path(f"/proc/{helper}").exists()
        os.kill(parent, signal.SIGKILL)
        proc.wait()

        def gone() -> bool:
            try:
                state = Path(f"/proc/{helper}/stat").read_text().split(") ")[-1].split()[0]
            except OSError:
                return True
            return state == "Z"  # exited, waiting to be reaped by init

        wait_for(gone, "the helper to end with its parent")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
