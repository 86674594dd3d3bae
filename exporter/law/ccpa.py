"""The CCPA table: what the business collected, sold and shared, per CCPA category (Cal. Civ. Code
§1798.110, §1798.115; 11 CCR §7024).

Built from the catalog's recipient model for the held categories (one row per CCPA category:
sources, business purposes, third parties, sold to, shared with), the security-sensitive
information withheld (§1798.100(e), 11 CCR §7024(d)), the sensitive personal information held and —
with the person's disclosure and opt-out logs (:mod:`exporter.law.disclosures`) — the
sale/sharing statement in the light of the records. Only rules files with a ``[ccpa]`` table get it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import disclosures as _disclosures
from .refs import catalog_table, purpose_id, ref_id
from .rules import Fill, Rules
from ..errors import ConfigError

__all__ = ["build"]


def build(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
          catalog_cats: Mapping[str, Mapping[str, Any]], fill: Fill,
          logs: _disclosures.Logs | None, specific: bool) -> dict[str, Any]:
    """The bundle's ``jurisdiction.ccpa`` block (with ``opt_out`` where the logs and rules have one)."""
    ccpa = _ccpa(rules, catalog, held, catalog_cats, fill)
    if logs is not None and "opt_out" in rules["ccpa"]:
        ccpa["opt_out"] = _disclosures.opt_out(rules["ccpa"]["opt_out"], logs, specific=specific, fill=fill)
        _ccpa_from_records(ccpa, rules, logs, specific, fill)
    return ccpa


def _ccpa(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
          catalog_cats: Mapping[str, Mapping[str, Any]], fill: Fill) -> dict[str, Any]:
    spec = rules["ccpa"]
    rows = _rows(spec, catalog, held, catalog_cats)
    withheld_items = _withheld_items(spec, held, catalog_cats)
    sensitive_cats = [{"id": str(c.get("id")), "title": str(c.get("title") or c.get("id"))}
                      for c in held if c.get("sensitive")]
    sold_any = any(r["sold"] for r in rows.values())
    shared_any = any(r["shared"] for r in rows.values())
    return {
        "cite": spec["cite"],
        "rows": list(rows.values()),
        "sold_any": sold_any,
        "shared_any": shared_any,
        "sold_shared": {
            "cite": f"{spec['sold_cite']}; {spec['shared_cite']}",
            "text": fill(spec["sold_text"] if (sold_any or shared_any) else spec["none_sold_text"]),
        },
        "withheld": {
            "cite": spec["withheld_cite"],
            "text": fill(spec["withheld_text"] if withheld_items else spec.get("withheld_none_text", "")),
            "items": withheld_items,
        },
        "sensitive": {
            "cite": spec["sensitive_cite"],
            "text": fill(spec["sensitive_text"] if sensitive_cats else spec["sensitive_none_text"]),
            "categories": sensitive_cats,
        },
    }


