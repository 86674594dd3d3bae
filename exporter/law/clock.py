"""What the controller did to a request's clock: an extension, the pauses while it waited.

* :class:`Extension`: GDPR / UK GDPR Art. 12(3) sentence 2 (two further months), Cal. Civ. Code
  §1798.130(a)(2)(A) / 11 CCR §7021(b) and Utah §13-61-203(2)(b) (45 further days), with the reason
  told to the data subject.
* :class:`ClockStop`: a pause while the controller waited for the data subject (clarification,
  identity, a fee), where the law allows one (UK GDPR Art. 12A, Data (Use and Access) Act 2025).

:func:`exporter.law.deadlines.due_date` checks them against the rules and counts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..errors import RequestError
from .dates import parse_date

__all__ = ["ClockStop", "Extension", "merge_stops"]


@dataclass(frozen=True)
class Extension:
    """An extension the controller has decided on. ``length`` in the rules' unit (months or days)."""

    length: int
    reason: str | None

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Extension:
        if not isinstance(value, Mapping):
            raise RequestError("request.extension must be an object {length, reason}")
        length = value.get("length")
        if isinstance(length, bool) or not isinstance(length, int):
            raise RequestError("request.extension.length must be a whole number", key="extension.length")
        reason = value.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise RequestError("request.extension.reason must be text", key="extension.reason")
        return cls(length=length, reason=reason)


@dataclass(frozen=True)
class ClockStop:
    """The period [start, end) during which the controller waited for the data subject.

    ``start`` is the day the controller asked (for clarification, identity or a fee), ``end`` the
    day the answer arrived; the clock runs again after it. Paused days = ``end - start``, or
    ``end - start + 1`` where the rules pause both days (``count_both_days``, UK GDPR Art. 12A).
    """

    start: date
    end: date
    reason: str

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ClockStop:
        if not isinstance(value, Mapping):
            raise RequestError("each request.clock_stops entry must be an object {from, to, reason}")
        return cls(
            start=parse_date(value.get("from"), "clock_stops.from"),
            end=parse_date(value.get("to"), "clock_stops.to"),
            reason=str(value.get("reason") or ""),
        )



def merge_stops(stops: Sequence[ClockStop], received: date) -> list[tuple[date, date]]:
    """The stops as sorted, merged [start, end) intervals (overlaps never count twice); refuses a stop
    that ends before it starts, starts before receipt or gives no reason."""
    intervals = []
    for stop in stops:
        if stop.end < stop.start:
            raise RequestError(
                f"clock stop {stop.start.isoformat()}–{stop.end.isoformat()} ends before it starts",
                key="clock_stops",
            )
        if stop.start < received:
            raise RequestError(
                f"clock stop starting {stop.start.isoformat()} begins before the request was received "
                f"({received.isoformat()})",
                key="clock_stops",
            )
        if not stop.reason.strip():
            raise RequestError(
                "every clock stop needs a reason (what the controller asked the data subject for)",
                key="clock_stops.reason",
            )
        intervals.append((stop.start, stop.end))
    intervals.sort()
    merged: list[tuple[date, date]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
