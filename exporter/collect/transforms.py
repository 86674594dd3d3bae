"""The record transforms applied before validation, in every jurisdiction: one object each.

Each transform knows, for one category, whether a batch may need it (:meth:`Transform.screen`,
cheap: a "no" is a promise that :meth:`Transform.apply` would change no record of the batch),
whether the columnar path may apply it to Arrow columns (:attr:`Transform.columnar`; if not,
:meth:`Transform.screen_columns` sends a batch it may change to the record path), and what it
does to a record. It counts what it changed, never values. :mod:`.chain` puts them in order.

* :class:`Withhold` — fields the catalog marks ``withheld`` (11 CCR §7024(d): passwords, security
  answers, government ids …) are removed; the bundle states that they are held but not disclosed.
* :class:`RepairSurrogates` — strings that cannot be written as UTF-8 (lone surrogates, e.g. from
  a JSON ``"\\ud800"`` escape) get U+FFFD in place of each such code point instead of crashing the
  writers.
* :class:`MaskCards` — payment card numbers are never output (PCI DSS 3.4; 11 CCR §7024(d);
  :mod:`.cards`).
* :class:`Redact` — other people's e-mail addresses, phone numbers and listed names in the
  catalog's ``free_text`` fields are replaced by placeholders (GDPR Art. 15(4); the export's
  :class:`~exporter.collect.redaction.CategoryRedaction` for the category).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .card_screens import columns_may_hold_card
from .cards import PAN_MIN_DIGITS, has_card_run, mask_pans, may_hold_card
from .columnar.columns import STRING, Columns, Unsupported

if TYPE_CHECKING:
    from .redaction import CategoryRedaction

__all__ = ["Batch", "MaskCards", "Record", "Redact", "RepairSurrogates", "Transform", "Withhold"]

Record = dict[str, Any]
_SURROGATE = re.compile("[\ud800-\udfff]")
_NESTED = (dict, list)


class Batch:
    """One batch of records as the screens see it: the records, and per set of fields their
    strings joined once (shared by every screen that looks at the same fields)."""

    __slots__ = ("_texts", "records")

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self._texts: dict[tuple[str, ...], str | None] = {}

    def text(self, fields: tuple[str, ...]) -> str | None:
        """The string values of ``fields`` in every record, joined by newlines; None when a field
        holds a value a text screen cannot judge (a dict, a list, a ``str`` subclass)."""
        if fields not in self._texts:
            self._texts[fields] = self._join(fields)
        return self._texts[fields]

    def _join(self, fields: Iterable[str]) -> str | None:
        texts = []
        for f in fields:
            for rec in self.records:
                v = rec.get(f)
                if v.__class__ is str:
                    texts.append(v)
                elif isinstance(v, (*_NESTED, str)):
                    return None
        return "\n".join(texts)


class Transform:
    """One record transform of a category (the base: conservative on Arrow columns)."""

    name = ""
    cite = ""
    #: the columnar path may apply it (:meth:`apply_columns`); False: a batch it may change goes
    #: the record path
    columnar = False

    def __init__(self) -> None:
        #: what it changed (kind → count), never values
        self.counts: Counter[str] = Counter()

    def screen(self, batch: Batch) -> bool:
        """May :meth:`apply` change a record of this batch? (cheap; False is a promise)"""
        return True

    def apply(self, record: Record) -> Record:
        raise NotImplementedError

    def screen_columns(self, cols: Columns) -> bool:
        """May this Arrow batch need the transform? (only asked when not :attr:`columnar`)"""
        return True

    def apply_columns(self, cols: Columns, n: int) -> Counter[str]:
        """Apply it to the ``n`` rows of ``cols`` in place; returns the counts to add once the
        batch is written (only called when :attr:`columnar`)."""
        raise Unsupported(self.name)


class Withhold(Transform):
    """Removes the catalog's ``withheld`` fields; counts, per field, the records that had a value."""

    name, cite, columnar = "withhold", "11 CCR §7024(d)", True

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__()
        self.fields = tuple(fields)

    def screen(self, batch: Batch) -> bool:
        return any(name in rec for rec in batch.records for name in self.fields)

    def apply(self, record: Record) -> Record:
        for name in self.fields:
            if record.pop(name, None) is not None:
                self.counts[name] += 1
        return record

    def apply_columns(self, cols: Columns, n: int) -> Counter[str]:
        dropped: Counter[str] = Counter()
        for name in self.fields:
            c = cols.pop(name, None)
            if c is not None and n - c.arr.null_count:
                dropped[name] = n - c.arr.null_count
        return dropped


