"""Make the demo store's access logs lake-sized: other people's events, written by DuckDB.

:func:`add_lake_events` adds ``events`` access-log events of synthetic accounts to
``<store>/logs/access_logs/month=YYYY-MM/`` (the demo's hive partitions), beside the demo
personas' own files, so that an export of a demo subject has to find a few hundred rows among
millions. It is what ``bench/lake.py`` (≥ 50M events) and ``tests/test_lake.py`` (about a million)
build.

The events are generated and written by DuckDB, one ``COPY (SELECT … FROM range(a, b)) TO …``
per file: no Python object per row, memory bounded by DuckDB's row-group buffers. The layout is
the one docs/scaling.md recommends for a lake that is read per person:

* within every file, rows are in ``account_id`` order (clustered on the identifier), so the
  Parquet min/max statistics of a row group cover a narrow range of accounts;
* every string column is dictionary-encoded (``DICTIONARY_SIZE_LIMIT`` twice the row-group size), so
  DuckDB writes a Bloom filter for it — that is what lets an ``IN`` filter on a column that is not
  clustered (``cookie_id``: random values) skip row groups too.

The synthetic accounts are ``ACC-000000`` … ``ACC-999999`` except ``ACC-000100`` … ``ACC-000999``
(the demo's people), so a demo subject's account falls *between* synthetic ones, as a real
subject's would; cookies, sessions and devices are random-looking hex derived from the account.
No synthetic row carries an identifier of a demo person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

__all__ = ["LakeInfo", "add_lake_events"]

#: accounts the synthetic events spread over (numbers 0-99 and 1000-999999)
ACCOUNTS = 999_100

_SELECT = """
SELECT
  'lk-' || $tag || '-' || lpad(i::VARCHAR, 9, '0') AS event_id,
  strftime($start::TIMESTAMP + to_seconds((i * $span) // $n), '%Y-%m-%dT%H:%M:%SZ') AS occurred_at,
  'ACC-' || lpad(acc::VARCHAR, 6, '0') AS account_id,
  'ck_' || lower(lpad(to_hex(hash(acc, i % 2, 'c')), 16, '0') || lpad(to_hex(hash(acc, i % 2, 'k') % 4294967296), 8, '0'))
      AS cookie_id,
  'ss_' || lower(lpad(to_hex(hash(acc, i // 7, 's')), 16, '0')) AS session_id,
  '10.' || (acc % 250)::VARCHAR || '.' || ((acc // 250) % 250)::VARCHAR || '.' || (1 + i % 250)::VARCHAR AS ip_address,
  ['Firefox 132', 'Chrome 130', 'Safari 18'][1 + (acc % 3)] AS browser,
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
   'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
   'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'
  ][1 + (acc % 3)] AS user_agent,
  CASE WHEN i % 11 = 0 THEN 'POST' ELSE 'GET' END AS method,
  '/shop/p/' || (i % 997)::VARCHAR AS page,
  (CASE WHEN i % 53 = 0 THEN 404 ELSE 200 END)::INTEGER AS status_code,
  CASE WHEN i % 5 = 0 THEN 'https://search.example/' ELSE NULL END AS referrer,
  'dv_' || lower(lpad(to_hex(hash(acc, 'd')), 16, '0')) AS device_id
FROM (SELECT i, CASE WHEN a < 100 THEN a ELSE a + 900 END AS acc
      FROM (SELECT i, (i * $accounts) // $n AS a FROM range($lo, $hi) t(i)))
"""


@dataclass(frozen=True)
class LakeInfo:
    events: int
    files: int
    row_groups: int
    bytes: int  #: on disk, the synthetic files only
    months: tuple[str, ...]


def _months(store: Path) -> list[str]:
    root = store / "logs" / "access_logs"
    found = sorted(p.name.split("=", 1)[1] for p in root.glob("month=*") if p.is_dir())
    if not found:
        raise FileNotFoundError(f"{root} has no month=YYYY-MM partitions (build the demo store first)")
    return found


def add_lake_events(store: Path, events: int, *, rows_per_file: int = 2_000_000, row_group_size: int = 122_880,
                    threads: int = 1, memory_limit: str = "1GB") -> LakeInfo:
    """Write ``events`` synthetic access-log events into the demo store's monthly partitions."""
    months = _months(store)
    per_month = [events // len(months) + (1 if m < events % len(months) else 0) for m in range(len(months))]
    con = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit,
                                             "preserve_insertion_order": True})
    files = 0
    size = 0
    written: list[Path] = []
    try:
        for month, n in zip(months, per_month, strict=True):
            start = dt.datetime.strptime(month + "-01", "%Y-%m-%d")
            nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            span = int((nxt - start).total_seconds())
            folder = store / "logs" / "access_logs" / f"month={month}"
            for k, lo in enumerate(range(0, n, rows_per_file)):
                hi = min(n, lo + rows_per_file)
                path = folder / f"lake-{k:04d}.parquet"
                # accounts run over the whole month's range, so each file holds a slice of them (sorted)
                con.execute(
                    f"COPY ({_SELECT}) TO '{path}' (FORMAT parquet, COMPRESSION zstd, "
                    f"ROW_GROUP_SIZE {int(row_group_size)}, DICTIONARY_SIZE_LIMIT {2 * int(row_group_size)}, "
                    f"STRING_DICTIONARY_PAGE_SIZE_LIMIT {max(4_000_000, 64 * int(row_group_size))})",
                    {"tag": month.replace("-", ""), "start": start, "span": span, "lo": lo, "hi": hi,
                     "n": n, "accounts": ACCOUNTS})
                written.append(path)
                files += 1
                size += path.stat().st_size
        row_groups = int(con.execute("SELECT count(DISTINCT (file_name, row_group_id)) FROM parquet_metadata($f)",
                                     {"f": [str(p) for p in written]}).fetchall()[0][0]) if written else 0
    finally:
        con.close()
    return LakeInfo(events=events, files=files, row_groups=row_groups, bytes=size, months=tuple(months))
