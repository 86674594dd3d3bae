"""The answers the jurisdiction block gives about the held data: GDPR / UK GDPR Art. 15(1)(a)-(h)
and (2) (and their CCPA counterparts where the rules file says so).

Answers, for one subject's held categories: the deadline (Art. 12(3)) and the scope the identity
verification allows, who received the data (15(1)(c)), where it came from if not from the person
(15(1)(g)), transfers to third countries and their safeguards (15(1)(c), 15(2)), automated decisions
and profiling (15(1)(h)), which required elements apply (the elements map), the rights (15(1)(e)-(f))
and where to complain (15(1)(f), Art. 77). Composed by :func:`exporter.law.jurisdictions.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import timeline as _timeline
from .deadlines import due_date
from .refs import catalog_table, purpose_id, ref_id
from .rules import Fill, Rules

__all__ = [
    "Applies",
    "Held",
    "access",
    "automated_decisions",
    "complaint",
    "conditions",
    "deadlines",
    "destinations",
    "elements",
    "held_facts",
    "rights",
    "transfers",
]

#: why an element does not apply, by its condition
_NOT_APPLYING = {
    "any_not_from_subject": "All the data we hold about you came from you or from your use of the Service.",
    "any_transfer": "Your data is not transferred outside the area this law covers.",
    "any_sold": "We have not sold your personal information.",
    "any_shared": "We have not shared your personal information.",
    "any_sensitive": "We hold no sensitive personal information about you.",
}


def deadlines(rules: Rules, req: Mapping[str, Any]) -> dict[str, Any]:
    """When the answer is due (the rules' deadline, extension and clock stops)."""
    deadline_rule = rules["deadline"]
    from_subject = bool((deadline_rule.get("calendar") or {}).get("from_subject"))
    result = due_date(
        req["received"],
        rules,
        extension=req["extension"],
        clock_stops=_timeline.stops_for_deadline(rules, req["clock_stops"], req["clarifications"]),
        subdivision=req["country"] if from_subject else None,
    )
    return result.to_dict()


def access(rules: Rules, req: Mapping[str, Any], fill: Fill) -> dict[str, Any]:
    """What the verification level lets this response contain."""
    level = rules["verification"]["levels"][req["verification"]]
    return {
        "verification": req["verification"],
        "specific_pieces": bool(level["specific_pieces"]),
        "categories": bool(level["categories"]),
        "text": fill(level["text"]),
        "cite": rules["verification"]["cite"],
    }


@dataclass(frozen=True)
class Held:
    """What the held categories say about recipients and origins."""

    #: recipient kind → the catalog's recipients table entry (kinds of the held categories)
    recipient_meta: dict[str, Mapping[str, Any]]
    #: origin id → titles of the held categories that came from it (origins not from the subject)
    origins_not_subject: dict[str, list[str]]
    #: kinds that actually received data of a held category (all of them without the logs)
    actual_kinds: set[str]
    #: recipient kind → the names the category entries give
    entry_names: dict[str, list[str]]


def held_facts(catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]]) -> Held:
    recipients_used: dict[str, list[str]] = {}
    origins_not_subject: dict[str, list[str]] = {}
    for cat in held:
        for r in cat.get("recipients") or []:
            recipients_used.setdefault(ref_id(r), []).append(str(cat.get("title") or cat.get("id")))
        for o in cat.get("origins") or []:
            oid = ref_id(o)
            if catalog_table(catalog, "origins", oid).get("not_from_subject"):
                origins_not_subject.setdefault(oid, []).append(str(cat.get("title") or cat.get("id")))
    recipient_meta = {rid: catalog_table(catalog, "recipients", rid) for rid in recipients_used}
    actual_kinds = {ref_id(r) for c in held for r in c.get("recipients") or []
                    if not (isinstance(r, Mapping) and r.get("status") == "possible")}
    entry_names: dict[str, list[str]] = {}
    for cat in held:
        for r in cat.get("recipients") or []:
            if isinstance(r, Mapping) and r.get("names"):
                entry_names.setdefault(ref_id(r), [])
                for n in r["names"]:
                    if n not in entry_names[ref_id(r)]:
                        entry_names[ref_id(r)].append(str(n))
    return Held(recipient_meta, origins_not_subject, actual_kinds, entry_names)


def destinations(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
                 facts: Held) -> dict[str, list[str]]:
    """Countries outside the law's area the data goes to → who there (the controller, recipients)."""
    home = set(rules["transfers"]["home_countries"])
    controller = catalog.get("controller") or {}
    out: dict[str, list[str]] = {}
    if held and controller.get("country") and controller["country"] not in home:
        out.setdefault(str(controller["country"]), []).append(
            f"{controller.get('name', 'the controller')} (controller)"
        )
    for rid, meta in facts.recipient_meta.items():
        country = meta.get("country")
        if rid in facts.actual_kinds and country and country not in home:
            out.setdefault(str(country), []).append(str(meta.get("title", rid)))
    return out


