"""Benchmark: full exports of a typical and a heavy subject vs. a naive baseline and an orjson floor.

    python bench/run.py            # typical-25k, heavy 100k and 1M events, naive baseline, floor
    python bench/run.py --quick    # typical-25k and heavy 100k only, naive baseline without its PDF
    python bench/run.py --json results.json
    python bench/run.py --no-naive --peer-python /work/peer-venv/bin/python   # with the peer (bench/peer.py)

Scenarios (stores built with ``exporter.demo.build_demo_store`` in a temporary folder; SQLite +
JSONL/CSV + hive-partitioned Parquet):

* ``typical-25k`` — the demo's ``heavy_logs`` persona built with ``heavy_events=16_667``: 16,667
  access-log events + 8,333 screen interactions (Parquet) + ~30 records in 11 other categories
  (SQLite/files), ≈ 25,000 records. (The demo's "typical" persona has only ~500 records.)
* ``heavy-100k`` / ``heavy-1M`` — the same persona with 100,000 / 1,000,000 access-log events and
  100,000 screen interactions (page views) each: the issue's heavy subject, and the 100k-event run
  its memory is compared with.

Every measurement runs in a fresh child process (``--child``); peak RSS is the child's own
``VmHWM`` (its high-water mark since exec). Stage times come from the ``exporter.timing`` logger
(exporter/progress.py). An export child exports once cold, then again in the same process ("warm", as in a DSAR service):
five more times for ``typical-25k``, where the median is reported (these shared machines vary by
±15-30 % from one run to the next), once for the heavy subjects. Export children switch Arrow to
the system allocator first, as the CLI and the queue workers do and docs/library.md advises a
service (:func:`exporter.runtime.use_system_allocator`).

* ``export`` — the export as the library runs it (``pdf=False, html=False``), per stage;
* ``package`` — the full package (JSON, CSV, PDF, HTML, manifest);
* ``package-helper`` — the same with report.pdf rendered by a ``WarmRenderer`` helper process kept by
  the exporting process, as a DSAR service would (typical subject only; index.html is written while
  the helper renders);
* ``json-only`` — the export with CSV encoding/writing switched off in the child (monkeypatched):
  the "JSON part" (read → validate → data/*.jsonl + bundle.json) compared with the floor;
* ``floor`` — the same records (read back from the export's JSONL, untimed) serialised with
  ``orjson`` (sorted keys, one per line), hashed with SHA-256 and written + fsynced; nothing else;
* ``naive`` — what a straightforward implementation does: every record in a list, stdlib ``json``,
  ``jsonschema.validate(record, schema)`` per record (no compiled validator reused), CSV with
  ``csv.DictWriter``, hashes by re-reading the files (typical subject only); ``naive-pdf`` — its
  one WeasyPrint PDF table with every row, timed in a child of its own and stopped after
  ``--naive-pdf-timeout`` seconds (the ratio is then reported as a lower bound);
* ``validation`` — records/s of the validators on 25,000 access-log records, one core;
* ``cli`` — ``python -m exporter export …`` as a user runs it once per request (a fresh
  interpreter; report.pdf rendered by the helper process that loads WeasyPrint while the sources
  are read, exporter/render/worker.py), three runs; wall time seen from outside (interpreter start
  to exit), CPU seconds of the CLI and its helper together, and the peak RSS of the larger of the
  two; with ``--peer-python`` each CLI run is followed by the peer's HTML report (Fides'
  ``DSRReportBuilder``, bench/peer.py) for the same records, so both see the same load.

The end prints every target of issue 20 (and the kept ones of issue 7) as met / not met; without
the peer, its time is the issue's figure (5.0 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
SUBJECT = "zoe.lukasiewicz@wisla-tech.example"  # exporter.demo.DEMO_SUBJECTS["heavy_logs"]
NOW = "2026-11-25T12:00:00+00:00"
# scenario -> (access-log events, screen interactions = page views) of the heavy-log persona
SCENARIOS = {"typical-25k": (16_667, 8_333), "heavy-100k": (100_000, 100_000), "heavy-1M": (1_000_000, 100_000)}


def peak_mb() -> float:
    """This process's own peak RSS: ``VmHWM``, which exec resets. (``ru_maxrss`` keeps the peak of
    the process it was forked from: a child of this benchmark, which builds the 1M-event store
    in-process, reported the parent's 232 MB as its own.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------------
