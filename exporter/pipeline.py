"""Stream one category: source batches → map → normalise → transform → validate → writers.

Nothing here holds a whole category: records flow batch by batch into the JSONL and CSV writers
(hashed while written); only bounded things are kept — a sample for the PDF, the inline copy for
bundle.json while the count stays under the limit, counters for aggregates and subject facts.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Category
from .config import Read
from .errors import RecordValidationError, SourceError
from .identity import IdentitySet
from .normalize import normalize_record
from .schemas import RecordValidator
from .sources import Source
from .transforms import RecordTransformer
from .writers import CsvWriter, FileInfo, JsonlWriter

__all__ = ["CategoryResult", "collect_category", "TOP_VALUES"]

TOP_VALUES = 5
Progress = Callable[[str, int], None]


@dataclass
class CategoryResult:
    id: str
    count: int = 0
    first: str | None = None
    last: str | None = None
    top_values: dict[str, list[list[Any]]] = field(default_factory=dict)
    inline: list[dict[str, Any]] | None = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    field_range: tuple[str, str] | None = None
    pans_masked: int = 0
    withheld: dict[str, int] = field(default_factory=dict)
    incomplete: str | None = None  #: why the category is incomplete (``allow_partial`` only)


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool))


class _Run:
    """State of one category's collection: bounded counters, writers, sample, inline copy."""

    def __init__(self, category: Category, root: Path, *, inline_limit: int, sample_size: int,
                 write_records: bool) -> None:
        self.category = category
        self.root = root
        self.result = CategoryResult(id=category.id)
        self.validator = RecordValidator.for_category(category.id)
        self.transform = RecordTransformer(category.withheld)
        self.counters: dict[str, Counter[Any]] = {f: Counter() for f in category.summary_fields}
        self.fact_fields = dict(category.facts)
        self.ret_field = category.retention_field
        self.inline_limit, self.sample_size, self.write_records = inline_limit, sample_size, write_records
        self.inline: list[dict[str, Any]] | None = [] if write_records else None
        self.jsonl: JsonlWriter | None = None
        self.csv: CsvWriter | None = None
        self.first: str | None = None
        self.last: str | None = None
        self.rmin: str | None = None
        self.rmax: str | None = None

    def _invalid(self, read: Read, rec: dict[str, Any], n: int) -> RecordValidationError:
        pointer, why = self.validator.first_error(rec) or ("", "invalid")
        key = self.category.key
        return RecordValidationError(
            f"a record does not match the schema of category {self.category.id!r}: {why}",
            source=read.source, read=read.spec.label, category=self.category.id,
            record=f"{key}={rec.get(key)}" if key else f"#{n}",
            pointer=pointer or "/",
            hint="fix the data at the source or the stream's query/mapping; no package was written",
        )

    def batch(self, read: Read, batch: list[dict[str, Any]]) -> int:
        """Check and account one batch; write it. Returns how many records it held."""
        cat, res = self.category, self.result
        time_field, is_valid, transform = cat.time_field, self.validator.is_valid, self.transform
        out = []
        for raw in batch:
            rec = ({o: raw.pop(f, None) for o, f in read.map.items()} | raw) if read.map else raw
            rec = transform(normalize_record(rec))
            if not is_valid(rec):
                raise self._invalid(read, rec, res.count + len(out) + 1)
            if time_field:
                t = rec.get(time_field)
                if isinstance(t, str):
                    if self.first is None or t < self.first:
                        self.first = t
                    if self.last is None or t > self.last:
                        self.last = t
            for f, c in self.counters.items():
                v = rec.get(f)
                if _scalar(v):
                    c[v] += 1
            for fact, f in self.fact_fields.items():
                v = rec.get(f)
                if isinstance(v, str) and (fact not in res.facts or v > res.facts[fact]):
                    res.facts[fact] = v
            if self.ret_field:
                v = rec.get(self.ret_field)
                if isinstance(v, str):
                    self.rmin = v if self.rmin is None or v < self.rmin else self.rmin
                    self.rmax = v if self.rmax is None or v > self.rmax else self.rmax
            out.append(rec)
        res.count += len(out)
        if self.write_records and out:
            self._write(out)
        return len(out)

    def _write(self, out: list[dict[str, Any]]) -> None:
        if self.jsonl is None or self.csv is None:
            schema = self.validator.schema
            props = list(schema.get("properties", {}))
            open_schema = schema.get("additionalProperties", True) is not False
            data = self.root / "data"
            self.jsonl = JsonlWriter(data / f"{self.category.id}.jsonl", self.root)
            self.csv = CsvWriter(data / f"{self.category.id}.csv", self.root, props, extra=open_schema)
        self.jsonl.write_many(out)
        self.csv.write_many(out)
        sample = self.result.sample
        if len(sample) < self.sample_size:
            sample.extend(out[: self.sample_size - len(sample)])
        if self.inline is not None:
            self.inline.extend(out)
            if len(self.inline) > self.inline_limit:
                self.inline = None

    def close(self) -> None:
        if self.jsonl is not None:
            self.result.files["jsonl"] = self.jsonl.close()
        if self.csv is not None:
            self.result.files["csv"] = self.csv.close()

    def finish(self, problems: list[str]) -> CategoryResult:
        res = self.result
        res.incomplete = "; ".join(problems) or None
        res.inline = self.inline
        res.first, res.last = self.first, self.last
        res.field_range = (self.rmin, self.rmax) if self.rmin is not None and self.rmax is not None else None
        res.top_values = {
            f: [[v, n] for v, n in heapq.nsmallest(TOP_VALUES, c.items(), key=lambda kv: (-kv[1], str(kv[0])))]
            for f, c in self.counters.items() if c
        }
        res.pans_masked = self.transform.masked
        res.withheld = dict(sorted(self.transform.withheld_counts.items()))
        return res


def collect_category(
    category: Category,
    reads: list[Read],
    sources: Mapping[str, Source],
    ids: IdentitySet,
    *,
    root: Path,
    inline_limit: int,
    sample_size: int,
    write_records: bool = True,
    progress: Progress | None = None,
    allow_partial: bool = False,
    failed: Mapping[str, str] | None = None,
) -> CategoryResult:
    """Collect, check and write every record of ``category`` for the subject ``ids``.

    ``failed`` maps source names that could not be opened to the reason. With ``allow_partial``
    a source error marks the category incomplete (records read so far are kept) instead of
    failing the export.
    """
    run = _Run(category, root, inline_limit=inline_limit, sample_size=sample_size, write_records=write_records)
    failed = failed or {}
    problems: list[str] = []
    try:
        for read in reads:
            label = read.spec.label
            if read.source in failed:
                problems.append(f"{label}: {failed[read.source]}")
                run.result.provenance.append({"read": label, "count": 0, "failed": failed[read.source]})
                continue
            if not ids.has_any(read.spec.needs):
                run.result.provenance.append({"read": label, "count": 0, "skipped": "no identifier of the needed types"})
                continue
            n = 0
            try:
                for batch in sources[read.source].read(read.spec, ids.values(read.spec.needs)):
                    got = run.batch(read, batch)
                    n += got
                    if progress and got:
                        progress(category.id, got)
            except SourceError as exc:
                if not allow_partial:
                    raise
                problems.append(f"{label}: {exc.message}")
                run.result.provenance.append({"read": label, "count": n, "failed": exc.message})
                continue
            run.result.provenance.append({"read": label, "count": n})
    finally:
        run.close()
    return run.finish(problems)
