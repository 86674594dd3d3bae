"""One category of the report: the Art. 15(1) facts, the records shown, the notes about them.

GDPR Art. 15(1)(a)-(h) per category (purposes with their legal basis, recipients, retention, source),
the copy of the records (Art. 15(3)), what is withheld and why (Art. 15(4)); under the CCPA also its
category and "sensitive" flag (Cal. Civ. Code §1798.140(v), (ae)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..money import with_money
from .formats import Line, _names, format_count, format_date, format_temporal, readable_dates
from .limits import FULL_DETAIL_ROWS, LISTING_MIN_ROWS, MAX_ROWS, MAX_TABLE_COLUMNS, MAX_TOP_VALUES
from .listing import _card_rows, _listing
from .schema import _deref, _ordered_keys, field_schema, title_of
from .tables import _cards, _column_widths
from .values import _compact_text, _scalar, describe_value

#: Short names of the GDPR Art. 6(1) legal bases, used in each category; the report explains each
#: once, with the catalog's full wording, before the categories.
_BASIS_SHORT = {
    "consent": "Your consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligation",
    "legitimate_interests": "Legitimate interests",
}
_STATUS = {
    "held": "Held",
    "none_held": "None held",
    "incomplete": "Incomplete",
    "not_searched": "Not searched",
    "not_applicable": "Does not apply",
}
#: statuses for which nothing was found because nothing was (or needed to be) searched
_NOT_READ = ("not_searched", "not_applicable")


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
    rows = list(rows or ())[:MAX_ROWS] if not withheld_reason else []
    props = _deref(schema, schema).get("properties")
    props = props if isinstance(props, Mapping) else {}
    # amounts with their currency in the reader's locale ("€1,960.00"); the data files keep numbers
    rows = [with_money(r, props, locale) for r in rows]
    all_keys = [k for k in _ordered_keys(props, rows) if any(k in r for r in rows)]
    compact_keys = _compact_keys(pdf_columns, props, rows) if len(rows) > FULL_DETAIL_ROWS else []
    keys = compact_keys or all_keys
    columns = _columns(keys, props, schema)
    col_nodes = [_deref(props.get(k, {}), schema) for k in keys]
    table_rows: list[list[list[Line]]] = []
    compact_rows: list[list[str]] = []
    other_fields: list[str] = []
    cards: list[list[list[tuple[str, list[Line]]]]] = []
    card_listings: list[list[str]] = []
    listing: dict[str, Any] | None = None
    layout = "none"
    if compact_keys:
        # Many records: one line of text per cell, the columns the privacy office chose.
        layout = "compact"
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
            if k not in compact_keys and k not in withheld_fields
        ]
    elif rows:
        table_rows = [
            [describe_value(r[k], n, schema) if k in r else [] for k, n in zip(keys, col_nodes, strict=True)]
            for r in rows
        ]
        layout = "table" if len(table_rows) > 1 and len(columns) <= MAX_TABLE_COLUMNS else "list"
        if layout == "table":
            for col, width in zip(columns, _column_widths(columns, table_rows), strict=True):
                col["width"] = width
        else:
            cards = _cards(columns, rows, keys, table_rows)
            card_listings = [_card_rows(card) for card in cards]

    top_values = []
    for field, pairs in (cat.get("top_values") or {}).items():
        node = field_schema(schema, [field])
        values = []
        for pair in list(pairs or ())[:MAX_TOP_VALUES]:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                continue
            text, note = (
                _scalar(pair[0], node) if not isinstance(pair[0], (dict, list)) else (str(pair[0]), "")
            )
            values.append(
                f"{text} ({note}): {format_count(pair[1])}" if note else f"{text}: {format_count(pair[1])}"
            )
        if values:
            # One text run per field: every extra inline box is layout and drawing work.
            top_values.append({"title": title_of(node, field), "text": " · ".join(values)})

    recipients: list[dict[str, Any]] = []
    # recipients the person's disclosure log shows received none of this data: listed apart, as
    # possible ones (exporter.law.disclosures; CJEU C-154/21)
    recipients_possible: list[str] = []
    for r in cat.get("recipients") or ():
        if not isinstance(r, Mapping):
            continue
        if r.get("status") == "possible":
            recipients_possible.append(str(r.get("title") or r.get("id") or ""))
            continue
        extra = []
        if r.get("country"):
            extra.append(f"processes in {r['country']}")
        if not r.get("names") and r.get("unnamed_reason"):
            extra.append(f"not named: {r['unnamed_reason']}")
        recipients.append(
            {
                "title": str(r.get("title") or r.get("id") or ""),
                "names": _names(r.get("names"), "name"),
                "extra": ", ".join(extra),
                "country": str(r.get("country") or ""),
            }
        )

    countries = {r["country"] for r in recipients}
    recipients_where = ""
    if len(recipients) > 1 and len(countries) == 1 and "" not in countries:
        # Said once after the list rather than after every recipient.
        recipients_where = next(iter(countries))
        for r in recipients:
            r["extra"] = ", ".join(x for x in r["extra"].split(", ") if x and not x.startswith("processes in "))

    purposes = []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in cat.get("purposes") or ():
        if isinstance(p, Mapping):
            purpose = {
                "title": str(p.get("title") or p.get("id") or ""),
                "basis": str(p.get("basis_title") or p.get("basis") or ""),
                "cite": str(p.get("basis_cite") or ""),
                "interest": str(p.get("interest") or ""),
            }
            purposes.append(purpose)
            if p.get("legal_basis_shown") is False:
                # a law without legal bases (CCPA, UCPA): the purposes only, in one run
                group = groups.setdefault(("", ""), {"label": "", "basis": "", "cite": "", "purposes": []})
                group["purposes"].append(purpose["title"])
                continue
            label = _BASIS_SHORT.get(str(p.get("basis") or ""), purpose["basis"])
            group = groups.setdefault(
                (purpose["basis"], purpose["cite"]),
                {"label": label, "basis": purpose["basis"], "cite": purpose["cite"], "purposes": []},
            )
            group["purposes"].append(
                purpose["title"] + (f" (our interest: {purpose['interest']})" if purpose["interest"] else "")
            )

    retention = cat.get("retention") or {}
    until_shown = format_date(retention.get("until")) if retention.get("until") else ""
    explanation = readable_dates(str(retention.get("explanation") or ""))
    lead = f"Is deleted on {until_shown}, "
    joined = bool(until_shown) and explanation.startswith(lead) and len(explanation) > len(lead)
    if joined:
        explanation = explanation[len(lead):]
    withheld_counts = cat.get("withheld_counts") or {}
    withheld = []
    # fields held but not shown exist only where records are held (not in a kind we hold none of)
    for field in (cat.get("withheld_fields") or ()) if count else ():
        node = field_schema(schema, [field])
        n = withheld_counts.get(field) if isinstance(withheld_counts, Mapping) else None
        if n == 0:
            continue  # allowed for by the catalog, but none held for this person
        titles = cat.get("withheld_titles") or {}
        withheld.append({"title": str(titles.get(field) or title_of(node, field)),
                         "count": format_count(n) if n is not None else ""})
    withheld_why = withheld_note if isinstance(withheld_note, Mapping) else {}

    files = []
    for kind, info in (cat.get("files") or {}).items():
        if isinstance(info, Mapping) and info.get("path"):
            files.append({"kind": kind.upper(), "path": str(info["path"])})

    ccpa_category = cat.get("ccpa_category") if ccpa and isinstance(cat.get("ccpa_category"), Mapping) else None
    shown = len(rows)
    if not withheld_reason and shown <= FULL_DETAIL_ROWS and shown >= count:
        top_values = []  # every record is shown in full just below
    if status == "none_held":
        count_text = "none held"
    elif status == "not_searched":
        count_text = "not searched"
    elif status == "not_applicable":
        count_text = "does not apply"
    elif status == "incomplete":
        count_text = f"{format_count(count)} records found so far (incomplete)" if count else "incomplete"
    else:
        count_text = f"{format_count(count)} record{'s' if count != 1 else ''}"

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
        "count_text": count_text,
        "first": format_temporal(cat.get("first")) if cat.get("first") else "",
        "last": format_temporal(cat.get("last")) if cat.get("last") else "",
        "purposes": purposes,
        "purpose_groups": list(groups.values()),
        "recipients": recipients,
        "recipients_where": recipients_where,
        "recipients_possible": recipients_possible,
        "origins": _names(cat.get("origins")),
        "retention": {
            # The rule, unless the explanation already quotes it.
            "text": ""
            if str(retention.get("text") or "") in str(retention.get("explanation") or "")
            else str(retention.get("text") or ""),
            "policy": str(retention.get("policy") or ""),
            "until": until_shown,
            "explanation": explanation,
            # "Until 30 Apr 2028: 18 months after …" rather than "Until 30 Apr 2028. Is deleted on 30 Apr 2028, 18 months after …"
            "joined": joined,
        },
        "ccpa_category": {"title": str(ccpa_category.get("title") or ""),
                          "cite": str(ccpa_category.get("cite") or "")}
        if ccpa_category
        else None,
        "sensitive": ccpa and bool(cat.get("sensitive")),
        "withheld": withheld,
        "not_included": [{"title": str(n.get("title") or n.get("column") or ""), "ground": str(n.get("ground") or "")}
                         for n in cat.get("not_included") or () if isinstance(n, Mapping)],
        "withheld_text": str(withheld_why.get("text") or ""),
        "withheld_cite": str(withheld_why.get("cite") or ""),
        "pans_masked": cat.get("pans_masked") or 0,
        "redaction_notice": str(cat.get("redaction_notice") or ""),
        "files": files,
        "records_withheld_reason": str(withheld_reason or ""),
        "top_values": top_values,
        "top_values_approximate": bool(cat.get("top_values_approximate")),
        "columns": columns,
        "rows": table_rows if layout == "table" else compact_rows,
        "cards": cards,
        "card_listings": card_listings,
        "listing": listing,
        "layout": layout,
        "other_fields": other_fields,
        "shown": shown,
        "shown_text": format_count(shown),
        "count_fmt": format_count(count),
        "partial": status != "none_held" and status not in _NOT_READ and not withheld_reason and isinstance(count, int) and count > shown,
        "provenance": [
            {"read": str(p.get("read", "")), "count": format_count(p.get("count", 0))}
            for p in cat.get("provenance") or ()
            if isinstance(p, Mapping)
        ],
    }
