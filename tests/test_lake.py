"""Warehouse- and lake-sized sources (issue 22 item 5; docs/scaling.md).

* **Lake**: the demo store's hive-partitioned access logs (``month=YYYY-MM``) get about a million
  events of other people (exporter.demo.lake: clustered on ``account_id``, Bloom filters on every
  string column). One subject's export must read only a few row groups of it — asserted on what
  DuckDB's profiler says was scanned (``ParquetSource.scan_stats``, logged per read) — and hold far
  less than the lake in memory (peak RSS of an export in a child process), and its records must be
  exactly those of the same export without the lake: all the subject's rows, nobody else's.
* **Warehouse**: the ``sql`` source against the real PostgreSQL the tests start streams through a
  server-side cursor: rows are produced by the server as the export asks for batches, counted by
  a sequence that the query advances once per row produced.

No timing assertions: the speed is measured by bench/lake.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest

from exporter import demo
from exporter.demo.lake import LakeInfo, add_lake_events

SUBJECT = demo.DEMO_SUBJECTS["typical"]
LAKE_EVENTS = 1_200_000
ROW_GROUP = 6_144  # DuckDB cuts row groups at multiples of its 2048-row vectors

#: runs one export in a fresh interpreter and prints what it read and its memory, as JSON
CHILD = textwrap.dedent("""
    import datetime as dt, json, logging, resource, sys
    from exporter import AccessRequest, ExportOptions, export
    from exporter.sources.parquet import ScanStats  # noqa: F401  (imported before the baseline)
    import duckdb, pyarrow  # noqa: F401
    store, out, subject = sys.argv[1:4]
    reads = {}
    class Reads(logging.Handler):
        def emit(self, record):
            label, *counts = record.args
            reads[label] = dict(zip(["queries", "files", "row_groups_scanned", "row_groups_total",
                                     "rows_scanned", "bytes_read"], counts))
    log = logging.getLogger("exporter.sources.parquet")
    log.addHandler(Reads()); log.setLevel(logging.DEBUG)
    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    def peak():  # VmHWM: this process's own high-water mark (ru_maxrss keeps the parent's across fork + exec)
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
    before = rss()
    request = AccessRequest.parse([f"email:{subject}"], jurisdiction="eu", received=dt.date(2026, 11, 2),
                                  request_id="DSAR-LAKE")
    result = export(request, config=f"{store}/exporter.toml", out_dir=out,
                    options=ExportOptions(pdf=False, now=dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)))
    print(json.dumps({"reads": reads, "rss_before": before, "rss_peak": peak(),
                      "counts": result.counts, "path": str(result.path)}))
""")


def _child(store: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(store), str(out), SUBJECT],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def lake(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The typical subject exported from the demo store, then from the same store with the lake (children)."""
    base = tmp_path_factory.mktemp("lake")
    store = base / "store"
    shutil.copytree(demo_store, store)
    # both runs read with DuckDB (the demo's small logs alone would be read by Arrow alone,
    # exporter.sources.parquet_local), so the baseline holds DuckDB's fixed cost as the lake run does
    toml = store / "exporter.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count('kind = "parquet"\n') == 1
    toml.write_text(text.replace('kind = "parquet"\n', 'kind = "parquet"\nsmall_read_rows = 0\n'), encoding="utf-8")
    without = _child(store, base / "without")
    before_files = sorted(p.relative_to(store) for p in (store / "logs").rglob("*.parquet"))
    info = add_lake_events(store, LAKE_EVENTS, rows_per_file=50_000, row_group_size=ROW_GROUP)
    child = _child(store, base / "with")
    return {"store": store, "without": Path(without["path"]), "with": Path(child["path"]), "info": info,
            "child": child, "baseline": without, "demo_files": before_files}


def test_the_lake_is_big_and_partitioned(lake: dict[str, Any]) -> None:
    info: LakeInfo = lake["info"]
    store: Path = lake["store"]
    assert info.events == LAKE_EVENTS and len(info.months) == 12
    assert info.row_groups >= LAKE_EVENTS // ROW_GROUP
    con = duckdb.connect()
    glob = str(store / "logs" / "access_logs" / "**" / "*.parquet")
    total, months = con.execute("SELECT count(*), count(DISTINCT month) FROM read_parquet($g, hive_partitioning = "
                                "true, union_by_name = true)", {"g": glob}).fetchall()[0]
    assert total > LAKE_EVENTS and months == 12
    # no synthetic event carries an identifier of a demo person
    ids = demo.DEMO_IDENTIFIERS["typical"]
    assert con.execute("SELECT count(*) FROM read_parquet($g) WHERE event_id LIKE 'lk-%' AND account_id = $a",
                       {"g": glob, "a": ids["account_id"]}).fetchall()[0][0] == 0


