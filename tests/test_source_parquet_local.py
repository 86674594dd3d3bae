"""Small local Parquet reads answered by Arrow alone (exporter.sources.parquet_local) give the
DuckDB read's rows, order, types and batches; every read that needs DuckDB still gets it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exporter.errors import ConfigError, SourceDataError
from exporter.sources import ReadSpec
from exporter.sources.parquet import ParquetSource, ScanStats


def _read(base: Path, spec: ReadSpec, ids: Mapping[str, tuple[str, ...]], **options: Any,
          ) -> tuple[list[pa.RecordBatch], ScanStats]:
    src = ParquetSource("lake", {"root": "lake", **options}, base_dir=base, env={})
    with src:
        batches = list(src.read_arrow(spec, ids))
        return batches, src.scan_stats


def _both(base: Path, spec: ReadSpec, ids: Mapping[str, tuple[str, ...]], **options: Any,
          ) -> tuple[list[pa.RecordBatch], ScanStats, ScanStats]:
    """The read by Arrow (default) and by DuckDB (small_read_rows = 0): the same batches."""
    local, local_stats = _read(base, spec, ids, **options)
    duck, duck_stats = _read(base, spec, ids, small_read_rows=0, **options)
    assert [b.num_rows for b in local] == [b.num_rows for b in duck]
    if duck:
        assert pa.Table.from_batches(local).equals(pa.Table.from_batches(duck), check_metadata=False)
        assert local[0].schema.equals(duck[0].schema, check_metadata=False)
    return local, local_stats, duck_stats


@pytest.fixture()
def strings(tmp_path: Path) -> Path:
    """lake/events/day=N/part-K.parquet: string ids, NULLs in the sort key and the match columns."""
    n = 0
    for day in (1, 2):
        for part in range(2):
            rows = []
            for _ in range(150):
                rows.append({
                    "event_id": f"e{n:05d}",
                    "at": None if n % 37 == 0 else f"2026-0{day}-{(n * 7919) % 28 + 1:02d}T10:00:00Z",
                    "account_id": None if n % 11 == 0 else f"ACC-{n % 9}",
                    "cookie_id": f"ck-{n % 13}",
                    "note": "Łódź ß 東京" if n % 5 == 0 else None,
                    "count": n,
                    "ok": n % 2 == 0,
                })
                n += 1
            folder = tmp_path / "lake" / "events" / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{part}.parquet", row_group_size=40)
    return tmp_path


def _spec(**params: Any) -> ReadSpec:
    params.setdefault("path", "events/**/*.parquet")
    params.setdefault("match", {"account_id": "account_id", "cookie_id": "cookie_id"})
    params.setdefault("order_by", ["at", "event_id"])
    return ReadSpec(label="lake/events", needs=("account_id", "cookie_id"), params=params)


def test_same_rows_order_types_and_batches_as_duckdb(strings: Path) -> None:
    ids = {"account_id": ("ACC-3", "ACC-4"), "cookie_id": ("ck-4", "ck-99")}
    local, local_stats, duck_stats = _both(strings, _spec(batch_size=7), ids)
    rows = pa.Table.from_batches(local).to_pylist()
    assert local_stats.queries == 0 and duck_stats.queries > 0  # Arrow answered; DuckDB did the other
    assert local_stats.files == 4 and local_stats.rows_scanned == 600
    expected = [i for i in range(600) if (i % 11 and i % 9 in (3, 4)) or i % 13 == 4]
    assert sorted(r["event_id"] for r in rows) == [f"e{i:05d}" for i in expected]  # a row matching twice: once
    keys = [(r["at"] is None, r["at"] or "", r["event_id"]) for r in rows]
    assert keys == sorted(keys) and rows[-1]["at"] is None  # NULLs last, ties by the second key
    assert set(rows[0]) == {"event_id", "at", "account_id", "cookie_id", "note", "count", "ok"}  # no "day"
    assert max(b.num_rows for b in local) == 7


def test_projection_in_the_configured_order(strings: Path) -> None:
    spec = _spec(columns=["note", "event_id", "cookie_id", "account_id"], order_by=["count"])
    local, stats, _ = _both(strings, spec, {"account_id": ("ACC-1",), "cookie_id": ("ck-1",)})
    assert local[0].schema.names == ["note", "event_id", "cookie_id", "account_id"] and stats.queries == 0


def test_no_match_and_no_identifiers(strings: Path) -> None:
    assert _both(strings, _spec(), {"account_id": ("ACC-404",)})[0] == []
    local, stats = _read(strings, _spec(), {})
    assert local == [] and stats.queries == 0


@pytest.mark.parametrize(("case", "options", "params"), [
    ("more rows in the files than small_read_rows", {"small_read_rows": 599}, {}),
    ("more matches than sort_chunk_rows", {"sort_chunk_rows": 1000, "small_read_rows": 100_000}, "many"),
    ("a hive partition key selected", {}, {"order_by": ["day", "event_id"]}),
    ("a typed (non-string) match column", {}, {"match": {"account_id": "count", "cookie_id": "cookie_id"}}),
])
def test_reads_that_need_duckdb_get_it(strings: Path, case: str, options: dict[str, Any], params: Any) -> None:
    ids: dict[str, tuple[str, ...]] = {"account_id": ("ACC-3",), "cookie_id": ("ck-4",)}
    if params == "many":  # 1,800 rows of which ~1,600 match: more than the smallest sort chunk (1,000)
        ids = {"account_id": tuple(f"ACC-{i}" for i in range(9)), "cookie_id": ()}
        params = {}
        every = pa.concat_tables([pq.read_table(p) for p in sorted((strings / "lake" / "events").rglob("*.parquet"))])
        (strings / "lake" / "events" / "day=3").mkdir()
        for k in range(2):
            pq.write_table(every, strings / "lake" / "events" / "day=3" / f"part-{k}.parquet")
    batches, stats = _read(strings, _spec(**params), ids, **options)
    assert stats.queries > 0, case  # DuckDB read it
    assert batches  # and found the rows


def test_files_with_different_schemas_need_duckdb(strings: Path) -> None:
    extra = pa.table({"event_id": ["x1"], "at": ["2026-03-01"], "account_id": ["ACC-3"], "cookie_id": ["c"],
                      "note": [None], "count": [1], "ok": [True], "more": ["new column"]})
    pq.write_table(extra, strings / "lake" / "events" / "day=2" / "part-9.parquet")
    batches, stats = _read(strings, _spec(), {"account_id": ("ACC-3",)})
    assert stats.queries > 0 and "x1" in pa.Table.from_batches(batches).column("event_id").to_pylist()


def test_case_insensitive_identifier_needs_duckdb(strings: Path) -> None:
    spec = ReadSpec(label="lake/events", needs=("email",),
                    params={"path": "events/**/*.parquet", "match": {"email": "cookie_id"}, "order_by": ["event_id"]})
    batches, stats = _read(strings, spec, {"email": ("ck-4",)})
    assert stats.queries > 0 and len(pa.Table.from_batches(batches)) == len([i for i in range(600) if i % 13 == 4])


def test_config_errors_are_duckdb_s(strings: Path) -> None:
    with pytest.raises(ConfigError, match="'nope' is not in the Parquet files"):
        _read(strings, _spec(order_by=["nope"]), {"account_id": ("ACC-3",)})
    with pytest.raises(ConfigError, match="must include the matched column"):
        _read(strings, _spec(columns=["event_id"]), {"account_id": ("ACC-3",)})


def test_a_corrupt_file_is_a_data_error(strings: Path) -> None:
    (strings / "lake" / "events" / "day=2" / "part-7.parquet").write_bytes(b"PAR1 not parquet at all")
    with pytest.raises(SourceDataError):
        _read(strings, _spec(), {"account_id": ("ACC-3",)})


def test_demo_streams_read_alike(demo_store: Path) -> None:
    """Every Parquet stream of the demo, for several subjects' ids: Arrow and DuckDB agree."""
    cfg = tomllib.loads((demo_store / "exporter.toml").read_text(encoding="utf-8"))
    logs = cfg["sources"]["logs"]
    tested = 0
    for stream in logs["streams"]:
        params = {k: v for k, v in stream.items() if k not in ("category", "needs")}
        table = pa.concat_tables(pq.read_table(f, columns=["account_id", "cookie_id"])
                                 for f in sorted((demo_store / "logs" / stream["category"]).rglob("*.parquet")))
        accounts = sorted({a for a in table.column("account_id").to_pylist() if a})[:4]
        cookies = sorted({c for c in table.column("cookie_id").to_pylist() if c})[:2]
        spec = ReadSpec(label=f"logs/{stream['category']}", needs=tuple(stream["needs"]), params=params)
        for ids in ({"account_id": (a,), "cookie_id": tuple(cookies)} for a in accounts):
            src = ParquetSource("logs", {}, base_dir=demo_store, env={})
            with src:
                local = list(src.read_arrow(spec, ids))
                assert src.scan_stats.queries == 0
            duck_src = ParquetSource("logs", {"small_read_rows": 0}, base_dir=demo_store, env={})
            with duck_src:
                duck = list(duck_src.read_arrow(spec, ids))
            assert [b.num_rows for b in local] == [b.num_rows for b in duck]
            if duck:
                assert pa.Table.from_batches(local).equals(pa.Table.from_batches(duck), check_metadata=False)
                tested += 1
    assert tested >= 6


def test_a_small_export_does_not_load_duckdb(demo_store: Path, tmp_path: Path) -> None:
    """The memory DuckDB costs (module docstring) is not paid by an export whose reads are small."""
    code = (
        "import sys, datetime as dt\n"
        "from exporter import AccessRequest, export\n"
        f"r = export(AccessRequest.parse(['email:{_subject()}'], jurisdiction='eu', request_id='R1'),\n"
        f"           {str(demo_store / 'exporter.toml')!r}, {str(tmp_path)!r}, pdf=False, html=False,\n"
        "           now=dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))\n"
        "print(sum(r.counts.values()) > 1000, 'duckdb' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def _subject() -> str:
    from exporter.demo import DEMO_SUBJECTS

    return str(DEMO_SUBJECTS["heavy_logs"])
