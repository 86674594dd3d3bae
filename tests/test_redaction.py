"""Third parties' data in free text (issue #8, part 6; GDPR Art. 15(4); docs/redaction.md).

Other people's e-mail addresses and phone numbers (by pattern) and listed names (staff directory,
other people) in the catalog's ``free_text`` fields are replaced by placeholders that are
consistent within one package; the subject's own address and number never are; the bundle says
per category how many items were replaced and why.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from demo_reader import Store

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.law.catalog import load_catalog
from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.packaging.package import verify
from exporter.collect.redaction import (
    RedactionSettings,
    Redactor,
    find_emails,
    find_phones,
    known_names,
    notice,
    phone_key,
)
from exporter.resources import schemas_dir
from exporter.schemas import check_against

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
OPTS = ExportOptions(now=NOW, pdf=False, html=True)


# -- patterns ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "+49 30 5550 1299", "+86 755 5555 0101", "+44(0)115 4960914", "(0161) 4960066", "030 5550 1234",
    "0711-123456", "+1-780-563-6083x7783", "206.269.0743", "+33 (0)1 41 63 60 83", "(212) 555-0187",
    "0049 30 5550 1299", "(+30) 2439 150008", "+49 (0) 9141 777631", "04 15 39 15 00",
])
def test_plausible_phone_numbers_are_caught(text: str) -> None:
    sentence = f"Our admin is on {text}. Thanks"
    assert [sentence[a:b] for a, b in find_phones(sentence)] == [text]


@pytest.mark.parametrize("text", [
    "Invoice PN-2026-000123 of 2026-10-15 over 1,234.56 EUR", "order ORD-2026-000101", "on 01.02.2026 at 10:30",
    "IP 203.0.113.10 and 2001:db8:4a::17", "10117 Berlin and 01067 Dresden", "card ending 4242", "version 0.12.3",
    "ticket TCK-000123", "DEV-0A1B2C3D4E5F", "40k SKUs in Q1 2027", "tx 0x1234567890abcdef", "2024-03-12T09:15:00Z",
    "1 234 567 units", "exp 12/29", "Friedrichstraße 123",
    # issue 16: the subject's own text was damaged by a digit-run pattern
    "We settle invoices of 1 000 000.00 EUR a year", "&#0000106&#0000097&#0000118&#0000097&#0000115",
    "card 4242 4242 4242 4242", "IBAN DE89 3704 0044 0532 0130 00", "we sold 609 141 777 tags",
    "ref 1234567", "15191417776 pieces", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
    "(591)341-7776",  # no such area code: not a dialable number, and no cue word
])
def test_things_that_are_not_phone_numbers(text: str) -> None:
    assert find_phones(text) == []


def test_cue_words_make_a_possible_number_count() -> None:
    text = "call me on 609 141 777 or mobile: 15191417776, ask for (591)341-7776 via phone (591)341-7776"
    assert [text[a:b] for a, b in find_phones(text)] == ["609 141 777", "15191417776", "(591)341-7776"]


def test_phone_regions_decide_national_numbers() -> None:
    # a Spanish number written nationally (no trunk prefix, no country code) is a number only for
    # a deployment that names Spain among its phone regions
    text = "Ring our Madrid office at 912 345 678."
    assert find_phones(text, ("DE", "GB", "US")) == []
    assert [text[a:b] for a, b in find_phones(text, ("ES",))] == ["912 345 678"]
    r = Redactor(RedactionSettings(phone_regions=("ES",)), own_phones=["+34 912 345 679"])
    assert r.text(text, Counter()) == "Ring our Madrid office at [phone 1]."
    assert r.text("Mine: 912 345 679", Counter()) == "Mine: 912 345 679"  # own number, written nationally


def test_email_pattern() -> None:
    text = "Mail A.B+tag@Ex-ample.co.uk., (wang.wei@shenzhen-parts.example) but not user@localhost or a @ b.c"
    assert [text[a:b] for a, b in find_emails(text)] == ["A.B+tag@Ex-ample.co.uk", "wang.wei@shenzhen-parts.example"]


def test_phone_key_matches_the_same_number_written_differently() -> None:
    keys = {phone_key(t) for t in ("+49 30 5550 1234", "+49 (0)30 5550 1234", "0049 30 5550 1234")}
    assert keys == {"4930 55501234".replace(" ", "")}
    r = Redactor(RedactionSettings(), own_phones=["+49 30 5550 1234"])
    assert r.is_own_phone("030 5550 1234") and r.is_own_phone("+49 (0)30-5550-1234")
    assert not r.is_own_phone("+49 30 5550 1299")


# -- the redactor --------------------------------------------------------------------------------


def make(**kw: Any) -> Redactor:
    settings = RedactionSettings(staff=(("Priya Raman", "Priya R."), ("Søren Kjær",)), people=(("Wang Wei",),),
                                 keep_emails=frozenset({"support@piconext.com"}))
    return Redactor(settings, own_emails=["jane.doe@example.com"], own_phones=["+49 30 5550 1234"], **kw)


def test_text_redaction_is_consistent_and_spares_the_subject() -> None:
    r, counts = make(), Counter[str]()
    a = r.text("Ask John (JOHN@example.com, +49 30 5550 1299) or Priya Raman; me: Jane.Doe@Example.com, "
               "030 5550 1234. Support: support@piconext.com", counts)
    assert a == ("Ask John ([email 1], [phone 1]) or [staff member 1]; me: Jane.Doe@Example.com, 030 5550 1234. "
                 "Support: support@piconext.com")
    b = r.text("john@EXAMPLE.com again; Priya R. and søren  kjær, Wang Wei, +49 (0)30 5550 1299", counts)
    assert b == "[email 1] again; [staff member 1] and [staff member 2], [person 1], [phone 1]"
    assert counts == {"email": 2, "phone": 2, "staff_name": 3, "person_name": 1}
    # plus-addressing is another address (it may be a different mailbox): replaced
    assert r.text("jane.doe+news@example.com", counts) == "[email 2]"


def test_names_are_whole_words_only() -> None:
    r, counts = make(), Counter[str]()
    assert r.text("Priyanka Ramanathan and priya.raman@piconext.com", counts) == "Priyanka Ramanathan and [email 1]"


def test_record_fields_staff_fields_and_own_contact() -> None:
    cat = load_catalog()["support_chats"]
    r = make()
    rule = r.rule(cat)
    assert rule is not None
    rec = {"agent_name": "Tomasz Nowak", "topic": "call +49 30 5550 1299",
           "messages": [{"text": "Hi, this is Tomasz Nowak."}, {"text": "Mail tom@example.com"}, {"text": 5}]}
    rule(rec)
    assert rec["agent_name"] == "[staff member 1]"  # unlisted: learned from the field; numbered by first appearance
    assert rec["messages"][0]["text"] == "Hi, this is [staff member 1]."
    assert rec["messages"][1]["text"] == "Mail [email 1]"
    assert rec["topic"] == "call [phone 1]"
    assert rec["messages"][2]["text"] == 5
    assert dict(r.counts["support_chats"]) == {"staff_name": 2, "email": 1, "phone": 1}
    own = r.rule(load_catalog()["account"])
    assert own is not None
    own({"email": "Other.Me@Example.org", "phone": "+44 20 7946 0958"})
    counts = Counter[str]()
    assert r.text("other.me@example.org, 020 7946 0958", counts) == "other.me@example.org, 020 7946 0958"


def test_notice_sentence() -> None:
    assert notice({"email": 1}).startswith("To protect other people (GDPR Art. 15(4)), 1 e-mail address in the free "
                                           "text of this category was replaced by placeholders such as “[email 1]”.")
    assert "2 phone numbers and 3 names of staff members" in notice({"phone": 2, "staff_name": 3})


def test_long_text_without_names_or_numbers_is_kept_whole() -> None:
    # a 2.6 MB field of words, letters and digit runs: no false hits; the address at the end is
    # found (bench/ measures the time; tests never do)
    r, counts = make(), Counter[str]()
    text = ("word " * 200_000) + ("a" * 1_000_000) + ("0 " * 300_000) + "john@example.com"
    out = r.text(text, counts)
    assert out == text.replace("john@example.com", "[email 1]")
    assert counts == {"email": 1}


def test_staff_first_and_last_names_are_replaced_too() -> None:
    r, counts = make(), Counter[str]()
    out = r.text("Hi Jane, this is Priya. Priya's colleague Søren says hi.\nKind regards,\nRaman", counts)
    assert out == ("Hi Jane, this is [staff member 1]. [staff member 1]'s colleague [staff member 2] says hi."
                   "\nKind regards,\n[staff member 1]")
    # single name words count only when capitalised: "may" and "will" in running text are words
    r2 = Redactor(RedactionSettings(staff=(("May Will",),)))
    assert r2.text("we may send it, will we? May said so", Counter()) == "we may send it, will we? [staff member 1] said so"


def test_the_subjects_own_name_is_never_replaced() -> None:
    settings = RedactionSettings(staff=(("Jane Smith",), ("Tomasz Nowak",)), people=(("John Doe",),))
    r = Redactor(settings, own_names=["Jane Doe"])
    counts = Counter[str]()
    out = r.text("Jane Doe asked Jane Smith and John Doe; Jane, Doe, Smith and Tomasz replied.", counts)
    assert out == ("Jane Doe asked [staff member 1] and [person 1]; Jane, Doe, [staff member 1] and "
                   "[staff member 2] replied.")
    # own names are learned from the catalog's own_name fields as the subject's records stream by
    r3 = Redactor(RedactionSettings(staff=(("Jane Smith",),)))
    rule = r3.rule(load_catalog()["account"])
    assert rule is not None
    rule({"display_name": "Jane Doe", "given_name": "Jane", "family_name": "Doe", "email": "j@example.com"})
    assert r3.text("Jane and Smith", Counter()) == "Jane and [staff member 1]"


def test_names_from_the_stores_and_their_words_once_met() -> None:
    r = Redactor(RedactionSettings(), own_names=["Jane Doe"], other_people=["John Doe", "Wang Wei", "Cher"])
    counts = Counter[str]()
    # a first name of a store's person alone is an ordinary word until the full name was replaced
    assert r.text("Wang called.", counts) == "Wang called."
    assert r.text("Ask John Doe or Wang Wei.", counts) == "Ask [person 1] or [person 2]."
    assert r.text("John said Wang agreed; Doe is me.", counts) == "[person 1] said [person 2] agreed; Doe is me."
    assert counts == {"person_name": 4}


def test_own_and_role_addresses_follow_the_email_rule() -> None:
    r = Redactor(RedactionSettings(keep_emails=frozenset({"sales@piconext.com"})),
                 own_emails=["Jane.Doe@Nordlicht-GmbH.example", "jane.doß@example.com"])
    counts = Counter[str]()
    out = r.text("jane.doe@NORDLICHT-gmbh.example, jane.doss@example.com, jane.doß@example.com, SALES@piconext.com",
                 counts)
    assert out == "jane.doe@NORDLICHT-gmbh.example, [email 1], jane.doß@example.com, SALES@piconext.com"


# -- catalog and configuration -------------------------------------------------------------------


def _has_string_path(schema: dict[str, Any], path: list[str]) -> bool:
    node: dict[str, Any] = schema
    for part in path:
        if node.get("type") == "array":
            node = node["items"]
        node = node.get("properties", {}).get(part)
        if node is None:
            return False
    types = node.get("type")
    return "string" in (types if isinstance(types, list) else [types])


def test_catalog_redaction_fields_exist_and_own_contact_comes_first() -> None:
    catalog = load_catalog()
    first_free = None
    for n, cat in enumerate(catalog):
        schema = orjson.loads((schemas_dir() / "categories" / f"{cat.id}.json").read_bytes())
        for key in ("free_text", "staff_fields", "own_contact"):
            for path in cat.raw.get(key, []):
                assert _has_string_path(schema, path.split(".")), (cat.id, key, path)
        if cat.raw.get("free_text") and first_free is None:
            first_free = n
        if cat.raw.get("own_contact"):
            assert first_free is None or n < first_free, f"{cat.id}: own_contact after a free-text category"
    listed = {c.id for c in catalog if c.raw.get("free_text")}
    assert {"support_emails", "support_chats", "content_posts", "event_registrations"} <= listed


def test_config_redaction_table(tmp_path: Path) -> None:
    (tmp_path / "staff.txt").write_text("# staff directory\nPriya Raman | Priya\n\nTomasz Nowak\n", encoding="utf-8")
    (tmp_path / "x.jsonl").write_text("", encoding="utf-8")
    base = ('[sources.f]\nkind = "files"\n[[sources.f.streams]]\ncategory = "support_emails"\nneeds = ["email"]\n'
            'path = "x.jsonl"\nmatch = { email = "from_address" }\n')
    cfg = tmp_path / "exporter.toml"
    cfg.write_text('[redaction]\nstaff_names_file = "staff.txt"\nstaff_names = ["Aisha Bello"]\nphones = false\n'
                   'keep_emails = ["sales@piconext.com"]\n' + base, encoding="utf-8")
    settings = RedactionSettings.from_config(load_config(cfg))
    assert set(settings.staff) == {("Priya Raman", "Priya"), ("Tomasz Nowak",), ("Aisha Bello",)}
    assert not settings.phones and settings.emails
    assert {"sales@piconext.com", "support@piconext.com"} <= settings.keep_emails
    cfg.write_text('[redaction]\nstaff_names_file = "missing.txt"\n' + base, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the names file") as info:
        RedactionSettings.from_config(load_config(cfg))
    assert info.value.context["key"] == "redaction.staff_names_file"
    cfg.write_text('[redaction]\nphone_regions = ["DE", "XX"]\n' + base, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown phone region 'XX'") as info:
        RedactionSettings.from_config(load_config(cfg))
    assert info.value.context["key"] == "redaction.phone_regions"
    cfg.write_text('[[redaction.names_from]]\nsource = "crm"\nquery = "SELECT name FROM people"\n' + base,
                   encoding="utf-8")
    loaded = load_config(cfg)
    settings = RedactionSettings.from_config(loaded)
    with pytest.raises(ConfigError, match="source 'crm', which is not configured") as info:
        list(known_names(settings, loaded.open_sources({})))
    assert info.value.context["key"] == "redaction.names_from[0]"
    cfg.write_text('[redaction]\nnames_regex = ".*"\n' + base, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.context["key"] == "redaction"


# -- the demo store, end to end ------------------------------------------------------------------


def test_demo_subject_package_is_redacted(demo_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu", request_id="RED")
    result = export(request, demo.demo_config_path(demo_store), tmp_path, OPTS)
    pkg = result.path
    assert verify(pkg) == []
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    check_against("bundle.json", bundle)
    texts = {p.relative_to(pkg).as_posix(): p.read_text(encoding="utf-8") for p in pkg.rglob("*")
             if p.suffix in (".json", ".jsonl", ".csv", ".html")}
    everything = "\n".join(texts.values())

    # other people's addresses, numbers and the staff's names appear nowhere in the package
    for other in ("john.doe@nordlicht-gmbh.example", "wang.wei@shenzhen-parts.example",
                  "+49 30 5550 1299", "+86 755 5555 0101"):
        assert other not in everything, other
    for name in demo.STAFF:
        assert not re.search(rf"\b{re.escape(name)}\b", everything), name
        assert not re.search(rf"\b{re.escape(name.split()[0])}\b", "\n".join(
            v for k, v in texts.items() if k.startswith("data/"))), name
    # a customer the stores know (Jane's colleague John Doe, an account and a contact of the demo)
    # is named nowhere; Jane's own name is
    data = "\n".join(v for k, v in texts.items() if k.startswith("data/"))
    assert "John Doe" not in everything and "John" not in data
    assert "Jane Doe" in data
    # no staff first name next to a staff placeholder (issue 16: "this is <first name>.")
    chats = [orjson.loads(line) for line in texts["data/support_chats.jsonl"].splitlines()]
    agent_lines = [m["text"] for c in chats for m in c["messages"] if m["from"] == "agent" and "this is" in m["text"]]
    assert agent_lines and all(re.search(r"this is \[staff member \d+\]\.", t) for t in agent_lines)
    # the subject's own address and number stay in the free text, and so does an amount
    emails = [orjson.loads(line) for line in texts["data/support_emails.jsonl"].splitlines()]
    assert any("+49 30 5550 1234" in e["body"] for e in emails)
    assert any("1 000 000.00 EUR" in e["body"] for e in emails)
    # the second address Jane gave (a support e-mail's reply-to) is hers: found, with provenance,
    # and shown as written in her own package
    found = {(i["type"], i["value"]): i["found_by"] for i in bundle["subject"]["identifiers"]}
    assert found[("email", demo.ALT_EMAIL)] == "files/identities[1]"
    assert any(demo.ALT_EMAIL in e["body"] and e["reply_to"] == demo.ALT_EMAIL for e in emails)
    assert "redactions" in next(e for e in bundle["categories"] if e["id"] == "support_emails")
    notes = [orjson.loads(line)["badge_scan_note"] for line in texts["data/event_registrations.jsonl"].splitlines()]
    assert any(n and demo.DEFAULT_DEMO_SUBJECT in n and "[staff member" in n for n in notes)
    # the agent of an answer signs it: the same placeholder in the field and in the text
    answers = [e for e in emails if e["direction"] == "to_you"]
    assert answers and all(e["agent_name"].startswith("[staff member ") and e["agent_name"] in e["body"]
                           for e in answers)

    # counts per category, the notice, and consistency: one placeholder per distinct address
    entries = {e["id"]: e for e in bundle["categories"]}
    for cid in ("support_emails", "support_chats", "content_posts", "event_registrations"):
        assert entries[cid]["redactions"] and entries[cid]["redaction_notice"].startswith("To protect other people")
    assert "redactions" not in entries["orders"]
    store = Store(demo_store)
    ids = store.resolve(email=demo.DEFAULT_DEMO_SUBJECT)
    catalog = load_catalog()
    raw_others: list[str] = []
    for cid in ("support_emails", "support_chats", "content_posts", "event_registrations", "opt_out_preferences"):
        paths = [p.split(".") for p in catalog[cid].raw.get("free_text", [])]
        for rec in store.category(cid, ids):
            for text in _strings(rec, paths):
                raw_others += [text[a:b].casefold() for a, b in find_emails(text)
                               if text[a:b].casefold() not in ids["email"]]
    redacted = "\n".join(texts[f"data/{cid}.jsonl"] for cid in entries if entries[cid].get("redactions"))
    placeholders = set(re.findall(r"\[email \d+\]", redacted))
    assert len(placeholders) == len(set(raw_others))
    assert sum(e.get("redactions", {}).get("email", 0) for e in entries.values()) == len(raw_others)
    # the HTML report escapes nothing away: placeholders are shown as they are
    assert "[email 1]" in texts["index.html"] or "[staff member 1]" in texts["index.html"]


def _strings(rec: Any, paths: list[list[str]]) -> Iterator[str]:
    for path in paths:
        nodes = [rec]
        for part in path:
            nxt = []
            for n in nodes:
                for item in n if isinstance(n, list) else [n]:
                    if isinstance(item, dict) and part in item:
                        nxt.append(item[part])
            nodes = nxt
        for n in nodes:
            for item in n if isinstance(n, list) else [n]:
                if isinstance(item, str):
                    yield item


def test_categories_only_answers_carry_no_redaction_counts(demo_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([demo.DEMO_SUBJECTS["california"]], jurisdiction="ca", verification="reasonable")
    result = export(request, demo.demo_config_path(demo_store), tmp_path, OPTS.replace(html=False, acknowledge=frozenset({"sale_after_opt_out"})))
    bundle = orjson.loads((result.path / "bundle.json").read_bytes())
    assert all("redactions" not in e for e in bundle["categories"])


def test_shipped_demo_config_parses_redaction_defaults(demo_store: Path) -> None:
    settings = RedactionSettings.from_config(load_config(demo.demo_config_path(demo_store)))
    assert settings.emails and settings.phones and settings.people == ()
    assert [r["source"] for r in settings.names_from] == ["app", "app"]
    assert settings.phone_regions == ("DE", "GB", "US", "FR")
    # the demo's staff directory (staff.txt, written with the store): every staff member, full names
    assert len(settings.staff) == len(demo.STAFF)
    assert {variant for entry in settings.staff for variant in entry} >= set(demo.STAFF)
