"""Which records a category page shows, and how: a compact listing, a table, or record cards.

The copy of the personal data (GDPR Art. 15(3)): at most :data:`~.limits.MAX_ROWS` records; with
more than :data:`~.limits.FULL_DETAIL_ROWS`, the catalog's ``pdf_columns`` only (the full records
are in the data files); otherwise every field of every shown record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..money import with_money
from .formats import Line
from .limits import FULL_DETAIL_ROWS, LISTING_MIN_ROWS, MAX_ROWS, MAX_TABLE_COLUMNS
from .listing import _card_rows, _listing
from .schema import _deref, _ordered_keys, title_of
from .tables import _cards, _column_widths
from .values import _compact_text, describe_value


def _schema_props(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The top-level fields of a category's schema (``{}`` when it has none)."""
    props = _deref(schema, schema).get("properties")
    return props if isinstance(props, Mapping) else {}


def _shown_rows(
    rows: Sequence[Mapping[str, Any]], withheld_reason: Any, props: Mapping[str, Any], locale: str | None
) -> list[Mapping[str, Any]]:
    """The records shown: none when they are withheld, at most :data:`MAX_ROWS`, with amounts in
    their currency in the reader's locale ("€1,960.00"); the data files keep numbers."""
    shown = list(rows or ())[:MAX_ROWS] if not withheld_reason else []
    return [with_money(r, props, locale) for r in shown]


def _compact_keys(
    wanted: Sequence[str], props: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The catalog's ``pdf_columns`` that this category has (schema field or present in a record)."""
    keys: list[str] = []
    for key in wanted:
        if isinstance(key, str) and key not in keys and (key in props or any(key in r for r in rows)):
            keys.append(key)
    return keys[:MAX_TABLE_COLUMNS]


def _columns(
    keys: Sequence[str], props: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[dict[str, Any]]:
    columns = []
    for key in keys:
        node = _deref(props.get(key, {}), schema)
        desc = node.get("description")
        columns.append(
            {"key": key, "title": title_of(node, key), "description": desc if isinstance(desc, str) else ""}
        )
    return columns


def _records_view(
    cat: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    schema: Mapping[str, Any],
    props: Mapping[str, Any],
    pdf_columns: Sequence[str],
) -> dict[str, Any]:
    """The records part of a category page: ``columns``, ``rows``, ``cards``, ``card_listings``,
    ``listing``, ``layout`` (``compact``, ``table``, ``list`` or ``none``) and ``other_fields``."""
    all_keys = [k for k in _ordered_keys(props, rows) if any(k in r for r in rows)]
    compact_keys = _compact_keys(pdf_columns, props, rows) if len(rows) > FULL_DETAIL_ROWS else []
    keys = compact_keys or all_keys
    columns = _columns(keys, props, schema)
    col_nodes = [_deref(props.get(k, {}), schema) for k in keys]
    view: dict[str, Any] = {
        "columns": columns,
        "rows": [],
        "cards": [],
        "card_listings": [],
        "listing": None,
        "layout": "none",
        "other_fields": [],
    }
    if compact_keys:
        view.update(_compact_view(cat, rows, schema, props, keys, columns, col_nodes))
    elif rows:
        view.update(_full_view(rows, schema, keys, columns, col_nodes))
    return view


def _compact_view(
    cat: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    schema: Mapping[str, Any],
    props: Mapping[str, Any],
    keys: Sequence[str],
    columns: list[dict[str, Any]],
    col_nodes: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Many records: one line of text per cell, the columns the privacy office chose; the fields
    left out are named (``other_fields``), except those withheld."""
    compact_rows = [
        [_compact_text(r[k], n, schema) if k in r else "" for k, n in zip(keys, col_nodes, strict=True)]
        for r in rows
    ]
    listing = _listing(
        [c["title"] for c in columns], compact_rows, wrap=len(compact_rows) <= LISTING_MIN_ROWS
    )
    measured = [[[Line("", text, "")] for text in row] for row in compact_rows]
    for col, width in zip(columns, _column_widths(columns, measured), strict=True):
        col["width"] = width
    withheld_fields = set(cat.get("withheld_fields") or ())
    other_fields = [
        title_of(_deref(props.get(k, {}), schema), k)
        for k in _ordered_keys(props, rows)
        if k not in keys and k not in withheld_fields
    ]
    return {"rows": compact_rows, "listing": listing, "layout": "compact", "other_fields": other_fields}


def _full_view(
    rows: Sequence[Mapping[str, Any]],
    schema: Mapping[str, Any],
    keys: Sequence[str],
    columns: list[dict[str, Any]],
    col_nodes: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Few records, every field: a table when there are several and few columns, else cards."""
    table_rows: list[list[list[Line]]] = [
        [describe_value(r[k], n, schema) if k in r else [] for k, n in zip(keys, col_nodes, strict=True)]
        for r in rows
    ]
    if len(table_rows) > 1 and len(columns) <= MAX_TABLE_COLUMNS:
        for col, width in zip(columns, _column_widths(columns, table_rows), strict=True):
            col["width"] = width
        return {"rows": table_rows, "layout": "table"}
    cards = _cards(columns, rows, keys, table_rows)
    return {"layout": "list", "cards": cards, "card_listings": [_card_rows(card) for card in cards]}
