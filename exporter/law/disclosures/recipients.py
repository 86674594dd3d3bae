"""Who received the person's data (GDPR / UK GDPR Art. 15(1)(c), CJEU C-154/21; Cal. Civ. Code
§1798.115): each category's recipients marked from the person's own disclosure log, the
jurisdiction block's ``recipients`` listing, and its render-ready notice.

A logged recipient kind (``[disclosure_log] kinds``) is ``disclosed`` when the log shows a
disclosure of the category's data to it and ``possible`` when the searched log shows none; any
other kind ``receives`` the data as a service provider. The words come from the rules file's
``[recipients]`` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .logs import Logs, iso_day

__all__ = ["annotate", "how_often", "recipients_notice", "summary"]


def annotate(entries: Sequence[dict[str, Any]], logs: Logs, *, specific: bool) -> None:
    """Mark each held category's recipients ``disclosed`` / ``receives`` / ``possible``, in place.

    A logged recipient kind (``[disclosure_log] kinds``) is ``disclosed`` when the person's log shows
    a disclosure of this category's data to it — named from the log (names only when the response
    may carry specific pieces) — and ``possible`` when the log was searched and shows none (its
    catalog names are then dropped: they did not receive this person's data). Any other kind
    ``receives`` the data as a service provider; unnamed, it carries the catalog's ``unnamed_reason``.
    """
    for entry in entries:
        cat_id = str(entry.get("id"))
        for rec in entry.get("recipients") or ():
            rid = str(rec.get("id"))
            meta = logs.recipient(rid)
            unlogged = logs.unlogged().get(rid)
            if unlogged is not None and cat_id in unlogged["categories"]:
                # the person's own record says it went to them, the log does not say to whom
                rec["status"] = "disclosed"
                rec["names"] = []
                rec["disclosures"] = unlogged["count"]
                if unlogged.get("reason"):
                    rec["unnamed_reason"] = logs.catalog_text(unlogged["reason"])
                continue
            if rid in logs.logged_kinds and logs.disclosures_known:
                got = logs.disclosed(rid, cat_id)
                if got:
                    rec["status"] = "disclosed"
                    rec["names"] = sorted({g["name"] for g in got if g["name"]}) if specific else []
                    rec["disclosures"] = sum(g["count"] for g in got)
                else:
                    rec["status"] = "possible"
                    rec["names"] = []
            elif rid in logs.logged_kinds:
                rec["status"] = "possible"  # the log could not be read: nothing is known either way
            else:
                rec["status"] = "receives"
            if not rec.get("names") and rec["status"] != "possible" and meta.get("unnamed_reason"):
                rec["unnamed_reason"] = logs.catalog_text(meta["unnamed_reason"])


def summary(rules: Mapping[str, Any], logs: Logs, held: Sequence[Mapping[str, Any]], *, specific: bool,
            fill: Any) -> dict[str, Any]:
    """The jurisdiction block's ``recipients``: actual recipients from the log (names, dates, data,
    purposes — names and dates only with specific pieces), service providers (named, or the reason
    why not) and possible recipients, each labelled."""
    spec = rules.get("recipients") or {}
    titles = {str(c.get("id")): str(c.get("title") or c.get("id")) for c in held}
    actual = _actual(logs, held, titles, specific=specific) if logs.disclosures_known else []
    providers, possible = _listed(logs, held, titles)
    unknown_text = spec.get("log_unknown_text") if not logs.disclosures_known else None
    return {
        "cite": str(spec.get("cite") or ""),
        "log_searched": logs.disclosures_known,
        "actual": actual,
        "service_providers": sorted(providers.values(), key=lambda x: x["kind"]),
        "possible": sorted(possible.values(), key=lambda x: x["kind"]),
        "text": fill(spec.get("text", "")),
        "log_unknown_text": fill(unknown_text) if unknown_text else None,
    }


def _actual(logs: Logs, held: Sequence[Mapping[str, Any]], titles: Mapping[str, str], *,
            specific: bool) -> list[dict[str, Any]]:
    """The recipients the searched log names (C-154/21), then the kinds another record of the
    person says received data that the log does not name."""
    listed = {str(c.get("id")): {str(x.get("id")) for x in c.get("recipients") or ()} for c in held}
    actual: list[dict[str, Any]] = []
    for r in logs.recipients:
        meta = logs.recipient(r["kind"])
        cats = logs.data_from(r["kind"])
        from_cats = [titles[c] for c in titles if (c in cats if cats is not None else r["kind"] in listed[c])]
        item: dict[str, Any] = {"kind": r["kind"], "kind_title": str(meta.get("title", r["kind"])),
                                "count": int(r["count"]), "categories": from_cats,
                                "sold": bool(meta.get("sold")), "shared": bool(meta.get("shared"))}
        if specific:
            item.update(name=r["name"] or None, first=iso_day(r["dates"][0]) if r["dates"] else None,
                        last=iso_day(r["dates"][-1]) if r["dates"] else None,
                        data=list(r["items"]), purposes=list(r["purposes"]))
        actual.append(item)
    for kind, ev in logs.unlogged().items():
        meta = logs.recipient(kind)
        actual.append({"kind": kind, "kind_title": str(meta.get("title", kind)), "count": int(ev["count"]),
                       "categories": [titles[c] for c in ev["categories"] if c in titles],
                       "sold": bool(meta.get("sold")), "shared": bool(meta.get("shared")),
                       "note": logs.catalog_text(ev["reason"]) if ev.get("reason") else None})
    return actual


def _listed(logs: Logs, held: Sequence[Mapping[str, Any]], titles: Mapping[str, str],
            ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The service providers (named, or why not) and the possible recipients, by kind, with the
    categories each is listed for (:func:`annotate` has marked them)."""
    providers: dict[str, dict[str, Any]] = {}
    possible: dict[str, dict[str, Any]] = {}
    for c in held:
        for rec in c.get("recipients") or ():
            rid, status = str(rec.get("id")), rec.get("status")
            if status == "disclosed":
                continue
            target = possible if status == "possible" else providers
            item = target.setdefault(rid, {"kind": rid, "title": str(rec.get("title") or rid), "names": [],
                                           "categories": [], "reason": None})
            item["categories"].append(titles.get(str(c.get("id")), str(c.get("id"))))
            if status != "possible":
                for n in rec.get("names") or ():
                    if n not in item["names"]:
                        item["names"].append(str(n))
                item["reason"] = item["reason"] or rec.get("unnamed_reason")
            else:
                meta = logs.recipient(rid)
                item["reason"] = item["reason"] or (logs.catalog_text(meta["possible_reason"])
                                                    if meta.get("possible_reason") else None)
    return providers, possible


