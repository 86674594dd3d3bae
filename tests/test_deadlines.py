"""Worked examples for exporter.law.deadlines (every expected date checked by hand against a calendar).

Calendars used: 2024 is a leap year; 2025-03-15 is a Saturday; England & Wales bank holidays 2025:
Good Friday 18 Apr, Easter Monday 21 Apr, Christmas 25 Dec (Thu), Boxing Day 26 Dec (Fri); 2026 Easter
Monday 6 Apr; Germany: Day of German Unity 3 Oct 2025 (Fri); California: Thanksgiving 27 Nov 2025 and
the Day After Thanksgiving 28 Nov 2025 (state holiday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exporter.law import jurisdictions
from exporter.law.deadlines import (
    ClockStop,
    Extension,
    add_business_days,
    add_calendar_months,
    due_date,
    holiday_calendar,
    next_working_day,
)
from exporter.errors import ConfigError, RequestError


@pytest.fixture(scope="module")
def rules():
    return {jid: jurisdictions.load(jid) for jid in ("eu", "uk", "ca", "ut")}


# ---- corresponding-date rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year: last day of February
        (date(2025, 1, 31), date(2025, 2, 28)),  # "the last day of the month when there is none"
        (date(2025, 1, 30), date(2025, 2, 28)),
        (date(2025, 3, 31), date(2025, 4, 30)),
        (date(2025, 9, 3), date(2025, 10, 3)),   # plain corresponding date
        (date(2025, 12, 15), date(2026, 1, 15)),  # over the year end
    ],
)
def test_add_calendar_months(received, expected):
    assert add_calendar_months(received, 1) == expected


def test_leap_year_31_january_eu(rules):
    result = due_date(date(2024, 1, 31), rules["eu"])
    assert result.due == date(2024, 2, 29)  # a Thursday
    assert "last day of that month" in result.explanation[0]
    assert result.to_dict()["due"] == "2024-02-29"


def test_31_january_non_leap_uk(rules):
    assert due_date(date(2025, 1, 31), rules["uk"]).due == date(2025, 2, 28)  # a Friday


def test_saturday_moves_to_monday(rules):
    # received Sat 15 Feb 2025 → corresponding date Sat 15 Mar 2025 → Mon 17 Mar 2025
    for jid in ("eu", "uk"):
        result = due_date(date(2025, 2, 15), rules[jid])
        assert result.due == date(2025, 3, 17), jid
    assert "Saturday" in " ".join(due_date(date(2025, 2, 15), rules["uk"]).explanation)


def test_uk_christmas_boxing_day_and_weekend(rules):
    # 25 Dec 2025 (Thu, Christmas) → 26 Dec (Fri, Boxing Day) → 27/28 weekend → Mon 29 Dec 2025
    result = due_date(date(2025, 11, 25), rules["uk"])
    assert result.due == date(2025, 12, 29)
    text = " ".join(result.explanation)
    assert "Christmas Day" in text and "Boxing Day" in text and "England and Wales" in text
    cal = holiday_calendar("GB", "ENG")
    assert date(2025, 12, 25) in cal and date(2025, 12, 26) in cal


def test_uk_easter(rules):
    # Good Friday 18 Apr 2025 → weekend → Easter Monday 21 Apr → Tue 22 Apr 2025
    assert due_date(date(2025, 3, 18), rules["uk"]).due == date(2025, 4, 22)
    # due on Easter Monday itself
    assert due_date(date(2025, 3, 21), rules["uk"]).due == date(2025, 4, 22)
    assert due_date(date(2026, 3, 6), rules["uk"]).due == date(2026, 4, 7)  # Easter Monday 6 Apr 2026


def test_eu_uses_the_subject_member_state_calendar(rules):
    # 3 Oct 2025 is a Friday and a public holiday in Germany only
    assert due_date(date(2025, 9, 3), rules["eu"]).due == date(2025, 10, 3)
    de = due_date(date(2025, 9, 3), rules["eu"], subdivision="DE")
    assert de.due == date(2025, 10, 6)
    assert "German Unity" in " ".join(de.explanation)
    assert due_date(date(2025, 9, 3), rules["eu"], subdivision="FR").due == date(2025, 10, 3)
    unknown = due_date(date(2025, 9, 3), rules["eu"], subdivision="XX")  # no calendar: weekends only
    assert unknown.due == date(2025, 10, 3)


def test_datetime_received_counts_the_calendar_day(rules):
    received = datetime(2025, 1, 31, 23, 59, tzinfo=UTC)
    assert due_date(received, rules["uk"]).due == date(2025, 2, 28)


def test_helpers():
    cal = holiday_calendar("GB", "ENG")
    assert next_working_day(date(2025, 4, 18), cal) == date(2025, 4, 22)
    assert next_working_day(date(2025, 4, 17), cal) == date(2025, 4, 17)
    with pytest.raises(RequestError):
        holiday_calendar("XX")


# ---- extensions -------------------------------------------------------------------------------


def test_uk_extension_two_months_with_reason(rules):
    result = due_date(date(2025, 1, 31), rules["uk"],
                      extension=Extension(2, "the request covers ten years of support history"))
    assert result.due == date(2025, 2, 28)
    assert result.extended_due == date(2025, 4, 30)  # 3 months from receipt, a Wednesday
    assert result.final_due == date(2025, 4, 30)
    d = result.to_dict()
    assert d["extended_due"] == "2025-04-30"
    assert "ten years of support history" in d["explanation"]
    assert any("12A" in c for c in d["cites"])


def test_eu_extension_rolls_forward(rules):
    # received Sat 15 Mar 2025: due Tue 15 Apr; 1 + 2 months from receipt = Sun 15 Jun → Mon 16 Jun 2025
    result = due_date(date(2025, 3, 15), rules["eu"], extension=Extension(2, "numerous requests"))
    assert result.due == date(2025, 4, 15)
    assert result.extended_due == date(2025, 6, 16)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_extension_without_reason_is_refused(rules, reason):
    with pytest.raises(RequestError) as exc:
        due_date(date(2025, 1, 31), rules["uk"], extension=Extension(2, reason))
    assert "reason" in str(exc.value)


@pytest.mark.parametrize("length", [0, 3, -1])
def test_extension_beyond_two_months_is_refused(rules, length):
    with pytest.raises(RequestError) as exc:
        due_date(date(2025, 1, 31), rules["eu"], extension=Extension(length, "complex"))
    assert exc.value.context["key"] == "extension.length"


def test_extension_from_dict_checks_types():
    assert Extension.from_dict({"length": 2, "reason": "x"}) == Extension(2, "x")
    with pytest.raises(RequestError):
        Extension.from_dict({"length": "2", "reason": "x"})
    with pytest.raises(RequestError):
        Extension.from_dict({"length": True, "reason": "x"})


def test_rules_without_extension_refuse_one():
    rules = {"id": "x", "deadline": {"cite": "X", "calendar_days": 30, "roll_forward": False}}
    with pytest.raises(RequestError):
        due_date(date(2025, 1, 1), rules, extension=Extension(1, "why"))
    assert due_date(date(2025, 1, 1), rules).due == date(2025, 1, 31)


def test_broken_deadline_rule_is_a_config_error():
    with pytest.raises(ConfigError):
        due_date(date(2025, 1, 1), {"id": "x", "deadline": {"cite": "X", "roll_forward": False}})


# ---- stop the clock -------------------------------------------------------------------------------


def test_uk_stop_the_clock_counts_both_days(rules):
    # received Mon 3 Mar 2025 → 3 Apr 2025; clarification asked 5 Mar, answered 15 Mar: UK GDPR
    # Art. 12A pauses "the period beginning with the day on which the controller makes the request and
    # ending with the day on which the controller receives the information": 5–15 Mar, 11 days
    # → Mon 14 Apr 2025
    stop = ClockStop(date(2025, 3, 5), date(2025, 3, 15), "asked which account the request covers")
    result = due_date(date(2025, 3, 3), rules["uk"], clock_stops=[stop])
    assert result.paused_days == 11
    assert result.due == date(2025, 4, 14)
    text = " ".join(result.explanation)
    assert "stopped for 11 days" in text and "12A" in text
    # a one-day stop (asked and answered the same day) still pauses that day
    same_day = due_date(date(2025, 3, 3), rules["uk"], clock_stops=[ClockStop(date(2025, 3, 5), date(2025, 3, 5), "x")])
    assert same_day.paused_days == 1 and same_day.due == date(2025, 4, 4)


def test_stop_after_the_deadline_is_refused(rules):
    # received 3 Mar 2025, due Thu 3 Apr 2025: a stop starting 4 Apr cannot pause a period that has ended
    with pytest.raises(RequestError) as exc:
        due_date(date(2025, 3, 3), rules["uk"], clock_stops=[ClockStop(date(2025, 4, 4), date(2025, 4, 8), "late ask")])
    assert "after the response was due" in exc.value.message and "2025-04-03" in exc.value.message
    # on the due date itself it is still running
    assert due_date(date(2025, 3, 3), rules["uk"],
                    clock_stops=[ClockStop(date(2025, 4, 3), date(2025, 4, 3), "x")]).due == date(2025, 4, 4)
    # a second stop is measured against the due date the first one moved: 3 Apr + 11 = 14 Apr
    first = ClockStop(date(2025, 3, 5), date(2025, 3, 15), "identity")
    assert due_date(date(2025, 3, 3), rules["uk"],
                    clock_stops=[first, ClockStop(date(2025, 4, 10), date(2025, 4, 11), "scope")]).paused_days == 13
    with pytest.raises(RequestError):
        due_date(date(2025, 3, 3), rules["uk"], clock_stops=[first, ClockStop(date(2025, 4, 15), date(2025, 4, 16), "x")])


def test_uk_overlapping_stops_are_not_counted_twice(rules):
    stops = [
        ClockStop(date(2025, 3, 5), date(2025, 3, 10), "identity"),
        ClockStop(date(2025, 3, 8), date(2025, 3, 15), "clarification"),
    ]
    assert due_date(date(2025, 3, 3), rules["uk"], clock_stops=stops).paused_days == 11  # 5–15 Mar, both days


def test_uk_stop_and_extension_combine(rules):
    stop = ClockStop.from_dict({"from": "2025-03-05", "to": "2025-03-15", "reason": "identity"})
    result = due_date(date(2025, 3, 3), rules["uk"], clock_stops=[stop], extension=Extension(2, "complex"))
    # 3 Jun 2025 + 11 days = Sat 14 Jun 2025 → Mon 16 Jun 2025
    assert result.extended_due == date(2025, 6, 16)


@pytest.mark.parametrize("jid", ["eu", "ca", "ut"])
def test_clock_stop_refused_where_not_allowed(rules, jid):
    stop = ClockStop(date(2025, 3, 5), date(2025, 3, 15), "identity")
    with pytest.raises(RequestError) as exc:
        due_date(date(2025, 3, 3), rules[jid], clock_stops=[stop])
    assert exc.value.context["key"] == "clock_stops"


def test_bad_clock_stops(rules):
    with pytest.raises(RequestError):
        due_date(date(2025, 3, 3), rules["uk"], clock_stops=[ClockStop(date(2025, 3, 10), date(2025, 3, 5), "x")])
    with pytest.raises(RequestError):
        due_date(date(2025, 3, 3), rules["uk"], clock_stops=[ClockStop(date(2025, 3, 1), date(2025, 3, 5), "x")])
    with pytest.raises(RequestError):
        due_date(date(2025, 3, 3), rules["uk"], clock_stops=[ClockStop(date(2025, 3, 4), date(2025, 3, 5), " ")])
    with pytest.raises(RequestError):
        ClockStop.from_dict({"from": "3 March", "to": "2025-03-05", "reason": "x"})


# ---- California and Utah ---------------------------------------------------------------------------


def test_ca_45_days_no_roll_forward(rules):
    result = due_date(date(2025, 1, 2), rules["ca"])
    assert result.due == date(2025, 2, 16)  # a Sunday: calendar days, not moved (decision in ca.toml)
    assert result.extended_due is None


def test_ca_90_days_with_extension(rules):
    result = due_date(date(2025, 1, 2), rules["ca"], extension=Extension(45, "volume of requests"))
    assert result.extended_due == date(2025, 4, 2)  # 90 days after receipt
    assert (result.extended_due - date(2025, 1, 2)).days == 90
    with pytest.raises(RequestError):
        due_date(date(2025, 1, 2), rules["ca"], extension=Extension(46, "volume"))


def test_ca_confirmation_ten_business_days(rules):
    assert due_date(date(2025, 1, 2), rules["ca"]).confirmation_due == date(2025, 1, 16)
    # Thanksgiving and the Day After Thanksgiving (California state holiday) are skipped
    result = due_date(date(2025, 11, 20), rules["ca"])
    assert result.confirmation_due == date(2025, 12, 8)
    assert "§7021(a)" in " ".join(result.explanation)
    assert add_business_days(date(2025, 11, 20), 10, holiday_calendar("US", "CA")) == date(2025, 12, 8)


def test_ut_45_plus_45(rules):
    assert due_date(date(2025, 1, 2), rules["ut"]).due == date(2025, 2, 16)
    result = due_date(date(2025, 1, 2), rules["ut"], extension=Extension(45, "complexity"))
    assert result.extended_due == date(2025, 4, 2)
    assert result.confirmation_due is None
    assert any("13-61-203" in c for c in result.cites)


def test_to_dict_is_iso_strings(rules):
    d = due_date(date(2025, 11, 20), rules["ca"], extension=Extension(10, "x")).to_dict()
    assert d == {
        "received": "2025-11-20",
        "due": "2026-01-04",
        "extended_due": "2026-01-14",
        "confirmation_due": "2025-12-08",
        "final_due": "2026-01-14",
        "paused_days": 0,
        "extension": {"length": 10, "reason": "x"},
        "explanation": d["explanation"],
        "steps": d["steps"],
        "cites": d["cites"],
    }
    assert isinstance(d["explanation"], str) and d["steps"]


# ---- counting: Reg. 1182/71 Art. 3(1) (the day of receipt is not counted) ----------------------------


def test_eu_day_of_receipt_is_not_counted(rules):
    # Art. 3(1): the day of the event is not counted; Art. 3(2)(c): a month ends on the same date of the
    # next month. Received Tue 15 Apr 2025 → Thu 15 May 2025 (counting the day of receipt as day one of
    # a 30/31-day run would give 14 May).
    result = due_date(date(2025, 4, 15), rules["eu"])
    assert result.due == date(2025, 5, 15)
    # days: 45 calendar days start the day after receipt (CA): 2 Jan + 45 = 16 Feb
    assert due_date(date(2025, 1, 2), rules["ca"]).due == date(2025, 2, 16)
    counting = rules["eu"]["deadline"]["counting"]
    assert "day one" not in counting.lower() and "not counted" in counting
    assert "3(1)" in rules["eu"]["deadline"]["counting_cite"]
    import exporter.law.deadlines as module

    assert "Day one is the day of receipt" not in (module.__doc__ or "")
