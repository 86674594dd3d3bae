"""Phone numbers in free text, for third-party redaction (GDPR / UK GDPR Art. 15(4), Recital 63).

Finds the spans of *plausible* phone numbers in a text (:func:`find_phones`, the rule below) and
tells when two written numbers are the same (:func:`phone_key`, :func:`same_phone`,
:func:`e164_forms`, :func:`phone_id`), so that the subject's own numbers are left as written and
another person's number gets the same placeholder wherever it appears.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import phonenumbers

__all__ = ["DEFAULT_PHONE_REGIONS", "e164_forms", "find_phones", "phone_id", "phone_key", "same_phone",
           "unknown_regions"]

# Every quantifier is bounded and every pattern starts only at a token boundary, so the time is
# linear in the text length (10 MB fields are fine; no catastrophic backtracking).
#
# Phone numbers are found by Google's libphonenumber (the ``phonenumbers`` package), never by a
# digit-run pattern: a cheap pattern only marks stretches of text with 7+ digits, the library parses
# each stretch for every configured region, and a number counts only when it is *plausible*:
#
# * written internationally (``+CC``, ``00CC``, ``(+CC)``) and of a possible length for CC, or
# * right after a cue word ("phone", "tel.", "call me on" …) and of a possible length, or
# * a *valid* national number (the region's numbering plan) written as people write one at home:
#   with the trunk prefix ``0`` where the region has one (030 5550 1234, (0161) 4960066), in
#   North-American grouping for NANP regions ((212) 555-0187, 212-555-0187), with separators
#   elsewhere.
#
# Amounts (``1 000 000.00``), HTML character references (``&#0000106``), dates, versions, card and
# IBAN digits are none of these, so they stay as written.

_CANDIDATE = re.compile(
    r"(?=[+(\d])(?:\(?\+|\(|\b)\d(?:[ .\-/()]{0,3}\d){6,17}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?", re.IGNORECASE)
_CUE = re.compile(
    r"(?i:\b(?:phone|tel(?:ephone)?|mobile|cell(?:phone)?|fax|handy|call(?: me| us| him| her)?|"
    r"ring(?: me)?|whatsapp|sms|reach (?:me|him|her|us)|τηλ|тел)\b\.?:?[ ]{0,3}(?:(?:on|at|is|under)[ ]{1,3})?)$")
_MORE_DIGITS_AFTER = re.compile(r"[.,]\d|[ .\-/()]{1,3}\d")
_MORE_DIGITS_BEFORE = re.compile(r"\d[ .\-/()]{1,3}$")
_DATE_LIKE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_NANP = re.compile(r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]\d{4}(?:\D.*)?$")
_TRUNK = re.compile(r"\(0\)")
#: regions whose national numbering plans are tried for numbers written without a country code
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("DE", "GB", "US", "FR")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _international(raw: str) -> bool:
    head = raw.lstrip("( ")
    return head.startswith("+") or head.startswith("00") or head.startswith("011")


def _plausible(match: phonenumbers.PhoneNumberMatch, region: str, cued: bool) -> bool:
    raw, number = match.raw_string, match.number
    if not phonenumbers.is_possible_number(number):
        return False
    if _international(raw) or cued:
        return True
    if _DATE_LIKE.fullmatch(raw.strip("() ")) or not phonenumbers.is_valid_number(number):
        return False
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix if meta is not None else None
    if prefix == "0":
        return raw.lstrip("( ").startswith("0")
    if prefix == "1":
        return bool(_NANP.match(raw))
    return bool(re.search(r"\d[ .\-/]\d", raw))


def find_phones(text: str, regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[tuple[int, int]]:
    """Spans of plausible phone numbers in ``text`` (see the comment at the top for the rule)."""
    spans: list[tuple[int, int]] = []
    regions = tuple(regions)
    for cand in _CANDIDATE.finditer(text):
        start, end = cand.span()
        raw = cand.group(0)
        before, after = text[max(0, start - 4):start], text[end:end + 4]
        if (before[-1:].isalnum() or before.endswith(("#", "&", "/", "_", "-", ".")) or after[:1].isalnum()
                or after[:1] in ("_", "/") or _MORE_DIGITS_AFTER.match(after)
                or (_MORE_DIGITS_BEFORE.search(before) and not raw.startswith(("+", "(+")))):
            continue  # part of a word, an amount, a character reference, a path or a longer number
        cued = _CUE.search(text[max(0, start - 40):start]) is not None
        if not cued and not _international(raw) and _DATE_LIKE.fullmatch(raw):
            continue  # a date written nationally is never a phone number: no need to parse it
        found = _phone_in(raw, cued, regions)
        if found is not None:
            spans.append((start + found[0], start + found[1]))
    return spans


@functools.lru_cache(maxsize=4096)
def _phone_in(candidate: str, cued: bool, regions: tuple[str, ...]) -> tuple[int, int] | None:
    """The longest plausible number in ``candidate`` (offsets within it), or None. Cached: free text
    repeats the same numbers (signatures, quoted replies), and parsing is the costly part."""
    best: tuple[int, int] | None = None
    for region in regions:
        for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.POSSIBLE):
            if _plausible(m, region, cued and m.start == 0) and (best is None or m.end - m.start > best[1] - best[0]):
                best = (m.start, m.end)
    return best


def phone_key(text: str) -> str:
    """Digits of a phone number without a trunk ``(0)``, ``+``/``00`` or leading zeros; two numbers
    are the same when one key ends with the other (country code written or not)."""
    digits = _digits(_TRUNK.sub("", text))
    return digits.lstrip("0")


def same_phone(a: str, b: str) -> bool:
    """Whether two phone keys are the same number (one ends with the other, 7 digits or more)."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 7 and long.endswith(short)


def e164_forms(value: str, regions: Sequence[str]) -> list[str]:
    """``value`` in E.164 as read under each of ``regions`` where it is a possible number."""
    out = []
    for region in regions:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


def phone_id(value: str, regions: Sequence[str]) -> str:
    """What identifies the number ``value`` across spellings: its first valid E.164 form, else its key."""
    valid = [e for e in e164_forms(value, regions) if phonenumbers.is_valid_number(phonenumbers.parse(e))]
    return valid[0] if valid else phone_key(value)


def unknown_regions(regions: Sequence[str]) -> list[str]:
    """The region codes in ``regions`` libphonenumber has no numbering plan for."""
    return [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
