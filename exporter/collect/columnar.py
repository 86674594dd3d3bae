"""Columnar fast path: a whole Arrow record batch at a time, no Python object per record.

Sources that can hand over Arrow record batches (``read_arrow``, e.g. the Parquet source) are
processed column by column with Arrow kernels: the batch is checked against a *conservative*
columnar compilation of the category schema, and its JSONL and CSV lines are built by Arrow string
kernels straight into one buffer that is hashed and written. The result is byte-for-byte what the
record path (:meth:`exporter.collect.pipeline._Run.batch`: ``to_pylist`` → map → normalise → transform →
validate → ``orjson``/``csv``) produces — tests/test_streaming.py checks that on generated data.

Whenever the fast path cannot *prove* it would do the same as the record path, the batch goes the
record path instead (exactly, including its error messages):

* a column of a type the fast path does not encode (nested values, floats that are not finite …);
* a schema keyword or ``format`` the columnar check does not implement (the category never uses
  the fast path);
* a row the columnar check does not accept. The check only ever accepts what the compiled
  validator accepts (its regular expressions are strict subsets: no 29 February, no leap second,
  upper-case ``T``/``Z`` …), so a row it refuses may still be valid — the record path decides;
* a string that could hold a payment card number: PAN masking (``exporter.collect.transforms``) is left to
  the record path. Strings of fields whose schema rules out a card number (identifiers with an
  anchored pattern, enums, IP addresses, dates, numbers — :func:`pan_safe_fields`) are not even
  scanned; the others are scanned with a superset of the card-number expression, one kernel call
  per batch. Such a field can be skipped because a record is written only if it is valid, and a
  valid value of such a field cannot contain a card number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, TypeAlias

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .normalize import to_json_value
from .transforms import mask_pans

__all__ = [
    "ColumnarValidator",
    "Columns",
    "Unsupported",
    "buffer_bytes",
    "csv_lines",
    "json_lines",
    "pan_prefilter_hit",
    "pan_safe_fields",
    "prepare_columns",
    "re2_pattern",
]

Mask: TypeAlias = "bool | pa.Array"  # True/False for every row, or a BooleanArray without nulls


class Unsupported(Exception):
    """The fast path cannot handle this schema or batch; the record path must."""


# ------------------------------------------------------------------------------------------------
# Columns
# ------------------------------------------------------------------------------------------------

_STRING, _INTEGER, _NUMBER, _BOOLEAN, _NULL = "string", "integer", "number", "boolean", "null"


class Col:
    """One column after renaming and normalisation, with its JSON type."""

    __slots__ = ("_is_null", "arr", "has_nulls", "jtype")

    def __init__(self, arr: pa.Array, jtype: str) -> None:
        self.arr = arr
        self.jtype = jtype
        self.has_nulls = arr.null_count > 0
        self._is_null: pa.Array | None = None

    @property
    def is_null(self) -> pa.Array:
        if self._is_null is None:
            self._is_null = pc.is_null(self.arr)
        return self._is_null


Columns = dict[str, Col]


def _json_type(arr: pa.Array) -> str | None:
    t = arr.type
    if pa.types.is_string(t):
        return _STRING
    if pa.types.is_boolean(t):
        return _BOOLEAN
    if pa.types.is_integer(t):
        return _INTEGER
    if pa.types.is_floating(t):
        return _NUMBER
    if pa.types.is_null(t):
        return _NULL
    return None


def _plain(arr: pa.Array) -> Col:
    """The column with values as the record path's ``normalize_record`` would make them."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        arr = arr.cast(pa.string())
    jtype = _json_type(arr)
    if jtype == _NUMBER:
        if pc.all(pc.is_finite(arr)).as_py() is False:
            raise Unsupported("non-finite float")
        return Col(arr, jtype)
    if jtype is not None:
        return Col(arr, jtype)
    if pa.types.is_nested(t):
        raise Unsupported("nested column")
    # timestamps, dates, decimals, binary …: the record path's own function, value by value
    values = [None if v is None else to_json_value(v) for v in arr.to_pylist()]
    kinds = {type(v) for v in values} - {type(None)}
    if kinds <= {str}:
        return Col(pa.array(values, pa.string()), _STRING)
    if kinds <= {int}:
        try:
            return Col(pa.array(values, pa.int64()), _INTEGER)
        except (OverflowError, pa.ArrowInvalid) as exc:
            raise Unsupported("integer out of range") from exc
    raise Unsupported("mixed values")


