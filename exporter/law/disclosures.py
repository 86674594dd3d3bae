"""Who actually received the person's data, and whether they opted out of its sale — from their own
records, not from the catalog's list of possible recipients.

CJEU C-154/21 (Österreichische Post): the right of access (GDPR Art. 15(1)(c)) gives the identity
of the recipients that actually received the person's data; categories of recipients only where
they cannot be identified. The CCPA asks per category of personal information whether it was sold
or shared and to whom (Cal. Civ. Code §1798.115(a)(2)), and forbids selling or sharing after the
consumer opted out (§1798.120(d); an opt-out preference signal such as Global Privacy Control is
an opt-out, 11 CCR §7025).

Two catalog tables name the records that answer these questions (``catalog/categories.toml``):

* ``[disclosure_log]`` — the category that records every disclosure to an outside organisation
  (field names for the recipient kind, name, date, data and purpose; ``kinds``: the recipient kinds
  every disclosure to which is logged there; ``data_from``: which categories of data a disclosure
  to a kind draws on);
* ``[opt_out_log]`` — the category that records opt-outs (which channel values mean "sale or
  sharing", which source values mean an opt-out preference signal).

While a category is collected, :class:`LogObserver` keeps a bounded summary of these records
(per recipient: count, first and last date, data items; per opt-out: the earliest date); nothing
else about the records is kept. :func:`annotate` then marks every category's recipients as
``disclosed`` (the log shows a disclosure, named from the log), ``receives`` (a service provider
that holds the data for us, named from the configuration, or the catalog's reason why not) or
``possible`` (a logged kind that, per the searched log, never received this person's data), and
:func:`summary` / :func:`opt_out` / :func:`findings` build the jurisdiction block, the CCPA
opt-out status and the operator's findings. All subject-facing text comes from the rules files.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .findings import Finding

__all__ = ["LogObserver", "annotate", "findings", "observer_for", "opt_out", "summary"]

#: bounds of the summary one category's records leave behind (a disclosure log is short; these
#: keep a pathological one from growing memory)
MAX_RECIPIENTS = 500
MAX_DATES = 2000
MAX_ITEMS = 50

#: statuses of a category whose records are known (the log was read completely)
_SEARCHED = ("held", "none_held")


def _spec(catalog: Mapping[str, Any], table: str) -> Mapping[str, Any]:
    spec = catalog.get(table)
    return spec if isinstance(spec, Mapping) else {}


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


class LogObserver:
    """Bounded summary of one category's disclosure or opt-out records (one per collection attempt)."""

    def __init__(self, kind: str, spec: Mapping[str, Any]) -> None:
        self.kind, self.spec = kind, spec
        self.recipients: dict[tuple[str, str], dict[str, Any]] = {}
        self.more = 0
        self.opt_outs: list[dict[str, Any]] = []
        self.evidence: dict[str, int] = {}

    def update(self, records: Iterable[Mapping[str, Any]]) -> None:
        if self.kind == "evidence":
            for rec in records:
                for ev in self.spec["evidence"]:
                    if rec.get(ev["field"]) in (ev.get("values") or (True,)):
                        self.evidence[ev["kind"]] = self.evidence.get(ev["kind"], 0) + 1
            return
        if self.kind == "disclosures":
            for rec in records:
                self._disclosure(rec)
        else:
            for rec in records:
                self._opt_out(rec)

    def _disclosure(self, rec: Mapping[str, Any]) -> None:
        s = self.spec
        kind = str(rec.get(s.get("kind", "recipient_type")) or "")
        name = str(rec.get(s.get("name", "recipient_name")) or "")
        when = rec.get(s.get("date", "disclosed_at"))
        if not kind:
            return
        entry = self.recipients.get((kind, name))
        if entry is None:
            if len(self.recipients) >= MAX_RECIPIENTS:
                self.more += 1
                return
            entry = self.recipients[(kind, name)] = {"kind": kind, "name": name, "count": 0, "dates": [],
                                                     "dates_complete": True, "items": [], "purposes": []}
        entry["count"] += 1
        if isinstance(when, str):
            if len(entry["dates"]) < MAX_DATES:
                bisect.insort(entry["dates"], when)
            else:
                entry["dates_complete"] = False
        data = rec.get(s.get("data", "data_disclosed"))
        for item in (str(data).split(",") if isinstance(data, str) else ()):
            item = item.strip()
            if item and item not in entry["items"] and len(entry["items"]) < MAX_ITEMS:
                entry["items"].append(item)
        purpose = rec.get(s.get("purpose", "purpose"))
        if isinstance(purpose, str) and purpose and purpose not in entry["purposes"] and len(entry["purposes"]) < 10:
            entry["purposes"].append(purpose)

    def _opt_out(self, rec: Mapping[str, Any]) -> None:
        s = self.spec
        channel = rec.get(s.get("channel", "channel"))
        if channel not in (s.get("sale_channels") or ()):
            return
        when = rec.get(s.get("date", "recorded_at"))
        source = rec.get(s.get("source", "source"))
        item = {"date": when if isinstance(when, str) else None, "source": str(source or ""),
                "signal": source in (s.get("signal_sources") or ())}
        self.opt_outs.append(item)
        self.opt_outs.sort(key=lambda o: (o["date"] is None, o["date"] or ""))
        del self.opt_outs[10:]  # the earliest ones decide

    def result(self) -> dict[str, Any]:
        if self.kind == "evidence":
            return {"kind": "evidence", "counts": dict(sorted(self.evidence.items()))}
        if self.kind == "disclosures":
            return {"kind": "disclosures",
                    "recipients": [self.recipients[k] for k in sorted(self.recipients)], "more": self.more}
        return {"kind": "opt_outs", "opt_outs": list(self.opt_outs)}


