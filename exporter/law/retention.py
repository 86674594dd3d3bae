"""Evaluate a catalog retention rule for one data subject (GDPR Art. 15(1)(d), policy §4).

The period is the storage limitation of GDPR Art. 5(1)(e) as the catalog applies it; the subject
is told it (Art. 13(2)(a), 15(1)(d); CCPA §1798.100(a)(3): "the length of time the business
intends to retain each category").

A category's ``[categories.retention]`` table (docs/architecture.md) has ``policy``, ``text`` and
exactly one machine-evaluable form:

``earliest_of = [{fact = "last_login_at", months = 18}, {fact = "terminated_at", months = 3}]``
    deleted at the earliest of the listed dates; each date is a subject *fact* (taken from the
    records, e.g. the last log-in) plus a duration (``days``/``months``/``years``).
``per_record = {field = "ended_at", months = 1}``
    every record is deleted a fixed time after its own ``field``; the caller passes the oldest and
    newest value of that field among the subject's records.
``kind = "immutable"``
    cannot be deleted (Web3 public ledger postings, policy §4A).
``kind = "criteria"``
    no computable date; the catalog text states the criteria (Art. 15(1)(d) "the criteria used to
    determine that period").

``per_record`` may add ``after = "end_of_year"``: the period runs from the end of the calendar year
of the record's date (tax and accounting records: "7 years after the end of the year of issue").

Optional wording keys: ``label`` on an ``earliest_of`` entry ("your last log-in"), ``record`` and
``event`` on ``per_record`` ("transcript", "the chat ended"). Missing facts never raise: the answer
falls back to the catalog's criteria text and says which fact is not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from ..errors import ConfigError
from .dates import to_date

__all__ = ["describe_duration", "evaluate", "rule_duration", "rule_start"]

_UNITS = ("years", "months", "days")
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
            9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}

# How well-known facts read in a sentence ("… after <label> on <date>").
_FACT_LABELS = {
    "last_login_at": "your last log-in",
    "terminated_at": "the end of your service",
    "unsubscribed_at": "you unsubscribed",
    "closed_at": "it was closed",
    "ended_at": "it ended",
    "deleted_at": "the deletion",
}


def _duration(spec: Mapping[str, Any], *, where: str) -> tuple[relativedelta, str]:
    units = [u for u in _UNITS if u in spec]
    if len(units) != 1:
        raise ConfigError(
            "a retention duration needs exactly one of years, months or days",
            key=where,
        )
    unit = units[0]
    n = spec[unit]
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"retention {unit} must be a whole number ≥ 0", key=f"{where}.{unit}")
    return relativedelta(**{unit: n}), describe_duration(n, unit)


def rule_duration(spec: Mapping[str, Any]) -> relativedelta:
    """The duration of a ``per_record`` (or ``earliest_of`` entry) spec."""
    return _duration(spec, where="retention")[0]


def rule_start(spec: Mapping[str, Any], day: date) -> date:
    """The day a ``per_record`` period runs from for a record dated ``day``."""
    after = spec.get("after")
    if after is None:
        return day
    if after == "end_of_year":
        return date(day.year, 12, 31)
    raise ConfigError(f"unknown retention.per_record.after {after!r} (end_of_year)", key="retention.per_record.after")


def describe_duration(n: int, unit: str) -> str:
    """``describe_duration(1, "months") == "one month"``, ``(18, "months") == "18 months"``."""
    word = _NUMBERS.get(n, str(n))
    return f"{word} {unit[:-1] if n == 1 else unit}"


_as_date = to_date  # the one date reader (exporter.law.deadlines)


def _label(entry: Mapping[str, Any]) -> str:
    if entry.get("label"):
        return str(entry["label"])
    fact = str(entry.get("fact", ""))
    if fact in _FACT_LABELS:
        return _FACT_LABELS[fact]
    words = fact.removesuffix("_at").replace("_", " ").strip()
    return f"the recorded {words} date" if words else "the recorded date"


def _criteria(rule: Mapping[str, Any]) -> str:
    text = str(rule.get("text") or "").strip()
    policy = rule.get("policy")
    if text and policy:
        return f"{text} (policy {policy})"
    return text or "The retention period is set by the criteria in our privacy policy."


def evaluate(
    rule: Mapping[str, Any],
    *,
    facts: Mapping[str, Any],
    field_range: tuple[Any, Any] | None = None,
    today: date,
) -> dict[str, Any]:
    """Return ``{"until": "YYYY-MM-DD" | None, "explanation": str, "form": ..., "text": ..., "policy": ...}``.

    ``facts`` maps fact names to datetimes (or dates / ISO strings / None); ``field_range`` is the
    (oldest, newest) value of the ``per_record`` field among the subject's records, or None.
    ``today`` decides whether a computed date is still ahead ("is deleted on") or already passed
    ("was due for deletion on").

    The steps read as the law does: which rule applies (:func:`_form`), when its clock starts and
    when it runs out (GDPR Art. 5(1)(e) storage limitation), and what the subject is told about the
    period (Art. 13(2)(a), 15(1)(d); CCPA §1798.100(a)(3)).
    """
    form = _form(rule)
    base = {"form": form if form != "kind" else str(rule["kind"]), "text": rule.get("text"),
            "policy": rule.get("policy")}
    if form == "kind":
        return {**base, **_no_date(rule)}
    if form == "earliest_of":
        return {**base, **_earliest_of(rule, facts, today)}
    return {**base, **_per_record(rule, field_range, today)}


# -- which rule applies ---------------------------------------------------------------------------


def _form(rule: Mapping[str, Any]) -> str:
    """The one machine-evaluable form of ``rule``: ``earliest_of``, ``per_record`` or ``kind``."""
    if not isinstance(rule, Mapping):
        raise ConfigError("a category's retention must be a table", key="retention")
    forms = [k for k in ("earliest_of", "per_record", "kind") if k in rule]
    if len(forms) != 1:
        raise ConfigError(
            "a retention rule needs exactly one of earliest_of, per_record or kind",
            key="retention",
        )
    return forms[0]


def _no_date(rule: Mapping[str, Any]) -> dict[str, Any]:
    """``kind = "immutable"`` (never deleted) or ``"criteria"``: no date, the criteria are told
    (Art. 15(1)(d) "the criteria used to determine that period")."""
    kind = rule["kind"]
    if kind == "immutable":
        return {"until": None,
                "explanation": "This data cannot be deleted: it is recorded permanently. " + _criteria(rule)}
    if kind == "criteria":
        return {"until": None, "explanation": _criteria(rule)}
    raise ConfigError(f"unknown retention kind {kind!r} (immutable | criteria)", key="retention.kind")


# -- earliest_of: the first of several subject facts plus a period ----------------------------------


def _earliest_of(rule: Mapping[str, Any], facts: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The earliest date any entry's clock runs out (Art. 5(1)(e)), told with the fact it runs from
    (Art. 15(1)(d)); entries whose fact is not recorded are told as what would end it earlier."""
    known, missing = _clocks(rule["earliest_of"], facts)
    if not known:
        return {"until": None,
                "explanation": "We cannot calculate a date yet because the events the period "
                "runs from are not recorded. " + _criteria(rule)}
    until, words, label, fact_day = min(known)
    verb = "is deleted on" if until >= today else "was due for deletion on"
    text = f"{verb[0].upper()}{verb[1:]} {until.isoformat()}, {words} after {label} on {fact_day.isoformat()}"
    if missing:
        text += "; it is deleted earlier if this happens first: " + "; ".join(missing)
    text += "."
    return {"until": until.isoformat(), "explanation": text}


