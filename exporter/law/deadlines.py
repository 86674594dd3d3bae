"""Response deadlines for an access request: pure date arithmetic driven by a rules file.

Nothing here knows a jurisdiction by name. The ``[deadline]`` table of a rules file
(``catalog/jurisdictions/<id>.toml``, schema ``schemas/jurisdiction-rules.json``) says how long the
controller has, how the period is counted and which calendar of holidays applies:

``calendar_months = 1``
    GDPR / UK GDPR Art. 12(3): one month from receipt, counted by the *corresponding-date rule*
    (Regulation (EEC, Euratom) No 1182/71 Art. 3(2)(c); ICO "How long do we have to comply?";
    EDPB Guidelines 01/2022 on the right of access): the period ends on the day of the next month
    with the same number as the day of receipt; when that month is shorter the period ends on its
    last day (31 Jan 2025 → 28 Feb 2025; 31 Jan 2024 → 29 Feb 2024).
``calendar_days = 45``
    Cal. Civ. Code §1798.130(a)(2)(A), 11 CCR §7021(b); Utah Code §13-61-203(2)(a).
``roll_forward = true``
    When the last day is a Saturday, Sunday or public holiday of the rules' calendar, the period
    ends on the next working day (Reg. 1182/71 Art. 3(4); ICO guidance).
``[deadline.calendar]``
    ``country`` (+ ``subdivision``) of the ``holidays`` package, or ``from_subject = true``: the
    caller passes the subject's country (EU: the member state of the data subject).
``[deadline.extension]``
    ``unit`` (months | days), ``max``, ``reason_required``: GDPR Art. 12(3) sentence 2 (two further
    months), §1798.130(a)(2)(A) / §7021(b) and Utah §13-61-203(2)(b) (45 further days).
``[deadline.clock_stop]``
    ``allowed = true`` only where the law lets the controller pause the period while it waits for
    the data subject (UK GDPR Art. 12A, inserted by the Data (Use and Access) Act 2025).
``[deadline.confirmation]``
    ``business_days = 10``: 11 CCR §7021(a) receipt confirmation.

Decisions (documented in the rules files too):

* The day of receipt is not counted (Reg. 1182/71 Art. 3(1): "the day during which the event …
  occurs shall not be included"); a period in months ends on the day of the last month with the same
  date as the day of receipt (Art. 3(2)(c)), so the month is added to the date of receipt itself
  (received 15 March → due 15 April, not 14 April); a period in days starts the day after receipt.
  The ICO describes the same UK result as "the day of receipt is day one" — both give the same date.
* An extension of *n* months is counted from receipt as one period of ``1 + n`` months (the same
  corresponding-date rule), an extension of *n* days adds *n* days to the initial period.
* Days during which the clock was stopped are added after the month/day arithmetic, before the
  roll-forward to a working day. Overlapping pauses are merged, never counted twice. With
  ``[deadline.clock_stop] count_both_days = true`` (UK GDPR Art. 12A, whose pause is "the period
  beginning with the day on which the controller makes the request and ending with the day on which
  the controller receives the information") both the day of asking and the day of the answer are
  paused, ``end - start + 1`` days; otherwise ``end - start``.
* A stop must start while the period is still running: one that starts after the (so far paused)
  due date is refused, as is one that starts before receipt.

This module answers *when is the response due*; the calendar arithmetic and holidays live in
:mod:`exporter.law.dates`, the extension and clock stops a request brings in
:mod:`exporter.law.clock`. Their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..errors import ConfigError, RequestError
from .clock import ClockStop, Extension, merge_stops
from .dates import (
    add_business_days,
    add_calendar_months,
    holiday_calendar,
    is_working_day,
    next_working_day,
    parse_date,
    skipped_days,
    to_date,
)

__all__ = [
    "ClockStop",
    "DeadlineResult",
    "Extension",
    "add_business_days",
    "add_calendar_months",
    "due_date",
    "holiday_calendar",
    "is_working_day",
    "next_working_day",
    "parse_date",
    "to_date",
]


@dataclass(frozen=True)
class DeadlineResult:
    """Every date of the deadline calculation plus a plain-language explanation with citations."""

    received: date
    due: date
    extended_due: date | None = None
    confirmation_due: date | None = None
    paused_days: int = 0
    extension: Extension | None = None
    explanation: tuple[str, ...] = ()
    cites: tuple[str, ...] = field(default=())

    @property
    def final_due(self) -> date:
        return self.extended_due or self.due

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings); the ``deadlines`` block of the bundle."""
        return {
            "received": self.received.isoformat(),
            "due": self.due.isoformat(),
            "extended_due": self.extended_due.isoformat() if self.extended_due else None,
            "confirmation_due": self.confirmation_due.isoformat() if self.confirmation_due else None,
            "final_due": self.final_due.isoformat(),
            "paused_days": self.paused_days,
            "extension": (
                {"length": self.extension.length, "reason": self.extension.reason}
                if self.extension
                else None
            ),
            "explanation": " ".join(self.explanation),
            "steps": list(self.explanation),
            "cites": list(self.cites),
        }


