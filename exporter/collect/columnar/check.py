"""Is this Arrow batch valid? A conservative columnar compilation of a category schema.

:class:`ColumnarValidator` compiles a flat object schema to Arrow kernels. It only ever accepts
what the compiled validator (:mod:`exporter.schemas`) accepts: its expressions are strict
subsets (no 29 February, no leap second, upper-case ``T``/``Z`` …), so a row it refuses may still
be valid and goes the record path, which decides. A keyword or ``format`` it does not implement
raises :class:`~.columns.Unsupported` (the category never takes the fast path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from .columns import BOOLEAN, INTEGER, NULL, NUMBER, STRING, Col, Columns, Unsupported
from .regex import re2_pattern

__all__ = ["FORMAT_RE2", "ColumnarValidator"]

Mask: TypeAlias = "bool | pa.Array"  # True/False for every row, or a BooleanArray without nulls

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
        if c.jtype == NULL:
            return "null" in allowed
        ok = c.jtype in allowed or (c.jtype == INTEGER and NUMBER in allowed)
        return _select(c, "null" in allowed, ok)
    return check


def _enum_check(values: Sequence[Any]) -> Check:
    strs = [v for v in values if isinstance(v, str)]
    ints = [v for v in values if type(v) is int] + [int(v) for v in values if type(v) is float and v.is_integer()]
    bools = [v for v in values if type(v) is bool]
    null_ok = any(v is None for v in values)

    def check(c: Col) -> Mask:
        if c.jtype == NULL:
            return null_ok
        value_ok: Mask
        if c.jtype == STRING:
            value_ok = pc.is_in(c.arr, value_set=pa.array(strs, pa.string())) if strs else False
        elif c.jtype == INTEGER:
            value_ok = pc.is_in(c.arr.cast(pa.int64()), value_set=pa.array(ints, pa.int64())) if ints else False
        elif c.jtype == BOOLEAN:
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
        if c.jtype != STRING:
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
        if c.jtype != STRING:
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
        if c.jtype not in (INTEGER, NUMBER):
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
