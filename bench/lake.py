"""Benchmark: one subject's export from a partitioned Parquet lake of ≥ 50M events.

    python bench/lake.py                           # 50M events, prints figures
    python bench/lake.py --events 5000000          # smaller
    python bench/lake.py --save bench/results/lake.json

Builds the demo store in a temporary folder (``--tmp``, default the system's), adds ``--events``
access-log events of other people to its hive-partitioned ``logs/access_logs/month=YYYY-MM/``
(exporter.demo.lake: DuckDB writes them file by file from ``range()``, no Python object per row;
rows clustered on ``account_id`` within files, Bloom filters on the string columns), then exports
the demo's "typical" subject (JSON/CSV + HTML, no PDF) twice, each in a fresh interpreter: from the
store without the lake, and with it. For each it prints wall and CPU time, peak RSS, what the
Parquet reads scanned (DuckDB's profiler, ``ParquetSource.scan_stats``: files opened, row groups
scanned of those in the files, rows scanned, bytes read) and the bytes the process read
(``/proc/self/io``). Then one read keyed by a case-insensitive identifier, through the stored
spellings (the parquet source's way) and through ``lower(col) IN`` in every query (its earlier
way), for comparison. Checks free space first; removes the folder afterwards unless ``--keep``.

Figures only (no assertions); the machine is shared, expect ±30 %. Results: bench/results/lake.json,
docs/scaling.md ("Warehouse- and lake-sized sources").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import datetime as dt, json, logging, resource, sys, time
from exporter import AccessRequest, ExportOptions, export, demo
import duckdb, pyarrow  # noqa: F401
store, out = sys.argv[1:3]
reads = {}
class Reads(logging.Handler):
    def emit(self, record):
        label, *counts = record.args
        reads[label] = dict(zip(["queries", "files", "row_groups_scanned", "row_groups_total", "rows_scanned",
                                 "bytes_read"], counts))
log = logging.getLogger("exporter.sources.parquet")
log.addHandler(Reads()); log.setLevel(logging.DEBUG)
def io():
    with open("/proc/self/io") as fh:
        return {k: int(v) for k, v in (line.split(": ") for line in fh)}
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()
def peak():  # VmHWM: this process's own high-water mark (ru_maxrss keeps the parent's across fork + exec)
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
request = AccessRequest.parse([f"email:{demo.DEMO_SUBJECTS['typical']}"], jurisdiction="eu",
                              received=dt.date(2026, 11, 2), request_id="DSAR-LAKE")
rss0, io0, wall0, cpu0 = rss(), io(), time.perf_counter(), time.process_time()
result = export(request, config=f"{store}/exporter.toml", out_dir=out,
                options=ExportOptions(pdf=False, now=dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)))
wall, cpu, io1 = time.perf_counter() - wall0, time.process_time() - cpu0, io()
print(json.dumps({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                  "peak_rss_mib": round(peak() / 2**20, 1),
                  "rss_before_export_mib": round(rss0 / 2**20, 1),
                  "process_read_bytes": {"rchar": io1["rchar"] - io0["rchar"],
                                         "storage": io1["read_bytes"] - io0["read_bytes"]},
                  "reads": reads, "records": {k: v for k, v in result.counts.items() if k in reads_cats}}))
""".replace("reads_cats", "('access_logs', 'screen_interactions')")


