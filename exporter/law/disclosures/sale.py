"""CCPA sold or shared, and the consumer's opt-out (Cal. Civ. Code §1798.115(a)(2), §1798.120(d);
an opt-out preference signal such as Global Privacy Control is an opt-out, 11 CCR §7025).

From the person's own logs: the opt-out status the CCPA table shows, the logged sales or sharing
dated after the earliest opt-out, and the lines of the sale/sharing notice (the words: the rules
file's ``[ccpa]`` table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .logs import Logs, iso_day
from .recipients import how_often

__all__ = ["opt_out", "sale_items", "sales_after_opt_out"]


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
    date = iso_day(first["date"]) if first and specific else None
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
        meta = logs.recipient(r["kind"])
        if not (meta.get("sold") or meta.get("shared")):
            continue
        later = [d for d in r["dates"] if d > first["date"]]
        if later:
            out.append({"kind": r["kind"], "name": r["name"], "count": len(later), "first": iso_day(later[0]),
                        "lower_bound": not r["dates_complete"]})
    return out


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
        line = f"{verb} {who}, {how_often(a)}"
        x = late.get((a["kind"], a.get("name")))
        if x is not None:
            line += f" — {x['count']} {label}" + (f" (from {x['first']})" if x.get("first") and x["count"] > 1 else "")
        out.append(line + ".")
    return out
