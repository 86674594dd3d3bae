"""The life of one access request: identity check, pauses, clarification, receipt confirmation, lateness.

The request carries what the operator recorded (``AccessRequest``: ``verification_details``,
``clock_stops``, ``clarifications``, ``confirmation_sent``, ``extension``); this module checks those
dates against the generation date, turns them into what the data subject is told (texts from the
rules file's ``[timeline]`` table, each citing its rule) and into findings for the operator (a late
response, a receipt confirmation not sent). Nothing here knows a jurisdiction by name.

* The evidence of identity is never recorded, only its type (``evidence_type``), the method, who
  checked and when.
* A clarification the data subject answered pauses the period where the rules allow a clock stop
  (UK GDPR Art. 12A); elsewhere it is shown and the period keeps running.
* Receipt confirmation (11 CCR §7021(a)) is "sent on <date>" only when the operator recorded it;
  otherwise it is "due by <date>", never assumed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import RequestError
from .clock import ClockStop
from .findings import Finding

__all__ = ["Clarification", "VerificationDetails", "build", "check_dates", "findings", "precheck", "stops_for_deadline"]


@dataclass(frozen=True)
class VerificationDetails:
    """How the requester's identity was checked: never the evidence itself."""

    method: str  #: e.g. "log-in to the account", "two matching data points"
    evidence_type: str  #: e.g. "passport (type only)", "account password"
    by: str  #: who checked (a role or team, e.g. "privacy team")
    on: dt.date

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "evidence_type": self.evidence_type, "by": self.by,
                "on": self.on.isoformat()}


@dataclass(frozen=True)
class Clarification:
    """The controller asked the data subject what the request covers (``answered`` None: no answer yet)."""

    asked: dt.date
    answered: dt.date | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"asked": self.asked.isoformat(), "answered": self.answered.isoformat() if self.answered else None,
                "reason": self.reason}


def check_dates(*, received: dt.date, today: dt.date, clock_stops: Sequence[Any] = (),
                clarifications: Sequence[Clarification] = (), confirmation_sent: dt.date | None = None,
                verification: VerificationDetails | None = None) -> None:
    """Refuse dates that cannot be true on ``today`` (the generation date): a received date in the
    future, a stop, clarification, confirmation or identity check after today or before receipt."""
    if received > today:
        raise RequestError(f"the request's received date {received.isoformat()} is in the future "
                           f"(today is {today.isoformat()})", pointer="/received",
                           hint="give the date the request actually arrived (YYYY-MM-DD)")

    def within(day: dt.date | None, pointer: str, what: str) -> None:
        if day is None:
            return
        if day > today:
            raise RequestError(f"{what} {day.isoformat()} is in the future (today is {today.isoformat()})",
                               pointer=pointer, hint="record only what has happened")
        if day < received:
            raise RequestError(f"{what} {day.isoformat()} is before the request was received "
                               f"({received.isoformat()})", pointer=pointer)

    for n, stop in enumerate(clock_stops):
        within(stop.start, f"/clock_stops/{n}/from", "a clock stop starting")
        within(stop.end, f"/clock_stops/{n}/to", "a clock stop ending")
    for n, c in enumerate(clarifications):
        within(c.asked, f"/clarifications/{n}/asked", "a clarification asked on")
        within(c.answered, f"/clarifications/{n}/answered", "a clarification answered on")
        if c.answered is not None and c.answered < c.asked:
            raise RequestError("a clarification is answered before it was asked", pointer=f"/clarifications/{n}")
        if not c.reason.strip():
            raise RequestError("every clarification needs a reason (what was unclear)",
                               pointer=f"/clarifications/{n}/reason")
    within(confirmation_sent, "/confirmation_sent", "the receipt confirmation sent on")
    if verification is not None:
        within(verification.on, "/verification_details/on", "the identity check on")
        for key in ("method", "evidence_type", "by"):
            if not str(getattr(verification, key)).strip():
                raise RequestError(f"verification_details.{key} is empty", pointer=f"/verification_details/{key}")


def precheck(rules: Mapping[str, Any], received: dt.date, *, extension: Any = None,
             clock_stops: Sequence[ClockStop] = (), clarifications: Sequence[Clarification] = (),
             country: str | None = None) -> None:
    """Compute the deadline once before any source is read, so that a request the rules refuse (a
    stop where the law has none or after the deadline, an extension too long or without a reason)
    fails at once, with nothing read and nothing written."""
    from .deadlines import Extension, due_date

    dl = rules.get("deadline") or {}
    from_subject = bool((dl.get("calendar") or {}).get("from_subject"))
    ext = Extension(length=extension.length, reason=extension.reason) if extension is not None else None
    due_date(received, rules, extension=ext, clock_stops=stops_for_deadline(rules, clock_stops, clarifications),
             subdivision=country.upper() if (from_subject and country) else None)


