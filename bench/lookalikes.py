"""Experiment: many look-alike people, every one exported, nobody gets anybody else's data.

    python bench/lookalikes.py                 # 200 generated look-alikes + the table of 28
    python bench/lookalikes.py --extra 500 --json bench/results/lookalikes.json
    python bench/lookalikes.py --no-postgres   # skip the PostgreSQL run

The people of ``tests/lookalikes.py`` (the confusables table: ß/ss, ligatures, Kelvin sign, long s,
É/é, dotless ı and İ, NFC/NFD, fullwidth, zero-width joiners, Cyrillic and Greek look-alikes,
plus-tags, dots, IDNA domains; plus ``--extra`` generated variants of the same kinds) each have
their own records in SQLite (or a real PostgreSQL started here), a CSV file, two Parquet files and
an HTTP API on 127.0.0.1 that matches e-mail addresses *sloppily* (Unicode case folding). Every
person's package is exported (JSON only: the PDF adds nothing to this question) and every byte of
it is scanned for the markers (account, contact and cookie numbers) of all the others.

Prints, per store: people, packages with anyone else's data, people missing any of their own
records, people whose near match was reported for review, wall time. Exit status 1 if any package
holds foreign data or misses own data. (This is issue 16's "done when" experiment; the same check
for the table runs in tests/test_lookalikes.py.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lookalikes import Person, people, sloppy_contacts, write_store  # noqa: E402

from exporter import AccessRequest, export  # noqa: E402
from exporter.api import ExportOptions  # noqa: E402
from exporter.config import load_config  # noqa: E402

OPTS = ExportOptions(now=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), pdf=False, html=False)


def run(config: Path, persons: list[Person], out: Path, env: dict[str, str], http: bool) -> dict[str, Any]:
    cfg = load_config(config)
    foreign, missing, reviewed = [], [], 0
    started = time.perf_counter()
    for p in persons:
        request = AccessRequest.parse([f"email:{p.request}"], jurisdiction="eu", request_id=f"LA-{p.n:04d}")
        result = export(request, cfg, out, OPTS.replace(env=env))
        text = "\n".join(f.read_bytes().decode("utf-8") for f in sorted(result.path.rglob("*")) if f.is_file())
        if any(m in text for q in persons if q.n != p.n for m in q.markers):
            foreign.append(p.label)
        expected = {"account": 1, "marketing_subscriptions": 1, "access_logs": 2}
        if http:
            expected["company_contact"] = 1
        if not all(m in text for m in p.markers) or any(result.counts.get(k) != v for k, v in expected.items()):
            missing.append(p.label)
        reviewed += any("possible same person" in r for r in result.review)
    return {"people": len(persons), "packages_with_foreign_data": len(foreign), "foreign": foreign,
            "people_missing_own_data": len(missing), "missing": missing, "near_matches_reported": reviewed,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--extra", type=int, default=200, help="generated look-alikes besides the table (default 200)")
    ap.add_argument("--no-postgres", action="store_true", help="skip the run against a real PostgreSQL")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    # the exporter's warnings (categories no source feeds, review notes) and the HTTP server's
    # access log would be printed 228 times; the figures below count what matters
    logging.getLogger("exporter").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    persons = people(extra=args.extra)
    results: dict[str, Any] = {"date": dt.date.today().isoformat(), "extra": args.extra}
    with tempfile.TemporaryDirectory(prefix="lookalikes-") as tmp:
        from pytest_httpserver import HTTPServer

        server = HTTPServer(host="127.0.0.1", port=0)
        server.expect_request("/contacts").respond_with_handler(sloppy_contacts(persons))
        server.start()
        try:
            config = write_store(Path(tmp) / "local", persons, http_url=server.url_for("/").rstrip("/"))
            results["sqlite_files_parquet_http"] = run(config, persons, Path(tmp) / "out-local", {}, http=True)
        finally:
            server.stop()
        if not args.no_postgres:
            from exporter.testing import PostgresServer, find_postgres_bindir

            bindir = find_postgres_bindir()
            if bindir is None:
                results["postgres"] = "skipped: no PostgreSQL server binaries"
            else:
                pg = PostgresServer(bindir)
                try:
                    pg.init()
                    pg.start()
                    url = pg.create_database("lookalikes")
                    config = write_store(Path(tmp) / "pg", persons, sql_url=url)
                    results["postgres_files_parquet"] = run(config, persons, Path(tmp) / "out-pg",
                                                            {"LOOKALIKE_DB_URL": url}, http=False)
                finally:
                    pg.destroy()
    bad = 0
    for name, r in results.items():
        if isinstance(r, dict):
            print(f"{name}: {r['people']} people, {r['packages_with_foreign_data']} packages with anyone else's "
                  f"data, {r['people_missing_own_data']} missing own data, {r['near_matches_reported']} with a "
                  f"near match reported for review, {r['seconds']} s")
            bad += r["packages_with_foreign_data"] + r["people_missing_own_data"]
        elif name not in ("date", "extra"):
            print(f"{name}: {r}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
