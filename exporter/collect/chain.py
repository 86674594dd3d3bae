"""The transform chain of one category: which record transforms run, in which order (issue 21).

:func:`chain_for` builds it once per category (and per attempt: fresh counts) and the export hands
it to :func:`exporter.collect.pipeline.collect_category`. The order is fixed, and the output bytes
depend on it: withhold (11 CCR §7024(d)) → repair lone surrogates → mask card numbers (PCI DSS
3.4) → redact other people's data (GDPR Art. 15(4)).

A batch goes through the whole chain or not at all: :meth:`TransformChain.screen` lets it through
when any transform's screen does. The card and surrogate screens leave out fields whose valid
values cannot hold either (:func:`.card_screens.pan_safe_fields`); a batch that then fails
validation is re-run through the chain (:meth:`exporter.collect.pipeline._Run.batch`), so the result
is the same as always transforming. On Arrow columns (:meth:`TransformChain.apply_columns`) a
transform the columnar path may not apply sends any batch it may change to the record path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

from ..law.catalog import Category
from .card_screens import pan_safe_fields
from .columnar.columns import Columns, Unsupported
from .redaction import CategoryRedaction
from ..schemas import RecordValidator
from .transforms import Batch, MaskCards, Record, Redact, RepairSurrogates, Transform, Withhold

__all__ = ["TransformChain", "chain_for"]


class TransformChain:
    """The transforms of one category, in order of application; counts what they changed."""

    def __init__(self, transforms: Iterable[Transform]) -> None:
        self.transforms = tuple(transforms)

    def __iter__(self) -> Iterator[Transform]:
        return iter(self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)

    def screen(self, records: list[Record]) -> bool:
        """Could the chain change anything in this batch? (False → the records are left as they are)"""
        batch = Batch(records)
        return any(t.screen(batch) for t in self.transforms)

    def __call__(self, record: Record) -> Record:
        """Every transform, in order, on one record."""
        for t in self.transforms:
            record = t.apply(record)
        return record

    def apply_columns(self, cols: Columns, n: int) -> Callable[[], None]:
        """The chain on a batch's Arrow columns, in place. Raises :class:`Unsupported` when the
        batch must take the record path; else returns what counts the batch once it is written."""
        pending: list[tuple[Transform, Counter[str]]] = []
        for t in self.transforms:
            if t.columnar:
                pending.append((t, t.apply_columns(cols, n)))
            elif t.screen_columns(cols):
                raise Unsupported(t.name)

        def commit() -> None:
            for t, counts in pending:
                t.counts.update(counts)
        return commit

    def counts(self, name: str) -> Counter[str]:
        """What the transform called ``name`` changed (empty when the chain has none)."""
        for t in self.transforms:
            if t.name == name:
                return t.counts
        return Counter()

    @property
    def masked(self) -> int:
        """Strings whose card numbers were masked (the bundle's ``pans_masked``)."""
        return self.counts("mask_cards")["masked"]

    @property
    def withheld_counts(self) -> Counter[str]:
        """Per withheld field, the records that held a value (the bundle's ``withheld``)."""
        return self.counts("withhold")


@cache
def _text_fields(category_id: str, file: Path | None) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    """(fields the record screens look at, None for an open schema; string columns the Arrow
    screen skips), from the category schema once."""
    schema = RecordValidator.for_category(category_id, file).schema
    safe = pan_safe_fields(schema)
    fields = tuple(k for k in schema.get("properties", {}) if k not in safe)
    open_schema = schema.get("additionalProperties", True) is not False
    return (None if open_schema else fields), pan_safe_fields(schema, columnar=True)


def chain_for(category: Category, *, redaction: CategoryRedaction | None = None) -> TransformChain:
    """The chain of ``category``: its withheld fields, surrogate repair, card masking and, when the
    export redacts it (:meth:`exporter.collect.redaction.Redactor.rule`), ``redaction``."""
    fields, arrow_safe = _text_fields(category.id, category.schema_file)
    chain: list[Transform] = [Withhold(category.withheld)] if category.withheld else []
    chain += [RepairSurrogates(fields), MaskCards(fields, arrow_safe)]
    if redaction is not None:
        chain.append(Redact(redaction))
    return TransformChain(chain)