# children
# ------------------------------------------------------------------------------------------------


def _stages() -> list[dict[str, Any]]:
    stages: list[dict[str, Any]] = []

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stages.append({"stage": getattr(record, "stage", "?"), "seconds": getattr(record, "seconds", 0.0),
                           "records": getattr(record, "records", None), "peak_rss_mb": peak_mb()})

    log = logging.getLogger("exporter.timing")
    log.setLevel(logging.DEBUG)
    log.addHandler(Handler())
    log.propagate = False
    return stages


def child_export(store: Path, out: Path, *, pdf: bool, json_only: bool, warm_runs: int = 1,
                 helper: bool = False) -> dict[str, Any]:
    """One cold export (a fresh process), then ``warm_runs`` more in the same process (as in a DSAR
    service); the warm figure is the median run by wall time (these shared machines vary by
    ±15-30 % from one run to the next), with every warm wall time in ``warm_walls``. ``helper``:
    report.pdf is rendered by a :class:`~exporter.render.worker.WarmRenderer` created with the
    process (a DSAR service keeps one), while this process writes index.html."""
    from exporter import AccessRequest, ExportOptions, export

    if json_only:  # the JSON part alone: no CSV encoding or writing
        import pyarrow as pa

        from exporter.collect import columnar, pipeline, writers
        writers.CsvWriter.write_many = lambda self, records: None  # type: ignore[method-assign]
        writers.CsvWriter.write_encoded = lambda self, data: None  # type: ignore[method-assign]
        pipeline.columnar.csv_lines = lambda cols, columns, extra, n: pa.array([""], pa.string())  # type: ignore[attr-defined]
        assert columnar
    options = ExportOptions()
    renderer = None
    if helper:
        from exporter.render.worker import WarmRenderer

        renderer = WarmRenderer()
        options = ExportOptions(pdf_renderer=renderer)
    runs = []
    for i in range(1 + warm_runs):  # cold: a fresh process; warm: the same export again, as in a DSAR service
        stages = _stages()
        request = AccessRequest.parse([SUBJECT], jurisdiction="eu", request_id=f"BENCH{i}")
        started = time.perf_counter()
        cpu = time.process_time()
        result = export(request, store / "exporter.toml", out, options, force=True, pdf=pdf, html=pdf,
                        now=dt.datetime.fromisoformat(NOW))
        wall = time.perf_counter() - started
        runs.append({"wall": wall, "cpu": time.process_time() - cpu, "records": result.records,
                     "peak_rss_mb": peak_mb(), "stages": list(stages), "path": str(result.path),
                     "bytes": {f: (result.path / f).stat().st_size for f in result.files}})
        logging.getLogger("exporter.timing").handlers.clear()
    if renderer is not None:
        renderer.close()
    warm = sorted(runs[1:], key=lambda r: r["wall"])
    median = {**warm[len(warm) // 2], "peak_rss_mb": runs[-1]["peak_rss_mb"]}  # the process's peak so far
    return {**runs[0], "warm": median, "warm_walls": [r["wall"] for r in runs[1:]]}


def child_floor(package: Path, out: Path) -> dict[str, Any]:
    """orjson + SHA-256 + write of the records of the package's data/*.jsonl (loading is not timed)."""
    import orjson

    opt = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    out.mkdir(parents=True, exist_ok=True)
    timed = 0.0
    n = 0
    for src in sorted((package / "data").glob("*.jsonl")):
        sha = hashlib.sha256()
        with src.open("rb") as fin, (out / src.name).open("wb", buffering=0) as fout:
            while True:
                lines = [line for _, line in zip(range(8192), fin, strict=False)]
                if not lines:
                    break
                batch = [orjson.loads(line) for line in lines]  # untimed: the records in memory
                t = time.perf_counter()
                data = b"".join([orjson.dumps(r, option=opt) for r in batch])
                sha.update(data)
                fout.write(data)
                timed += time.perf_counter() - t
                n += len(batch)
            t = time.perf_counter()
            os.fsync(fout.fileno())
            timed += time.perf_counter() - t
    return {"wall": timed, "records": n, "peak_rss_mb": peak_mb()}


def child_naive(store: Path, out: Path, *, pdf: bool, pdf_only: bool = False) -> dict[str, Any]:
    """The baseline: hold everything, stdlib json, jsonschema.validate per record, one big PDF table.

    ``pdf_only``: read the records (untimed) and time only the PDF stage; the parent runs it in a
    child of its own with a time limit, because that one table can take very long."""
    import csv

    import jsonschema

    from exporter.config import load_config
    from exporter.collect.identity import Identifier, resolve
    from exporter.collect.normalize import normalize_record
    from exporter.schemas import category_schema
    from exporter.collect.chain import chain_for

    t0 = time.perf_counter()
    stages: dict[str, float] = {}
    cfg = load_config(store / "exporter.toml")
    sources = cfg.open_sources(None)
    for src in sources.values():
        src.open()
    ids = resolve(cfg, (Identifier("email", SUBJECT),), sources)
    everything: dict[str, list[dict[str, Any]]] = {}
    for cat in cfg.catalog:
        recs: list[dict[str, Any]] = []
        transform = chain_for(cat)
        for read in cfg.streams_for(cat.id):
            if not ids.has_any(read.spec.needs):
                continue
            for batch in sources[read.source].read(read.spec, ids.values(read.spec.needs)):
                recs.extend(transform(normalize_record(r)) for r in batch)
        everything[cat.id] = recs
    for src in sources.values():
        src.close()
    stages["read"] = time.perf_counter() - t0
    if pdf_only:
        t = time.perf_counter()
        _naive_pdf(everything, out)
        return {"pdf": time.perf_counter() - t, "records": sum(len(v) for v in everything.values()),
                "peak_rss_mb": peak_mb()}
    t = time.perf_counter()
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for cat_id, recs in everything.items():
        schema = dict(category_schema(cat_id))
        for rec in recs:
            jsonschema.validate(rec, schema, format_checker=checker)
    stages["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    for cat_id, recs in everything.items():
        if not recs:
            continue
        with (out / "data" / f"{cat_id}.jsonl").open("w", encoding="utf-8") as fh:
            for rec in recs:
                fh.write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")
        with (out / "data" / f"{cat_id}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=sorted({k for r in recs for k in r}))
            writer.writeheader()
            writer.writerows(recs)
    bundle = {"categories": [{"id": k, "count": len(v), "records": v} for k, v in everything.items()]}
    (out / "bundle.json").write_text(json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    stages["write"] = time.perf_counter() - t
    if pdf:
        t = time.perf_counter()
        _naive_pdf(everything, out)
        stages["pdf"] = time.perf_counter() - t
    t = time.perf_counter()
    manifest = {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*")) if p.is_file()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    stages["manifest"] = time.perf_counter() - t
    return {"wall": time.perf_counter() - t0, "records": sum(len(v) for v in everything.values()),
            "peak_rss_mb": peak_mb(), "naive_stages": stages}


def _naive_pdf(everything: dict[str, list[dict[str, Any]]], out: Path) -> None:
    """One WeasyPrint PDF with a table of every record of every category."""
    import html as htmllib

    from weasyprint import HTML

    out.mkdir(parents=True, exist_ok=True)
    parts = ["<html><body><h1>Your data</h1>"]
    for cat_id, recs in everything.items():
        if not recs:
            continue
        cols = list(recs[0])
        parts.append(f"<h2>{cat_id}</h2><table><tr>{''.join(f'<th>{c}</th>' for c in cols)}</tr>")
        for r in recs:
            parts.append("<tr>" + "".join(f"<td>{htmllib.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    HTML(string="".join(parts)).write_pdf(out / "report.pdf")


def child_validation(package: Path) -> dict[str, Any]:
    """Validator throughput (records/s, this process = one core) on the package's access logs."""
    import orjson
    import pyarrow as pa

    from exporter.collect.columnar import ColumnarValidator, prepare_columns
    from exporter.schemas import RecordValidator, category_schema, reference_validator

    lines = (package / "data" / "access_logs.jsonl").read_bytes().splitlines()[:25_000]
    recs = [orjson.loads(line) for line in lines]
    schema = category_schema("access_logs")
    fast = RecordValidator.for_category("access_logs")
    out: dict[str, Any] = {"records": len(recs)}

    def rate(fn: Any, n: int) -> float:
        t = time.process_time()
        fn()
        return n / max(time.process_time() - t, 1e-9)

    out["jsonschema_rs per record"] = rate(lambda: all(fast.is_valid(r) for r in recs), len(recs))
    out["jsonschema_rs batch (array schema)"] = rate(
        lambda: all(fast.all_valid(recs[i:i + 8192]) for i in range(0, len(recs), 8192)), len(recs))
    batches = [pa.RecordBatch.from_pylist(recs[i:i + 8192]) for i in range(0, len(recs), 8192)]
    check = ColumnarValidator(schema)
    out["columnar (Arrow kernels)"] = rate(lambda: all(check.all_valid(prepare_columns(b, {})) for b in batches),
                                           len(recs))
    try:
        import fastjsonschema

        compiled = fastjsonschema.compile(dict(schema))

        def fj() -> None:
            for r in recs:
                compiled(r)
        out["fastjsonschema"] = rate(fj, len(recs))
    except ImportError:
        out["fastjsonschema"] = None
    ref = reference_validator(schema)
    sub = recs[:2000]
    out["jsonschema (compiled, reference)"] = rate(lambda: all(ref.is_valid(r) for r in sub), len(sub))
    import jsonschema
    few = recs[:200]
    out["jsonschema.validate per record (naive)"] = rate(
        lambda: [jsonschema.validate(r, dict(schema), format_checker=jsonschema.FormatChecker()) for r in few],
        len(few))
    return out


def child_main(args: argparse.Namespace) -> None:
    store, out = Path(args.store), Path(args.out)
    if args.child in ("export", "package", "package-helper", "json-only"):
        # as a DSAR service set up by docs/library.md ("Memory of the host process") and as the CLI does
        from exporter.runtime import use_system_allocator

        use_system_allocator()
    if args.child == "export":
        res = child_export(store, out, pdf=False, json_only=False, warm_runs=args.warm_runs)
    elif args.child == "package":
        res = child_export(store, out, pdf=True, json_only=False, warm_runs=args.warm_runs)
    elif args.child == "package-helper":
        res = child_export(store, out, pdf=True, json_only=False, warm_runs=args.warm_runs, helper=True)
    elif args.child == "json-only":
        res = child_export(store, out, pdf=False, json_only=True, warm_runs=args.warm_runs)
    elif args.child == "floor":
        res = child_floor(store, out)
    elif args.child == "naive":
        res = child_naive(store, out, pdf=args.pdf)
    elif args.child == "naive-pdf":
        res = child_naive(store, out, pdf=True, pdf_only=True)
    elif args.child == "validation":
        res = child_validation(store)
    else:
        raise SystemExit(f"unknown child {args.child}")
    print(json.dumps(res))


# ------------------------------------------------------------------------------------------------
# parent
# ------------------------------------------------------------------------------------------------


def run_child(mode: str, store: Path, out: Path, *extra: str, timeout: float = 3600) -> dict[str, Any]:
    """Run one measurement in a fresh process; ``{"timed_out": seconds}`` if it takes longer."""
    cmd = [sys.executable, str(HERE), "--child", mode, "--store", str(store), "--out", str(out), *extra]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timed_out": timeout}
    if proc.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _load_peer() -> Any:
    """bench/peer.py (Fides' HTML report, run in a venv of its own), loaded from beside this file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_peer", HERE.parent / "peer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cli_command(store: Path, out: Path, request_id: str) -> list[str]:
    return [sys.executable, "-m", "exporter", "export", "--config", str(store / "exporter.toml"),
            "--subject", SUBJECT, "--jurisdiction", "eu", "--out", str(out), "--now", NOW,
            "--request-id", request_id, "--force", "--quiet"]


def measure_cli(store: Path, out: Path, runs: int = 3, peer_python: str | None = None) -> dict[str, Any]:
    """``exporter export`` in a fresh interpreter, ``runs`` times: wall seconds, CPU seconds and peak RSS.

    Each run goes through a small wrapper process (bench/peer.py's ``WRAPPER``), so the CPU seconds
    are those of the CLI process and its PDF helper together, and the peak RSS that of the larger
    of the two, not of anything else this benchmark started. With ``peer_python`` each run is
    followed by one of the peer's HTML report (bench/peer.py) for the records of the package the
    first run wrote: the runs interleave, so both see the same load."""
    peer = _load_peer()
    walls, cpus, rss = [], [], []
    peer_runs: list[dict[str, Any]] = []
    path = None
    for i in range(runs):
        res = peer.run_wrapped(_cli_command(store, out, f"CLI{i}"), cwd=str(out))
        if res["code"] != 0:
            raise SystemExit(f"exporter export failed:\n{res['stderr']}")
        walls.append(res["wall"])
        cpus.append(res["cpu"])
        rss.append(res["peak_rss_mb"])
        path = path or Path(res["stdout"].strip().splitlines()[-1])
        if peer_python:
            peer_runs.append(peer.measure_peer(peer_python, path, runs=1, warm_runs=2 if i == 0 else 0))
    assert path is not None
    median = sorted(range(runs), key=lambda k: walls[k])[runs // 2]
    out_res: dict[str, Any] = {"walls": walls, "cpus": cpus, "wall": walls[median], "cpu": cpus[median],
                               "peak_rss_mb": max(rss), "files": sorted(p.name for p in path.iterdir())}
    if peer_runs:
        pw = [r["wall"] for r in peer_runs]
        pm = sorted(range(len(pw)), key=lambda k: pw[k])[len(pw) // 2]
        out_res["peer"] = {**peer_runs[pm], "walls": pw, "cpus": [r["cpu"] for r in peer_runs],
                           "warm": peer_runs[0]["warm"], "warm_walls": peer_runs[0]["warm_walls"],
                           "peak_rss_mb": max(r["peak_rss_mb"] for r in peer_runs)}
    return out_res


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "0")
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(int(mem) / 1024 / 1024, 1),
            "python": platform.python_version(), "loadavg": os.getloadavg()}


def fmt_rate(n: int | None, s: float) -> str:
    return f"{n / s:,.0f}/s" if n and s > 0 else ""


def _warm_runs(res: dict[str, Any]) -> str:
    walls = res.get("warm_walls") or [res["warm"]["wall"]]
    if len(walls) == 1:
        return "second export in the process"
    return f"median of {len(walls)} more exports in the process: {min(walls):.2f}-{max(walls):.2f} s"


def print_export(name: str, res: dict[str, Any]) -> None:
    print(f"\n{name}: {res['records']:,} records, {res['wall']:.2f} s wall ({res['cpu']:.2f} s CPU) in a fresh "
          f"process, {res['warm']['wall']:.2f} s warm ({res['warm']['cpu']:.2f} s CPU; {_warm_runs(res)}); peak RSS {res['peak_rss_mb']:.0f} MB"
          f" (after the warm runs {res['warm']['peak_rss_mb']:.0f} MB); stages of the (median) warm run:")
    res = res["warm"]
    print(f"  {'stage':34s} {'wall s':>8s} {'records/s':>12s} {'peak RSS MB':>12s}")
    for st in res["stages"]:
        if st["stage"].startswith("collect:") and (st["records"] or 0) < 100 and st["seconds"] < 0.05:
            continue
        print(f"  {st['stage']:34s} {st['seconds']:8.3f} {fmt_rate(st['records'], st['seconds']):>12s} "
              f"{st['peak_rss_mb']:12.0f}")


def stage(res: dict[str, Any], name: str) -> float:
    return float(sum(s["seconds"] for s in res["stages"] if s["stage"] == name))


#: The issue-20 figure for the peer's report when it cannot be measured here (ethyca-fides not
#: installed in a venv of its own): 5.0 s, so the CLI's target is 3.0 s and the warm library's 2.0 s.
PEER_FALLBACK_S = 5.0


def _row(rows: list[tuple[str, str, str, str]], what: str, target: str, got: str, met: bool | None) -> None:
    rows.append((what, target, got, "n/a" if met is None else ("met" if met else "NOT MET")))


def print_targets(sc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The targets of issues 20 and 7 next to what this run measured, each met / not met (printed,
    never asserted: these shared 2-core machines vary by ±30 %, so CPU seconds are given too)."""
    rows: list[tuple[str, str, str, str]] = []
    typ = sc.get("typical-25k")
    if typ:
        pkg = typ["package"]
        cli = typ.get("cli")
        peer = (cli or {}).get("peer")
        if cli:
            if peer:
                ref = f"peer {peer['wall']:.2f} s wall / {peer['cpu']:.2f} s CPU"
                ratio_w, ratio_c = cli["wall"] / peer["wall"], cli["cpu"] / peer["cpu"]
                _row(rows, "typical full package, CLI / peer HTML report (wall)", "<= 0.6x",
                     f"{ratio_w:.2f}x ({cli['wall']:.2f} s / {ref})", ratio_w <= 0.6)
                _row(rows, "typical full package, CLI / peer HTML report (CPU)", "<= 0.6x",
                     f"{ratio_c:.2f}x ({cli['cpu']:.2f} s CPU / {peer['cpu']:.2f} s CPU)", ratio_c <= 0.6)
            else:
                _row(rows, "typical full package, CLI (peer not measured: issue's 5.0 s)", "<= 3.0 s",
                     f"{cli['wall']:.2f} s wall ({cli['cpu']:.2f} s CPU)", cli["wall"] <= 0.6 * PEER_FALLBACK_S)
            _row(rows, "typical full package, CLI peak RSS (CLI or its PDF helper)", "<= 150 MB",
                 f"{cli['peak_rss_mb']:.0f} MB", cli["peak_rss_mb"] <= 150)
        warm = pkg["warm"]
        walls = pkg.get("warm_walls") or [warm["wall"]]
        spread = f", median of {len(walls)}: {min(walls):.2f}-{max(walls):.2f} s" if len(walls) > 1 else ""
        if peer:
            ratio_w, ratio_c = warm["wall"] / peer["wall"], warm["cpu"] / peer["cpu"]
            _row(rows, "typical full package, warm library / peer (wall)", "<= 0.4x",
                 f"{ratio_w:.2f}x ({warm['wall']:.2f} s{spread})", ratio_w <= 0.4)
            _row(rows, "typical full package, warm library / peer (CPU)", "<= 0.4x",
                 f"{ratio_c:.2f}x ({warm['cpu']:.2f} s CPU / {peer['cpu']:.2f} s)", ratio_c <= 0.4)
            if peer.get("warm"):
                pw = peer["warm"]
                _row(rows, "  (for reference) warm library / peer's warm report (wall)", "",
                     f"{warm['wall'] / pw['wall']:.2f}x ({warm['wall']:.2f} s / {pw['wall']:.2f} s)", None)
        else:
            _row(rows, "typical full package, warm library (peer not measured: issue's 5.0 s)", "<= 2.0 s",
                 f"{warm['wall']:.2f} s wall ({warm['cpu']:.2f} s CPU{spread})", warm["wall"] <= 0.4 * PEER_FALLBACK_S)
        _row(rows, "typical full package, fresh process (library; issue 7)", "<= 3 s", f"{pkg['wall']:.2f} s",
             pkg["wall"] <= 3)
        if "package_helper" in typ:
            helper = typ["package_helper"]["warm"]
            _row(rows, "typical full package, warm + WarmRenderer helper (issue 7)", "<= 3 s",
                 f"{helper['wall']:.2f} s", helper["wall"] <= 3)
        naive = typ.get("naive") or {}
        if "with_pdf" in naive:
            total, bound = naive["with_pdf"]["seconds"], naive["with_pdf"]["lower_bound"]
            more = "> " if bound else ""
            got = f"{more}{total / pkg['wall']:.0f}x ({more}{total:.0f} s / {pkg['wall']:.2f} s)"
            _row(rows, "naive baseline / ours (full package, fresh processes; issue 7)", ">= 10x", got,
                 total / pkg["wall"] >= 10)
        val = typ.get("validation", {})
        best = max((v for k, v in val.items() if k != "records" and v), default=None)
        if best:
            _row(rows, "validation throughput, one core (issue 7)", ">= 300,000/s", f"{best:,.0f}/s", best >= 300_000)
    heavy = sc.get("heavy-1M")
    if heavy:
        json_part, floor = heavy["json_only"]["warm"]["wall"], heavy["floor"]["wall"]
        _row(rows, "heavy-1M JSON part / floor", "<= 2x", f"{json_part / floor:.2f}x ({json_part:.2f} s / "
             f"{floor:.2f} s)", json_part / floor <= 2)
        full = heavy["package"]["warm"]["wall"]
        _row(rows, "heavy-1M full package / JSON part (warm)", "<= 1.5x",
             f"{full / json_part:.2f}x ({full:.2f} s / {json_part:.2f} s)", full / json_part <= 1.5)
        if "heavy-100k" in sc:
            ratio = heavy["export"]["peak_rss_mb"] / sc["heavy-100k"]["export"]["peak_rss_mb"]
            _row(rows, "peak RSS 1M / 100k events (export): flat", "<= 1.2", f"{ratio:.2f}", ratio <= 1.2)
        _row(rows, "heavy-1M peak RSS, export (JSON + CSV; issue 7)", "<= 250 MB",
             f"{heavy['export']['peak_rss_mb']:.0f} MB", heavy["export"]["peak_rss_mb"] <= 250)
        _row(rows, "heavy-1M peak RSS, full package incl. PDF", "(<= 250 MB)",
             f"{heavy['package']['peak_rss_mb']:.0f} MB", heavy["package"]["peak_rss_mb"] <= 250)
        pdf = stage(heavy["package"], "pdf")
        _row(rows, "heavy-1M PDF stage (issue 7)", "<= 10 s", f"{pdf:.2f} s", pdf <= 10)
    if rows:
        print("\ntargets (issue 20, and issue 7's kept) and this run:")
        for what, target, got, met in rows:
            print(f"  {what:62s} {target:>13s}  {met:8s} {got}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the 1M-event subject and the naive PDF")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument("--keep", help="build the stores in this folder (reused when present) instead of a temp dir")
    ap.add_argument("--only", help="comma-separated scenarios to run (typical-25k, heavy-100k, heavy-1M)")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    ap.add_argument("--naive-pdf-timeout", type=float, default=1800,
                    help="stop the naive baseline's PDF after this many seconds (the ratio is then a lower bound)")
    ap.add_argument("--peer-python", help="python of a venv with ethyca-fides (bench/peer.py): the peer's HTML "
                    "report is measured between the CLI runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--pdf", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--warm-runs", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args)
        return

    from exporter.demo import build_demo_store

    info = machine()
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}, "
          f"load average {info['loadavg'][0]:.2f}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="exporter-bench-"))
    results: dict[str, Any] = {"machine": info, "scenarios": {}}
    names = ["typical-25k", "heavy-100k"] + ([] if args.quick else ["heavy-1M"])
    if args.only:
        names = [n for n in args.only.split(",") if n in SCENARIOS]
    for name in names:
        store = work / name
        if not (store / "exporter.toml").is_file():
            t = time.perf_counter()
            events, screens = SCENARIOS[name]
            build_demo_store(store, heavy_events=events, heavy_screens=screens)
            print(f"built {name} store in {time.perf_counter() - t:.1f} s")
        res: dict[str, Any] = {}
        warm = ("--warm-runs", "5" if name == "typical-25k" else "1")  # heavy runs take 10-30 s each
        res["export"] = run_child("export", store, work / "out" / name / "export", *warm)
        print_export(f"{name} export (no PDF/HTML)", res["export"])
        res["json_only"] = run_child("json-only", store, work / "out" / name / "json", *warm)
        res["floor"] = run_child("floor", Path(res["export"]["path"]), work / "out" / name / "floor")
        res["package"] = run_child("package", store, work / "out" / name / "package", *warm)
        print_export(f"{name} full package", res["package"])
        json_part = res["json_only"]["warm"]["wall"]
        floor = res["floor"]["wall"]
        print(f"  JSON part (no CSV, warm): {json_part:.2f} s, peak RSS {res['json_only']['peak_rss_mb']:.0f} MB;"
              f" floor (orjson + SHA-256 + write of the same {res['floor']['records']:,} records): {floor:.2f} s"
              f" → {json_part / floor:.2f}x the floor")
        print(f"  PDF stage: {stage(res['package']['warm'], 'pdf'):.2f} s warm ({stage(res['package'], 'pdf'):.2f} s cold),"
              f" HTML stage: {stage(res['package']['warm'], 'html'):.2f} s")
        if name == "typical-25k":
            res["package_helper"] = run_child("package-helper", store, work / "out" / name / "helper", *warm)
            print_export(f"{name} full package, report.pdf by a WarmRenderer helper (peak RSS: this process only)",
                         res["package_helper"])
            (work / "out" / name / "cli").mkdir(parents=True, exist_ok=True)
            peer = _load_peer()
            reason = peer.not_measured(args.peer_python)
            res["cli"] = cli = measure_cli(store, work / "out" / name / "cli",
                                           peer_python=None if reason else args.peer_python)
            print(f"  CLI (exporter export, fresh interpreter, PDF helper): median {cli['wall']:.2f} s wall /"
                  f" {cli['cpu']:.2f} s CPU of {', '.join(f'{w:.2f}' for w in cli['walls'])} s wall,"
                  f" {', '.join(f'{c:.2f}' for c in cli['cpus'])} s CPU (CLI + helper);"
                  f" peak RSS {cli['peak_rss_mb']:.0f} MB (the larger of the CLI process and its PDF helper)")
            print(f"  {peer.describe(cli['peer']) if 'peer' in cli else f'peer: not measured ({reason})'}"
                  + ("" if "peer" in cli else f"; the targets use the issue's figure, {PEER_FALLBACK_S} s"))
        if name == "typical-25k" and not args.no_naive:
            res["naive"] = naive = run_child("naive", store, work / "out" / name / "naive", timeout=7200)
            print(f"  naive baseline without its PDF: {naive['wall']:.1f} s "
                  f"({', '.join(f'{k} {v:.1f} s' for k, v in naive['naive_stages'].items())}),"
                  f" peak RSS {naive['peak_rss_mb']:.0f} MB")
            print(f"  speed-up without PDF (fresh processes both): {naive['wall'] / res['export']['wall']:.1f}x")
            if not args.quick:
                res["naive_pdf"] = npdf = run_child("naive-pdf", store, work / "out" / name / "naive-pdf",
                                                    timeout=args.naive_pdf_timeout)
                if "timed_out" in npdf:
                    total = naive["wall"] + npdf["timed_out"]
                    print(f"  naive PDF (one table of all {naive['records']:,} rows): not finished after "
                          f"{npdf['timed_out']:.0f} s (stopped); naive full package > {total:.0f} s →"
                          f" speed-up > {total / res['package']['wall']:.0f}x (a lower bound)")
                else:
                    total = naive["wall"] + npdf["pdf"]
                    print(f"  naive PDF (one table of all {naive['records']:,} rows): {npdf['pdf']:.1f} s, peak RSS "
                          f"{npdf['peak_rss_mb']:.0f} MB; naive full package {total:.0f} s → speed-up "
                          f"{total / res['package']['wall']:.0f}x")
                naive["with_pdf"] = {"seconds": total, "lower_bound": "timed_out" in npdf}
            res["validation"] = run_child("validation", Path(res["export"]["path"]), work / "out" / "v")
            print("  validation throughput (records/s, one core):")
            for k, v in res["validation"].items():
                if k != "records":
                    print(f"    {k:42s} {'not installed' if v is None else f'{v:,.0f}'}")
        res["loadavg"] = os.getloadavg()
        print(f"  load average after {name}: {res['loadavg'][0]:.2f} {res['loadavg'][1]:.2f} {res['loadavg'][2]:.2f}")
        results["scenarios"][name] = res
    sc = results["scenarios"]
    if "heavy-1M" in sc and "heavy-100k" in sc:
        a, b = sc["heavy-100k"]["export"]["peak_rss_mb"], sc["heavy-1M"]["export"]["peak_rss_mb"]
        print(f"\npeak RSS heavy-1M / heavy-100k (export): {b:.0f} / {a:.0f} MB = {b / a:.2f}")
    results["targets"] = print_targets(sc)
    results["machine"]["loadavg_end"] = os.getloadavg()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
