"""Stream one category: source batches → map → normalise → transform → validate → writers.

Nothing here holds a whole category: records flow batch by batch into the JSONL and CSV writers
(hashed while written); only bounded things are kept — a sample for the PDF, the inline copy for
bundle.json while the count stays under the limit, bounded summaries for aggregates (:class:`TopK`)
and subject facts.

Two paths, same bytes:

* the **record path** (:meth:`_Run.batch`) takes lists of dicts from any source. Per batch it
  validates with one call into the compiled validator, runs the category's transform chain
  (:mod:`.chain`: withholding, card masking, surrogate repair, redaction) only when the chain's
  cheap batch screen says it could change something, and encodes JSONL and CSV per batch;
* the **columnar path** (:meth:`_Run.arrow_batch`, :mod:`exporter.collect.columnar`) takes Arrow record
  batches from sources that offer ``read_arrow`` (Parquet) and never builds a Python object per
  record. Whatever it cannot prove it handles exactly like the record path goes the record path.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import columnar
from ..law.catalog import Category
from ..config import Read
from ..errors import ForeignRecordError, RecordValidationError, SourceError
from .identity import IdentitySet
from ..matching import RowCheck, match_fields
from .normalize import normalize_record
from .schemas import RecordValidator
from .chain import TransformChain, chain_for
from ..sources import Source
from .writers import CsvWriter, FileInfo, JsonlWriter

__all__ = ["ARROW_BATCH_ROWS", "TOP_VALUES", "CategoryResult", "TopK", "collect_category"]

TOP_VALUES = 5
#: Distinct values tracked per summary field; beyond it the counts are approximate (see TopK).
TOP_CAPACITY = 1024
#: Rows per Arrow batch asked of columnar sources (kernel-call overhead is per batch).
ARROW_BATCH_ROWS = 4096
Progress = Callable[[str, int], None]
timing_log = logging.getLogger("exporter.timing")



@dataclass
class CategoryResult:
    id: str
    count: int = 0
    first: str | None = None
    last: str | None = None
    top_values: dict[str, list[list[Any]]] = field(default_factory=dict)
    top_values_exact: bool = True  #: False when a summary field had more than TOP_CAPACITY distinct values
    inline: list[dict[str, Any]] | None = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, FileInfo] = field(default_factory=dict)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    field_range: tuple[str, str] | None = None
    #: records per calendar day (YYYY-MM-DD) of the retention field (per_record rules): bounded by
    #: the number of distinct days; exporter.law.overdue counts the records past their retention
    retention_days: dict[str, int] = field(default_factory=dict)
    pans_masked: int = 0
    withheld: dict[str, int] = field(default_factory=dict)
    incomplete: str | None = None  #: why the category is incomplete (``allow_partial`` only)
    #: bounded summary kept by the category's observer (exporter.law.disclosures: disclosure / opt-out logs)
    log: dict[str, Any] | None = None


class TopK:
    """Most frequent values in bounded memory: a (weighted, mergeable) Misra–Gries summary.

    Exact while a field has at most ``capacity`` distinct values — every realistic summary field
    (status, page, browser …). Past that, each batch's exact counts are merged and the summary is
    cut back by subtracting the (capacity+1)-th largest count: a value's count is then a lower
    bound, short by at most N/(capacity+1) for N values seen, and every value more frequent than
    that is kept. ``exact`` says which case applies (bundle.json: ``top_values_approximate``).
    """

    __slots__ = ("capacity", "counts", "exact")

    def __init__(self, capacity: int = TOP_CAPACITY) -> None:
        self.capacity = capacity
        self.counts: dict[Any, int] = {}
        self.exact = True

    def update(self, pairs: Iterable[tuple[Any, int]]) -> None:
        counts = self.counts
        get = counts.get
        for value, n in pairs:
            counts[value] = get(value, 0) + n
        if len(counts) > self.capacity:
            self.exact = False
            cut = heapq.nlargest(self.capacity + 1, counts.values())[-1]
            self.counts = {v: n - cut for v, n in counts.items() if n > cut}

    def top(self, k: int) -> list[list[Any]]:
        return [[v, n] for v, n in heapq.nsmallest(k, self.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]

    def __bool__(self) -> bool:
        return bool(self.counts)


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool))


@dataclass(frozen=True)
class _Plan:
    """What the schema tells once per category: whether it is open, the columnar check."""

    open_schema: bool
    columnar: columnar.ColumnarValidator | None


@cache
def _plan(category_id: str, file: Path | None = None) -> _Plan:
    schema = RecordValidator.for_category(category_id, file).schema
    try:
        check: columnar.ColumnarValidator | None = columnar.ColumnarValidator(schema)
    except columnar.Unsupported:
        check = None
    return _Plan(open_schema=schema.get("additionalProperties", True) is not False, columnar=check)


class _Run:
    """State of one category's collection: bounded counters, writers, sample, inline copy."""

    def __init__(self, category: Category, root: Path, *, inline_limit: int, sample_size: int,
                 write_records: bool, ids: IdentitySet | None = None, chain: TransformChain | None = None,
                 observer: Any = None) -> None:
        self.category = category
        #: sees every checked record (exporter.law.disclosures.LogObserver); forces the record path
        self.observer = observer
        self.ids = ids
        self._fields: dict[str, list[tuple[str, Any, frozenset[str]]]] = {}
        self.root = root
        self.result = CategoryResult(id=category.id)
        self.validator = RecordValidator.for_category(category.id, category.schema_file)
        self.plan = _plan(category.id, category.schema_file)
        #: the record transforms, in order (exporter.collect.chain); they count what they change
        self.chain = chain if chain is not None else chain_for(category)
        self.counters: dict[str, TopK] = {f: TopK() for f in category.summary_fields}
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
        self.rdays: Counter[str] = Counter()

    # -- shared -------------------------------------------------------------------------------------

    def _id_fields(self, read: Read) -> list[tuple[str, Any, frozenset[str]]]:
        """(record field, rule, subject keys) of the fields that name a person in this category's
        records: schema properties named like a (non-shared) identifier type, and the read's
        match fields as they are called after ``map``."""
        ids = self.ids
        if ids is None:
            return []
        cached = self._fields.get(read.spec.label)
        if cached is not None:
            return cached
        props = self.validator.schema.get("properties", {})
        back = {src: out for out, src in read.map.items()}
        names: dict[str, str] = {}
        for t in ids.rules:
            if t not in ids.shared and t in props:
                names[t] = t
        for t, f in match_fields(read.spec).items():
            if t not in ids.shared and "." not in f:
                names.setdefault(back.get(f, f), t)
        out = [(f, ids.rule(t), ids.keys(t, followed_only=False)) for f, t in names.items()]
        self._fields[read.spec.label] = out
        return out

    def _foreign(self, read: Read, index: int) -> ForeignRecordError:
        return ForeignRecordError(
            f"a record of category {self.category.id!r} carries identifiers, none of which is the subject's",
            source=read.source, read=read.spec.label, category=self.category.id,
            record=f"#{self.result.count + index + 1}",
            hint="the source returned another person's record: check the stream's query, `match` and `map`; "
                 "no package was written")

    def check_owner(self, read: Read, recs: list[dict[str, Any]]) -> None:
        """The pipeline's own check, independent of the source: every record whose identifier
        fields are set names the subject in at least one of them (exporter.matching)."""
        fields = self._id_fields(read)
        if not fields:
            return
        for i, rec in enumerate(recs):
            seen = False
            for name, rule, keys in fields:
                v = rec.get(name)
                if v is None or v == "" or isinstance(v, (dict, list)):
                    continue
                seen = True
                if rule.key(v if isinstance(v, str) else str(v)) in keys:
                    break
            else:
                if seen:
                    raise self._foreign(read, i)

    def check_owner_arrow(self, read: Read, batch: pa.RecordBatch) -> None:
        fields = [(f, rule, keys) for f, rule, keys in self._id_fields(read) if f in batch.schema.names
                  and f not in read.map]
        if not fields:
            return
        import pyarrow.compute as pc

        hit = seen = None
        for name, rule, keys in fields:
            col = batch.column(name)
            if not pa.types.is_string(col.type):
                col = pc.cast(col, pa.string())
            if rule.name == "trim":
                col = pc.utf8_trim_whitespace(col)
            if rule.name in ("exact", "trim"):
                h = pc.fill_null(pc.is_in(col, value_set=pa.array(sorted(keys), pa.string())), False)
            else:
                h = pa.array([v is not None and rule.key(v) in keys for v in col.to_pylist()], pa.bool_())
            s_ = pc.fill_null(pc.not_equal(col, ""), False)
            hit = h if hit is None else pc.or_(hit, h)
            seen = s_ if seen is None else pc.or_(seen, s_)
        bad = pc.and_(seen, pc.invert(hit))
        if pc.any(bad).as_py():
            raise self._foreign(read, int(pc.index(bad, True).as_py()))

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

    def _time(self, lo: str | None, hi: str | None) -> None:
        if lo is not None and (self.first is None or lo < self.first):
            self.first = lo
        if hi is not None and (self.last is None or hi > self.last):
            self.last = hi

    def _range(self, lo: str | None, hi: str | None) -> None:
        if lo is not None and (self.rmin is None or lo < self.rmin):
            self.rmin = lo
        if hi is not None and (self.rmax is None or hi > self.rmax):
            self.rmax = hi

    def _fact(self, fact: str, value: str | None) -> None:
        facts = self.result.facts
        if value is not None and (fact not in facts or value > facts[fact]):
            facts[fact] = value

    def _writers(self) -> tuple[JsonlWriter, CsvWriter]:
        if self.jsonl is None or self.csv is None:
            schema = self.validator.schema
            props = list(schema.get("properties", {}))
            data = self.root / "data"
            self.jsonl = JsonlWriter(data / f"{self.category.id}.jsonl", self.root)
            self.csv = CsvWriter(data / f"{self.category.id}.csv", self.root, props, extra=self.plan.open_schema)
        return self.jsonl, self.csv

    def _keep(self, n: int, rows: Callable[[int, int], list[dict[str, Any]]]) -> None:
        """Sample (first ``sample_size`` records) and inline copy (while under the limit)."""
        sample = self.result.sample
        if len(sample) < self.sample_size:
            sample.extend(rows(0, min(n, self.sample_size - len(sample))))
        if self.inline is not None:
            if len(self.inline) + n > self.inline_limit:
                self.inline = None
            else:
                self.inline.extend(rows(0, n))

    # -- record path --------------------------------------------------------------------------------

    def _needs_transform(self, recs: list[dict[str, Any]]) -> bool:
        """Could the chain change anything in this batch? (False → records are left as they are;
        exact, see :mod:`exporter.collect.chain`; tests/test_streaming.py compares both ways.)"""
        return self.chain.screen(recs)

    def batch(self, read: Read, batch: list[dict[str, Any]]) -> int:
        """Check and account one batch of records; write it. Returns how many records it held."""
        if not batch:
            return 0
        recs = [({o: raw.pop(f, None) for o, f in read.map.items()} | raw) for raw in batch] if read.map else batch
        for rec in recs:
            normalize_record(rec)
        self.check_owner(read, recs)
        transformed = self._needs_transform(recs)
        if transformed:
            recs = [self.chain(rec) for rec in recs]
        try:
            bad = self.validator.first_invalid(recs)
        except UnicodeError:  # a lone surrogate in a field that was not screened
            if transformed:
                raise
            bad = -1
        if bad is not None and not transformed:  # exact re-run: as if the transform had always run
            recs = [self.chain(rec) for rec in recs]
            bad = self.validator.first_invalid(recs)
        if bad is not None:
            raise self._invalid(read, recs[bad], self.result.count + bad + 1)
        self._account_records(recs)
        return len(recs)

    def _account_records(self, recs: list[dict[str, Any]]) -> None:
        cat, n = self.category, len(recs)
        if cat.time_field:
            times = [t for r in recs if isinstance(t := r.get(cat.time_field), str)]
            if times:
                self._time(min(times), max(times))
        for f, top in self.counters.items():
            top.update(Counter(v for r in recs if _scalar(v := r.get(f))).items())
        for fact, f in self.fact_fields.items():
            values = [v for r in recs if isinstance(v := r.get(f), str)]
            if values:
                self._fact(fact, max(values))
        if self.ret_field:
            values = [v for r in recs if isinstance(v := r.get(self.ret_field), str)]
            if values:
                self._range(min(values), max(values))
                self.rdays.update(v[:10] for v in values)
        if self.observer is not None:
            self.observer.update(recs)
        self.result.count += n
        if self.write_records:
            jsonl, csv = self._writers()
            jsonl.write_many(recs)
            csv.write_many(recs)
            self._keep(n, lambda a, b: recs[a:b])

    # -- columnar path ------------------------------------------------------------------------------

    def arrow_batch(self, read: Read, batch: pa.RecordBatch) -> int:
        """The columnar path for one Arrow record batch (falls back to :meth:`batch`)."""
        n = int(batch.num_rows)
        if not n:
            return 0
        self.check_owner_arrow(read, batch)
        check = self.plan.columnar
        try:
            if check is None or self.observer is not None:
                raise columnar.Unsupported("schema")
            cols = columnar.prepare_columns(batch, read.map)
            written = self.chain.apply_columns(cols, n)
            if not check.all_valid(cols):
                raise columnar.Unsupported("rows")
        except columnar.Unsupported:
            return self.batch(read, batch.to_pylist())
        written()
        self._account_columns(cols, n)
        return n

    def _account_columns(self, cols: columnar.Columns, n: int) -> None:
        cat = self.category
        if cat.time_field and cat.time_field in cols:
            self._time(*columnar.string_min_max(cols[cat.time_field]))
        for f, top in self.counters.items():
            if f in cols:
                top.update(columnar.value_counts(cols[f]))
        for fact, f in self.fact_fields.items():
            if f in cols:
                self._fact(fact, columnar.string_min_max(cols[f])[1])
        if self.ret_field and self.ret_field in cols:
            self._range(*columnar.string_min_max(cols[self.ret_field]))
            self.rdays.update(dict(columnar.day_counts(cols[self.ret_field])))
        self.result.count += n
        if self.write_records:
            jsonl, csv = self._writers()
            jsonl.write_encoded(columnar.buffer_bytes(columnar.json_lines(cols, n)))
            csv.write_encoded(columnar.buffer_bytes(columnar.csv_lines(cols, csv.columns, csv.extra, n)))
            self._keep(n, lambda a, b: columnar.rows_as_dicts(cols, a, b))

    # -- end ----------------------------------------------------------------------------------------

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
        res.retention_days = dict(sorted(self.rdays.items()))
        res.top_values = {f: c.top(TOP_VALUES) for f, c in self.counters.items() if c}
        res.top_values_exact = all(c.exact for c in self.counters.values())
        res.pans_masked = self.chain.masked
        res.withheld = dict(sorted(self.chain.withheld_counts.items()))
        res.log = self.observer.result() if self.observer is not None else None
        return res