def _deadline_rule(rules: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    rule = rules.get("deadline", rules)
    source = str(rules.get("id", "rules"))
    if not isinstance(rule, Mapping):
        raise ConfigError("the rules have no [deadline] table", file=source, key="deadline")
    months, days = rule.get("calendar_months"), rule.get("calendar_days")
    if (months is None) == (days is None):
        raise ConfigError(
            "the deadline needs exactly one of calendar_months or calendar_days",
            file=source,
            key="deadline",
        )
    return rule, source


def _calendar_for(rule: Mapping[str, Any], subdivision: str | None) -> tuple[Any | None, str]:
    """Resolve ``[deadline.calendar]``; ``subdivision`` is the caller's override / subject country."""
    spec = rule.get("calendar")
    if not isinstance(spec, Mapping):
        return None, "weekends only (no public-holiday calendar applies)"
    if spec.get("from_subject"):
        if not subdivision:
            return None, str(
                spec.get("fallback_title") or "weekends only (the data subject's country is not known)"
            )
        country, _, sub = subdivision.partition("-")
        try:
            cal = holiday_calendar(country.upper(), sub or None)
        except RequestError:  # a country the holidays package does not know: never fail the request
            return None, f"weekends only (no public-holiday calendar is known for {subdivision})"
        return cal, f"public holidays of {country.upper()}{'-' + sub if sub else ''}"
    code: str | None = str(spec["country"]) if spec.get("country") else None
    sub_code: str | None = subdivision or (str(spec["subdivision"]) if spec.get("subdivision") else None)
    cal = holiday_calendar(code, sub_code)
    return cal, str(spec.get("title") or f"public holidays of {code}{'-' + sub_code if sub_code else ''}")


def _unit_word(n: int, unit: str) -> str:
    return f"{n} {unit[:-1] if n == 1 else unit}"


@dataclass
class _Counting:
    """One request's count: the deadline rule, its calendar, the days paused and the explanation so far."""

    received: date
    rule: Mapping[str, Any]
    calendar: Any | None
    calendar_title: str
    roll: bool
    lines: list[str]
    paused: int = 0


def due_date(
    received: date,
    rules: Mapping[str, Any],
    *,
    extension: Extension | None = None,
    clock_stops: Sequence[ClockStop] = (),
    subdivision: str | None = None,
) -> DeadlineResult:
    """Compute the response deadline(s) for a request received on ``received``.

    ``rules`` is a whole jurisdiction rules mapping (its ``deadline`` table is used) or the
    ``deadline`` table itself. ``subdivision`` overrides the calendar's subdivision; for calendars
    with ``from_subject = true`` it is the data subject's country (``"DE"`` or ``"DE-BY"``).

    Raises :class:`RequestError` for an extension without a reason, beyond the maximum, or where the
    rules allow none, and for clock stops where the rules do not allow stopping the clock.
    """
    if not isinstance(received, date):
        raise RequestError("received must be a date", key="received")
    if hasattr(received, "hour"):  # a datetime: the calendar day of receipt counts
        received = received.date()  # type: ignore[attr-defined]
    rule, source = _deadline_rule(rules)
    cite = str(rule.get("cite", ""))
    cites: list[str] = [cite] if cite else []
    calendar, calendar_title = _calendar_for(rule, subdivision)
    ctx = _Counting(received, rule, calendar, calendar_title, bool(rule.get("roll_forward", False)), [])
    if clock_stops:
        ctx.paused = _paused_days(ctx, clock_stops, cite, cites)
    due = _compute(ctx, rule.get("calendar_months"), rule.get("calendar_days"), "Response due")
    extended_due = _extended_due(ctx, extension, source, cites) if extension is not None else None
    confirmation_due = _confirmation_due(ctx, cites)
    return DeadlineResult(
        received=received,
        due=due,
        extended_due=extended_due,
        confirmation_due=confirmation_due,
        paused_days=ctx.paused,
        extension=extension,
        explanation=tuple(ctx.lines),
        cites=tuple(dict.fromkeys(cites)),
    )


def _paused_days(ctx: _Counting, clock_stops: Sequence[ClockStop], cite: str, cites: list[str]) -> int:
    """Days the clock stood still (the rules must allow stops; each must begin while the period runs)."""
    rule, received, calendar = ctx.rule, ctx.received, ctx.calendar
    paused = 0
    stop_rule = rule.get("clock_stop") or {}
    if not stop_rule.get("allowed", False):
        raise RequestError(
            "these rules do not allow stopping the clock: "
            + str(stop_rule.get("text") or "the period runs from receipt without pause"),
            key="clock_stops",
            hint=str(stop_rule.get("cite") or cite) or None,
        )
    merged = merge_stops(clock_stops, received)
    both = bool(stop_rule.get("count_both_days", False))
    months0, days0 = rule.get("calendar_months"), rule.get("calendar_days")
    base = (add_calendar_months(received, int(months0)) if months0 is not None
            else received + timedelta(days=int(days0 or 0)))
    for start, end in merged:
        running = base + timedelta(days=paused)
        running = next_working_day(running, calendar) if ctx.roll else running
        if start > running:
            raise RequestError(
                f"clock stop starting {start.isoformat()} begins after the response was due "
                f"({running.isoformat()}): a stop can only pause a period that is still running",
                key="clock_stops",
                hint="record the stop with the date the controller asked the data subject, before the due date",
            )
        paused += (end - start).days + (1 if both else 0)
    stop_cite = str(stop_rule.get("cite", ""))
    if stop_cite:
        cites.append(stop_cite)
    return paused


def _compute(ctx: _Counting, total_months: int | None, total_days: int | None, label: str) -> date:
    """The end of a period of ``total_months`` (or ``total_days``) from receipt, paused and rolled."""
    raw = _period_end(ctx, total_months, total_days, label)
    rule, lines, calendar, paused = ctx.rule, ctx.lines, ctx.calendar, ctx.paused
    if paused:
        raw_paused = raw + timedelta(days=paused)
        lines.append(
            f"The clock was stopped for {_unit_word(paused, 'days')} while we waited for your "
            f"answer, which moves this to {raw_paused.isoformat()}"
            + (f" ({rule['clock_stop']['cite']})" if rule["clock_stop"].get("cite") else "")
            + "."
        )
        raw = raw_paused
    if ctx.roll:
        rolled = next_working_day(raw, calendar)
        if rolled != raw:
            lines.append(
                f"{raw.isoformat()} is not a working day ("
                + ", ".join(skipped_days(raw, rolled, calendar))
                + f"; calendar: {ctx.calendar_title}), so it moves to the next working day, "
                f"{rolled.isoformat()}"
                + (f" ({rule['roll_forward_cite']})" if rule.get("roll_forward_cite") else "")
                + "."
            )
        return rolled
    return raw


def _period_end(ctx: _Counting, total_months: int | None, total_days: int | None, label: str) -> date:
    """The period's last day counted from receipt, before pauses and rolling forward."""
    received, rule = ctx.received, ctx.rule
    if total_months is not None:
        raw = add_calendar_months(received, total_months)
        corresponding = received.day == raw.day
        ctx.lines.append(
            f"{label}: {_unit_word(total_months, 'months')} from receipt on {received.isoformat()} "
            + (
                f"ends on the corresponding date, {raw.isoformat()}"
                if corresponding
                else f"ends on {raw.isoformat()}, the last day of that month, because it has no "
                f"day {received.day}"
            )
            + (f" ({rule['counting_cite']})" if rule.get("counting_cite") else "")
            + "."
        )
    else:
        assert total_days is not None
        raw = received + timedelta(days=total_days)
        ctx.lines.append(
            f"{label}: {total_days} calendar days after receipt on {received.isoformat()} is "
            f"{raw.isoformat()}"
            + (f" ({rule['counting_cite']})" if rule.get("counting_cite") else "")
            + "."
        )
    return raw


def _extended_due(ctx: _Counting, extension: Extension, source: str, cites: list[str]) -> date:
    """The extended deadline (the rules must allow the extension, its length and its reason)."""
    rule = ctx.rule
    months = rule.get("calendar_months")
    days = rule.get("calendar_days")
    ext_rule = rule.get("extension")
    if not isinstance(ext_rule, Mapping):
        raise RequestError("these rules allow no extension of the response period", key="extension")
    unit = str(ext_rule.get("unit", "months"))
    maximum = int(ext_rule.get("max", 0))
    if extension.length < 1 or extension.length > maximum:
        raise RequestError(
            f"an extension must be between 1 and {maximum} {unit}; got {extension.length}",
            key="extension.length",
            hint=str(ext_rule.get("cite") or "") or None,
        )
    if ext_rule.get("reason_required", True) and not (extension.reason or "").strip():
        raise RequestError(
            "an extension needs a reason that is told to the data subject",
            key="extension.reason",
            hint=str(ext_rule.get("cite") or "") or None,
        )
    if (unit == "months") != (months is not None):
        raise ConfigError(
            "deadline.extension.unit must match the initial period's unit",
            file=source,
            key="deadline.extension.unit",
        )
    if months is not None:
        extended_due = _compute(ctx, int(months) + extension.length, None, "Extended response due")
    else:
        extended_due = _compute(ctx, None, int(days or 0) + extension.length, "Extended response due")
    ctx.lines.append(
        f"We extended the period by {_unit_word(extension.length, unit)} because: "
        f"{extension.reason}."
        + (f" {ext_rule['notice']}" if ext_rule.get("notice") else "")
    )
    if ext_rule.get("cite"):
        cites.append(str(ext_rule["cite"]))
    return extended_due


def _confirmation_due(ctx: _Counting, cites: list[str]) -> date | None:
    """When receipt must be confirmed (rules with ``[deadline.confirmation] business_days``), if ever."""
    conf = ctx.rule.get("confirmation")
    if not (isinstance(conf, Mapping) and conf.get("business_days")):
        return None
    conf_cal_spec: Mapping[str, Any] = conf["calendar"] if isinstance(conf.get("calendar"), Mapping) else {}
    conf_cal = holiday_calendar(conf_cal_spec.get("country"), conf_cal_spec.get("subdivision"))
    n = int(conf["business_days"])
    confirmation_due = add_business_days(ctx.received, n, conf_cal)
    ctx.lines.append(
        f"Receipt of the request must be confirmed within {n} business days, by "
        f"{confirmation_due.isoformat()}"
        + (f" ({conf['cite']})" if conf.get("cite") else "")
        + "."
    )
    if conf.get("cite"):
        cites.append(str(conf["cite"]))
    return confirmation_due
