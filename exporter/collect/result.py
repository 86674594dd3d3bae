"""What collecting one category gives: counts, times, frequent values, files — all bounded.

:class:`CategoryResult` is what :func:`exporter.collect.pipeline.collect_category` hands to the bundle
(exporter.packaging.bundle) and the law (subject facts, retention days, disclosure logs);
:class:`TopK` keeps a summary field's most frequent values in bounded memory.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .writers import FileInfo

__all__ = ["TOP_CAPACITY", "TOP_VALUES", "CategoryResult", "TopK"]

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