def prepare_columns(batch: pa.RecordBatch, mapping: Mapping[str, str]) -> Columns:
    """Rename (the read's ``map``, same semantics as the record path) and normalise the columns.

    Record path: ``{out: raw.pop(src, None) for out, src in map.items()} | raw``.
    """
    n = batch.num_rows
    raw: dict[str, pa.Array] = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
    if len(raw) != batch.num_columns:
        raise Unsupported("duplicate column names")
    out: dict[str, pa.Array] = {}
    for o, f in mapping.items():
        out[o] = raw.pop(f) if f in raw else pa.nulls(n)
    for k, v in raw.items():
        out[k] = v  # raw wins on a clash, keeping the first position (dict union)
    return {k: _plain(v) for k, v in out.items()}


# ------------------------------------------------------------------------------------------------
# Regular expressions: the subset on which RE2 (Arrow) and the validator's engine agree
# ------------------------------------------------------------------------------------------------

_SPECIAL = set(".^$*+?()[]{}|\\")
_ESCAPABLE = set(".^$*+?()[]{}|\\-/")
_QUANT = re.compile(r"\*|\+|\?|\{[0-9]+(?:,[0-9]*)?\}")


@dataclass
class _Pattern:
    anchored: bool = False  # ^ … $
    chars: set[str] = field(default_factory=set)  # every character a match can contain
    negated: bool = False  # a negated class: "any character but …"
    negated_excludes: set[str] = field(default_factory=set)  # intersection of what negated classes exclude
    first: set[str] | None = None  # what the first character can be (None: unknown)
    alternation: bool = False


def _class(p: str, i: int) -> tuple[set[str], bool, int]:
    """Parse ``[...]`` at ``p[i] == '['``; return (characters, negated, index after ``]``)."""
    i += 1
    negated = i < len(p) and p[i] == "^"
    if negated:
        i += 1
    chars: set[str] = set()
    while i < len(p) and p[i] != "]":
        c = p[i]
        if c == "\\":
            if i + 1 >= len(p) or p[i + 1] not in _ESCAPABLE:
                raise Unsupported("escape in class")
            c = p[i + 1]
            i += 2
        elif c == "[":
            raise Unsupported("nested class")
        else:
            i += 1
        if i + 1 < len(p) and p[i] == "-" and p[i + 1] != "]":
            hi = p[i + 1]
            if hi == "\\" or hi == "[":
                raise Unsupported("range end")
            if ord(hi) < ord(c):
                raise Unsupported("bad range")
            chars.update(chr(x) for x in range(ord(c), ord(hi) + 1))
            i += 2
        else:
            chars.add(c)
    if i >= len(p) or not chars:
        raise Unsupported("class")
    return chars, negated, i + 1


