"""Record transforms applied before validation, in every jurisdiction.

* Payment card numbers (PAN) are never output: any Luhn-valid run of 13–19 digits in any string
  is replaced by ``card ending NNNN`` (PCI DSS 3.4 allows the last four; 11 CCR §7024(d) forbids
  disclosing financial account numbers — applied everywhere, not only in California).
* Fields the catalog marks ``withheld`` (11 CCR §7024(d): passwords, security answers, government
  ids …) are removed; the bundle states that they are held but not disclosed.
* Other people's e-mail addresses, phone numbers and listed names in the catalog's ``free_text``
  fields are replaced by placeholders (GDPR Art. 15(4); :mod:`exporter.collect.redaction`), when the
  export hands the transformer a :class:`~exporter.collect.redaction.CategoryRedaction`
  (``collect_category(..., redaction=Redactor.rule(category))``: passed explicitly).
* Strings that cannot be written as UTF-8 (lone surrogates, e.g. from a JSON ``"\ud800"`` escape)
  get U+FFFD in place of each such code point instead of crashing the writers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = ["PAN_MAX_DIGITS", "PAN_MIN_DIGITS", "PAN_SCREEN", "PAN_SCREEN_RE2", "RecordTransformer", "Redaction",
           "luhn_ok", "mask_pans"]

#: The card numbers masked: 13 to 19 digits (ISO/IEC 7812-1 PANs are at most 19 digits; 13 is the
#: shortest in issue). 12-digit numbers are left alone: a Luhn-valid one is as likely a phone
#: number ("+44 20 7946 0958" has 12 digits) as one of the rare 12-digit Maestro cards.
PAN_MIN_DIGITS, PAN_MAX_DIGITS = 13, 19
_FIRST = "[2-6]"  # a card network's first digit (2 Mastercard, 3 Amex/JCB/Diners, 4 Visa, 5, 6)
# The one card-number expression. A stand-alone run of PAN_MIN_DIGITS to PAN_MAX_DIGITS digits
# (single spaces/hyphens allowed inside) starting with a network digit. Runs glued to letters,
# digits or '-' (ids like "SI-4539…") are not cards.
_PAN_RUN = re.compile(rf"(?<![\w-]){_FIRST}(?:[ -]?\d){{{PAN_MIN_DIGITS - 1},{PAN_MAX_DIGITS - 1}}}(?![\w-])")
#: The cheap screens of the pipeline (record path) and the columnar path: the same expression
#: without look-around and upper bound, so a superset — a string with no match is never changed.
PAN_SCREEN = rf"{_FIRST}(?:[ -]?\d){{{PAN_MIN_DIGITS - 1}}}"
#: PAN_SCREEN for Arrow's RE2 (whose ``\d`` is ASCII only; Python's is Unicode ``Nd``).
PAN_SCREEN_RE2 = PAN_SCREEN.replace("\\d", "\\p{Nd}")
_SURROGATE = re.compile("[\ud800-\udfff]")

Redaction = Callable[[dict[str, Any]], dict[str, Any]]


def _utf8_safe(text: str) -> str:
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    if PAN_MIN_DIGITS <= len(digits) <= PAN_MAX_DIGITS and luhn_ok(digits):
        return f"card ending {digits[-4:]}"
    return match.group(0)


def mask_pans(text: str) -> str:
    return _PAN_RUN.sub(_mask, text)


class RecordTransformer:
    """Per-category transformer; counts what it changed (no values are kept)."""

    def __init__(self, withheld: tuple[str, ...] = (), redaction: Redaction | None = None) -> None:
        self.withheld = tuple(withheld)
        self.redaction = redaction
        self.masked = 0
        self.withheld_counts: Counter[str] = Counter()

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        for name in self.withheld:
            if record.pop(name, None) is not None:
                self.withheld_counts[name] += 1
        for key, value in record.items():
            if isinstance(value, str):
                if not value.isascii():
                    value = record[key] = _utf8_safe(value)
                if len(value) >= PAN_MIN_DIGITS and _PAN_RUN.search(value):
                    new = mask_pans(value)
                    if new != value:
                        self.masked += 1
                        record[key] = new
            elif isinstance(value, (dict, list)):
                record[key] = self._deep(value)
        if self.redaction is not None:
            record = self.redaction(record)
        return record

    def _deep(self, value: Any) -> Any:
        if isinstance(value, str):
            if not value.isascii():
                value = _utf8_safe(value)
            if len(value) >= PAN_MIN_DIGITS and _PAN_RUN.search(value):
                new = mask_pans(value)
                if new != value:
                    self.masked += 1
                return new
            return value
        if isinstance(value, dict):
            return {_utf8_safe(k) if isinstance(k, str) else k: self._deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deep(v) for v in value]
        return value
