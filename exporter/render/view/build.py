"""The whole view the report templates render: the request page, the summary, every category, the
notices, composed in the order the report reads (GDPR Art. 15(1)-(3); CCPA Cal. Civ. Code
§1798.110, §1798.115).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .category import _category_view
from .formats import _slug, format_date, format_datetime
from .request import _cover_view, _deadlines_view, _jurisdiction_view
from .summary import _ccpa_rows, _legal_bases, _nothing_held_view, _notice_view, _summary_view

#: Anchors of the report's fixed sections; categories and notices get others.
_FIXED_ANCHORS = ("cover", "summary", "request", "data", "notices", "ccpa", "deadlines", "contents")


def _anchors() -> Callable[[str, str], str]:
    """A maker of unique anchors (``cat-orders``, ``cat-orders-2``…), none a fixed section's."""
    used = {f"sec-{fixed}" for fixed in _FIXED_ANCHORS}

    def anchor(prefix: str, key: str) -> str:
        base = f"{prefix}-{_slug(key)}"
        name, i = base, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        return name

    return anchor


def _categories(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    columns: Mapping[str, Sequence[str]],
    anchor: Callable[[str, str], str],
) -> list[dict[str, Any]]:
    """Every category of the bundle, in its order, with its records and schema."""
    jurisdiction = bundle.get("jurisdiction") or {}
    return [
        _category_view(
            cat,
            samples.get(str(cat.get("id")), ()),
            schemas.get(str(cat.get("id"))),
            anchor("cat", str(cat.get("id"))),
            tuple(columns.get(str(cat.get("id"))) or ()),
            ccpa=bool(jurisdiction.get("ccpa")),
            withheld_note=jurisdiction.get("withheld"),
            locale=(jurisdiction.get("vocabulary") or {}).get("locale"),
        )
        for cat in bundle.get("categories") or ()
        if isinstance(cat, Mapping)
    ]


def build_view(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Everything the report templates show, as plain strings, lists and dicts.

    ``columns`` maps a category id to the catalog's ``pdf_columns``: a category with more than
    :data:`FULL_DETAIL_ROWS` records is shown as a compact table of those fields (the full records
    are in the data files); without them, every shown record is given with all its fields."""
    jurisdiction = bundle.get("jurisdiction") or {}
    summary = bundle.get("summary") or {}
    anchor = _anchors()
    categories = _categories(bundle, samples, schemas, columns or {}, anchor)
    raw_notices = [n for n in jurisdiction.get("notices") or () if isinstance(n, Mapping)]
    notices = [_notice_view(n, anchor("notice", str(n.get("id") or n.get("title") or "notice"))) for n in raw_notices]
    reasons = {c["records_withheld_reason"] for c in categories if c["records_withheld_reason"]}
    categories_only = bool(reasons) or summary.get("specific_pieces") is False
    period = bundle.get("period") or {}
    return {
        "lang": lang,
        **_cover_view(bundle),
        "deadlines": _deadlines_view(jurisdiction, notices, raw_notices),
        "jurisdiction": _jurisdiction_view(bundle),
        "generated_at": format_datetime(bundle.get("generated_at")),
        "snapshot_at": format_datetime(bundle.get("snapshot_at")) if bundle.get("snapshot_at") else "",
        "period": {"from": format_date(period.get("from")), "to": format_date(period.get("to"))},
        "summary": _summary_view(categories, summary),
        "categories_only": categories_only,
        "withheld_reasons": sorted(reasons),
        "categories": categories,
        "legal_bases": _legal_bases(categories),
        "purposes_note": str((jurisdiction.get("vocabulary") or {}).get("purposes_note") or ""),
        "notices": notices,
        "ccpa_rows": _ccpa_rows(jurisdiction.get("ccpa")),
        "nothing_held": _nothing_held_view(jurisdiction.get("nothing_held"), categories, categories_only),
        "format": str(bundle.get("format") or ""),
    }