def _parse(pattern: str) -> _Pattern:
    """Accept only literals, escaped punctuation, classes, groups, ``|`` and quantifiers."""
    info = _Pattern()
    p = pattern
    end = len(p)
    i = 0
    if p.startswith("^"):
        i = 1
    if p.endswith("$") and not p.endswith("\\$"):
        end -= 1
        info.anchored = i == 1
    elif i == 1:
        info.anchored = False
    first_done = False
    depth = 0
    while i < end:
        c = p[i]
        atom: set[str] | None = None
        negated = False
        if c == "\\":
            if i + 1 >= end or p[i + 1] not in _ESCAPABLE:
                raise Unsupported("escape")
            atom, i = {p[i + 1]}, i + 2
        elif c == "[":
            atom, negated, i = _class(p, i)
        elif c == "(":
            if p.startswith("(?:", i):
                i += 3
            elif p.startswith("(?", i):
                raise Unsupported("group kind")
            else:
                i += 1
            depth += 1
            first_done = True
            continue
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise Unsupported("parenthesis")
            i += 1
        elif c == "|":
            info.alternation = True
            i += 1
            continue
        elif c in _SPECIAL:
            raise Unsupported(f"metacharacter {c!r}")
        else:
            atom, i = {c}, i + 1
        m = _QUANT.match(p, i)
        optional = False
        if m:
            q = m.group(0)
            optional = q in ("*", "?") or q.startswith("{0")
            i = m.end()
            if i < end and p[i] == "?":
                i += 1  # lazy: same set of matches
            if i < end and p[i] in "*+?{":
                raise Unsupported("stacked quantifiers")
        if atom is None:
            continue
        if negated:
            info.negated = True
            info.negated_excludes = atom if not info.negated_excludes else info.negated_excludes & atom
        else:
            info.chars |= atom
        if not first_done:
            info.first = None if negated or optional else set(atom)
            first_done = True
    if depth != 0:
        raise Unsupported("parenthesis")
    return info


def re2_pattern(pattern: str) -> str:
    """``pattern`` unchanged if RE2 and the validator's engine give it the same meaning, else raise."""
    _parse(pattern)
    return pattern


_WORDISH = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_CARD_START = set("23456")


def _pattern_pan_safe(pattern: str) -> bool:
    try:
        info = _parse(pattern)
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


# ------------------------------------------------------------------------------------------------
# Which fields can hold a card number?
# ------------------------------------------------------------------------------------------------

_SAFE_FORMATS = frozenset({"ipv4", "ipv6", "date"})
_NO_TEXT = frozenset({"integer", "number", "boolean", "null"})


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
    for key in ("enum", "const"):
        if key in node:
            values = node[key] if key == "enum" else [node[key]]
            if all(not isinstance(v, (dict, list)) and (not isinstance(v, str) or mask_pans(v) == v)
                   for v in values):
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


#: A superset of ``exporter.collect.transforms``' card expression (no look-around; Python's ``\d`` is
#: Unicode ``Nd``): a value with no match here is never changed by the masking.
_PAN_PREFILTER = r"[2-6](?:[ -]?\p{Nd}){12}"


def pan_prefilter_hit(arrays: Sequence[pa.Array]) -> bool:
    """Could any string of these columns hold a card number? (a superset of the transform's test)"""
    for arr in arrays:
        if len(arr) and arr.null_count < len(arr):
            text = _Text(arr)
            mapped = text.data.translate(_DIGITS, b" -")
            if b"1111111111111" in mapped and (
                    b"u" in mapped or pc.any(pc.match_substring_regex(arr, _PAN_PREFILTER)).as_py()):
                return True
    return False


# ------------------------------------------------------------------------------------------------
# Columnar validation (conservative)
# ------------------------------------------------------------------------------------------------

_DATE = r"[1-9][0-9]{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_H = r"[0-9a-fA-F]{1,4}"
_IPV6 = "|".join([
    rf"(?:{_H}:){{7}}{_H}",
    rf"(?:{_H}:){{1,7}}:",
    rf"(?:{_H}:){{1,6}}:{_H}",
    rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
    rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}",
    rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}",
    rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
    rf"{_H}:(?::{_H}){{1,6}}",
    rf":(?:(?::{_H}){{1,7}}|:)",
])
_HOST = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
_PCHAR = r"[A-Za-z0-9._~!$&'()*+,;=:@/-]"
#: Strict subsets of what the compiled validator accepts for each format (tests check the subset).
FORMAT_RE2: dict[str, str] = {
    "date-time": rf"^{_DATE}T{_TIME}$",
    "date": rf"^{_DATE}$",
    "ipv4": rf"^{_OCTET}(?:\.{_OCTET}){{3}}$",
    "ipv6": rf"^(?:{_IPV6})$",
    "uri": rf"^https?://{_HOST}(?::[1-9][0-9]{{0,3}})?(?:/{_PCHAR}*)?(?:\?(?:{_PCHAR}|\?)*)?(?:#(?:{_PCHAR}|\?)*)?$",
}

_ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated", "readOnly",
                          "writeOnly", "$schema", "$id"})
Check = Callable[[Col], Mask]


def _and(a: Mask, b: Mask) -> Mask:
    if a is True:
        return b
    if b is True:
        return a
    if a is False or b is False:
        return False
    return pc.and_(a, b)


def _or(a: Mask, b: Mask) -> Mask:
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False:
        return a
    return pc.or_(a, b)


def _select(c: Col, null_ok: bool, value_ok: Mask) -> Mask:
    """Row mask: ``null_ok`` where the value is null, ``value_ok`` elsewhere."""
    if not c.has_nulls or value_ok is null_ok:
        return value_ok
    if isinstance(value_ok, bool):
        return c.is_null if null_ok else pc.invert(c.is_null)
    return pc.fill_null(pc.if_else(c.is_null, null_ok, value_ok), False)


def _type_check(spec: Any) -> Check:
    allowed = {spec} if isinstance(spec, str) else set(spec)

    def check(c: Col) -> Mask:
        if c.jtype == _NULL:
            return "null" in allowed
        ok = c.jtype in allowed or (c.jtype == _INTEGER and _NUMBER in allowed)
        return _select(c, "null" in allowed, ok)
    return check


def _enum_check(values: Sequence[Any]) -> Check:
    strs = [v for v in values if isinstance(v, str)]
    ints = [v for v in values if type(v) is int] + [int(v) for v in values if type(v) is float and v.is_integer()]
    bools = [v for v in values if type(v) is bool]
    null_ok = any(v is None for v in values)

    def check(c: Col) -> Mask:
        if c.jtype == _NULL:
            return null_ok
        value_ok: Mask
        if c.jtype == _STRING:
            value_ok = pc.is_in(c.arr, value_set=pa.array(strs, pa.string())) if strs else False
        elif c.jtype == _INTEGER:
            value_ok = pc.is_in(c.arr.cast(pa.int64()), value_set=pa.array(ints, pa.int64())) if ints else False
        elif c.jtype == _BOOLEAN:
            value_ok = pc.is_in(c.arr, value_set=pa.array(bools, pa.bool_())) if bools else False
        else:
            raise Unsupported("enum on numbers")
        return _select(c, null_ok, value_ok)
    return check


#: A string column with at most one distinct value per this many rows is matched value by value.
_DICT_RATIO = 4


def _regex_check(regex: str) -> Check:
    """``pattern``/``format``: RE2 over the column. Log columns repeat a few values (IP addresses,
    account, cookie and device ids): for them the expression runs on the distinct values only and
    the result is spread back by index, 3–5x faster. A column found to be mostly distinct (event
    ids, times) is matched row by row from then on; both ways give the same mask."""
    distinct_pays = [True]  # one flag per compiled check; a benign race between threads

    def check(c: Col) -> Mask:
        if c.jtype != _STRING:
            return True
        arr = c.arr
        if distinct_pays[0] and len(arr) >= 64:
            encoded = pc.dictionary_encode(arr)
            values = encoded.dictionary
            if len(values) * _DICT_RATIO <= len(arr):
                return _select(c, True, pc.take(pc.match_substring_regex(values, regex), encoded.indices))
            distinct_pays[0] = False
        return _select(c, True, pc.match_substring_regex(arr, regex))
    return check


def _length_check(key: str, limit: int) -> Check:
    def check(c: Col) -> Mask:
        if c.jtype != _STRING:
            return True
        n = pc.utf8_length(c.arr)
        return _select(c, True, pc.greater_equal(n, limit) if key == "minLength" else pc.less_equal(n, limit))
    return check


_COMPARE = {"minimum": pc.greater_equal, "maximum": pc.less_equal, "exclusiveMinimum": pc.greater,
            "exclusiveMaximum": pc.less}


def _number_check(key: str, limit: Any) -> Check:
    if not isinstance(limit, (int, float)) or isinstance(limit, bool):
        raise Unsupported(key)
    op = _COMPARE[key]

    def check(c: Col) -> Mask:
        if c.jtype not in (_INTEGER, _NUMBER):
            return True
        return _select(c, True, op(c.arr, limit))
    return check


