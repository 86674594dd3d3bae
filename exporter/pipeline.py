"""Stream one category: source batches → map → normalise → transform → validate → writers.

Nothing here holds a whole category: records flow batch by batch into the JSONL and CSV writers
(hashed while written); only bounded things are kept — a sample for the PDF, the inline copy for
bundle.json while the count stays under the limit, counters for aggregates and subject facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Category
from .config import Read
from .errors import RecordValidationError
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


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool))


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
) -> CategoryResult:
    """Collect, check and write every record of ``category`` for the subject ``ids``."""
    result = CategoryResult(id=category.id)
    validator = RecordValidator.for_category(category.id)
    schema = validator.schema
    transform = RecordTransformer(category.withheld)
    time_field, key_field = category.time_field, category.key
    fact_fields = dict(category.facts)
    ret_field = category.retention_field
    counters: dict[str, Counter[Any]] = {f: Counter() for f in category.summary_fields}
    jsonl: JsonlWriter | None = None
    csvw: CsvWriter | None = None
    inline: list[dict[str, Any]] | None = [] if write_records else None
    first = last = rmin = rmax = None
    facts: dict[str, str] = {}

    try:
        for read in reads:
            if not ids.has_any(read.spec.needs):
                result.provenance.append({"read": read.spec.label, "count": 0, "skipped": "no identifier of the needed types"})
                continue
            n_read = 0
            for batch in sources[read.source].read(read.spec, ids.values(read.spec.needs)):
                out = []
                for raw in batch:
                    rec = {out_f: raw.pop(src_f, None) for out_f, src_f in read.map.items()} | raw if read.map else raw
                    rec = transform(normalize_record(rec))
                    if not validator.is_valid(rec):
                        pointer, why = validator.first_error(rec) or ("", "invalid")
                        raise RecordValidationError(
                            f"a record does not match the schema of category {category.id!r}: {why}",
                            source=read.source, read=read.spec.label, category=category.id,
                            record=f"{key_field}={rec.get(key_field)}" if key_field else f"#{result.count + len(out) + 1}",
                            pointer=pointer or "/",
                            hint="fix the data at the source or the stream's query/mapping; no package was written",
                        )
                    if time_field:
                        t = rec.get(time_field)
                        if isinstance(t, str):
                            if first is None or t < first:
                                first = t
                            if last is None or t > last:
                                last = t
                    for f, c in counters.items():
                        v = rec.get(f)
                        if _scalar(v):
                            c[v] += 1
                    for fact, f in fact_fields.items():
                        v = rec.get(f)
                        if isinstance(v, str) and (fact not in facts or v > facts[fact]):
                            facts[fact] = v
                    if ret_field:
                        v = rec.get(ret_field)
                        if isinstance(v, str):
                            rmin = v if rmin is None or v < rmin else rmin
                            rmax = v if rmax is None or v > rmax else rmax
                    out.append(rec)
                n_read += len(out)
                result.count += len(out)
                if write_records and out:
                    if jsonl is None:
                        props = list(schema.get("properties", {}))
                        open_schema = schema.get("additionalProperties", True) is not False
                        jsonl = JsonlWriter(root / "data" / f"{category.id}.jsonl", root)
                        csvw = CsvWriter(root / "data" / f"{category.id}.csv", root, props, extra=open_schema)
                    jsonl.write_many(out)
                    assert csvw is not None
                    csvw.write_many(out)
                    room = sample_size - len(result.sample)
                    if room > 0:
                        result.sample.extend(out[:room])
                    if inline is not None:
                        inline.extend(out)
                        if len(inline) > inline_limit:
                            inline = None
                if progress and out:
                    progress(category.id, len(out))
            result.provenance.append({"read": read.spec.label, "count": n_read})
    finally:
        if jsonl is not None:
            result.files["jsonl"] = jsonl.close()
        if csvw is not None:
            result.files["csv"] = csvw.close()

    result.inline = inline if write_records else None
    result.first, result.last, result.facts = first, last, facts
    result.field_range = (rmin, rmax) if rmin is not None and rmax is not None else None
    result.top_values = {
        f: [[v, n] for v, n in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))[:TOP_VALUES]]
        for f, c in counters.items() if c
    }
    result.pans_masked = transform.masked
    result.withheld = dict(sorted(transform.withheld_counts.items()))
    return result