def _rows(spec: Mapping[str, Any], catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
          catalog_cats: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One row per CCPA category of the held data, in the order first met."""
    bp_roles = set(spec["business_purpose_roles"])
    rows: dict[str, dict[str, Any]] = {}
    for cat in held:
        cc = cat.get("ccpa_category")
        cc_id = ref_id(cc) if cc else None
        if not cc_id or cc_id == "None":
            cc_id = str((catalog_cats.get(str(cat.get("id"))) or {}).get("ccpa_category") or "")
        if not cc_id:
            raise ConfigError(f"category {cat.get('id')!r} has no ccpa_category", file="catalog",
                              key=f"categories.{cat.get('id')}.ccpa_category")
        meta = catalog_table(catalog, "ccpa_categories", cc_id)
        row = rows.setdefault(cc_id, {
            "category": {"id": cc_id, "title": meta.get("title", cc_id), "cite": meta.get("cite")},
            "data_categories": [], "sources": [], "purposes": [], "third_parties": [],
            "disclosed_for_business_purpose": [], "sold": False, "sold_to": [], "shared": False,
            "shared_with": [], "sensitive": False, "possible_recipients": [],
        })
        row["data_categories"].append({"id": str(cat.get("id")), "title": str(cat.get("title") or cat.get("id")),
                                       "count": int(cat.get("count") or 0)})
        row["sensitive"] = row["sensitive"] or bool(cat.get("sensitive"))
        _add_sources_and_purposes(row, cat, catalog)
        for r in cat.get("recipients") or []:
            _add_recipient(row, r, catalog, bp_roles)
        row["sold"] = bool(row["sold_to"])
        row["shared"] = bool(row["shared_with"])
    return rows


def _add_sources_and_purposes(row: dict[str, Any], cat: Mapping[str, Any], catalog: Mapping[str, Any]) -> None:
    for o in cat.get("origins") or []:
        oid = ref_id(o)
        source = {"id": oid, "title": str(catalog_table(catalog, "origins", oid).get("title", oid))}
        if source not in row["sources"]:
            row["sources"].append(source)
    for p in cat.get("purposes") or []:
        pid = purpose_id(p)
        pmeta = catalog_table(catalog, "purposes", pid)
        purpose = {"id": pid, "title": str(pmeta.get("title", pid)),
                   "business_purpose": str(pmeta.get("ccpa_business_purpose") or pmeta.get("title", pid))}
        if purpose not in row["purposes"]:
            row["purposes"].append(purpose)


def _add_recipient(row: dict[str, Any], r: Any, catalog: Mapping[str, Any], bp_roles: set[str]) -> None:
    """File one recipient of a category under third parties / sold to / shared with / business purpose."""
    rid = ref_id(r)
    rmeta = catalog_table(catalog, "recipients", rid)
    role = str(rmeta.get("ccpa_role") or "third_party")
    names = list(r.get("names") or []) if isinstance(r, Mapping) else []
    names = names or list(rmeta.get("names") or [])
    item: dict[str, Any] = {"id": rid, "title": str(rmeta.get("title", rid)), "role": role,
                            "names": [str(n) for n in names]}
    if isinstance(r, Mapping) and r.get("status") == "possible":
        # the person's disclosure log shows no disclosure of this data to them: not sold,
        # shared or disclosed — listed apart, as a possible recipient (exporter.law.disclosures)
        possible = {"id": rid, "title": item["title"], "role": role}
        if possible not in row["possible_recipients"]:
            row["possible_recipients"].append(possible)
        return
    if item not in row["third_parties"]:
        row["third_parties"].append(item)
    sold, shared = bool(rmeta.get("sold")), bool(rmeta.get("shared"))
    if sold and item not in row["sold_to"]:
        row["sold_to"].append(item)
    if shared and item not in row["shared_with"]:
        row["shared_with"].append(item)
    if role in bp_roles and not sold and not shared and item not in row["disclosed_for_business_purpose"]:
        row["disclosed_for_business_purpose"].append(item)


def _withheld_items(spec: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
                    catalog_cats: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The security-sensitive fields held but not disclosed, each with its kind."""
    kinds = spec["withheld_kinds"]
    withheld_items = []
    for cat in held:
        cmeta = catalog_cats.get(str(cat.get("id"))) or {}
        fields = cat.get("withheld_fields") or cmeta.get("withheld") or []
        counts = cat.get("withheld_counts")
        notes = cmeta.get("withheld_notes") or {}
        for f in fields:
            if isinstance(counts, Mapping) and not counts.get(f):
                continue  # the catalog allows for it, but this person's records hold none (§7024(d): say what is held)
            kind = next((k for k in kinds if any(_word_match(str(f), p) for p in k["patterns"])), None)
            withheld_items.append({
                "category": str(cat.get("id")),
                "category_title": str(cat.get("title") or cat.get("id")),
                "field": str(f),
                "kind": kind["id"] if kind else "other",
                "kind_title": kind["title"] if kind else "Other security-sensitive data",
                "field_title": str((cmeta.get("withheld_titles") or {}).get(f) or "") or None,
                "note": str(notes.get(f) or cmeta.get("fields_withheld_note") or "") or None,
            })
    return withheld_items


def _ccpa_from_records(ccpa: dict[str, Any], rules: Rules, logs: _disclosures.Logs, specific: bool,
                       fill: Fill) -> None:
    """The sale/sharing statement in the light of the person's opt-out and disclosure log."""
    spec = rules["ccpa"]
    status = ccpa["opt_out"]["status"]
    sold = ccpa["sold_any"] or ccpa["shared_any"]
    late = _disclosures.sales_after_opt_out(logs)
    texts = []
    if sold:
        texts.append(spec.get("sold_opted_out_text") if status == "opted_out" and spec.get("sold_opted_out_text")
                     else spec["sold_text"])
    else:
        texts.append(spec["none_sold_text"])
    if late and spec.get("after_opt_out_text"):
        texts.append(spec["after_opt_out_text"])
    ccpa["sold_shared"]["text"] = " ".join(fill(t) for t in texts if t)
    ccpa["after_opt_out"] = [{"kind": x["kind"], "count": x["count"],
                              **({"name": x["name"] or None, "first": x["first"]} if specific else {})} for x in late]


def _word_match(field: str, pattern: str) -> bool:
    """``pattern``'s words appear consecutively among ``field``'s words (split on non-alphanumerics)."""
    words = [w for w in re.split(r"[^a-z0-9]+", field.lower()) if w]
    want = [w for w in re.split(r"[^a-z0-9]+", pattern.lower()) if w]
    return bool(want) and any(words[i:i + len(want)] == want for i in range(len(words) - len(want) + 1))
