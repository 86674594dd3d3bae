"""An Arrow record batch as the columns the fast path works on: renamed, normalised, JSON-typed.

:func:`prepare_columns` gives each column the values the record path's ``map`` and
``normalize_record`` would give it (or raises :class:`Unsupported`: nested values, non-finite
floats …); the small column facts below (bytes, min/max, value counts, rows) serve the pipeline's
accounting and the encoders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..normalize import to_json_value

__all__ = ["Col", "Columns", "Unsupported", "column_bytes", "day_counts", "prepare_columns", "rows_as_dicts",
           "string_min_max", "value_counts"]


class Unsupported(Exception):
    """The fast path cannot handle this schema or batch; the record path must."""


#: the JSON types of a column (:attr:`Col.jtype`)
STRING, INTEGER, NUMBER, BOOLEAN, NULL = "string", "integer", "number", "boolean", "null"


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
        return STRING
    if pa.types.is_boolean(t):
        return BOOLEAN
    if pa.types.is_integer(t):
        return INTEGER
    if pa.types.is_floating(t):
        return NUMBER
    if pa.types.is_null(t):
        return NULL
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
    if jtype == NUMBER:
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
        return Col(pa.array(values, pa.string()), STRING)
    if kinds <= {int}:
        try:
            return Col(pa.array(values, pa.int64()), INTEGER)
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


def column_bytes(arr: pa.Array) -> bytes:
    """The UTF-8 bytes of all values of a string array, back to back (nulls contribute nothing)."""
    bufs = arr.buffers()
    if bufs[2] is None or not len(arr):
        return b""
    offsets = memoryview(bufs[1]).cast("i")
    return bytes(memoryview(bufs[2])[offsets[arr.offset]:offsets[arr.offset + len(arr)]])


def rows_as_dicts(cols: Columns, start: int, stop: int) -> list[dict[str, Any]]:
    """Rows ``start:stop`` as Python dicts in column order (samples, inline records)."""
    names = list(cols)
    lists = [cols[k].arr.slice(start, stop - start).to_pylist() for k in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def string_min_max(c: Col) -> tuple[str | None, str | None]:
    if c.jtype != STRING or c.arr.null_count == len(c.arr):
        return None, None
    mm = pc.min_max(c.arr)
    return mm["min"].as_py(), mm["max"].as_py()


def day_counts(c: Col) -> Iterable[tuple[str, int]]:
    """(YYYY-MM-DD, count) of a string column's date-time values (its first 10 characters)."""
    if c.jtype != STRING or c.arr.null_count == len(c.arr):
        return []
    vc = pc.value_counts(pc.utf8_slice_codeunits(c.arr, 0, 10))
    return [(v, n) for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True)
            if v is not None]


def value_counts(c: Col) -> Iterable[tuple[Any, int]]:
    """(value, count) of the non-null scalar values of a column."""
    if c.jtype == NULL:
        return []
    if c.jtype == NUMBER:
        return Counter(v for v in c.arr.to_pylist() if v is not None).items()
    vc = pc.value_counts(c.arr)
    return [(v, n) for v, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(), strict=True)
            if v is not None]