def conditions(facts: Held, dests: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
               acc: Mapping[str, Any]) -> dict[str, bool]:
    """The conditions rules entries (elements, rights, notices) may depend on."""
    actual = {rid: m for rid, m in facts.recipient_meta.items() if rid in facts.actual_kinds}
    return {
        "any_not_from_subject": bool(facts.origins_not_subject),
        "any_transfer": bool(dests),
        "any_sold": any(m.get("sold") for m in actual.values()),
        "any_shared": any(m.get("shared") for m in actual.values()),
        "any_sensitive": any(c.get("sensitive") for c in held),
        "specific_pieces": acc["specific_pieces"],
        # the copy holds records (notices that describe the data files)
        "copy_has_records": bool(acc["specific_pieces"] and held),
    }


class Applies:
    """Does a rules entry apply? (No ``condition``, or its condition holds.)"""

    def __init__(self, conds: Mapping[str, bool]) -> None:
        self.conditions = conds

    def __call__(self, entry: Mapping[str, Any]) -> bool:
        cond = entry.get("condition")
        return True if cond is None else self.conditions[cond]


def elements(rules: Rules, applies: Applies, acc: Mapping[str, Any], fill: Fill) -> list[dict[str, Any]]:
    """The elements map: each required item, where the bundle satisfies it, whether it applies."""
    out = []
    for el in rules["elements"]:
        ok = applies(el)
        note = None
        if not ok:
            note = acc["text"] if el["condition"] == "specific_pieces" else _NOT_APPLYING[el["condition"]]
        out.append({
            "id": el["id"],
            "cite": el["cite"],
            "title": fill(el["title"]),
            "satisfied_by": el["satisfied_by"],
            "applies": ok,
            "note": note,
        })
    return out


def rights(rules: Rules, applies: Applies, fill: Fill) -> list[dict[str, Any]]:
    return [
        {"id": r["id"], "title": fill(r["title"]), "cite": r["cite"], "how": fill(r["how"])}
        for r in rules["rights"] if applies(r)
    ]


def complaint(rules: Rules, country: str | None, fill: Fill) -> dict[str, Any]:
    """Where to complain: the rules' routes, the authority of the person's country or the directory."""
    comp = rules["complaint"]
    routes: list[dict[str, Any]] = [
        {k: (fill(v) if isinstance(v, str) else v) for k, v in route.items()} for route in comp.get("routes", ())
    ]
    authority = None
    if comp.get("by_country"):
        table = {a["country"]: a for a in comp.get("authorities", ())}
        if country and country in table:
            a = table[country]
            authority = {k: v for k, v in a.items()}
            routes.insert(0, {"id": f"sa_{a['country'].lower()}", "name": a["name"], "website": a["website"],
                              "description": f"Supervisory authority of {a['country']}, where you told us you live.",
                              "cite": comp["cite"], **{k: a[k] for k in ("address", "phone") if k in a}})
    directory_entry = dict(comp["directory"]) if comp.get("directory") else None
    if directory_entry and authority is None:
        routes.append({"id": "sa_directory", "name": directory_entry["title"], "website": directory_entry["url"],
                       "description": "Find the supervisory authority of the country where you live or work.",
                       "cite": comp["cite"]})
    return {
        "cite": comp["cite"],
        "text": fill(comp["text"]),
        "routes": routes,
        "authority": authority,
        "directory": directory_entry,
        "authorities": [dict(a) for a in comp.get("authorities", ())],
    }


def transfers(rules: Rules, dests: Mapping[str, list[str]], fill: Fill) -> dict[str, Any]:
    transfers_rule = rules["transfers"]
    return {
        "cite": transfers_rule["cite"],
        "applies": bool(dests),
        "mechanism": fill(transfers_rule["mechanism"]),
        # what applies when nothing is transferred is the rules file's to say (CCPA: no transfer rule)
        "text": fill(transfers_rule["text"]) if dests else fill(transfers_rule.get(
            "none_text", "We do not transfer your personal data outside the area this law covers.")),
        "destinations": [{"country": c, "recipients": sorted(set(rs))} for c, rs in sorted(dests.items())],
    }


def automated_decisions(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
                        categories: Sequence[Mapping[str, Any]], fill: Fill) -> dict[str, Any]:
    """Automated decisions, the catalog's scores about the person and profiling (Art. 15(1)(h))."""
    ad = rules["automated_decisions"]
    prof_cats = set(ad.get("profiling_categories", ()))
    prof_purposes = set(ad.get("profiling_purposes", ()))
    profiling_held = [
        str(c.get("id")) for c in held
        if str(c.get("id")) in prof_cats or any(purpose_id(p) in prof_purposes for p in c.get("purposes") or [])
    ]
    held_ids = {str(c.get("id")) for c in held}
    titles = {str(c.get("id")): str(c.get("title") or c.get("id")) for c in categories}
    scores = [
        {"id": str(sid), "title": str(sc["title"]), "category": str(sc["category"]),
         "category_title": titles.get(str(sc["category"]), str(sc["category"])), "field": str(sc["field"]),
         "logic": fill(str(sc["logic"])), "significance": fill(str(sc["significance"])),
         "consequences": fill(str(sc["consequences"]))}
        for sid, sc in (catalog.get("scores") or {}).items()
        if isinstance(sc, Mapping) and str(sc.get("category")) in held_ids
    ]
    return {
        "cite": ad["cite"],
        "exists": bool(ad["exists"]),
        "text": fill(ad["text"]),
        "scores": scores,
        "profiling": bool(profiling_held or scores),
        "profiling_text": fill(ad["profiling_text"]) if profiling_held and ad.get("profiling_text") else None,
        "profiling_categories": profiling_held,
    }
