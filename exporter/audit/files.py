"""The coverage audit of sources that read files: ``files`` — every file a read's glob matches (the
CSV header, or the keys of the first :data:`JSONL_SAMPLE` records of a JSON Lines file; a stream
exports every field of a record) — and ``parquet`` — the schema of the files a read's glob matches
(DuckDB ``DESCRIBE``, hive partition keys included; a stream exports its ``columns``, default every
column except partition keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config, Read, SourceConfig
from .report import TableAudit
from .verdict import Exclusions, column, out_field

__all__ = ["JSONL_SAMPLE", "audit_files", "audit_parquet"]

#: JSON Lines records read per file to learn its fields (keys are unioned)
JSONL_SAMPLE = 10_000


def audit_files(cfg: Config, sc: SourceConfig, source: Any, excl: Exclusions) -> list[TableAudit]:
    from ..sources.files import expand_glob

    folder = source._folder()
    by_file: dict[Path, list[Read]] = {}
    for r in list(sc.streams) + list(sc.identities):
        for f in expand_glob(folder, r.spec.params.get("path"), source=sc.name, label=r.spec.label):
            by_file.setdefault(f, []).append(r)
    out = []
    for f, reads in sorted(by_file.items()):
        rel = f.relative_to(folder).as_posix()
        fields = _file_fields(source, reads[0], f, rel)
        audited = []
        for col in fields:
            exported = [(str(r.spec.category), out_field(r, col)) for r in reads if r.spec.category]
            audited.append(column(cfg, rel, col, exported, excl))
        out.append(TableAudit(sc.name, sc.kind, rel, tuple(audited)))
    return out


def _file_fields(source: Any, read: Read, path: Path, rel: str) -> list[str]:
    fmt = source._format(read.spec, path, rel)
    encoding = str(read.spec.params.get("encoding") or source.options.get("encoding") or "utf-8")
    if fmt == "csv":  # the header row, even of a file without records
        import csv
        import gzip

        opener: Any = gzip.open if path.suffix == ".gz" else open
        delimiter = str(read.spec.params.get("delimiter") or ("\t" if ".tsv" in path.suffixes else ","))
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        with opener(path, "rt", encoding=enc, newline="") as fh:
            return [str(h) for h in next(csv.reader(fh, delimiter=delimiter), [])]
    fields: dict[str, None] = {}
    for i, rec in enumerate(source._records(path, rel, fmt, encoding, read.spec)):
        for k in rec:
            fields.setdefault(str(k), None)
        if i + 1 >= JSONL_SAMPLE:
            break
    return list(fields)


def audit_parquet(cfg: Config, sc: SourceConfig, source: Any, excl: Exclusions) -> list[TableAudit]:
    out = []
    by_path: dict[str, list[Read]] = {}
    for r in list(sc.streams) + list(sc.identities):
        by_path.setdefault(str(r.spec.params.get("path")), []).append(r)
    for path, reads in by_path.items():
        files, partition_keys = source.files(reads[0].spec)
        described = source._connection().execute(
            "DESCRIBE SELECT * FROM read_parquet($files, hive_partitioning = true, union_by_name = true)",
            {"files": files}).fetchall()
        cols = [str(row[0]) for row in described]
        audited = []
        for col in cols:
            exported = []
            for r in reads:
                if not r.spec.category:
                    continue
                chosen = r.spec.params.get("columns") or [c for c in cols if c not in partition_keys]
                if col in chosen:
                    exported.append((str(r.spec.category), out_field(r, col)))
            audited.append(column(cfg, path, col, exported, excl))
        out.append(TableAudit(sc.name, sc.kind, path, tuple(audited)))
    return out