def test_the_subjects_rows_all_there_and_nobody_elses(lake: dict[str, Any]) -> None:
    for category in ("access_logs", "screen_interactions"):
        without = (lake["without"] / "data" / f"{category}.jsonl").read_bytes()
        with_lake = (lake["with"] / "data" / f"{category}.jsonl").read_bytes()
        assert with_lake == without, category  # same records, same order, byte for byte
    records = [json.loads(line) for line in (lake["with"] / "data" / "access_logs.jsonl").read_text().splitlines()]
    assert len(records) >= 100
    assert not any(str(r.get("event_id", "")).startswith("lk-") for r in records)
    assert lake["child"]["counts"]["access_logs"] == len(records)


def test_only_a_few_row_groups_of_the_lake_are_read(lake: dict[str, Any]) -> None:
    read = lake["child"]["reads"]["logs/access_logs"]
    info: LakeInfo = lake["info"]
    # every scan of the read (count, ordered read; one per matched column each) opens every file's
    # footer: the partitions are by month, which the subject filter does not name, so none is skipped
    demo_files = [str(lake["store"] / f) for f in lake["demo_files"] if "access_logs" in str(f)]
    demo_groups = duckdb.connect().execute("SELECT count(DISTINCT (file_name, row_group_id)) FROM "
                                           "parquet_metadata($f)", {"f": demo_files}).fetchall()[0][0]
    files_per_scan = info.files + len(demo_files)
    assert read["files"] % files_per_scan == 0
    scans = read["files"] // files_per_scan
    assert scans >= 2 and read["row_groups_total"] == scans * (info.row_groups + demo_groups)
    # … but reads the data of few row groups: the demo's own monthly files (the subject's rows are in
    # each) and, per month, the lake row group whose account range spans the subject's account (the
    # cookie branch's Bloom filters rule out the rest)
    assert read["row_groups_scanned"] <= scans * (demo_groups + 2 * len(info.months))
    assert read["row_groups_scanned"] * 5 < read["row_groups_total"]
    assert read["bytes_read"] * 4 < info.bytes
    assert read["rows_scanned"] < LAKE_EVENTS // 10


def test_memory_does_not_hold_the_lake(lake: dict[str, Any]) -> None:
    child = lake["child"]
    con = duckdb.connect()
    glob = str(lake["store"] / "logs" / "access_logs" / "**" / "*.parquet")
    # what the lake's values take decoded (strings' bytes alone), i.e. what holding it would cost
    decoded = con.execute(
        "SELECT sum(strlen(event_id) + strlen(occurred_at) + strlen(account_id) + strlen(cookie_id) + "
        "strlen(session_id) + strlen(ip_address) + strlen(user_agent) + strlen(page) + strlen(device_id)) "
        "FROM read_parquet($g, union_by_name = true)", {"g": glob}).fetchall()[0][0]
    assert decoded > 200 * 2**20
    grown = child["rss_peak"] - child["rss_before"]
    baseline = lake["baseline"]["rss_peak"] - lake["baseline"]["rss_before"]  # the same export without the lake
    # the lake adds a few MiB of DuckDB buffers (footers, the row groups read, one sort chunk), not itself
    assert grown - baseline < decoded / 10, (grown, baseline, decoded)


# -- warehouse: the sql source streams from PostgreSQL through a server-side cursor -----------------

@pytest.mark.postgres
def test_postgres_rows_are_produced_as_batches_are_fetched(postgres_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from exporter.sources import ReadSpec
    from exporter.sources.sql import SqlSource

    rows, size = 20_000, 500
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE events (event_id integer PRIMARY KEY, account_id text NOT NULL, "
                             "page text NOT NULL)"))
        conn.execute(sa.text("INSERT INTO events SELECT i, CASE WHEN i % 10 = 0 THEN 'ACC-9' ELSE 'ACC-1' || i END, "
                             "'/p/' || i FROM generate_series(1, :n) AS i"), {"n": rows * 10})
        conn.execute(sa.text("CREATE SEQUENCE produced"))

    def produced() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                                            "FROM produced")).scalar_one())

    # nextval() in the select list runs once per row the server produces for the client
    spec = ReadSpec(label="warehouse/events", needs=("account_id",), params={
        "query": "SELECT event_id, account_id, page, nextval('produced') AS produced FROM events "
                 "WHERE account_id IN :account_id", "batch_size": size})
    src = SqlSource("warehouse", {"url": postgres_url}, base_dir=tmp_path, env={})
    seen = []
    with src:
        batches = src.read(spec, {"account_id": ("ACC-9",)})
        first = next(batches)
        assert len(first) == size
        # after one batch the server has produced about one batch (psycopg fetches `size` at a
        # time from the named cursor), not the subject's 20,000 rows
        assert size <= produced() <= 2 * size
        seen.extend(first)
        for batch in batches:
            assert len(batch) <= size
            seen.extend(batch)
            assert produced() <= len(seen) + size
    assert len(seen) == rows and {r["account_id"] for r in seen} == {"ACC-9"}
    assert produced() == rows
    engine.dispose()
