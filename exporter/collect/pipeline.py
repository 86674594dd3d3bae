"""Stream one category: source batches → map → normalise → transform → validate → writers.

Nothing here holds a whole category: records flow batch by batch into the JSONL and CSV writers
(hashed while written); only bounded things are kept — a sample for the PDF, the inline copy for
bundle.json while the count stays under the limit, and the bounded summaries of
:class:`~.result.Tally` (times, subject facts, frequent values in a :class:`~.result.TopK`).

Two paths, same bytes:

* the **record path** (:meth:`_Run.batch`) takes lists of dicts from any source. Per batch it
  validates with one call into the compiled validator, runs the category's transform chain
  (:mod:`.chain`: withholding, surrogate repair, card masking, redaction) only when the chain's
  cheap batch screen says it could change something, and encodes JSONL and CSV per batch;
* the **columnar path** (:meth:`_Run.arrow_batch`, :mod:`exporter.collect.columnar`) takes Arrow record
  batches from sources that offer ``read_arrow`` (Parquet) and never builds a Python object per
  record. Whatever it cannot prove it handles exactly like the record path goes the record path.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import columnar
from .background import Background
from ..law.catalog import Category
from ..config import Read
from ..errors import RecordValidationError, SourceError
from ..matching import RowCheck
from ..sources import Source
from .chain import TransformChain, chain_for
from .identity import IdentitySet
from .normalize import normalize_record
from .owner import OwnerCheck
from .result import TOP_VALUES, CategoryResult, Tally, TopK
from ..schemas import RecordValidator
from .writers import CsvWriter, JsonlWriter

#: CategoryResult, TopK and TOP_VALUES live in exporter.collect.result; named here as the results of this module
__all__ = ["ARROW_BATCH_ROWS", "TOP_VALUES", "CategoryResult", "TopK", "collect_category"]

#: Rows per Arrow batch asked of columnar sources (kernel-call overhead is per batch).
ARROW_BATCH_ROWS = 4096
Progress = Callable[[str, int], None]
timing_log = logging.getLogger("exporter.timing")


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
        self.root = root
        self.result = CategoryResult(id=category.id)
        self.validator = RecordValidator.for_category(category.id, category.schema_file)
        self.owner = OwnerCheck(category.id, self.validator.schema.get("properties", {}), ids)
        self.plan = _plan(category.id, category.schema_file)
        #: the record transforms, in order (exporter.collect.chain); they count what they change
        self.chain = chain if chain is not None else chain_for(category)
        #: first/last times, subject facts, retention days, frequent values: bounded
        self.tally = Tally(category)
        self.inline_limit, self.sample_size, self.write_records = inline_limit, sample_size, write_records
        self.inline: list[dict[str, Any]] | None = [] if write_records else None
        self.jsonl: JsonlWriter | None = None
        self.csv: CsvWriter | None = None
        self.csv_jobs = Background(f"exporter-csv-{category.id}")  # the CSV written beside the JSONL

    # -- shared -------------------------------------------------------------------------------------

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
        self.owner.records(read, recs, self.result.count)
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
        n = len(recs)
        self.tally.records(recs)
        if self.observer is not None:
            self.observer.update(recs)
        self.result.count += n
        if self.write_records:
            jsonl, csv = self._writers()
            jsonl.write_many(recs)
            self.csv_jobs.submit(csv.write_many, recs)
            self._keep(n, lambda a, b: recs[a:b])

    # -- columnar path ------------------------------------------------------------------------------

    def arrow_batch(self, read: Read, batch: pa.RecordBatch) -> int:
        """The columnar path for one Arrow record batch (falls back to :meth:`batch`)."""
        n = int(batch.num_rows)
        if not n:
            return 0
        self.owner.arrow(read, batch, self.result.count)
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
        self.tally.columns(cols)
        self.result.count += n
        if self.write_records:
            jsonl, csv = self._writers()
            jsonl.write_encoded(columnar.buffer_bytes(columnar.json_lines(cols, n)))
            self.csv_jobs.submit(_write_csv_columns, csv, cols, n)
            self._keep(n, lambda a, b: columnar.rows_as_dicts(cols, a, b))

    # -- end ----------------------------------------------------------------------------------------

    def close(self) -> None:
        error = self.csv_jobs.finish()
        if self.jsonl is not None:
            self.result.files["jsonl"] = self.jsonl.close()
        if self.csv is not None:
            self.result.files["csv"] = self.csv.close()
        if error is not None and sys.exc_info()[1] is None:  # else the error already on its way wins
            raise error

    def finish(self, problems: list[str]) -> CategoryResult:
        res = self.result
        res.incomplete = "; ".join(problems) or None
        res.inline = self.inline
        self.tally.into(res)
        res.pans_masked = self.chain.masked
        res.withheld = dict(sorted(self.chain.withheld_counts.items()))
        res.log = self.observer.result() if self.observer is not None else None
        return res


def _write_csv_columns(csv: CsvWriter, cols: columnar.Columns, n: int) -> None:
    """A columnar batch's CSV rows (on the background thread, :mod:`.background`)."""
    csv.write_encoded(columnar.buffer_bytes(columnar.csv_lines(cols, csv.columns, csv.extra, n)))


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


def _read_one(run: _Run, read: Read, sources: Mapping[str, Source], ids: IdentitySet, failed: Mapping[str, str],
              progress: Progress | None, allow_partial: bool) -> str | None:
    """One read of the category into ``run``, with its provenance entry; returns the problem that
    makes the category incomplete (a source that failed), if any."""
    label, provenance = read.spec.label, run.result.provenance
    if read.source in failed:
        provenance.append({"read": label, "count": 0, "failed": failed[read.source]})
        return f"{label}: {failed[read.source]}"
    if not ids.has_any(read.spec.needs):
        provenance.append({"read": label, "count": 0, "skipped": "no identifier of the needed types"})
        return None
    n = 0
    try:
        for got in _batches(run, read, sources[read.source], ids):
            n += got
            if progress and got:
                progress(run.category.id, got)
    except SourceError as exc:
        if not allow_partial:
            raise
        provenance.append({"read": label, "count": n, "failed": exc.located()})
        return f"{label}: {exc.located()}"  # with file and line
    provenance.append({"read": label, "count": n})
    return None


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
    problems: list[str] = []
    try:
        for read in reads:
            problem = _read_one(run, read, sources, ids, failed or {}, progress, allow_partial)
            if problem:
                problems.append(problem)
    finally:
        run.close()
    result = run.finish(problems)
    if timing_log.isEnabledFor(logging.DEBUG):
        elapsed = time.perf_counter() - started
        timing_log.debug("collect %s: %d records in %.3f s", category.id, result.count, elapsed,
                         extra={"stage": f"collect:{category.id}", "seconds": elapsed, "records": result.count})
    return result
