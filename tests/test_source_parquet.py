"""The ``parquet`` source (DuckDB) over hive-partitioned files written with pyarrow."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from exporter.errors import ConfigError, SourceDataError
from exporter.sources import ReadSpec
from exporter.sources.parquet import ParquetSource


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    """events/year=2023|2024/part-*.parquet under tmp_path/lake; 12_000 rows."""
    for year in (2023, 2024):
        for part in range(2):
            n = 3000
            base = (year - 2023) * 6000 + part * n
            ids = list(range(base, base + n))
            table = pa.table({
                "event_id": ids,
                "account_id": pa.array([i % 500 for i in ids], pa.int64()),
                "email": [f"user{i % 7}@example.com" for i in ids],
                "at": [datetime(year, 1, 1, 0, 0, i % 60) for i in ids],
                "kind": ["login" if i % 2 else "view" for i in ids],
            })
            folder = tmp_path / "lake" / "events" / f"year={year}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=1000)
    return tmp_path


def _source(base: Path, **options: Any) -> ParquetSource:
    return ParquetSource("lake", {"root": "lake", **options}, base_dir=base, env={})


def _read(base: Path, ids: Mapping[str, tuple[str, ...]], needs: tuple[str, ...] | None = None,
          options: Mapping[str, Any] | None = None, **params: Any) -> list[list[dict[str, Any]]]:
    params.setdefault("path", "events/**/*.parquet")
    params.setdefault("match", {"email": "email", "account_id": "account_id"})
    params.setdefault("order_by", ["event_id"])
    spec = ReadSpec(label="lake/events", needs=needs or tuple(ids), params=params)
    with _source(base, **(options or {})) as src:
        return list(src.read(spec, ids))


def _flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b]


def test_match_on_two_columns_without_duplicates(store: Path) -> None:
    rows = _flat(_read(store, {"email": ("user3@example.com",), "account_id": ("10", "17")}))
    expected = [i for i in range(12_000) if i % 7 == 3 or i % 500 in (10, 17)]
    assert [r["event_id"] for r in rows] == expected  # ordered, each row once (17 % 7 == 3 overlaps)
    assert set(rows[0]) == {"event_id", "account_id", "email", "at", "kind"}  # partition key not projected
    assert isinstance(rows[0]["at"], datetime)


def test_projection_order_by_and_partition_column(store: Path) -> None:
    # the matched column must be selected: the pipeline re-checks every row against the subject
    rows = _flat(_read(store, {"account_id": ("3",)}, columns=["kind", "year", "event_id", "account_id"],
                       order_by=["year", "kind", "event_id"]))
    assert all(set(r) == {"kind", "year", "event_id", "account_id"} for r in rows)
    keys = [(r["year"], r["kind"], r["event_id"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 24
    assert {r["year"] for r in rows} == {2023, 2024}


def test_many_rows_stream_in_batches(store: Path) -> None:
    batches = _read(store, {"email": ("user1@example.com", "user2@example.com")}, options={"batch_size": 500},
                    match={"email": "email"})
    total = sum(len(b) for b in batches)
    assert total == len([i for i in range(12_000) if i % 7 in (1, 2)])
    assert len(batches) >= total // 500 and max(len(b) for b in batches) <= 500
    ids = [r["event_id"] for b in batches for r in b]
    assert ids == sorted(ids)


def test_injection_attempts_match_nothing(store: Path) -> None:
    evil = ("x' OR '1'='1", "1 OR 1=1", "'); DROP TABLE x; --")
    assert _read(store, {"email": evil, "account_id": evil}) == []
    assert _read(store, {"account_id": ("not-a-number",)}) == []  # TRY_CAST: no conversion error


@pytest.mark.parametrize(
    ("params", "match"),
    [({"order_by": ["event_id; DROP TABLE x"]}, "column names"),
     ({"order_by": []}, "order_by"),
     ({"columns": ['kind" FROM x --']}, "column names"),
     ({"match": {"email": "lower(email)"}}, "column names"),
     ({"order_by": ["nope"]}, "'nope' is not in the Parquet files"),
     ({"path": "../**/*.parquet"}, "inside the source folder"),
     ({"path": "nothing/*.parquet"}, "matched no file")],
)
def test_config_errors(store: Path, params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _read(store, {"email": ("user1@example.com",)}, **params)


def test_needs_without_a_match_column(store: Path) -> None:
    with pytest.raises(ConfigError, match="device_id"):
        _read(store, {"device_id": ("d",)})


def test_corrupt_file_is_a_data_error(store: Path) -> None:
    (store / "lake" / "events" / "year=2024" / "part-9.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceDataError):
        _read(store, {"email": ("user1@example.com",)})


def test_predicates_are_pushed_into_the_scan(store: Path) -> None:
    """Each matched column gets its own IN branch, so DuckDB filters inside the Parquet scan."""
    spec = ReadSpec(label="lake/events", needs=("email", "account_id"),
                    params={"path": "events/**/*.parquet", "match": {"email": "email", "account_id": "account_id"},
                            "order_by": ["event_id"]})
    with _source(store) as src:
        assert isinstance(src, ParquetSource)
        plan = src._plan(spec, {"email": ("user1@example.com",), "account_id": ("42",)})
        assert plan is not None and src.con is not None  # planning connected DuckDB (a read may not need it)
        sql, params = plan
        assert "user1@example.com" not in sql and "42" not in sql  # values are bound, not formatted
        explained = "\n".join(str(row[1]) for row in src.con.execute("EXPLAIN " + sql, params).fetchall())
    scans = explained.split("READ_PARQUET")[1:]
    assert len(scans) == 2
    # e-mail addresses ignore ASCII case (catalog rule "email"): the read first looks up the stored
    # spellings (lower(email) IN …, one column), then filters on them exactly, inside the scan, like the
    # exact identifiers; no lower() is left in the read itself
    assert "lower(" not in sql
    assert "email = 'user1@example.com'" in explained
    assert "account_id = 42" in explained


TRICKY = ["jane.doe@example.com", "Jane.Doe@Example.COM", "JANE.DOE@EXAMPLE.COM", "jane.doe@example.com ",
          "jane.doe@EXAMPLE.com", "jane.doe@exampl\u212a.com", "jane.do\u0130@example.com", "jane.doß@example.com",
          "jane.doss@example.com", "jan\u0065\u0301.doe@example.com", "jan\u00e9.doe@example.com",
          "JAN\u00c9.DOE@example.com", "janedoe@example.com", "jane.doe+x@example.com", None]


@pytest.fixture()
def tricky(tmp_path: Path) -> Path:
    """Spellings that lower() may or may not map onto the probes (Kelvin sign, dotted İ, ß, NFD, case)."""
    n = len(TRICKY)
    folder = tmp_path / "lake" / "events" / "day=1"
    folder.mkdir(parents=True)
    table = pa.table({"event_id": list(range(n * 40)), "email": [TRICKY[i % n] for i in range(n * 40)],
                      "account_id": pa.array([i % 3 for i in range(n * 40)], pa.int64())})
    pq.write_table(table, folder / "part-0.parquet", row_group_size=50)
    return tmp_path


@pytest.mark.parametrize("subject", ["jane.doe@example.com", "jan\u00e9.doe@example.com", "jane.doß@example.com",
                                     "nobody@example.com"])
def test_spelling_lookup_selects_exactly_what_lower_selects(tricky: Path, subject: str) -> None:
    """The exact `email IN (stored spellings)` read returns the same rows as `lower(email) IN (probes)`."""
    import duckdb

    from exporter.identifiers import rule_named

    rule = rule_named("email")
    probes = rule.probes(rule.key(subject))
    got = [r["event_id"] for r in _flat(_read(tricky, {"email": probes}, match={"email": "email"}))]
    con = duckdb.connect()
    files = [str(f) for f in sorted((tricky / "lake").rglob("*.parquet"))]
    marks = ", ".join(f"$p{i}" for i in range(len(probes)))
    want = [r[0] for r in con.execute(
        f"SELECT event_id FROM read_parquet($files) WHERE lower(email) IN ({marks}) ORDER BY event_id",
        {"files": files, **{f"p{i}": p for i, p in enumerate(probes)}}).fetchall()]
    assert got == want
    if subject == "nobody@example.com":
        assert got == []
    else:
        assert got  # the subject's spellings are found (several per subject: case, NFD, near forms)


def test_spelling_lookup_and_exact_read_are_profiled(tricky: Path) -> None:
    """scan_stats counts the spelling lookup and the read; the read scans only row groups holding a spelling."""
    rule = __import__("exporter.identifiers", fromlist=["rule_named"]).rule_named("email")
    spec = ReadSpec(label="lake/events", needs=("email",),
                    params={"path": "events/**/*.parquet", "match": {"email": "email"}, "order_by": ["event_id"]})
    with _source(tricky) as src:
        assert isinstance(src, ParquetSource)
        rows = [r for b in src.read(spec, {"email": rule.probes(rule.key("Jane.Doe@example.com"))}) for r in b]
        stats = src.scan_stats
    assert rows and stats.queries >= 3  # spellings, count, the ordered read
    assert stats.row_groups_total == stats.queries * 12  # 600 rows in row groups of 50, per query
    assert 0 < stats.row_groups_scanned <= stats.row_groups_total


def test_too_many_spellings_keep_the_lower_filter(tricky: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above MAX_SPELLINGS stored spellings the read keeps lower(email) IN (probes): the same rows."""
    from exporter.identifiers import rule_named
    from exporter.sources import parquet

    rule = rule_named("email")
    ids = {"email": rule.probes(rule.key("jane.doe@example.com"))}
    exact = _flat(_read(tricky, ids, match={"email": "email"}))
    monkeypatch.setattr(parquet, "MAX_SPELLINGS", 1)
    spec = ReadSpec(label="lake/events", needs=("email",),
                    params={"path": "events/**/*.parquet", "match": {"email": "email"}, "order_by": ["event_id"]})
    with _source(tricky) as src:
        assert isinstance(src, ParquetSource)
        plan = src._plan(spec, ids)
        assert plan is not None and "lower(\"email\") IN" in plan[0]
    assert _flat(_read(tricky, ids, match={"email": "email"})) == exact and len(exact) > 40
