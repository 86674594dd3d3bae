"""Worked examples for exporter.law.retention (retention forms of docs/architecture.md, policy §4)."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime

import pytest

from exporter.law import retention
from exporter.errors import ConfigError
from exporter.resources import catalog_dir

TODAY = date(2026, 11, 25)

ACCOUNT = {
    "policy": "§4A",
    "text": "Kept while your account is active; deleted after 18 consecutive months without a log-in, "
    "or within 3 months after termination.",
    "earliest_of": [{"fact": "last_login_at", "months": 18}, {"fact": "terminated_at", "months": 3}],
}
CHATS = {
    "policy": "§4D",
    "text": "Each chat transcript is deleted one month after the chat ended.",
    "per_record": {"field": "ended_at", "months": 1, "record": "transcript", "event": "the chat ended"},
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_earliest_of_with_only_last_login():
    out = retention.evaluate(ACCOUNT, facts={"last_login_at": utc(2026, 2, 3, 9, 30), "terminated_at": None},
                             today=TODAY)
    assert out["until"] == "2027-08-03"
    assert out["explanation"].startswith("Is deleted on 2027-08-03, 18 months after your last log-in on 2026-02-03")
    assert "three months after the end of your service" in out["explanation"]  # the condition not yet met


def test_earliest_of_takes_the_earliest_date():
    out = retention.evaluate(
        ACCOUNT,
        facts={"last_login_at": utc(2026, 2, 3), "terminated_at": utc(2026, 3, 10)},
        today=date(2026, 4, 1),
    )
    assert out["until"] == "2026-06-10"
    assert "three months after the end of your service on 2026-03-10" in out["explanation"]


def test_earliest_of_month_end_clamp_and_iso_string_facts():
    out = retention.evaluate(ACCOUNT, facts={"last_login_at": "2025-08-31T12:00:00Z"}, today=date(2026, 1, 1))
    assert out["until"] == "2027-02-28"  # 31 Aug 2025 + 18 months: February has no 31st


def test_earliest_of_past_date_says_so():
    out = retention.evaluate(ACCOUNT, facts={"last_login_at": utc(2024, 1, 10)}, today=TODAY)
    assert out["until"] == "2025-07-10"
    assert out["explanation"].startswith("Was due for deletion on 2025-07-10")


def test_earliest_of_without_facts_falls_back_to_criteria():
    out = retention.evaluate(ACCOUNT, facts={}, today=TODAY)
    assert out["until"] is None
    assert ACCOUNT["text"] in out["explanation"] and "§4A" in out["explanation"]
    assert "cannot calculate" in out["explanation"]


def test_earliest_of_unknown_fact_gets_a_readable_label():
    rule = {"text": "t", "earliest_of": [{"fact": "unsubscribed_on", "days": 90}]}
    out = retention.evaluate(rule, facts={"unsubscribed_on": date(2026, 1, 1)}, today=TODAY)
    assert out["until"] == "2026-04-01"
    assert "90 days after the recorded unsubscribed on date on 2026-01-01" in out["explanation"]
    labelled = {"text": "t", "earliest_of": [{"fact": "x_at", "years": 1, "label": "you closed the ticket"}]}
    out = retention.evaluate(labelled, facts={"x_at": date(2026, 1, 1)}, today=TODAY)
    assert out["explanation"] == "Is deleted on 2027-01-01, one year after you closed the ticket on 2026-01-01."


def test_per_record_oldest_and_newest():
    out = retention.evaluate(CHATS, facts={}, field_range=(utc(2026, 10, 31, 17), utc(2026, 11, 20, 8)),
                             today=date(2026, 11, 1))
    assert out["until"] == "2026-12-20"
    assert out["explanation"] == (
        "Each transcript is deleted one month after the chat ended; the oldest you have is due on "
        "2026-11-30, the newest on 2026-12-20."
    )


def test_per_record_single_record_and_overdue_note():
    one = retention.evaluate(CHATS, facts={}, field_range=(utc(2026, 11, 20), utc(2026, 11, 20)), today=TODAY)
    assert one["explanation"].endswith("the one you have is due on 2026-12-20.")
    overdue = retention.evaluate(CHATS, facts={}, field_range=(utc(2026, 9, 1), utc(2026, 11, 20)), today=TODAY)
    # past dates read as past, and nothing sounds routine: exporter.law.overdue states how many and by when
    assert "the oldest you have was due on 2026-10-01" in overdue["explanation"]
    assert "deletion run" not in overdue["explanation"]


def test_per_record_without_records_gives_the_rule():
    out = retention.evaluate(CHATS, facts={}, field_range=None, today=TODAY)
    assert out["until"] is None
    assert out["explanation"].startswith("Each transcript is deleted one month after the chat ended.")
    assert CHATS["text"] in out["explanation"]


def test_per_record_default_wording():
    rule = {"text": "t", "per_record": {"field": "closed_at", "months": 3}}
    out = retention.evaluate(rule, facts={}, field_range=(date(2026, 1, 15), date(2026, 2, 15)), today=TODAY)
    assert out["explanation"].startswith("Each record is deleted three months after its closed date")
    assert out["until"] == "2026-05-15"


def test_immutable_and_criteria():
    ledger = {"policy": "§4A", "text": "Company Content posted on a Web3 public ledger is immutable.", "kind": "immutable"}
    out = retention.evaluate(ledger, facts={}, today=TODAY)
    assert out["until"] is None and "cannot be deleted" in out["explanation"] and "§4A" in out["explanation"]
    crit = {"policy": "§4B", "text": "Kept for the transaction or services period, or longer for legal compliance.",
            "kind": "criteria"}
    out = retention.evaluate(crit, facts={"last_login_at": utc(2026, 1, 1)}, today=TODAY)
    assert out == {"form": "criteria", "text": crit["text"], "policy": "§4B", "until": None,
                   "explanation": crit["text"] + " (policy §4B)"}


@pytest.mark.parametrize(
    "rule",
    [
        {"text": "t"},  # no form
        {"text": "t", "kind": "criteria", "earliest_of": []},  # two forms
        {"text": "t", "kind": "forever"},
        {"text": "t", "earliest_of": []},
        {"text": "t", "earliest_of": [{"fact": "x"}]},  # no duration
        {"text": "t", "earliest_of": [{"fact": "x", "months": 1, "days": 2}]},
        {"text": "t", "earliest_of": [{"fact": "x", "months": "18"}]},
        {"text": "t", "per_record": {"months": 1}},
    ],
)
def test_bad_rules_are_config_errors(rule):
    with pytest.raises(ConfigError):
        retention.evaluate(rule, facts={"x": utc(2026, 1, 1)}, field_range=(utc(2026, 1, 1), utc(2026, 1, 2)),
                           today=TODAY)


def test_every_real_catalog_rule_evaluates():
    path = catalog_dir() / "categories.toml"
    catalog = tomllib.loads(path.read_text(encoding="utf-8"))
    for cat in catalog["categories"]:
        rule = cat["retention"]
        with_facts = retention.evaluate(
            rule,
            facts={f: utc(2026, 2, 3) for f in ("last_login_at", "terminated_at", "unsubscribed_at")}
            | {f: utc(2026, 2, 3) for e in rule.get("earliest_of", []) for f in [e["fact"]]},
            field_range=(utc(2026, 1, 1), utc(2026, 2, 1)),
            today=TODAY,
        )
        assert with_facts["explanation"], cat["id"]
        if "kind" in rule:
            assert with_facts["until"] is None
        else:
            assert with_facts["until"] is not None, cat["id"]
        empty = retention.evaluate(rule, facts={}, field_range=None, today=TODAY)
        assert empty["until"] is None and empty["explanation"], cat["id"]