def _utf8_safe(text: str) -> str:
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


class RepairSurrogates(Transform):
    """Replaces lone surrogates (in values and nested keys) by U+FFFD. Arrow strings are UTF-8,
    so an Arrow batch never needs it."""

    name, cite, columnar = "repair_surrogates", "UTF-8 (RFC 3629)", True

    def __init__(self, text_fields: tuple[str, ...] | None) -> None:
        super().__init__()
        #: the fields screened (None: every field may, an open schema); the others' valid values hold none
        self.text_fields = text_fields

    def screen(self, batch: Batch) -> bool:
        if self.text_fields is None:
            return True
        text = batch.text(self.text_fields)
        return text is None or (not text.isascii() and _SURROGATE.search(text) is not None)

    def apply(self, record: Record) -> Record:
        for key, value in record.items():
            if isinstance(value, str):
                if not value.isascii():
                    record[key] = self._fix(value)
            elif isinstance(value, _NESTED):
                record[key] = self._deep(value)
        return record

    def _fix(self, text: str) -> str:
        fixed = _utf8_safe(text)
        if fixed is not text:
            self.counts["repaired"] += 1
        return fixed

    def _deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return value if value.isascii() else self._fix(value)
        if isinstance(value, dict):
            return {self._fix(k) if isinstance(k, str) else k: self._deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deep(v) for v in value]
        return value

    def apply_columns(self, cols: Columns, n: int) -> Counter[str]:
        return Counter()


class MaskCards(Transform):
    """Masks every card number (:func:`.cards.mask_pans`); counts the strings it changed."""

    name, cite = "mask_cards", "PCI DSS 3.4; 11 CCR §7024(d)"

    def __init__(self, text_fields: tuple[str, ...] | None, arrow_safe: frozenset[str] = frozenset()) -> None:
        super().__init__()
        #: the fields the record screen looks at (None: an open schema, every batch is masked);
        #: the others' valid values cannot hold a card (:func:`.card_screens.pan_safe_fields`)
        self.text_fields = text_fields
        #: the string columns the Arrow screen skips (valid for the columnar check: no card)
        self.arrow_safe = arrow_safe

    def screen(self, batch: Batch) -> bool:
        if self.text_fields is None:
            return True
        text = batch.text(self.text_fields)
        return text is None or may_hold_card(text)

    def apply(self, record: Record) -> Record:
        for key, value in record.items():
            if isinstance(value, str):
                if len(value) >= PAN_MIN_DIGITS and has_card_run(value):
                    new = mask_pans(value)
                    if new != value:
                        self.counts["masked"] += 1
                        record[key] = new
            elif isinstance(value, _NESTED):
                record[key] = self._deep(value)
        return record

    def _deep(self, value: Any) -> Any:
        if isinstance(value, str):
            if has_card_run(value):
                new = mask_pans(value)
                if new != value:
                    self.counts["masked"] += 1
                return new
            return value
        if isinstance(value, dict):
            return {k: self._deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deep(v) for v in value]
        return value

    def screen_columns(self, cols: Columns) -> bool:
        return columns_may_hold_card([c.arr for name, c in cols.items()
                                      if c.jtype == STRING and name not in self.arrow_safe])


class Redact(Transform):
    """Other people's data in free text (the category's :class:`CategoryRedaction`, which keeps
    the counts by kind that the bundle reports). Runs on every record, never on Arrow columns."""

    name, cite = "redact", "GDPR Art. 15(4)"

    def __init__(self, rule: CategoryRedaction) -> None:
        super().__init__()
        self.rule = rule
        self.counts = rule.counts

    def apply(self, record: Record) -> Record:
        return self.rule(record)
