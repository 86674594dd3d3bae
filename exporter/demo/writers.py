"""Writing the generated rows: SQLite, JSON Lines, CSV and hive-partitioned Parquet (the heavy persona in chunks)."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .people import _Person
from .tables import ACCESS_LOG_SCHEMA, SCREEN_SCHEMA, _ACTIONS, _BROWSERS, _ELEMENTS, _PAGES, _SCREENS, _TABLES


def _write_sqlite(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    con = sqlite3.connect(path)
    try:
        with con:
            for table, cols in _TABLES.items():
                con.execute(f"CREATE TABLE {table} (\n{cols}\n)")
                data = rows.get(table, [])
                if not data:
                    continue
                names = list(data[0])
                con.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    [tuple(r[n] for n in names) for r in data],
                )
            con.execute("CREATE INDEX accounts_email ON accounts (lower(email))")
            con.execute("CREATE INDEX contacts_email ON company_contacts (lower(email))")
            con.execute("CREATE INDEX orders_account ON orders (account_id)")
            con.execute("CREATE INDEX devices_account ON devices (account_id)")
        con.execute("VACUUM")
    finally:
        con.close()


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if row[c] is None else row[c] for c in columns])


def _write_partitioned(root: Path, schema: pa.Schema, rows: list[dict[str, Any]], stem: str) -> None:
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"])):
        by_month[r["occurred_at"][:7]].append(r)
    for month, items in sorted(by_month.items()):
        folder = root / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(items, schema=schema), folder / f"{stem}.parquet")


def _write_heavy_logs(root: Path, p: _Person, cookies: list[str], devices: list[str], seed: int,
                      chunk_size: int = 50_000) -> None:  # fmt: skip
    """Stream the heavy persona's events in time order, chunk by chunk (bounded memory)."""
    rng = random.Random(seed * 7 + 1)
    start = int(p.activity_start.timestamp())
    end = int(p.activity_end.timestamp())
    for kind, total in (("access_logs", p.access_events), ("screen_interactions", p.screen_events)):
        if total <= 0:
            continue
        step = (end - start) / total
        schema = ACCESS_LOG_SCHEMA if kind == "access_logs" else SCREEN_SCHEMA
        prefix = "AL" if kind == "access_logs" else "SI"
        for c, lo in enumerate(range(0, total, chunk_size)):
            hi = min(total, lo + chunk_size)
            epochs = [start + int(k * step + rng.random() * step * 0.9) for k in range(lo, hi)]
            ts = pc.strftime(pa.array(epochs, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
            n = hi - lo
            cols: dict[str, Any] = {
                "event_id": [f"{prefix}-{p.number:04X}{k:012X}" for k in range(lo, hi)],
                "occurred_at": ts,
                "account_id": [p.account_id] * n,
                "cookie_id": [cookies[k % len(cookies)] for k in range(lo, hi)],
                "session_id": [f"S-{p.number:04X}{k // 25:08X}" for k in range(lo, hi)],
            }
            if kind == "access_logs":
                picks = [rng.randrange(len(_PAGES)) for _ in range(n)]
                cols |= {
                    "ip_address": [p.ips[(k // 25) % len(p.ips)] for k in range(lo, hi)],
                    "browser": [_BROWSERS[(k // 5000) % 2][0] for k in range(lo, hi)],
                    "user_agent": [_BROWSERS[(k // 5000) % 2][1] for k in range(lo, hi)],
                    "method": ["GET" if i % 7 else "POST" for i in picks],
                    "page": [_PAGES[i] for i in picks],
                    "status_code": [200 if i % 11 else 304 for i in picks],
                    "referrer": [None if i % 3 else "https://www.piconext.com/" for i in picks],
                    "device_id": [devices[(k // 25) % len(devices)] for k in range(lo, hi)],
                }
            else:
                acts = [rng.randrange(4) for _ in range(n)]
                cols |= {
                    "screen": [_SCREENS[(a + k) % len(_SCREENS)] for a, k in zip(acts, range(lo, hi), strict=True)],
                    "element": [None if a == 0 else _ELEMENTS[1 + (a + k) % (len(_ELEMENTS) - 1)]
                                for a, k in zip(acts, range(lo, hi), strict=True)],
                    "action": [_ACTIONS[a] for a in acts],
                    "duration_ms": [1000 + (k * 37) % 60_000 if a == 0 else None
                                    for a, k in zip(acts, range(lo, hi), strict=True)],
                }
            table = pa.table(cols, schema=schema)
            months = pc.utf8_slice_codeunits(table["occurred_at"], 0, 7)
            for month in sorted(set(months.to_pylist())):
                part = table.filter(pc.equal(months, month))
                folder = root / kind / f"month={month}"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(part, folder / f"heavy-{c:05d}.parquet")
            del table, cols, epochs, ts
