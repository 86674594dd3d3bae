"""JSONL and CSV lines of Arrow columns: byte-for-byte what the record path's writers write.

:func:`json_lines` gives ``orjson.dumps(record, OPT_SORT_KEYS | OPT_APPEND_NEWLINE)`` of every row
and :func:`csv_lines` the rows of :meth:`exporter.collect.writers.CsvWriter.write_many` (its
formula guard and quoting rules, :mod:`exporter.collect.writers`), built by Arrow string kernels
into one buffer (:func:`buffer_bytes`) that the writers hash and write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..writers import CSV_FORMULA_START, CSV_FORMULA_START_RE, CSV_QUOTE_CHARS, CSV_QUOTE_RE
from .columns import BOOLEAN, INTEGER, NULL, STRING, Columns, column_bytes

__all__ = ["buffer_bytes", "csv_lines", "json_lines"]

_ESCAPED = set(range(0x20)) | {0x22, 0x5C}  # what orjson escapes: control characters, '"', '\'
_KEEP_ESCAPED = bytes(b for b in range(256) if b not in _ESCAPED)


class _Text:
    """Cheap whole-column facts about a string column (one copy of its bytes, memchr-speed scans)."""

    __slots__ = ("arr", "data")

    def __init__(self, arr: pa.Array) -> None:
        self.arr = arr
        self.data = column_bytes(arr)

    def needs_escape(self) -> bool:
        return bool(self.data.translate(None, _KEEP_ESCAPED))

    def needs_csv_quote(self) -> bool:
        return any(ch in self.data for ch in _CSV_QUOTE_BYTES)

    def has_formula_start(self) -> bool:
        arr = self.arr
        return any(ch.encode() in self.data and bool(pc.any(pc.starts_with(arr, ch)).as_py())
                   for ch in CSV_FORMULA_START)


_CSV_QUOTE_BYTES = tuple(ch.encode() for ch in CSV_QUOTE_CHARS)

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
    escape = {k: _Text(cols[k].arr).needs_escape() for k in keys if cols[k].jtype == STRING}
    parts: list[Part] = ["{"]
    for i, k in enumerate(keys):
        c = cols[k]
        parts.append(("," if i else "") + orjson.dumps(k).decode("utf-8") + ":")
        if c.jtype == NULL:
            parts.append("null")
        elif c.jtype == STRING and escape[k]:
            parts.append(pa.array([None if v is None else orjson.dumps(v).decode("utf-8") for v in c.arr.to_pylist()],
                                  pa.string()))
        elif c.jtype == STRING and not c.has_nulls:
            parts += ['"', c.arr, '"']
        elif c.jtype == STRING:
            parts.append(pc.binary_join_element_wise('"', c.arr, '"', ""))
        elif c.jtype == INTEGER:
            parts.append(c.arr.cast(pa.string()))
        elif c.jtype == BOOLEAN:
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
    need = pc.match_substring_regex(arr, CSV_QUOTE_RE)
    if not pc.any(need).as_py():
        return arr
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(need, quoted, arr)


def _csv_string(arr: pa.Array, formula: bool, quote: bool) -> pa.Array:
    """``csv_quote(csv_cell(v))`` for a string column (nulls stay null)."""
    if formula:
        starts = pc.match_substring_regex(arr, CSV_FORMULA_START_RE)
        arr = pc.if_else(starts, pc.binary_join_element_wise("'", arr, ""), arr)
        quote = True  # a "\r" start needs quoting now
    return _csv_quote(arr) if quote else arr


def csv_lines(cols: Columns, columns: Sequence[str], extra: bool, n: int) -> pa.Array:
    """The CSV rows of ``CsvWriter.write_many`` for these columns, as a string array."""
    special: dict[str, tuple[bool, bool]] = {}
    for k in columns:
        if k in cols and cols[k].jtype == STRING:
            text = _Text(cols[k].arr)
            special[k] = (text.has_formula_start(), text.needs_csv_quote())
    cells: list[Part] = []
    for name in columns:
        c = cols.get(name)
        cell: Part
        if c is None or c.jtype == NULL:
            cell = ""
        elif c.jtype == STRING:
            formula, quote = special[name]
            cell = _csv_string(c.arr, formula, quote) if formula or quote else c.arr
        elif c.jtype == INTEGER:
            cell = c.arr.cast(pa.string())
        elif c.jtype == BOOLEAN:
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
