"""What collecting one category gives: counts, times, frequent values, files — all bounded.

:class:`CategoryResult` is what :func:`exporter.collect.pipeline.collect_category` hands to the bundle
(exporter.packaging.bundle) and the law (subject facts, retention days, disclosure logs);
:class:`Tally` keeps its bounded summaries while the records stream by (from record batches or
Arrow columns alike) and :class:`TopK` a summary field's most frequent values.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..law.catalog import Category
from .columnar import Columns, day_counts, string_min_max, value_counts
from .writers import FileInfo

__all__ = ["TOP_CAPACITY", "TOP_VALUES", "CategoryResult", "Tally", "TopK"]

TOP_VALUES = 5
#: Distinct values tracked per summary field; beyond it the counts are approximate (see TopK).
TOP_CAPACITY = 1024



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


class Tally:
    """The bounded summaries of one category's records: first/last time (``time_field``), subject
    facts (max value), the retention field's range and days, and the summary fields' top values."""

    def __init__(self, category: Category) -> None:
        self.time_field = category.time_field
        self.counters: dict[str, TopK] = {f: TopK() for f in category.summary_fields}
        self.fact_fields = dict(category.facts)
        self.ret_field = category.retention_field
        self.facts: dict[str, str] = {}
        self.first: str | None = None
        self.last: str | None = None
        self.rmin: str | None = None
        self.rmax: str | None = None
        self.rdays: Counter[str] = Counter()

    def records(self, recs: list[dict[str, Any]]) -> None:
        if self.time_field:
            times = [t for r in recs if isinstance(t := r.get(self.time_field), str)]
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

    def columns(self, cols: Columns) -> None:
        if self.time_field and self.time_field in cols:
            self._time(*string_min_max(cols[self.time_field]))
        for f, top in self.counters.items():
            if f in cols:
                top.update(value_counts(cols[f]))
        for fact, f in self.fact_fields.items():
            if f in cols:
                self._fact(fact, string_min_max(cols[f])[1])
        if self.ret_field and self.ret_field in cols:
            self._range(*string_min_max(cols[self.ret_field]))
            self.rdays.update(dict(day_counts(cols[self.ret_field])))

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
        facts = self.facts
        if value is not None and (fact not in facts or value > facts[fact]):
            facts[fact] = value

    def into(self, res: CategoryResult) -> None:
        """Write the summaries into ``res``."""
        res.facts = self.facts
        res.first, res.last = self.first, self.last
        res.field_range = (self.rmin, self.rmax) if self.rmin is not None and self.rmax is not None else None
        res.retention_days = dict(sorted(self.rdays.items()))
        res.top_values = {f: c.top(TOP_VALUES) for f, c in self.counters.items() if c}
        res.top_values_exact = all(c.exact for c in self.counters.values())
