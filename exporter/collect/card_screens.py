"""Where could a card number be? Schema fields that cannot hold one, and cheap batch screens.

Masking (:mod:`.cards`, PCI DSS 3.4; 11 CCR §7024(d)) runs only on a batch a screen lets through:

* :func:`pan_safe_fields` — top-level fields whose *valid* values cannot contain a string the
  masking would change (identifiers with an anchored pattern, enums, IP addresses, dates,
  numbers). They are not screened: a record is written only if valid, and a batch that fails
  validation is re-run through the whole transform chain;
* :func:`.cards.may_hold_card` — the record path's screen over the joined strings of the other
  fields (a superset of the card expression);
* :func:`columns_may_hold_card` — the columnar path's screen over Arrow string columns (one
  byte translation, then one RE2 kernel call per column at most).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .cards import PAN_MIN_DIGITS, PAN_SCREEN_RE2, mask_pans
from .columnar.columns import Unsupported, column_bytes
from .columnar.regex import parse

__all__ = ["columns_may_hold_card", "pan_safe_fields"]

_WORDISH = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_CARD_START = set("23456")
_SAFE_FORMATS = frozenset({"ipv4", "ipv6", "date"})
_NO_TEXT = frozenset({"integer", "number", "boolean", "null"})


def _pattern_pan_safe(pattern: str) -> bool:
    try:
        info = parse(pattern)
    except Unsupported:
        return False
    if info.negated:
        return False  # "any character but …" also admits lone surrogates, which the transform rewrites
    if not info.chars & _CARD_START:
        return True  # a card number starts with 2-6
    # Anchored, only word characters and '-': every character but the first follows [\w-], which
    # the card expression's look-behind refuses; so only a first character of 2-6 could start one.
    return (info.anchored and not info.alternation and not info.negated and info.chars <= _WORDISH
            and info.first is not None and not info.first & _CARD_START)


def _values_pan_safe(values: Sequence[Any]) -> bool:
    return all(not isinstance(v, (dict, list)) and (not isinstance(v, str) or mask_pans(v) == v) for v in values)


def _node_pan_safe(node: Any, formats: frozenset[str] = _SAFE_FORMATS) -> bool:
    """True when no value valid under ``node`` contains a string the PAN masking would change."""
    if node is False:
        return True
    if not isinstance(node, Mapping):
        return False
    types = node.get("type")
    if types is not None:
        tset = {types} if isinstance(types, str) else set(types)
        if tset <= _NO_TEXT:
            return True
    if ("enum" in node and _values_pan_safe(node["enum"])) or ("const" in node and _values_pan_safe([node["const"]])):
        return True
    if node.get("format") in formats:
        return True
    if isinstance(node.get("pattern"), str) and _pattern_pan_safe(node["pattern"]):
        return True
    for key in ("anyOf", "oneOf"):
        if key in node and all(_node_pan_safe(s, formats) for s in node[key]):
            return True
    return "allOf" in node and any(_node_pan_safe(s, formats) for s in node["allOf"])


def pan_safe_fields(schema: Mapping[str, Any], *, columnar: bool = False) -> frozenset[str]:
    """Top-level fields whose valid values cannot contain a payment card number.

    ``columnar``: valid *for the columnar check*, whose ``date-time`` allows at most 9 fraction
    digits — so no run of 13 digits — where the compiled validator allows any number.
    """
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return frozenset()
    formats = _SAFE_FORMATS | {"date-time"} if columnar else _SAFE_FORMATS
    return frozenset(k for k, v in props.items() if _node_pan_safe(v, formats))


#: digits → '1', ' ' and '-' → removed, non-ASCII → 'u', anything else → '.': a card number (13+
#: digits, single separators) becomes a run of 13 '1's — so does nothing that has no such run,
#: except digits of adjacent values meeting, which only makes the check more cautious.
_DIGITS = bytes.maketrans(bytes(range(256)), bytes(
    ord("1") if 48 <= b <= 57 else ord("u") if b >= 0x80 else ord(".") for b in range(256)))
_PAN_DIGIT_RUN = b"1" * PAN_MIN_DIGITS  # a card's digits after the _DIGITS mapping


def columns_may_hold_card(arrays: Sequence[pa.Array]) -> bool:
    """Could any string of these Arrow string columns hold a card number? (a superset of the masking's test)"""
    for arr in arrays:
        if len(arr) and arr.null_count < len(arr):
            mapped = column_bytes(arr).translate(_DIGITS, b" -")
            if _PAN_DIGIT_RUN in mapped and (
                    b"u" in mapped or pc.any(pc.match_substring_regex(arr, PAN_SCREEN_RE2)).as_py()):
                return True
    return False
