"""What the person's disclosure and opt-out logs say (``[disclosure_log]``, ``[opt_out_log]``).

While a category is collected, :class:`LogObserver` keeps a bounded summary of its records (per
recipient: count, first and last date, data items; per opt-out: the earliest ones; per evidence
record: how many say data went to a logged kind); nothing else about the records is kept.
:class:`Logs` holds the summaries of one export and whether each log was read completely — a log
that was not read says nothing either way (GDPR Art. 15(1)(c), CJEU C-154/21; Cal. Civ. Code
§1798.115, §1798.120(d)).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MAX_DATES", "MAX_ITEMS", "MAX_RECIPIENTS", "LogObserver", "Logs", "iso_day", "observer_for"]

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


def iso_day(value: Any) -> str | None:
    """The ``YYYY-MM-DD`` of an ISO date-time string (None for anything else)."""
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

    # -- the catalog's words about a recipient kind -------------------------------------------------

    def recipient(self, kind: str) -> Mapping[str, Any]:
        """The catalog's ``[recipients.<kind>]`` table (empty when there is none)."""
        meta = (self.catalog.get("recipients") or {}).get(kind)
        return meta if isinstance(meta, Mapping) else {}

    def catalog_text(self, text: Any) -> str:
        """A catalog text with the controller's {email} / {controller} filled in."""
        ctl = self.catalog.get("controller") or {}
        return str(text).replace("{email}", str(ctl.get("email") or "")).replace("{controller}",
                                                                                  str(ctl.get("name") or ""))
