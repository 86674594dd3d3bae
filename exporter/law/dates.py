"""Which day is it: reading a date, counting months and working days, public holidays.

The calendar arithmetic every deadline uses (:mod:`exporter.law.deadlines`):

* :func:`add_calendar_months`: the *corresponding-date rule* of Regulation (EEC, Euratom)
  No 1182/71 Art. 3(2)(c) (GDPR / UK GDPR Art. 12(3) "one month"): the same day number months
  later, else the last day of that month (31 Jan 2025 → 28 Feb 2025).
* :func:`is_working_day`, :func:`next_working_day`: Saturdays, Sundays and the public holidays of
  a ``holidays`` calendar are not working days (Reg. 1182/71 Art. 3(4) roll-forward; ICO guidance).
* :func:`add_business_days`: 11 CCR §7021(a), receipt confirmed within 10 business days.
* :func:`holiday_calendar`: a country's (and subdivision's) public holidays; the ``holidays``
  package is imported on first use only.
* :func:`to_date`, :func:`parse_date`: the one date reader of requests, clock stops and retention.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from ..errors import RequestError

if TYPE_CHECKING:
    import holidays as _holidays

__all__ = [
    "add_business_days",
    "add_calendar_months",
    "holiday_calendar",
    "is_working_day",
    "next_working_day",
    "parse_date",
    "skipped_days",
    "to_date",
]


def add_calendar_months(start: date, months: int) -> date:
    """Corresponding-date rule: same day number ``months`` later, else the last day of that month.

    ``relativedelta`` clamps to the month end exactly as Reg. 1182/71 Art. 3(2)(c) requires.
    """
    result: date = start + relativedelta(months=months)
    return result


def holiday_calendar(country: str | None, subdivision: str | None = None) -> _holidays.HolidayBase | None:
    """A fresh ``holidays`` calendar for a country (ISO 3166 alpha-2) and optional subdivision.

    Not cached: ``holidays`` calendars fill in years lazily (they mutate), so sharing one between
    threads is avoided; building one is cheap.
    """
    if not country:
        return None
    import holidays as _holidays  # on first use: 11 MB of calendars a run without a country skips

    try:
        return _holidays.country_holidays(country.upper(), subdiv=subdivision)
    except (NotImplementedError, KeyError) as exc:
        raise RequestError(
            f"no public-holiday calendar is known for country {country!r}"
            + (f" subdivision {subdivision!r}" if subdivision else ""),
            hint="use an ISO 3166-1 alpha-2 code (and a subdivision code the 'holidays' package knows)",
        ) from exc


def is_working_day(day: date, calendar: Any | None) -> bool:
    """Monday–Friday and not a public holiday of ``calendar``."""
    return day.weekday() < 5 and (calendar is None or day not in calendar)


def next_working_day(day: date, calendar: Any | None) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, count: int, calendar: Any | None) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    day = start
    done = 0
    while done < count:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            done += 1
    return day


def skipped_days(start: date, end: date, calendar: Any | None) -> list[str]:
    """Why each day in [start, end) was not a working day, for the explanation."""
    out = []
    day = start
    while day < end:
        if calendar is not None and day in calendar:
            out.append(f"{day.isoformat()} ({calendar.get(day)})")
        elif day.weekday() >= 5:
            out.append(f"{day.isoformat()} ({day.strftime('%A')})")
        day += timedelta(days=1)
    return out


def to_date(value: Any) -> date | None:
    """The one date reader: a ``date`` (a ``datetime`` keeps its date) or an ISO 8601 string
    (``YYYY-MM-DD`` or a date-time, whose date is taken); None for anything else. Used for
    request dates (:func:`parse_date`) and for the facts and record dates retention reads."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    return None


def parse_date(value: Any, where: str, *, pointer: bool = False) -> date:
    """:func:`to_date`, or a :class:`RequestError` naming ``where`` (a JSON pointer with
    ``pointer``, else a key) when ``value`` is not a date."""
    day = to_date(value)
    if day is None:
        raise RequestError("a date must be written YYYY-MM-DD", **({"pointer": where} if pointer else {"key": where}))
    return day

