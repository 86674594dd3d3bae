"""One category of the report: its heading and status, composed with its facts, records and notes.

GDPR Art. 15(1)(a)-(h) per category (:mod:`.facts`), the copy of the records (Art. 15(3),
:mod:`.records`), what is withheld and why (Art. 15(4), :mod:`.notes`); under the CCPA also its
category and "sensitive" flag (Cal. Civ. Code §1798.140(v), (ae)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .facts import _ccpa_view, _purposes_view, _recipients_view, _retention_view, _top_values
from .formats import _names, format_count, format_temporal
from .limits import FULL_DETAIL_ROWS
from .notes import _files, _provenance, _withheld_view
from .records import _records_view, _schema_props, _shown_rows

_STATUS = {
    "held": "Held",
    "none_held": "None held",
    "incomplete": "Incomplete",
    "not_searched": "Not searched",
    "not_applicable": "Does not apply",
}
#: statuses for which nothing was found because nothing was (or needed to be) searched
_NOT_READ = ("not_searched", "not_applicable")


def _count_text(status: str, count: Any) -> str:
    """How many records, in words, for the category's status."""
    if status == "none_held":
        return "none held"
    if status == "not_searched":
        return "not searched"
    if status == "not_applicable":
        return "does not apply"
    if status == "incomplete":
        return f"{format_count(count)} records found so far (incomplete)" if count else "incomplete"
    return f"{format_count(count)} record{'s' if count != 1 else ''}"


def _heading_view(cat: Mapping[str, Any], anchor: str, status: str, count: Any) -> dict[str, Any]:
    """The category's title, description, status and count, and the span of its records."""
    return {
        "id": str(cat.get("id")),
        "anchor": anchor,
        "title": str(cat.get("title") or cat.get("id")),
        "description": str(cat.get("description") or ""),
        "policy_section": str(cat.get("policy_section") or ""),
        "status": status,
        "status_label": _STATUS.get(status, status),
        "incomplete_reason": str(cat.get("incomplete_reason") or ""),
        "not_applicable_reason": str(cat.get("not_applicable_reason") or ""),
        "count": count,
        "count_text": _count_text(status, count),
        "first": format_temporal(cat.get("first")) if cat.get("first") else "",
        "last": format_temporal(cat.get("last")) if cat.get("last") else "",
    }


def _category_view(
    cat: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    schema: Mapping[str, Any] | None,
    anchor: str,
    pdf_columns: Sequence[str] = (),
    *,
    ccpa: bool = True,
    withheld_note: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """One category of the report. ``ccpa``: whether the rules applied are the CCPA's (the
    bundle's jurisdiction has a ``ccpa`` block); only then are the category's CCPA category and
    its "sensitive personal information" flag (Cal. Civ. Code §1798.140(v), (ae)) shown. An EU or
    UK reader gets the GDPR facts of Art. 15(1) alone, not another law's terms (GDPR Art. 12(1):
    concise and intelligible). ``withheld_note``: the jurisdiction's ``withheld`` block, why fields
    that are held are not in the copy (each law's own reason and rule)."""
    schema = schema or {}
    status = str(cat.get("status") or "held")
    count = cat.get("count") or 0
    withheld_reason = cat.get("records_withheld_reason")
    props = _schema_props(schema)
    shown_rows = _shown_rows(rows, withheld_reason, props, locale)
    records = _records_view(cat, shown_rows, schema, props, pdf_columns)
    shown = len(shown_rows)
    top_values = _top_values(cat, schema)
    if not withheld_reason and shown <= FULL_DETAIL_ROWS and shown >= count:
        top_values = []  # every record is shown in full just below
    return {
        **_heading_view(cat, anchor, status, count),
        **_purposes_view(cat),
        **_recipients_view(cat),
        "origins": _names(cat.get("origins")),
        "retention": _retention_view(cat),
        **_ccpa_view(cat, ccpa),
        **_withheld_view(cat, schema, count, withheld_note),
        "files": _files(cat),
        "records_withheld_reason": str(withheld_reason or ""),
        "top_values": top_values,
        "top_values_approximate": bool(cat.get("top_values_approximate")),
        **records,
        "shown": shown,
        "shown_text": format_count(shown),
        "count_fmt": format_count(count),
        "partial": status != "none_held" and status not in _NOT_READ and not withheld_reason
        and isinstance(count, int) and count > shown,
        "provenance": _provenance(cat),
    }