def _combine(subs: list[Check], *, any_of: bool) -> Check:
    def check(c: Col) -> Mask:
        if any_of:
            return reduce(_or, (f(c) for f in subs), False)
        return reduce(_and, (f(c) for f in subs), True)
    return check


def _compile_node(node: Any) -> Check:
    if node is True:
        return lambda c: True
    if node is False:
        return lambda c: False
    if not isinstance(node, Mapping):
        raise Unsupported("schema")
    checks: list[Check] = []
    for key, val in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "type":
            checks.append(_type_check(val))
        elif key == "enum":
            checks.append(_enum_check(val))
        elif key == "const":
            checks.append(_enum_check([val]))
        elif key == "pattern":
            checks.append(_regex_check(re2_pattern(val)))
        elif key == "format":
            if val not in FORMAT_RE2:
                raise Unsupported(f"format {val}")
            checks.append(_regex_check(FORMAT_RE2[val]))
        elif key in ("minLength", "maxLength") and isinstance(val, int):
            checks.append(_length_check(key, val))
        elif key in _COMPARE:
            checks.append(_number_check(key, val))
        elif key in ("anyOf", "allOf") and isinstance(val, list) and val:
            checks.append(_combine([_compile_node(s) for s in val], any_of=key == "anyOf"))
        else:
            raise Unsupported(f"keyword {key}")
    return lambda c: reduce(_and, (f(c) for f in checks), True)