def observer_for(catalog: Mapping[str, Any], category_id: str) -> LogObserver | None:
    """A fresh observer when ``category_id`` is the catalog's disclosure or opt-out log, else None."""
    for table, kind in (("disclosure_log", "disclosures"), ("opt_out_log", "opt_outs")):
        spec = _spec(catalog, table)
        if spec.get("category") == category_id:
            return LogObserver(kind, spec)
    evidence = [e for e in _spec(catalog, "disclosure_log").get("evidence") or ()
                if isinstance(e, Mapping) and e.get("category") == category_id]
    if evidence:
        return LogObserver("evidence", {"evidence": evidence})
    return None


# ----------------------------------------------------------------------------------------------
# what the logs say


class Logs:
    """The collected summaries plus whether each log was read completely."""

    def __init__(self, catalog: Mapping[str, Any], logs: Mapping[str, Mapping[str, Any]],
                 statuses: Mapping[str, str]) -> None:
        self.catalog = catalog
        self.dspec = _spec(catalog, "disclosure_log")
        self.ospec = _spec(catalog, "opt_out_log")
        dcat, ocat = self.dspec.get("category"), self.ospec.get("category")
        self.disclosures_known = bool(dcat) and statuses.get(str(dcat)) in _SEARCHED
        self.opt_outs_known = bool(ocat) and statuses.get(str(ocat)) in _SEARCHED
        self.disclosure_category = str(dcat) if dcat else None
        self.recipients: list[dict[str, Any]] = list((logs.get(str(dcat)) or {}).get("recipients") or []) if dcat else []
        self.opt_outs: list[dict[str, Any]] = list((logs.get(str(ocat)) or {}).get("opt_outs") or []) if ocat else []
        self.logged_kinds = set(self.dspec.get("kinds") or ())
        #: kind → {"count", "categories", "reason"}: records of other categories that say data went
        #: to a logged kind ([[disclosure_log.evidence]]), e.g. an event registration "shared with sponsors"
        self.evidence: dict[str, dict[str, Any]] = {}
        reasons = {(e.get("category"), e.get("kind")): e.get("reason") for e in self.dspec.get("evidence") or ()
                   if isinstance(e, Mapping)}
        for cat_id, summary_ in sorted(logs.items()):
            if (summary_ or {}).get("kind") != "evidence":
                continue
            for kind, n in summary_["counts"].items():
                item = self.evidence.setdefault(kind, {"count": 0, "categories": [], "reason": None})
                item["count"] += int(n)
                item["categories"].append(cat_id)
                item["reason"] = item["reason"] or reasons.get((cat_id, kind))

    def unlogged(self) -> dict[str, dict[str, Any]]:
        """Kinds the person's other records say received data but the (searched) log never names."""
        if not self.disclosures_known:
            return {}
        logged = {r["kind"] for r in self.recipients}
        return {k: v for k, v in self.evidence.items() if v["count"] and k not in logged}

    def data_from(self, kind: str) -> set[str] | None:
        """Categories a disclosure to ``kind`` draws on (None: every category that lists the kind)."""
        table = self.dspec.get("data_from") or {}
        cats = table.get(kind) if isinstance(table, Mapping) else None
        return set(cats) if cats else None

    def disclosed(self, kind: str, category: str) -> list[dict[str, Any]]:
        """The log's recipients of ``kind`` whose disclosures drew on ``category``."""
        cats = self.data_from(kind)
        if cats is not None and category not in cats:
            return []
        return [r for r in self.recipients if r["kind"] == kind]

    def first_opt_out(self) -> dict[str, Any] | None:
        return self.opt_outs[0] if self.opt_outs else None