def _clocks(entries: Any, facts: Mapping[str, Any]) -> tuple[list[tuple[date, str, str, date]], list[str]]:
    """When each ``earliest_of`` clock starts (the subject's fact) and runs out (Art. 5(1)(e)):
    ``(until, duration words, label, fact date)`` per recorded fact, and the wording of those not
    recorded."""
    if not isinstance(entries, list) or not entries:
        raise ConfigError("retention.earliest_of must be a non-empty list", key="retention.earliest_of")
    known: list[tuple[date, str, str, date]] = []
    missing: list[str] = []
    for i, entry in enumerate(entries):
        where = f"retention.earliest_of[{i}]"
        if not isinstance(entry, Mapping) or not entry.get("fact"):
            raise ConfigError("each earliest_of entry needs a fact", key=where)
        delta, words = _duration(entry, where=where)
        fact_day = _as_date(facts.get(str(entry["fact"])))
        if fact_day is None:
            missing.append(f"{words} after {_label(entry)}")
        else:
            known.append((fact_day + delta, words, _label(entry), fact_day))
    return known, missing


# -- per_record: each record a fixed time after its own date ---------------------------------------


def _per_record(rule: Mapping[str, Any], field_range: tuple[Any, Any] | None, today: date) -> dict[str, Any]:
    """The rule in words, then when the oldest and the newest of the subject's records are due
    (records already past their date are stated by :mod:`exporter.law.overdue`: how many, by when)."""
    spec = rule["per_record"]
    if not isinstance(spec, Mapping) or not spec.get("field"):
        raise ConfigError("retention.per_record needs a field", key="retention.per_record")
    delta, words = _duration(spec, where="retention.per_record")
    head = _per_record_rule(spec, words)
    span = _record_dates(field_range)
    if span is None:
        return {"until": None, "explanation": head + ". " + _criteria(rule)}
    first, last = (rule_start(spec, day) + delta for day in span)
    return {"until": last.isoformat(), "explanation": f"{head}; {_due_dates(first, last, today)}."}


def _per_record_rule(spec: Mapping[str, Any], words: str) -> str:
    """The rule in words: "Each transcript is deleted one month after the chat ended" (``record``, ``event``)."""
    record = str(spec.get("record") or "record")
    event = str(spec.get("event") or f"its {str(spec['field']).removesuffix('_at').replace('_', ' ')} date")
    if spec.get("after") == "end_of_year":
        event = f"the end of the year of {event}" if spec.get("event") else "the end of the year of its date"
    return f"Each {record} is deleted {words} after {event}"


def _record_dates(field_range: tuple[Any, Any] | None) -> tuple[date, date] | None:
    """The oldest and newest record date the clocks start from (None: not known), Art. 5(1)(e)."""
    if field_range is None:
        return None
    oldest, newest = (_as_date(v) for v in field_range)
    if oldest is None or newest is None:
        return None
    return (newest, oldest) if newest < oldest else (oldest, newest)


def _due_dates(first: date, last: date, today: date) -> str:
    """When the oldest and the newest record are (or were) due, as the subject is told it
    (Art. 13(2)(a), 15(1)(d); CCPA §1798.100(a)(3))."""

    def due(day: date) -> str:
        return f"{'is' if day >= today else 'was'} due on {day.isoformat()}"

    if first == last:
        return f"the one you have {due(last)}"
    tail = f"the newest on {last.isoformat()}" if (first >= today) == (last >= today) else f"the newest {due(last)}"
    return f"the oldest you have {due(first)}, {tail}"
