"""A record's value as display lines: scalars under their schema, nested values flattened.

Coded values read as their titles, nested objects as ``label: value`` lines, so every field of the
copy is intelligible (GDPR Art. 12(1), 15(3)); long values are cut with a pointer to the data file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .formats import _DATE_RE, _DATETIME_RE, Line, _cut, _join, _shorten, format_date, format_datetime
from .limits import MAX_CELL_LINES
from .schema import _deref, _ordered_keys, _props, enum_note, title_of


def _scalar(value: Any, node: Mapping[str, Any]) -> tuple[str, str]:
    """(text, note) of a scalar value under its schema. A coded value is shown by its title
    (``x-enum-titles``), never as the code: "You opened the email", not ``email_open``."""
    if value is None:
        return "—", ""
    title = enum_note(node, value)
    if title:
        return _cut(title), ""
    if isinstance(value, bool):
        return ("Yes" if value else "No"), ""
    fmt = node.get("format")
    if isinstance(value, str):
        if fmt == "date-time" or (not fmt and _DATETIME_RE.match(value) and "T" in value):
            return format_datetime(value), ""
        if fmt == "date" or (not fmt and _DATE_RE.match(value)):
            return format_date(value), ""
        return _cut(value), ""
    if isinstance(value, float):
        text = repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
        return text, ""
    return str(value), ""


def describe_value(value: Any, node: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> list[Line]:
    """A value as display lines. Nested objects become ``label: value`` lines (labels from the
    schema titles, joined with ``›``); lists of scalars are joined with commas."""
    lines: list[Line] = []
    _walk(value, node, root or node, "", lines)
    if len(lines) > MAX_CELL_LINES:
        hidden = len(lines) - MAX_CELL_LINES
        lines = lines[:MAX_CELL_LINES] + [Line("", f"… {hidden:,} more lines in the data file", "")]
    return lines


def _walk(value: Any, node: Mapping[str, Any], root: Mapping[str, Any], label: str, out: list[Line]) -> None:
    if len(out) > MAX_CELL_LINES:
        out.append(Line("", "…", ""))
        return
    node = _deref(node, root)
    if isinstance(value, Mapping):
        if not value:
            out.append(Line(label, "—", ""))
            return
        props = _props(node)
        for key in _ordered_keys(props, [value]):
            if key not in value:
                continue
            sub = _deref(props.get(key, {}), root)
            name = title_of(sub, key)
            _walk(value[key], sub, root, f"{label} › {name}" if label else name, out)
        return
    if isinstance(value, list):
        items_node = _deref(node.get("items", {}), root)
        if not value:
            out.append(Line(label, "none", ""))
            return
        if all(not isinstance(v, (Mapping, list)) for v in value):
            parts = []
            for v in value:
                text, note = _scalar(v, items_node)
                parts.append(f"{text} ({note})" if note else text)
            out.append(Line(label, _cut(", ".join(parts)), ""))
            return
        for i, item in enumerate(value, 1):
            if isinstance(item, Mapping) and all(not isinstance(v, (Mapping, list)) for v in item.values()):
                props = _props(items_node)
                parts = []
                for key in _ordered_keys(props, [item]):
                    if key in item:
                        sub = _deref(props.get(key, {}), root)
                        text, note = _scalar(item[key], sub)
                        parts.append(f"{title_of(sub, key)}: {text}" + (f" ({note})" if note else ""))
                text = _cut("; ".join(parts)) or "—"
                out.append(Line(f"{label} {i}", text, "") if label else Line("", f"{i}. {text}", ""))
            else:
                _walk(item, items_node, root, f"{label} {i}" if label else f"#{i}", out)
        return
    text, note = _scalar(value, node)
    out.append(Line(label, text, note))


def _compact_text(value: Any, node: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """A value as the single line of text a compact-table cell shows. A coded value appears as its
    title; nested values become ``label: value; …``."""
    if isinstance(value, str) and not _DATETIME_RE.match(value) and not _DATE_RE.match(value):
        return _shorten(enum_note(node, value) or value)
    if not isinstance(value, (Mapping, list)):
        return _scalar(value, node)[0]
    lines = describe_value(value, node, root)
    return _shorten(
        _join(
            (f"{line.label}: " if line.label else "") + line.text + (f" ({line.note})" if line.note else "")
            for line in lines
        )
    )