def _catalog_text(text: Any, catalog: Mapping[str, Any]) -> str:
    """A catalog text with the controller's {email} / {controller} filled in."""
    ctl = catalog.get("controller") or {}
    return str(text).replace("{email}", str(ctl.get("email") or "")).replace("{controller}", str(ctl.get("name") or ""))


def _recipient_meta(catalog: Mapping[str, Any], rid: str) -> Mapping[str, Any]:
    meta = (catalog.get("recipients") or {}).get(rid)
    return meta if isinstance(meta, Mapping) else {}


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
            meta = _recipient_meta(logs.catalog, rid)
            unlogged = logs.unlogged().get(rid)
            if unlogged is not None and cat_id in unlogged["categories"]:
                # the person's own record says it went to them, the log does not say to whom
                rec["status"] = "disclosed"
                rec["names"] = []
                rec["disclosures"] = unlogged["count"]
                if unlogged.get("reason"):
                    rec["unnamed_reason"] = _catalog_text(unlogged["reason"], logs.catalog)
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
                rec["unnamed_reason"] = _catalog_text(meta["unnamed_reason"], logs.catalog)


def summary(rules: Mapping[str, Any], logs: Logs, held: Sequence[Mapping[str, Any]], *, specific: bool,
            fill: Any) -> dict[str, Any]:
    """The jurisdiction block's ``recipients``: actual recipients from the log (names, dates, data,
    purposes — names and dates only with specific pieces), service providers (named, or the reason
    why not) and possible recipients, each labelled."""
    spec = rules.get("recipients") or {}
    catalog = logs.catalog
    titles = {str(c.get("id")): str(c.get("title") or c.get("id")) for c in held}
    listed = {str(c.get("id")): {str(x.get("id")) for x in c.get("recipients") or ()} for c in held}
    actual: list[dict[str, Any]] = []
    if logs.disclosures_known:
        for r in logs.recipients:
            meta = _recipient_meta(catalog, r["kind"])
            cats = logs.data_from(r["kind"])
            from_cats = [titles[c] for c in titles if (c in cats if cats is not None else r["kind"] in listed[c])]
            item: dict[str, Any] = {"kind": r["kind"], "kind_title": str(meta.get("title", r["kind"])),
                                    "count": int(r["count"]), "categories": from_cats,
                                    "sold": bool(meta.get("sold")), "shared": bool(meta.get("shared"))}
            if specific:
                item.update(name=r["name"] or None, first=_day(r["dates"][0]) if r["dates"] else None,
                            last=_day(r["dates"][-1]) if r["dates"] else None,
                            data=list(r["items"]), purposes=list(r["purposes"]))
            actual.append(item)
        for kind, ev in logs.unlogged().items():
            meta = _recipient_meta(catalog, kind)
            actual.append({"kind": kind, "kind_title": str(meta.get("title", kind)), "count": int(ev["count"]),
                           "categories": [titles[c] for c in ev["categories"] if c in titles],
                           "sold": bool(meta.get("sold")), "shared": bool(meta.get("shared")),
                           "note": _catalog_text(ev["reason"], catalog) if ev.get("reason") else None})
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
                meta = _recipient_meta(catalog, rid)
                item["reason"] = item["reason"] or (_catalog_text(meta["possible_reason"], catalog)
                                                    if meta.get("possible_reason") else None)
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


def opt_out(spec: Mapping[str, Any], logs: Logs, *, specific: bool, fill: Any) -> dict[str, Any]:
    """The CCPA opt-out status: ``opted_out`` (with the earliest date and whether by an opt-out
    preference signal such as GPC), ``not_opted_out`` or ``unknown`` (the opt-out log was not read)."""
    first = logs.first_opt_out()
    if not logs.opt_outs_known:
        status, text = "unknown", spec.get("unknown_text", "")
    elif first is None:
        status, text = "not_opted_out", spec.get("none_text", "")
    elif specific and first["date"]:
        status, text = "opted_out", spec.get("signal_text" if first["signal"] else "text", "")
    else:
        status, text = "opted_out", spec.get("signal_undated_text" if first["signal"] else "undated_text", "")
    date = _day(first["date"]) if first and specific else None
    body = str(text).replace("{date}", date or "")
    return {"cite": str(spec.get("cite") or ""), "status": status, "date": date,
            "signal": bool(first and first["signal"]), "text": fill(body)}