def stops_for_deadline(rules: Mapping[str, Any], clock_stops: Sequence[ClockStop],
                       clarifications: Sequence[Clarification]) -> list[ClockStop]:
    """The clock stops the deadline counts: the recorded ones, plus every answered clarification
    where the rules allow stopping the clock (UK GDPR Art. 12A)."""
    stops = list(clock_stops)
    allowed = bool(((rules.get("deadline") or {}).get("clock_stop") or {}).get("allowed"))
    if allowed:
        stops += [ClockStop(start=c.asked, end=c.answered, reason=f"your clarification ({c.reason})")
                  for c in clarifications if c.answered is not None]
    return stops


#: the placeholders each ``[timeline]`` text may use besides the controller's ({email} …)
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "verification": ("on", "method", "evidence_type", "by"),
    "clock_stop": ("start", "end", "days", "reason"),
    "clarification": ("asked", "answered", "reason"),
    "clarification_pending": ("asked", "reason"),
    "confirmation_sent": ("sent", "due"),
    "confirmation_late": ("sent", "due"),
    "confirmation_due": ("due",),
    "late": ("due", "today"),
}


class _Keep(dict):  # type: ignore[type-arg]
    """str.format_map values that leave unknown placeholders ({email}) for the controller fill."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def build(rules: Mapping[str, Any], request: Mapping[str, Any], deadlines: Mapping[str, Any],
          today: dt.date, fill: Any = str) -> dict[str, Any]:
    """The bundle's ``jurisdiction.timeline`` block (its findings: :func:`findings`).

    ``request`` is the bundle's request block (ISO dates), ``deadlines`` the computed deadlines
    block; ``fill`` substitutes the controller placeholders of the rules' texts."""
    texts: Mapping[str, Any] = rules.get("timeline") or {}
    dl_rule: Mapping[str, Any] = rules.get("deadline") or {}
    stop_rule: Mapping[str, Any] = dl_rule.get("clock_stop") or {}
    both = bool(stop_rule.get("count_both_days"))
    statements: list[str] = []

    def say(key: str, **values: Any) -> None:
        text = texts.get(key)
        if text:
            statements.append(fill(str(text).format_map(_Keep(values))))

    details = request.get("verification_details")
    if details:
        say("verification", **details)
    stops = request.get("clock_stops") or []
    for stop in stops:
        days = (dt.date.fromisoformat(stop["to"]) - dt.date.fromisoformat(stop["from"])).days + (1 if both else 0)
        say("clock_stop", start=stop["from"], end=stop["to"], days=_days(days), reason=stop["reason"])
    for c in request.get("clarifications") or []:
        if c.get("answered"):
            say("clarification", **c)
        else:
            say("clarification_pending", asked=c["asked"], reason=c["reason"])

    confirmation: dict[str, Any] | None = None
    due_conf = deadlines.get("confirmation_due")
    if due_conf:
        sent = request.get("confirmation_sent")
        if sent:
            status = "sent_late" if sent > due_conf else "sent"
            say("confirmation_late" if status == "sent_late" else "confirmation_sent", sent=sent, due=due_conf)
        else:
            status = "overdue" if today.isoformat() > due_conf else "due"
            say("confirmation_due", due=due_conf)
        confirmation = {"due": due_conf, "sent": sent, "status": status}

    final_due = str(deadlines.get("final_due") or deadlines.get("due") or "")
    late = bool(final_due) and today.isoformat() > final_due
    if late:
        say("late", due=final_due, today=today.isoformat())
    block = {
        "title": str(texts.get("title") or "How we handled your request"),
        "cite": str(texts.get("cite") or dl_rule.get("cite") or ""),
        "verification_details": details or None,
        "clock_stops": list(stops),
        "clarifications": list(request.get("clarifications") or []),
        "confirmation": confirmation,
        "late": late,
        "final_due": final_due or None,
        "statements": statements,
        "late_cite": str(texts.get("late_cite") or dl_rule.get("cite") or ""),
        "confirmation_cite": str((dl_rule.get("confirmation") or {}).get("cite") or ""),
    }
    return block


def findings(block: Mapping[str, Any]) -> list[Finding]:
    """Findings for the operator from a ``jurisdiction.timeline`` block: a late response, a receipt
    confirmation that is overdue and not recorded as sent. Both are warnings (not blocking): the
    package says so to the data subject, and holding it back would make it later still."""
    out: list[Finding] = []
    conf = block.get("confirmation") or {}
    if conf.get("status") == "overdue":
        out.append(Finding(
            code="confirmation_not_recorded", category=None, count=0,
            message=f"no receipt confirmation is recorded; it was due by {conf['due']}",
            action="send the confirmation if it was not sent and record its date (--confirmation-sent DATE); "
                   "the package tells the consumer that none is recorded",
            blocking=False, cite=str(block.get("confirmation_cite") or "")))
    if block.get("late"):
        out.append(Finding(
            code="late_response", category=None, count=0,
            message=f"the response is late: it was due on {block.get('final_due')}",
            action="send it now; the package tells the data subject that it is late and when it was due",
            blocking=False, cite=str(block.get("late_cite") or "")))
    return out