def child_export(store: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(store), str(out)], capture_output=True, text=True,
                          env=env, check=False)
    if proc.returncode:
        sys.exit(f"export failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def case_insensitive_reads(store: Path, account: str) -> dict[str, Any]:
    """One read of the lake keyed by a case-insensitive identifier, through the stored spellings and
    through ``lower(col) IN (probes)`` (what the parquet source did before): rows, time, what was scanned.

    The lake has no e-mail column, so ``account_id`` is matched under the ``ascii_ci`` rule (hex-like
    values whose ASCII case does not count) — the same code path as ``email``."""
    from exporter.identifiers import rule_named
    from exporter.sources import ReadSpec, parquet

    rule = rule_named("ascii_ci")
    ids = {"account_id": rule.probes(rule.key(account))}
    spec = ReadSpec(label="logs/access_logs", needs=("account_id",), params={
        "path": "logs/access_logs/**/*.parquet", "match": {"account_id": "account_id"},
        "columns": ["event_id", "occurred_at", "account_id", "page"], "order_by": ["occurred_at", "event_id"]})
    out: dict[str, Any] = {}
    limit = parquet.MAX_SPELLINGS
    try:
        for name, max_spellings in (("stored_spellings", limit), ("lower_in_every_query", 0)):
            parquet.MAX_SPELLINGS = max_spellings
            src = parquet.ParquetSource("logs", {}, base_dir=store, env={})
            src.match_rules = {"account_id": rule}
            with src:
                wall0, cpu0 = time.perf_counter(), time.process_time()
                rows = sum(b.num_rows for b in src.read_arrow(spec, ids))
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
                out[name] = {"rows": rows, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                             **src.scan_stats.to_dict()}
    finally:
        parquet.MAX_SPELLINGS = limit
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--rows-per-file", type=int, default=2_000_000)
    parser.add_argument("--row-group", type=int, default=122_880)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads for writing the lake")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the lake (the folder is printed)")
    parser.add_argument("--save", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    from exporter import demo
    from exporter.demo.lake import add_lake_events

    need = args.events * 40  # ≈ 20-25 bytes per event on disk (zstd), with margin
    free = shutil.disk_usage(args.tmp).free
    print(f"{args.tmp}: {free / 2**30:.1f} GiB free, about {need / 2**30:.1f} GiB needed")
    if free < need:
        sys.exit("not enough free space: use --tmp or fewer --events")

    work = Path(tempfile.mkdtemp(prefix="bench-lake-", dir=args.tmp))
    try:
        store = demo.build_demo_store(work / "store", heavy_events=2000)
        without = child_export(store, work / "out-without")
        started = time.perf_counter()
        info = add_lake_events(store, args.events, rows_per_file=args.rows_per_file, row_group_size=args.row_group,
                               threads=args.threads)
        built = time.perf_counter() - started
        print(f"lake: {info.events:,} events, {len(info.months)} month partitions, {info.files} files, "
              f"{info.row_groups:,} row groups, {info.bytes / 2**30:.2f} GiB, written in {built:.0f} s")
        with_lake = child_export(store, work / "out-with")
        same = all((work / "out-without" / "DSAR-LAKE" / "data" / f"{c}.jsonl").read_bytes()
                   == (work / "out-with" / "DSAR-LAKE" / "data" / f"{c}.jsonl").read_bytes()
                   for c in ("access_logs", "screen_interactions"))
        for name, fig in (("without the lake", without), ("with the lake", with_lake)):
            print(f"export {name}: {fig['wall_s']:.2f} s wall, {fig['cpu_s']:.2f} s CPU, peak RSS "
                  f"{fig['peak_rss_mib']:.0f} MiB ({fig['rss_before_export_mib']:.0f} MiB before the export), "
                  f"records {fig['records']}")
            for label, r in sorted(fig["reads"].items()):
                print(f"  {label}: {r['queries']} queries, {r['files']} file scans, {r['row_groups_scanned']:,} of "
                      f"{r['row_groups_total']:,} row groups, {r['rows_scanned']:,} rows scanned, "
                      f"{r['bytes_read'] / 2**20:.1f} MiB read")
            print(f"  process read {fig['process_read_bytes']['rchar'] / 2**20:.1f} MiB "
                  f"({fig['process_read_bytes']['storage'] / 2**20:.1f} MiB from storage, the rest from the page cache)")
        print(f"same access_logs / screen_interactions records with and without the lake: {same}")
        account = demo.DEMO_IDENTIFIERS["typical"]["account_id"]
        ci = case_insensitive_reads(store, account)
        for name, r in ci.items():
            print(f"case-insensitive read ({name.replace('_', ' ')}): {r['rows']} rows, {r['wall_s']:.2f} s wall, "
                  f"{r['cpu_s']:.2f} s CPU, {r['queries']} queries, {r['row_groups_scanned']:,} of "
                  f"{r['row_groups_total']:,} row groups, {r['rows_scanned']:,} rows scanned, "
                  f"{r['bytes_read'] / 2**20:.1f} MiB read")
        figures = {
            "date": dt.date.today().isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "duckdb": __import__("duckdb").__version__, "load_average": list(os.getloadavg())},
            "lake": {"events": info.events, "months": len(info.months), "files": info.files,
                     "row_groups": info.row_groups, "bytes_on_disk": info.bytes, "write_s": round(built, 1),
                     "row_group_size": args.row_group, "rows_per_file": args.rows_per_file},
            "export_without_lake": without, "export_with_lake": with_lake, "same_records": same,
            "case_insensitive_read": ci,
        }
        if args.save:
            args.save.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
            print(f"saved {args.save}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
