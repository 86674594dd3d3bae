"""A tiny reader of the demo store, independent of the exporter's source plugins.

It runs the demo configuration's identity and stream reads with plain sqlite3/SQLAlchemy, json,
csv and pyarrow, so tests can compare what the exporter found with what the store holds.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import sqlalchemy as sa

from exporter import demo


@dataclass
class Read:
    source: str
    kind: str
    base: Path
    options: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def needs(self) -> list[str]:
        return list(self.spec["needs"])


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = tomllib.loads(demo.demo_config_path(root).read_text(encoding="utf-8"))
        self.engines: dict[str, sa.Engine] = {}
        self.identities: list[Read] = []
        self.streams: dict[str, list[Read]] = {}
        for name, src in self.config["sources"].items():
            for spec in src.get("identities", []):
                self.identities.append(Read(name, src["kind"], root, src, spec))
            for spec in src.get("streams", []):
                self.streams.setdefault(spec["category"], []).append(Read(name, src["kind"], root, src, spec))

    def engine(self, read: Read) -> sa.Engine:
        if read.source not in self.engines:
            url = read.options["url"]
            assert url.startswith("sqlite:///")
            self.engines[read.source] = sa.create_engine(f"sqlite:///{self.root / url.removeprefix('sqlite:///')}")
        return self.engines[read.source]

    def run(self, read: Read, ids: Mapping[str, set[str]]) -> Iterator[dict[str, Any]]:
        if not all(ids.get(t) for t in read.needs):
            return
        if read.kind == "sql":
            stmt = sa.text(read.spec["query"]).bindparams(*[sa.bindparam(t, expanding=True) for t in read.needs])
            with self.engine(read).connect() as con:
                for row in con.execute(stmt, {t: sorted(ids[t]) for t in read.needs}):
                    yield dict(row._mapping)
        elif read.kind == "files":
            match = read.spec["match"]
            path = self.root / read.spec["path"]
            fmt = read.spec.get("format", path.suffix.lstrip("."))
            with path.open(encoding=read.spec.get("encoding", "utf-8"), newline="") as fh:
                if fmt == "csv":
                    rows: Any = ({k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(fh))
                else:
                    rows = (json.loads(line) for line in fh if line.strip())
                for rec in rows:
                    if any(rec.get(field) in ids.get(t, ()) for t, field in match.items()):
                        yield rec
        elif read.kind == "parquet":
            files = sorted(str(p) for p in self.root.glob(read.spec["path"]))
            table = ds.dataset(files, format="parquet").to_table(columns=read.spec.get("columns"))
            mask = None
            for t, col in read.spec["match"].items():
                if ids.get(t):
                    m = pc.is_in(table[col], value_set=pa.array(sorted(ids[t])))
                    m = pc.fill_null(m, False)
                    mask = m if mask is None else pc.or_(mask, m)
            table = table.filter(mask)
            order_by = read.spec["order_by"]
            keys = [k.strip() for k in order_by.split(",")] if isinstance(order_by, str) else list(order_by)
            table = table.sort_by([(k, "ascending") for k in keys])
            yield from table.to_pylist()
        else:  # pragma: no cover
            raise AssertionError(read.kind)

    def resolve(self, **given: str) -> dict[str, set[str]]:
        ids: dict[str, set[str]] = {k: {v.casefold() if k == "email" else v} for k, v in given.items()}
        changed = True
        while changed:
            changed = False
            for read in self.identities:
                for rec in list(self.run(read, ids)):
                    for t, field in read.spec["yields"].items():
                        value = rec.get(field)
                        if value is not None and value not in ids.setdefault(t, set()):
                            ids[t].add(value)
                            changed = True
        return ids

    def category(self, cid: str, ids: Mapping[str, set[str]]) -> list[dict[str, Any]]:
        return [rec for read in self.streams.get(cid, []) for rec in self.run(read, ids)]
