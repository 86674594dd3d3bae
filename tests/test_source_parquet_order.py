"""A big read already stored in ``order_by`` order skips the chunked sort (exporter.sources.arrow_order):
the same rows in the same order, fewer queries; anything not strictly in order is sorted as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import SourceUnavailable
from exporter.sources import ReadSpec
from exporter.sources.arrow_order import OrderCheck
from exporter.sources.parquet import ParquetSource, ScanStats
from exporter.sources.parquet_duckdb import DuckRead



def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, v if v is not None else 0) for v in row)  # NULLs last


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 6)),
                               st.one_of(st.none(), st.text("ab", max_size=2))), max_size=30),
       cuts=st.lists(st.integers(0, 30), max_size=4), presorted=st.booleans())
def test_order_check_is_strict_lexicographic_with_nulls_last(rows: list[tuple[Any, Any]], cuts: list[int],
                                                             presorted: bool) -> None:
    if presorted:
        rows = sorted(set(rows), key=_key)
    table = pa.table({"a": pa.array([r[0] for r in rows], pa.int64()),
                      "b": pa.array([r[1] for r in rows], pa.string())})
    check = OrderCheck(["a", "b"])
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    for lo, hi in zip(bounds, bounds[1:]):
        for batch in table.slice(lo, hi - lo).to_batches():
            check.feed(batch)
    keys = [_key(r) for r in rows]
    assert check.ok == all(x < y for x, y in zip(keys, keys[1:]))


@pytest.fixture()
def lake(tmp_path: Path) -> Path:
    """lake/events/month=MM/part.parquet: the subject's 1,800 rows and others', stored in time order."""
    n = 0
    for month in (1, 2, 3):
        rows = []
        for i in range(700):
            rows.append({"event_id": n, "at": f"2026-{month:02d}-{i // 30 + 1:02d}T00:00:00Z",  # 30 rows a day
                         "account_id": "A" if i % 7 else "B", "page": f"/p/{i}"})
            n += 1
        folder = tmp_path / "lake" / "events" / f"month={month:02d}"
        folder.mkdir(parents=True)
        rows.sort(key=lambda r: (r["at"], r["event_id"]))
        pq.write_table(pa.Table.from_pylist(rows), folder / "part.parquet", row_group_size=100)
    return tmp_path


SPEC = ReadSpec(label="lake/events", needs=("account_id",),
                params={"path": "events/**/*.parquet", "match": {"account_id": "account_id"},
                        "order_by": ["at", "event_id"]})


def _read(base: Path, **options: Any) -> tuple[list[dict[str, Any]], ScanStats]:
    src = ParquetSource("lake", {"root": "lake", "sort_chunk_rows": 1000, "small_read_rows": 0, **options},
                        base_dir=base, env={})
    with src:
        rows = [r for b in src.read_arrow(SPEC, {"account_id": ("A",)}) for r in b.to_pylist()]
        return rows, src.scan_stats


def test_rows_stored_in_order_skip_the_sort(lake: Path) -> None:
    rows, stats = _read(lake)
    sorted_rows, sorted_stats = _read(lake, threads=2)  # two threads: the chunked sort, always
    assert len(rows) == 1_800 and rows == sorted_rows
    assert [(r["at"], r["event_id"]) for r in rows] == sorted((r["at"], r["event_id"]) for r in rows)
    assert stats.queries == 3  # count, the key check, the read
    assert sorted_stats.queries > stats.queries  # count, sample, one query per chunk


def _rewrite(lake: Path, change: Any) -> None:
    path = lake / "lake" / "events" / "month=02" / "part.parquet"
    pq.write_table(change(pq.read_table(path)), path)


def test_rows_out_of_order_are_sorted(lake: Path) -> None:
    _rewrite(lake, lambda t: t.take(pa.array(list(range(t.num_rows))[::-1])))  # one file stored backwards
    rows, stats = _read(lake)
    assert rows == _read(lake, threads=2)[0] and stats.queries > 3
    assert [(r["at"], r["event_id"]) for r in rows] == sorted((r["at"], r["event_id"]) for r in rows)


def test_equal_keys_are_sorted_not_trusted(lake: Path) -> None:
    """Two rows with the same key: their stored order is not the one order ORDER BY gives."""
    spec_keys = ReadSpec(label="lake/events", needs=("account_id",),
                         params={**SPEC.params, "order_by": ["at"]})
    src = ParquetSource("lake", {"root": "lake", "sort_chunk_rows": 1000, "small_read_rows": 0},
                        base_dir=lake, env={})
    with src:
        rows = [r for b in src.read_arrow(spec_keys, {"account_id": ("A",)}) for r in b.to_pylist()]
        assert src.scan_stats.queries > 3  # "at" repeats: chunked sort
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


def test_files_changing_between_check_and_read_fail_retriably(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rewrite(lake, lambda t: t.take(pa.array(list(range(t.num_rows))[::-1])))
    monkeypatch.setattr(DuckRead, "_in_order", lambda self, *a: True)  # as if the check had run before
    with pytest.raises(SourceUnavailable, match="changed while they were read") as err:
        _read(lake)
    assert err.value.retriable