# ----------------------------------------------------------------------------------------------
# render-ready text (the words come from the rules file's [recipients] table)


def how_often(item: Mapping[str, Any]) -> str:
    """How often and when: "once", "3 times", "on 2026-01-02", "3 times, from 2026-01-02 to 2026-03-04"."""
    first, last, n = item.get("first"), item.get("last"), int(item.get("count") or 0)
    if not first:
        return "once" if n == 1 else f"{n} times"
    if n <= 1 or last == first:
        return f"on {first}" if n <= 1 else f"{n} times on {first}"
    return f"{n} times, from {first} to {last}"


def recipients_notice(block: Mapping[str, Any], cite: str, rules: Mapping[str, Any]) -> dict[str, Any]:
    """The notice "Who receives your personal data": actual recipients first, then service providers,
    then the possible recipients, each under its own label."""
    spec = rules.get("recipients") or {}
    items: list[str] = []
    actual_label = str(spec.get("actual_label") or "Received your data")
    for a in block.get("actual") or ():
        who = f"{a['name']} ({a['kind_title']})" if a.get("name") else a["kind_title"]
        parts = [f"{actual_label}: {who}, {how_often(a)}"]
        if a.get("data"):
            parts.append(f"what: {', '.join(a['data'])}")
        if a.get("purposes"):
            parts.append(f"why: {'; '.join(a['purposes'])}")
        if a.get("categories"):
            parts.append(f"from: {', '.join(a['categories'])}")
        if a.get("note"):
            parts.append(f"not named: {a['note']}")
        items.append(" — ".join(parts) + ".")
    provider_label = str(spec.get("provider_label") or "Holds your data for us")
    unnamed = str(spec.get("unnamed_label") or "not named")
    for p in block.get("service_providers") or ():
        names = ", ".join(p["names"]) if p["names"] else f"{unnamed}: {p['reason']}" if p.get("reason") else unnamed
        items.append(f"{provider_label}: {p['title']} ({names}) — for: {', '.join(p['categories'])}.")
    possible_label = str(spec.get("possible_label") or "Possible recipient, no disclosure of your data recorded")
    for p in block.get("possible") or ():
        line = f"{possible_label}: {p['title']} — for: {', '.join(p['categories'])}."
        if p.get("reason"):
            line = line[:-1] + f". {p['reason']}"
        items.append(line)
    paras = [str(block.get("text") or "")]
    if block.get("log_unknown_text"):
        paras.append(str(block["log_unknown_text"]))
    return {"id": "recipients", "title": str(spec.get("title") or "Who receives your personal data"),
            "cite": "; ".join(dict.fromkeys(x for x in (cite, str(block.get("cite") or "")) if x)),
            "paragraphs": [p for p in paras if p], "items": items}