class ColumnarValidator:
    """A flat object schema compiled to Arrow kernels. ``mask`` is True only where the compiled
    validator would also accept the row; raises :class:`Unsupported` for schemas it cannot take."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        for key, val in schema.items():
            if key in _ANNOTATIONS or key.startswith("x-") or key in ("properties", "required",
                                                                        "additionalProperties"):
                continue
            if key == "type" and val == "object":
                continue
            raise Unsupported(f"top-level keyword {key}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not isinstance(props, Mapping) or not isinstance(extra, bool):
            raise Unsupported("properties")
        self.props = {name: _compile_node(node) for name, node in props.items()}
        self.required = tuple(schema.get("required", ()))
        self.closed = extra is False

    def mask(self, cols: Columns) -> Mask:
        if any(r not in cols for r in self.required):
            return False
        if self.closed and any(name not in self.props for name in cols):
            return False
        m: Mask = True
        for name, c in cols.items():
            check = self.props.get(name)
            if check is not None:
                m = _and(m, check(c))
                if m is False:
                    return False
        return m

    def all_valid(self, cols: Columns) -> bool:
        m = self.mask(cols)
        if isinstance(m, bool):
            return m
        return bool(pc.all(m).as_py())


# ------------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------------

def _data(arr: pa.Array) -> bytes:
    """The UTF-8 bytes of all values of a string array, back to back (nulls contribute nothing)."""
    bufs = arr.buffers()
    if bufs[2] is None or not len(arr):
        return b""
    offsets = memoryview(bufs[1]).cast("i")
    return bytes(memoryview(bufs[2])[offsets[arr.offset]:offsets[arr.offset + len(arr)]])


_ESCAPED = set(range(0x20)) | {0x22, 0x5C}  # what orjson escapes: control characters, '"', '\'
_KEEP_ESCAPED = bytes(b for b in range(256) if b not in _ESCAPED)
#: digits → '1', ' ' and '-' → removed, non-ASCII → 'u', anything else → '.': a card number (13+
#: digits, single separators) becomes a run of 13 '1's — so does nothing that has no such run,
#: except digits of adjacent values meeting, which only makes the check more cautious.
_DIGITS = bytes.maketrans(bytes(range(256)), bytes(
    ord("1") if 48 <= b <= 57 else ord("u") if b >= 0x80 else ord(".") for b in range(256)))


class _Text:
    """Cheap whole-column facts about a string column (one copy of its bytes, memchr-speed scans)."""

    __slots__ = ("arr", "data")

    def __init__(self, arr: pa.Array) -> None:
        self.arr = arr
        self.data = _data(arr)

    def needs_escape(self) -> bool:
        return bool(self.data.translate(None, _KEEP_ESCAPED))

    def needs_csv_quote(self) -> bool:
        d = self.data
        return b"," in d or b'"' in d or b"\r" in d or b"\n" in d

    def has_formula_start(self) -> bool:
        arr = self.arr
        return any(ch.encode() in self.data and bool(pc.any(pc.starts_with(arr, ch)).as_py())
                   for ch in ("=", "+", "-", "@", "\t", "\r"))

    def may_hold_card(self) -> bool:
        mapped = self.data.translate(_DIGITS, b" -")
        if b"1111111111111" not in mapped:
            return False
        return b"u" in mapped or bool(pc.any(pc.match_substring_regex(self.arr, _PAN_PREFILTER)).as_py())


_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'  # exactly what orjson escapes (checked over every code point)

Part: TypeAlias = "pa.Array | str"  # a column of per-row texts, or the same text on every row


def _concat(parts: Sequence[Part], n: int) -> pa.Array:
    """Row-wise concatenation of the parts (adjacent constant texts merged first)."""
    merged: list[Part] = []
    for part in parts:
        prev = merged[-1] if merged else None
        if isinstance(part, str) and isinstance(prev, str):
            merged[-1] = prev + part
        elif not (isinstance(part, str) and not part):
            merged.append(part)
    if not any(isinstance(p, pa.Array) for p in merged):
        return pa.array(["".join(p for p in merged if isinstance(p, str))] * n, pa.string())
    if len(merged) == 1:
        return merged[0]
    return pc.binary_join_element_wise(*merged, "")


def buffer_bytes(arr: pa.Array) -> memoryview:
    """The bytes of a string array without nulls: all its values back to back."""
    if arr.null_count:
        raise ValueError("nulls")
    offsets = memoryview(arr.buffers()[1]).cast("i")
    start, end = offsets[arr.offset], offsets[arr.offset + len(arr)]
    data = arr.buffers()[2]
    return memoryview(data)[start:end] if data is not None else memoryview(b"")


def _json_parts(cols: Columns, keys: Sequence[str], tail: str) -> list[Part]:
    """Parts whose row-wise concatenation is ``orjson.dumps({k: row[k] for k in keys}) + tail``.

    Constant text — braces, keys, and the quotes of string columns without nulls — goes into the
    separators; a column needs a kernel of its own only when it has nulls, is not a string, or
    holds a character orjson escapes.
    """
    escape = {k: _Text(cols[k].arr).needs_escape() for k in keys if cols[k].jtype == _STRING}
    parts: list[Part] = ["{"]
    for i, k in enumerate(keys):
        c = cols[k]
        parts.append(("," if i else "") + orjson.dumps(k).decode("utf-8") + ":")
        if c.jtype == _NULL:
            parts.append("null")
        elif c.jtype == _STRING and escape[k]:
            parts.append(pa.array([None if v is None else orjson.dumps(v).decode("utf-8") for v in c.arr.to_pylist()],
                                  pa.string()))
        elif c.jtype == _STRING and not c.has_nulls:
            parts += ['"', c.arr, '"']
        elif c.jtype == _STRING:
            parts.append(pc.binary_join_element_wise('"', c.arr, '"', ""))
        elif c.jtype == _INTEGER:
            parts.append(c.arr.cast(pa.string()))
        elif c.jtype == _BOOLEAN:
            parts.append(pc.if_else(c.arr, "true", "false"))
        else:  # floats: orjson's shortest round-trip form
            parts.append(pa.array([orjson.dumps(v).decode("ascii") for v in c.arr.to_pylist()], pa.string()))
        last = parts[-1]
        if c.has_nulls and isinstance(last, pa.Array):
            parts[-1] = pc.fill_null(last, "null")
    parts.append("}" + tail)
    return parts


def json_lines(cols: Columns, n: int) -> pa.Array:
    """``orjson.dumps(record, OPT_SORT_KEYS | OPT_APPEND_NEWLINE)`` of every row, as a string array."""
    return _concat(_json_parts(cols, sorted(cols), "\n"), n)


def _csv_quote(arr: pa.Array) -> pa.Array:
    need = pc.match_substring_regex(arr, '[,"\r\n]')
    if not pc.any(need).as_py():
        return arr
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(need, quoted, arr)


def _csv_string(arr: pa.Array, formula: bool, quote: bool) -> pa.Array:
    """``csv_quote(csv_cell(v))`` for a string column (nulls stay null)."""
    if formula:
        starts = pc.match_substring_regex(arr, "^[=+\\-@\t\r]")
        arr = pc.if_else(starts, pc.binary_join_element_wise("'", arr, ""), arr)
        quote = True  # a "\r" start needs quoting now
    return _csv_quote(arr) if quote else arr


def csv_lines(cols: Columns, columns: Sequence[str], extra: bool, n: int) -> pa.Array:
    """The CSV rows of ``CsvWriter.write_many`` for these columns, as a string array."""
    special: dict[str, tuple[bool, bool]] = {}
    for k in columns:
        if k in cols and cols[k].jtype == _STRING:
            text = _Text(cols[k].arr)
            special[k] = (text.has_formula_start(), text.needs_csv_quote())
    cells: list[Part] = []
    for name in columns:
        c = cols.get(name)
        cell: Part
        if c is None or c.jtype == _NULL:
            cell = ""
        elif c.jtype == _STRING:
            formula, quote = special[name]
            cell = _csv_string(c.arr, formula, quote) if formula or quote else c.arr
        elif c.jtype == _INTEGER:
            cell = c.arr.cast(pa.string())
        elif c.jtype == _BOOLEAN:
            cell = pc.if_else(c.arr, "true", "false")
        else:
            cell = pa.array([None if v is None else repr(v) for v in c.arr.to_pylist()], pa.string())
        if isinstance(cell, pa.Array) and c is not None and c.has_nulls:
            cell = pc.fill_null(cell, "")
        cells.append(cell)
    if extra:
        known = set(columns)
        rest = [k for k in cols if k not in known]
        cells.append(_csv_quote(_concat(_json_parts(cols, sorted(rest), ""), n)) if rest else "")
    if len(cells) == 1:  # csv.writer writes a lone empty field as ""
        only = cells[0]
        if isinstance(only, str):
            return _concat(['""\r\n' if not only else only + "\r\n"], n)
        return _concat([pc.if_else(pc.equal(only, ""), '""', only), "\r\n"], n)
    parts: list[Part] = []
    for i, cell in enumerate(cells):
        if i:
            parts.append(",")
        parts.append(cell)
    parts.append("\r\n")
    return _concat(parts, n)


def rows_as_dicts(cols: Columns, start: int, stop: int) -> list[dict[str, Any]]:
    """Rows ``start:stop`` as Python dicts in column order (samples, inline records)."""
    names = list(cols)
    lists = [cols[k].arr.slice(start, stop - start).to_pylist() for k in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def string_min_max(c: Col) -> tuple[str | None, str | None]:
    if c.jtype != _STRING or c.arr.null_count == len(c.arr):
        return None, None
    mm = pc.min_max(c.arr)
    return mm["min"].as_py(), mm["max"].as_py()


def day_counts(c: Col) -> Iterable[tuple[str, int]]:
    """(YYYY-MM-DD, count) of a string column's date-time values (its first 10 characters)."""
    if c.jtype != _STRING or c.arr.null_count == len(c.arr):
        return []
    vc = pc.value_counts(pc.utf8_slice_codeunits(c.arr, 0, 10))
    return [(v, n) for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True)
            if v is not None]


def value_counts(c: Col) -> Iterable[tuple[Any, int]]:
    """(value, count) of the non-null scalar values of a column."""
    if c.jtype == _NULL:
        return []
    if c.jtype == _NUMBER:
        from collections import Counter
        return Counter(v for v in c.arr.to_pylist() if v is not None).items()
    vc = pc.value_counts(c.arr)
    return [(v, n) for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True)
            if v is not None]
