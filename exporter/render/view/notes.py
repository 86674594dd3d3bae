"""What a category page says about what is not in the copy, and where the copy is.

Fields held but withheld and why (GDPR Art. 15(4), each law's own reason and rule), columns not
included, masked card numbers and redactions, the data files of the category (Art. 15(3)), and
which reads the records came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .formats import format_count
from .schema import field_schema, title_of


def _withheld_view(
    cat: Mapping[str, Any], schema: Mapping[str, Any], count: Any, withheld_note: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``withheld`` (fields held but not shown, with how many), ``not_included``, the law's reason
    (``withheld_text``, ``withheld_cite``), ``pans_masked`` and ``redaction_notice``."""
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
    return {
        "withheld": withheld,
        "not_included": [{"title": str(n.get("title") or n.get("column") or ""), "ground": str(n.get("ground") or "")}
                         for n in cat.get("not_included") or () if isinstance(n, Mapping)],
        "withheld_text": str(withheld_why.get("text") or ""),
        "withheld_cite": str(withheld_why.get("cite") or ""),
        "pans_masked": cat.get("pans_masked") or 0,
        "redaction_notice": str(cat.get("redaction_notice") or ""),
    }


def _files(cat: Mapping[str, Any]) -> list[dict[str, str]]:
    """The category's data files, by kind (``CSV``, ``JSON``…)."""
    files = []
    for kind, info in (cat.get("files") or {}).items():
        if isinstance(info, Mapping) and info.get("path"):
            files.append({"kind": kind.upper(), "path": str(info["path"])})
    return files


def _provenance(cat: Mapping[str, Any]) -> list[dict[str, str]]:
    """Which reads the records came from, with how many each gave."""
    return [
        {"read": str(p.get("read", "")), "count": format_count(p.get("count", 0))}
        for p in cat.get("provenance") or ()
        if isinstance(p, Mapping)
    ]