def sales_after_opt_out(logs: Logs) -> list[dict[str, Any]]:
    """Logged disclosures treated as a sale (or sharing) dated after the earliest opt-out."""
    first = logs.first_opt_out()
    if not first or not first["date"] or not logs.disclosures_known:
        return []
    out = []
    for r in logs.recipients:
        meta = _recipient_meta(logs.catalog, r["kind"])
        if not (meta.get("sold") or meta.get("shared")):
            continue
        later = [d for d in r["dates"] if d > first["date"]]
        if later:
            out.append({"kind": r["kind"], "name": r["name"], "count": len(later), "first": _day(later[0]),
                        "lower_bound": not r["dates_complete"]})
    return out


def findings(logs: Logs, *, ccpa: bool) -> list[Finding]:
    """Operator findings from the logs: ``disclosure_not_logged`` (a warning: another record of the
    person says their data went to a logged kind of recipient, the log names none) and, under a law
    with a CCPA block, ``sale_after_opt_out`` (blocking). Messages name kinds of records and counts only, never the person or a recipient."""
    out = [Finding(
        code="disclosure_not_logged",
        category=ev["categories"][0] if ev["categories"] else None,
        count=int(ev["count"]),
        message=(f"{ev['count']} record(s) of {', '.join(ev['categories'])} say the data went to {kind}, but the "
                 "disclosure log holds no disclosure to that kind of recipient for this person, so the package "
                 "cannot name the actual recipient"),
        action=("record the disclosure(s) in the disclosure log with each recipient's name and date (or correct "
                "the record if nothing was disclosed) and export again; the package names only the kind of recipient "
                "and tells the person why"),
        blocking=False,
        cite="GDPR / UK GDPR Art. 15(1)(c) (CJEU C-154/21); Cal. Civ. Code §1798.115(a)",
    ) for kind, ev in sorted(logs.unlogged().items())]
    if not ccpa:
        return out
    late = sales_after_opt_out(logs)
    if not late:
        return out
    n = sum(x["count"] for x in late)
    kinds = sorted({x["kind"] for x in late})
    return [*out, Finding(
        code="sale_after_opt_out",
        category=logs.disclosure_category,
        count=n,
        message=(f"{n} disclosure(s) to recipients the catalog treats as a sale or sharing ({', '.join(kinds)}) "
                 "are dated after this consumer's opt-out of sale/sharing"
                 + (" (at least; the log summary was cut short)" if any(x["lower_bound"] for x in late) else "")),
        action=("stop further disclosures for this consumer, have the privacy office review the disclosure(s) "
                "and decide what the consumer is told, then export again with --acknowledge sale_after_opt_out"),
        blocking=True,
        cite="Cal. Civ. Code §1798.120(d), §1798.135(c)(4); 11 CCR §7025",
    )]


# ----------------------------------------------------------------------------------------------
# render-ready text (the words come from the rules file's [recipients] table)


def _when(item: Mapping[str, Any]) -> str:
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
        parts = [f"{actual_label}: {who}, {_when(a)}"]
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


def sale_items(block: Mapping[str, Any] | None, ccpa: Mapping[str, Any], rules: Mapping[str, Any]) -> list[str]:
    """Lines for the sale/sharing notice: each actual sale or sharing from the log, and those after
    the opt-out marked as such (the words: the rules file's [ccpa] after_opt_out_label)."""
    if not block:
        return []
    spec = rules.get("ccpa") or {}
    late = {(x["kind"], x.get("name")): x for x in ccpa.get("after_opt_out") or ()}
    label = str(spec.get("after_opt_out_label") or "after your opt-out")
    out = []
    for a in block.get("actual") or ():
        if not (a.get("sold") or a.get("shared")):
            continue
        verb = "Sold to" if a.get("sold") else "Shared with"
        who = f"{a['name']} ({a['kind_title']})" if a.get("name") else a["kind_title"]
        line = f"{verb} {who}, {_when(a)}"
        x = late.get((a["kind"], a.get("name")))
        if x is not None:
            line += f" — {x['count']} {label}" + (f" (from {x['first']})" if x.get("first") and x["count"] > 1 else "")
        out.append(line + ".")
    return out
