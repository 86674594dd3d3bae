"""What a payment card number is, and how it is masked (PCI DSS 3.4; 11 CCR §7024(d)).

Payment card numbers (PAN) are never output: any Luhn-valid run of 13–19 digits in any string is
replaced by ``card ending NNNN`` (PCI DSS 3.4 allows the last four; 11 CCR §7024(d) forbids
disclosing financial account numbers — applied everywhere, not only in California). This module
holds the one card-number expression; :mod:`.card_screens` derives the cheap batch screens from it
and :class:`.transforms.MaskCards` applies it to records.
"""

from __future__ import annotations

import re

__all__ = ["PAN_MAX_DIGITS", "PAN_MIN_DIGITS", "PAN_SCREEN", "PAN_SCREEN_RE2", "has_card_run", "luhn_ok",
           "mask_pans", "may_hold_card"]

#: The card numbers masked: 13 to 19 digits (ISO/IEC 7812-1 PANs are at most 19 digits; 13 is the
#: shortest in issue). 12-digit numbers are left alone: a Luhn-valid one is as likely a phone
#: number ("+44 20 7946 0958" has 12 digits) as one of the rare 12-digit Maestro cards.
PAN_MIN_DIGITS, PAN_MAX_DIGITS = 13, 19
_FIRST = "[2-6]"  # a card network's first digit (2 Mastercard, 3 Amex/JCB/Diners, 4 Visa, 5, 6)
# The one card-number expression. A stand-alone run of PAN_MIN_DIGITS to PAN_MAX_DIGITS digits
# (single spaces/hyphens allowed inside) starting with a network digit. Runs glued to letters,
# digits or '-' (ids like "SI-4539…") are not cards.
_PAN_RUN = re.compile(rf"(?<![\w-]){_FIRST}(?:[ -]?\d){{{PAN_MIN_DIGITS - 1},{PAN_MAX_DIGITS - 1}}}(?![\w-])")
#: The cheap screens of the record path and the columnar path: the same expression without
#: look-around and upper bound, so a superset — a string with no match is never changed.
PAN_SCREEN = rf"{_FIRST}(?:[ -]?\d){{{PAN_MIN_DIGITS - 1}}}"
#: PAN_SCREEN for Arrow's RE2 (whose ``\d`` is ASCII only; Python's is Unicode ``Nd``).
PAN_SCREEN_RE2 = PAN_SCREEN.replace("\\d", "\\p{Nd}")
_SCREEN = re.compile(PAN_SCREEN)


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


def may_hold_card(text: str) -> bool:
    """The cheap screen: False only when ``mask_pans(text) == text`` for sure."""
    return _SCREEN.search(text) is not None


def has_card_run(text: str) -> bool:
    """Could ``mask_pans`` change ``text``? (the expression itself, before the Luhn check)"""
    return len(text) >= PAN_MIN_DIGITS and _PAN_RUN.search(text) is not None
