"""Records past their retention date on the snapshot date (GDPR/UK GDPR Art. 5(1)(e), 15(1)(d); policy §4).

Such records are still the person's data and are given in the package (deleting them in answer to
an access request would defeat it). The operator gets a finding (count, category, what to do); the
data subject gets a plain statement from the catalog's ``[retention_overdue]`` texts — how many are
older than the rule and the date by which they will be deleted — instead of a routine-sounding
"removed in the next deletion run".

``per_record`` rules count records by the day of their retention field (the pipeline's
``retention_days`` histogram, bounded by the number of distinct days); ``earliest_of`` rules whose
date has passed make every record of the category overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .findings import Finding
from .retention import rule_duration, rule_start

__all__ = ["annotate", "count_past", "findings"]

_DEFAULTS = {
    "delete_within_days": 30,
    "text": "{count} {records} {are} older than our {rule} rule; {they} will be deleted by {delete_by}.",
    "text_all": "This data is past its deletion date under our rule ({rule}); it will be deleted by {delete_by}.",
}


def count_past(rule: Mapping[str, Any], days: Mapping[str, int], today: dt.date) -> int:
    """How many records of a ``per_record`` rule were due for deletion before ``today``."""
    spec = rule.get("per_record")
    if not isinstance(spec, Mapping) or not days:
        return 0
    delta = rule_duration(spec)
    total = 0
    for day, n in days.items():
        try:
            d = dt.date.fromisoformat(day[:10])
        except ValueError:
            continue
        if rule_start(spec, d) + delta < today:
            total += n
    return total


def _plural(word: str, n: int) -> str:
    return word if n == 1 else (word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s")


def _rule_words(rule: Mapping[str, Any]) -> str:
    spec = rule.get("per_record") or {}
    for unit in ("years", "months", "days"):
        if unit in spec:
            from .retention import describe_duration

            words = describe_duration(int(spec[unit]), unit)
            n, _, u = words.partition(" ")
            return f"{n}-{u.removesuffix('s') if u.endswith('s') else u}"
    return str(rule.get("text") or "retention")


PRIVATE = "_overdue"  #: where a categories-only entry keeps the count for the finding only (popped before output)


def annotate(entry: dict[str, Any], rule: Mapping[str, Any], days: Mapping[str, int], *, today: dt.date,
             count: int, texts: Mapping[str, Any] | None = None, disclose: bool = True) -> None:
    """Add ``retention.overdue`` ({count, delete_by, text}) to a bundle category entry and the
    statement to its retention explanation, when some of its records are past their retention date.

    ``disclose=False`` (a categories-only answer, 11 CCR §7024(a)): "N records older than one month"
    would tell the consumer something about specific records, so the entry gets nothing; the count
    is kept under ``entry["_overdue"]`` for the operator's finding and must be popped
    (:func:`findings` with ``pop=True``) before the bundle is written."""
    ret = entry.get("retention")
    if not isinstance(ret, dict) or not count:
        return
    t = {**_DEFAULTS, **(texts or {})}
    delete_by = (today + dt.timedelta(days=int(t["delete_within_days"]))).isoformat()
    if "per_record" in rule:
        past = count_past(rule, days, today)
        if not past:
            return
        spec = rule["per_record"]
        record = str(spec.get("record") or "record")
        text = str(t["text"]).format(count=past, records=_plural(record, past), are="is" if past == 1 else "are",
                                     rule=_rule_words(rule), they="it" if past == 1 else "they", delete_by=delete_by)
    elif "earliest_of" in rule and ret.get("until") and str(ret["until"]) < today.isoformat():
        past = count
        text = str(t["text_all"]).format(rule=str(rule.get("text") or "").rstrip("."), delete_by=delete_by)
    else:
        return
    if not disclose:
        entry[PRIVATE] = {"count": past, "delete_by": delete_by}
        return
    ret["overdue"] = {"count": past, "delete_by": delete_by, "text": text}
    ret["explanation"] = f"{str(ret.get('explanation') or '').rstrip()} {text}".strip()


def findings(entries: Sequence[dict[str, Any]], *, cite: str = "", blocking: bool = False,
             pop: bool = True) -> list[Finding]:
    """One ``past_retention`` finding per category with overdue records; blocking only where the
    catalog's ``[retention_overdue] blocking = true`` asks for the operator's sign-off first.
    ``pop`` removes the undisclosed counts of a categories-only answer from the entries."""
    out = []
    for e in entries:
        private = e.pop(PRIVATE, None) if pop else e.get(PRIVATE)
        over = (e.get("retention") or {}).get("overdue") or private
        if not over:
            continue
        policy = (e.get("retention") or {}).get("policy") or ""
        out.append(Finding(
            code="past_retention", category=str(e.get("id")), count=int(over["count"]),
            message=f"records are kept past their retention date under policy {policy}".strip(),
            action=(f"deliver this package first (the records are part of the answer), then delete them by "
                    f"{over['delete_by']}, the date the package gives the data subject; check why the "
                    f"deletion job missed them"),
            blocking=blocking, cite=(f"{cite}; " if cite else "") + f"privacy policy {policy}".strip()))
    return out