def _batches(run: _Run, read: Read, source: Source, ids: IdentitySet) -> Iterable[int]:
    """Read ``read`` from ``source`` and push every batch through ``run``; yields batch sizes."""
    values = ids.probes(read.spec.needs, forms=getattr(source, "probe_forms", True))
    check = RowCheck(read.spec, ids, source=read.source)  # every row re-checked with the catalog's rule
    read_arrow = getattr(source, "read_arrow", None)
    if read_arrow is not None and run.plan.columnar is not None:
        for rb in read_arrow(read.spec, values, rows=ARROW_BATCH_ROWS):
            yield run.arrow_batch(read, check.arrow(rb))
    else:
        for batch in source.read(read.spec, values):
            yield run.batch(read, check.rows(batch))


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
    chain: TransformChain | None = None,
    observer: Any = None,
) -> CategoryResult:
    """Collect, check and write every record of ``category`` for the subject ``ids``.

    ``chain`` is the category's record transforms (:func:`exporter.collect.chain.chain_for`: withholding,
    surrogate repair, card masking and, when the export redacts, GDPR Art. 15(4) redaction);
    None = ``chain_for(category)``, nothing redacted.
    ``failed`` maps source names that could not be opened to the reason. With ``allow_partial``
    a source error marks the category incomplete (records read so far are kept) instead of
    failing the export. ``progress(category_id, records)`` is called after every batch.
    """
    started = time.perf_counter()
    run = _Run(category, root, inline_limit=inline_limit, sample_size=sample_size, write_records=write_records,
               ids=ids, chain=chain, observer=observer)
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
                for got in _batches(run, read, sources[read.source], ids):
                    n += got
                    if progress and got:
                        progress(category.id, got)
            except SourceError as exc:
                if not allow_partial:
                    raise
                problems.append(f"{label}: {exc.located()}")  # with file and line
                run.result.provenance.append({"read": label, "count": n, "failed": exc.located()})
                continue
            run.result.provenance.append({"read": label, "count": n})
    finally:
        run.close()
    result = run.finish(problems)
    if timing_log.isEnabledFor(logging.DEBUG):
        elapsed = time.perf_counter() - started
        timing_log.debug("collect %s: %d records in %.3f s", category.id, result.count, elapsed,
                         extra={"stage": f"collect:{category.id}", "seconds": elapsed, "records": result.count})
    return result
