"""Assemble ``bundle.json``: catalog metadata (why, basis, recipients, retention) + what was found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..law import overdue, retention
from ..law.catalog import Catalog, Category
from ..config import Config
from ..collect.pipeline import CategoryResult

__all__ = ["FORMAT", "NOT_SEARCHED", "category_entry", "category_status", "parse_instant"]

FORMAT = "piconext-access-bundle/1"
#: the reason given for a category that no configured source covers (bundle, manifest, PDF)
NOT_SEARCHED = "no configured source covers this kind of data, so it was not searched"


def category_status(config: Config, cat: Category, res: CategoryResult) -> str:
    """``not_applicable`` (the configuration says so, with a reason), ``not_searched`` (no stream
    feeds it), ``incomplete`` (a read failed), ``held`` or ``none_held`` (searched, nothing found)."""
    if cat.id in config.not_applicable:
        return "not_applicable"
    if not config.streams_for(cat.id):
        return "not_searched"
    if res.incomplete:
        return "incomplete"
    return "held" if res.count else "none_held"


def parse_instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _ref(catalog: Catalog, table: str, key: str) -> dict[str, Any]:
    return {"id": key, **catalog.table(table).get(key, {})}


def category_meta(catalog: Catalog, cat: Category, names: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    raw = cat.raw
    purposes = []
    for p in raw.get("purposes", []):
        purpose = catalog.table("purposes")[p["purpose"]]
        basis = catalog.table("legal_bases")[p["basis"]]
        entry = {
            "id": p["purpose"],
            "title": purpose.get("title", p["purpose"]),
            "policy": purpose.get("policy"),
            "basis": p["basis"],
            "basis_title": basis.get("title", p["basis"]),
            "basis_cite": basis.get("article"),  # cited in the law's words by jurisdictions.localise_purposes
        }
        if p.get("basis_in"):  # per-jurisdiction legal basis (jurisdictions.localise_purposes applies it)
            entry["basis_in"] = p["basis_in"]
        if p.get("interest"):
            entry["interest"] = p["interest"]
            if p.get("interest_recital"):
                entry["interest_recital"] = p["interest_recital"]
        if purpose.get("ccpa_business_purpose"):
            entry["ccpa_business_purpose"] = purpose["ccpa_business_purpose"]
        purposes.append({k: v for k, v in entry.items() if v is not None})
    recipients = []
    for r in raw.get("recipients", []):
        rec = _ref(catalog, "recipients", r)
        rec["names"] = sorted(set(rec.get("names", [])) | set(names.get(r, ())))
        recipients.append(rec)
    ccpa = raw.get("ccpa_category")
    return {
        "id": cat.id,
        "title": cat.title,
        "description": raw.get("description", ""),
        "policy_section": raw.get("policy_section"),
        "purposes": purposes,
        "ccpa_category": _ref(catalog, "ccpa_categories", ccpa) if ccpa else None,
        "sensitive": bool(raw.get("sensitive", False)),
        "origins": [_ref(catalog, "origins", o) for o in raw.get("origins", [])],
        "recipients": recipients,
        "withheld_fields": list(cat.withheld),
        **({"withheld_titles": dict(raw["withheld_titles"])} if raw.get("withheld_titles") else {}),
        "schema": f"schemas/{cat.id}.json",
    }


def category_entry(config: Config, cat: Category, res: CategoryResult, *, facts: Mapping[str, str],
                   today: dt.date, specific: bool, withheld_reason: str | None) -> dict[str, Any]:
    entry = category_meta(config.catalog, cat, config.recipient_names)
    # A categories-only answer (identity verified to a reasonable degree, 11 CCR §7024(a), §7062)
    # holds no specific piece of personal information in any byte: no record times, no most
    # frequent values, no retention date computed from the person's own facts (a date such as
    # "18 months after your last log-in" would give the log-in away) — only the rule itself.
    fr = res.field_range if specific else None
    entry["retention"] = {
        "policy": cat.retention.get("policy"),
        "text": cat.retention.get("text"),
        **retention.evaluate(
            dict(cat.retention),
            facts={k: parse_instant(v) for k, v in facts.items()} if specific else {},
            field_range=(parse_instant(fr[0]), parse_instant(fr[1])) if fr else None,
            today=today,
        ),
    }
    # records past their retention date: a plain statement here, a finding for the operator (api)
    overdue.annotate(entry, cat.retention, res.retention_days, today=today, count=res.count,
                     texts=config.catalog.table("retention_overdue"), disclose=specific)
    status = category_status(config, cat, res)
    entry.update(
        status=status,
        count=res.count,
        first=res.first if specific else None,
        last=res.last if specific else None,
        top_values=res.top_values if specific else {},
        provenance=res.provenance,
        files=res.files,
        records=res.inline if specific and res.count else ([] if specific else None),
    )
    if status == "not_searched":
        entry["incomplete_reason"] = NOT_SEARCHED
    elif status == "not_applicable":
        entry["not_applicable_reason"] = config.not_applicable[cat.id]
    elif res.incomplete:
        entry["incomplete_reason"] = res.incomplete
    if res.pans_masked:
        entry["pans_masked"] = res.pans_masked
    if res.withheld or (cat.withheld and res.count):
        # per field, how many values the person's records hold (0: the catalog allows for it, none held)
        entry["withheld_counts"] = {f: res.withheld.get(f, 0) for f in (*cat.withheld, *res.withheld)
                                    if f in res.withheld or res.count}
    if status == "held" and config.not_included.get(cat.id):
        # columns the configuration leaves out as withheld: named, with the legal ground
        entry["not_included"] = [dict(x) for x in config.not_included[cat.id]]
    if not res.top_values_exact:
        entry["top_values_approximate"] = True  # a summary field had too many distinct values (pipeline.TopK)
    if not specific:
        entry["records_withheld_reason"] = withheld_reason
    return entry
