"""The summary, contents and notices: what the report says once, before and after the categories.

The answer in numbers (Art. 15(1)), the legal bases explained once (Art. 6(1)), the "nothing held"
answer, the notices of Art. 15(1)(e)-(h) and 15(2) and the CCPA table (Cal. Civ. Code §1798.110,
§1798.115).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .category import _NOT_READ
from .formats import _names, format_count, readable_dates


def _ccpa_rows(ccpa: Any) -> list[dict[str, Any]]:
    rows = ccpa.get("rows") if isinstance(ccpa, Mapping) else ccpa
    out = []
    for row in rows or ():
        if not isinstance(row, Mapping):
            continue
        category = row.get("title") or row.get("category")
        if isinstance(category, Mapping):
            category = category.get("title") or category.get("id")
        def who(items: Any) -> list[str]:  # the kind of third party, with the names of the actual ones
            return [f"{t} ({', '.join(x['names'])})" if isinstance(x, Mapping) and x.get("names") else t
                    for x, t in zip(items or (), _names(items), strict=False)]

        sold_to = who(row.get("sold_to"))
        shared_to = who(row.get("shared_with") or row.get("shared_to"))
        out.append(
            {
                "category": str(category or ""),
                "cite": str(row.get("cite") or ""),
                "sources": _names(row.get("sources")),
                "purposes": _names(row.get("purposes")),
                "disclosed_to": _names(row.get("disclosed_to") or row.get("third_parties")),
                "sold": ("Yes — to " + ", ".join(sold_to) if sold_to else "Yes") if row.get("sold") else "No",
                "shared": ("Yes — with " + ", ".join(shared_to) if shared_to else "Yes")
                if row.get("shared")
                else "No",
            }
        )
    return out


def _notice_view(notice: Mapping[str, Any], anchor: str) -> dict[str, Any]:
    return {
        "anchor": anchor,
        "title": str(notice.get("title") or notice.get("id") or ""),
        "cite": str(notice.get("cite") or ""),
        "paragraphs": [readable_dates(str(p)) for p in notice.get("paragraphs") or () if p],
        "bullets": [readable_dates(str(i)) for i in notice.get("items") or () if i],
    }


def _held(categories: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The categories we hold records in (read, and not none held)."""
    return [c for c in categories if c["status"] not in ("none_held", *_NOT_READ)]


def _summary_view(categories: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> dict[str, Any]:
    """The answer in numbers: kinds of data, kinds held, records, and whether every source was
    read (the ones not searched or incomplete, with their anchors)."""
    held = _held(categories)
    not_searched = [c for c in categories if c["status"] == "not_searched"]
    failed = [c for c in categories if c["status"] == "incomplete"]
    return {
        "categories": len(categories),
        "held": len(held),
        "records": format_count(summary.get("records", sum(c["count"] or 0 for c in held))),
        "complete": bool(summary.get("complete", not not_searched and not failed)) and not not_searched,
        "not_searched": [{"title": c["title"], "anchor": c["anchor"]} for c in not_searched],
        "incomplete": [{"title": c["title"], "anchor": c["anchor"]} for c in failed],
    }


def _legal_bases(categories: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The GDPR Art. 6(1) legal bases used, each once, with the short label the categories use."""
    legal_bases: dict[tuple[str, str], dict[str, str]] = {}
    for c in categories:
        for g in c["purpose_groups"]:
            if g["label"] and g["label"] != g["basis"]:
                legal_bases.setdefault(
                    (g["label"], g["cite"]), {"label": g["label"], "title": g["basis"], "cite": g["cite"]}
                )
    return list(legal_bases.values())


def _nothing_held_view(
    nothing_held: Any, categories: Sequence[Mapping[str, Any]], categories_only: bool
) -> dict[str, str] | None:
    """Nothing held: the answer's own words (rules file [nothing_held]) instead of "0 of 24 kinds"."""
    if isinstance(nothing_held, Mapping) and not _held(categories) and not categories_only:
        return {
            "summary": str(nothing_held.get("summary") or ""),
            "package": str(nothing_held.get("package") or ""),
            "cite": str(nothing_held.get("cite") or ""),
        }
    return None
