"""exporter.law.jurisdictions: rules files load and validate; evaluate() output per jurisdiction."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import threading
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from exporter.law import jurisdictions
from exporter.errors import ConfigError, RequestError
from exporter.resources import catalog_dir, schemas_dir

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

EU_EEA = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"]


# ---- a small catalog in the format of docs/architecture.md ----------------------------------------


def small_catalog() -> dict[str, Any]:
    return {
        "controller": {"name": "PicoNext", "address": "8850 S. 700 E. #81, Sandy UT 84070, USA",
                       "email": "support@piconext.com", "dpo_email": "support@piconext.com", "country": "US"},
        "legal_bases": {
            "contract": {"title": "Contract", "cite": "GDPR Art. 6(1)(b)"},
            "legitimate_interests": {"title": "Legitimate interests", "cite": "GDPR Art. 6(1)(f)"},
        },
        "purposes": {
            "deliver_services": {"title": "Deliver the Services", "policy": "§3",
                                 "ccpa_business_purpose": "Performing services (Civ. Code §1798.140(e)(5))"},
            "personalisation": {"title": "Personalise the Service", "policy": "§3",
                                "ccpa_business_purpose": "Improving the service (§1798.140(e)(8))"},
            "distributor_information": {"title": "Pass details to a distributor", "policy": "§5"},
        },
        "origins": {
            "subject": {"title": "You", "not_from_subject": False},
            "automatic": {"title": "Your device, automatically", "not_from_subject": False},
            "distributors": {"title": "Authorised distributors", "not_from_subject": True},
        },
        "recipients": {
            "it_infrastructure": {"title": "IT and hosting providers", "ccpa_role": "service_provider",
                                  "sold": False, "shared": False, "country": "US", "names": []},
            "analytics": {"title": "Analytics providers", "ccpa_role": "service_provider",
                          "sold": False, "shared": False, "country": "US", "names": []},
            "distributors_resellers": {"title": "Authorised distributors and resellers", "ccpa_role": "third_party",
                                       "sold": True, "shared": False, "country": "US", "names": []},
        },
        "ccpa_categories": {
            "identifiers": {"title": "Identifiers", "cite": "Cal. Civ. Code §1798.140(v)(1)(A)"},
            "inferences": {"title": "Inferences", "cite": "Cal. Civ. Code §1798.140(v)(1)(K)"},
            "internet_activity": {"title": "Internet activity", "cite": "Cal. Civ. Code §1798.140(v)(1)(F)"},
        },
        "categories": [
            {"id": "account", "title": "Account", "ccpa_category": "identifiers", "sensitive": True,
             "origins": ["subject"], "recipients": ["it_infrastructure"], "withheld": ["password_hash"],
             "fields_withheld_note": "We hold your password only as a hash and never disclose it.",
             "purposes": [{"purpose": "deliver_services", "basis": "contract"}],
             "retention": {"policy": "§4A", "text": "Deleted after 18 months without a log-in.",
                           "earliest_of": [{"fact": "last_login_at", "months": 18}]}},
            {"id": "company_contact", "title": "Company contact", "ccpa_category": "identifiers", "sensitive": False,
             "origins": ["subject", "distributors"], "recipients": ["it_infrastructure", "distributors_resellers"],
             "withheld": [],
             "purposes": [{"purpose": "deliver_services", "basis": "contract"},
                          {"purpose": "distributor_information", "basis": "legitimate_interests"}],
             "retention": {"policy": "§4B", "text": "For the transaction period.", "kind": "criteria"}},
            {"id": "screen_interactions", "title": "Screens you used", "ccpa_category": "internet_activity",
             "sensitive": False, "origins": ["automatic"], "recipients": ["analytics"], "withheld": [],
             "purposes": [{"purpose": "deliver_services", "basis": "legitimate_interests"}],
             "retention": {"policy": "§4A", "text": "With the account.", "kind": "criteria"}},
            {"id": "personalisation", "title": "Inferred interests", "ccpa_category": "inferences",
             "sensitive": False, "origins": ["automatic"], "recipients": ["it_infrastructure"], "withheld": [],
             "purposes": [{"purpose": "personalisation", "basis": "legitimate_interests"}],
             "retention": {"policy": "§4A", "text": "With the account.", "kind": "criteria"}},
        ],
    }


def entries(catalog: dict[str, Any], counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Bundle category entries as exporter.packaging.bundle builds them (docs/architecture.md)."""
    out = []
    for c in catalog["categories"]:
        cc = c.get("ccpa_category")
        out.append({
            "id": c["id"], "title": c["title"], "description": "", "policy_section": "§1",
            "status": "held", "count": (counts or {}).get(c["id"], 3),
            "purposes": [{"id": p["purpose"], "title": catalog["purposes"][p["purpose"]]["title"], "basis": p["basis"]}
                         for p in c.get("purposes", [])],
            "ccpa_category": {"id": cc, **catalog["ccpa_categories"][cc]} if cc else None,
            "sensitive": c.get("sensitive", False),
            "origins": [{"id": o, **catalog["origins"][o]} for o in c.get("origins", [])],
            "recipients": [{"id": r, **catalog["recipients"][r]} for r in c.get("recipients", [])],
            "withheld_fields": list(c.get("withheld", [])),
            "retention": {"text": c["retention"].get("text"), "policy": c["retention"].get("policy"),
                          "until": None, "explanation": c["retention"].get("text")},
        })
    return out


def request(**kw: Any) -> dict[str, Any]:
    base = {"id": "DSAR-1", "received": "2026-11-02", "verification": "verified", "country": None,
            "extension": None, "clock_stops": []}
    return base | kw


@pytest.fixture(scope="module")
def output_validator() -> Draft202012Validator:
    schema = json.loads((schemas_dir() / "jurisdiction.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "https://schemas.piconext.com/exporter/jurisdiction.json"
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def run(jid: str, catalog: dict[str, Any] | None = None, counts: dict[str, int] | None = None, **req: Any):
    catalog = catalog or small_catalog()
    return jurisdictions.evaluate(jid, catalog=catalog, request=request(**req),
                                  facts={"last_login_at": "2026-02-03T09:00:00Z"},
                                  categories=entries(catalog, counts), now=NOW)


def valid(validator: Draft202012Validator, block: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(block), key=lambda e: list(e.absolute_path))
    assert not errors, [(list(e.absolute_path), e.message) for e in errors[:5]]
    json.dumps(block)  # JSON-serialisable, nothing but plain types


# ---- loading ---------------------------------------------------------------------------------------


def test_available_and_load():
    assert jurisdictions.available() == ["ca", "eu", "uk", "ut"]
    for jid in jurisdictions.available():
        rules = jurisdictions.load(jid)
        assert rules.id == jid and rules["id"] == jid
        assert rules.path.parent == catalog_dir() / "jurisdictions"


def test_rules_are_cached_and_read_only():
    a = jurisdictions.load("uk")
    assert jurisdictions.load("uk") is a
    with pytest.raises(TypeError):
        a["deadline"]["calendar_months"] = 2  # type: ignore[index]
    with pytest.raises(AttributeError):
        a.id = "eu"
    plain = a.to_dict()
    plain["deadline"]["calendar_months"] = 2
    assert jurisdictions.load("uk")["deadline"]["calendar_months"] == 1


def test_concurrent_loads_agree(tmp_path):
    shutil.copy(catalog_dir() / "jurisdictions" / "eu.toml", tmp_path / "eu.toml")
    results: list[Any] = []

    def work() -> None:
        for _ in range(20):
            results.append(jurisdictions.load("eu", directory=tmp_path)["deadline"]["cite"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) == {"GDPR Art. 12(3)"} and len(results) == 160


def test_unknown_jurisdiction_is_a_request_error():
    with pytest.raises(RequestError) as exc:
        jurisdictions.load("xx")
    assert "ca, eu, uk, ut" in str(exc.value)
    with pytest.raises(RequestError):
        jurisdictions.load("../eu")


def test_rules_schema_accepts_every_shipped_file():
    schema = json.loads((schemas_dir() / "jurisdiction-rules.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for jid in jurisdictions.available():
        data = tomllib.loads((catalog_dir() / "jurisdictions" / f"{jid}.toml").read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(data)), jid


def write_variant(tmp_path: Path, name: str, edit) -> Path:
    text = (catalog_dir() / "jurisdictions" / "eu.toml").read_text(encoding="utf-8")
    text = edit(text)
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda t: t.replace("max = 2\n", 'max = "two"\n'), "deadline.extension.max"),
        (lambda t: t.replace('id = "eu"', 'id = "uk"'), "id"),
        (lambda t: t.replace("calendar_months = 1\n", "calendar_months = 1\ncalendar_days = 30\n"), "deadline"),
        (lambda t: t.replace('how = "Email {email} saying', 'how = "Email {mail} saying'), "rights[1].how"),
        (lambda t: t.replace('cite = "GDPR Art. 15(1)(b)"\n', ""), "elements[2]"),
        (lambda t: t.replace('id = "art15_1_b_categories"', 'id = "art15_1_a_purposes"'), "elements[2].id"),
        (lambda t: t.replace('country = "NO"', 'country = "SE"'), "complaint.authorities[29].country"),
        (lambda t: t.replace('unit = "months"', 'unit = "days"'), "deadline.extension.unit"),
    ],
)
def test_bad_rules_file_names_file_and_key(tmp_path, edit, key):
    path = write_variant(tmp_path, "eu", edit)
    with pytest.raises(ConfigError) as exc:
        jurisdictions.load("eu", directory=tmp_path)
    assert exc.value.context["file"] == str(path.resolve())
    assert exc.value.context["key"] == key, str(exc.value)


def test_invalid_toml_is_a_config_error(tmp_path):
    (tmp_path / "zz.toml").write_text("id = \n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        jurisdictions.load("zz", directory=tmp_path)
    assert exc.value.context["file"].endswith("zz.toml")


def test_edited_file_is_reloaded(tmp_path):
    path = write_variant(tmp_path, "eu", lambda t: t)
    assert jurisdictions.load("eu", directory=tmp_path)["title"] == "European Union and EEA"
    path.write_text(path.read_text(encoding="utf-8").replace('title = "European Union and EEA"',
                                                            'title = "EU + EEA (edited)"'), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert jurisdictions.load("eu", directory=tmp_path)["title"] == "EU + EEA (edited)"


def test_new_jurisdiction_file_is_picked_up(tmp_path, output_validator):
    for jid in ("eu", "ut"):
        shutil.copy(catalog_dir() / "jurisdictions" / f"{jid}.toml", tmp_path / f"{jid}.toml")
    assert jurisdictions.available(directory=tmp_path) == ["eu", "ut"]
    text = (tmp_path / "ut.toml").read_text(encoding="utf-8")
    text = text.replace('id = "ut"', 'id = "co"').replace('title = "Utah, USA"', 'title = "Colorado, USA"')
    (tmp_path / "co.toml").write_text(text, encoding="utf-8")
    assert jurisdictions.available(directory=tmp_path) == ["co", "eu", "ut"]
    catalog = small_catalog()
    block = jurisdictions.evaluate("co", catalog=catalog, request=request(), facts={},
                                   categories=entries(catalog), now=NOW, directory=tmp_path)
    valid(output_validator, block)
    assert block["id"] == "co" and block["title"] == "Colorado, USA"
    assert jurisdictions.specific_pieces_allowed("co", "verified", directory=tmp_path)[0] is True


# ---- small questions -----------------------------------------------------------------------------


def test_specific_pieces_allowed():
    ok, why = jurisdictions.specific_pieces_allowed("ca", "reasonable")
    assert ok is False and "§7024" in why and "§7062" in why and "categories" in why
    for level in ("reasonably_high", "verified"):
        assert jurisdictions.specific_pieces_allowed("ca", level)[0] is True
    for jid in ("eu", "uk", "ut"):
        assert jurisdictions.specific_pieces_allowed(jid, "reasonable")[0] is True
        assert jurisdictions.specific_pieces_allowed(jid, "none")[0] is False
    with pytest.raises(RequestError):
        jurisdictions.specific_pieces_allowed("eu", "pretty_sure")


def test_period():
    ca = jurisdictions.period("ca", now=date(2026, 11, 25))
    assert ca["from"] == "2022-01-01" and ca["to"] == "2026-11-25"
    assert "§1798.130(a)(2)(B)" in ca["cite"]
    eu = jurisdictions.period("eu", now=NOW, first="2019-05-01T00:00:00Z")
    assert eu["from"] is None and eu["to"] == "2026-11-25" and eu["earliest_record"] == "2019-05-01"


# ---- evaluate: every jurisdiction ------------------------------------------------------------------

GDPR_ELEMENTS = {"art15_1_a_purposes", "art15_1_b_categories", "art15_1_c_recipients", "art15_1_d_retention",
                 "art15_1_e_rights", "art15_1_f_complaint", "art15_1_g_sources", "art15_1_h_automated_decisions",
                 "art15_2_transfers", "art15_3_copy", "art15_4_others"}
CCPA_ELEMENTS = {"ccpa_110_a_1_categories", "ccpa_110_a_2_sources", "ccpa_110_a_3_purposes",
                 "ccpa_110_a_4_third_parties", "ccpa_110_a_5_specific_pieces", "ccpa_115_a_2_sold_shared",
                 "ccpa_115_a_3_business_purpose", "ccpa_7024_d_withheld"}


@pytest.mark.parametrize("jid", ["eu", "uk", "ca", "ut"])
def test_evaluate_validates_against_the_output_schema(jid, output_validator):
    block = run(jid)
    valid(output_validator, block)
    assert block["id"] == jid
    assert block["notices"] and all(n["cite"] and n["title"] for n in block["notices"])
    assert all(e["cite"] for e in block["elements"])
    assert all(r["cite"] and "support@piconext.com" in r["how"] or r["id"] in {"judicial_remedy", "non_discrimination", "portability"}
               for r in block["rights"])
    text = json.dumps(block)
    assert "{email}" not in text and "{address}" not in text
    assert block["deadlines"]["received"] == "2026-11-02"
    # why held fields are left out: each law's own rule; bundles made before the block existed still verify
    assert ("7024" in block["withheld"]["cite"]) is (jid == "ca") and block["withheld"]["text"]
    valid(output_validator, {k: v for k, v in block.items() if k != "withheld"})


@pytest.mark.parametrize(("jid", "prefix"), [("eu", "GDPR Art. 15"), ("uk", "UK GDPR Art. 15")])
def test_gdpr_elements_are_all_there(jid, prefix):
    block = run(jid)
    ids = {e["id"] for e in block["elements"]}
    assert GDPR_ELEMENTS <= ids
    cites = " | ".join(e["cite"] for e in block["elements"])
    for letter in "abcdefgh":
        assert f"{prefix}(1)({letter})" in cites
    for para in ("15(2)", "15(3)", "15(4)"):
        assert f"{prefix[:-2]}{para}" in cites
    by_id = {e["id"]: e for e in block["elements"]}
    assert by_id["art15_1_g_sources"]["applies"] is True  # company_contact came from a distributor
    assert by_id["art15_2_transfers"]["applies"] is True  # PicoNext is in the US
    assert by_id["art15_1_c_recipients"]["satisfied_by"] == "/categories/*/recipients"


def test_ccpa_elements_are_all_there():
    block = run("ca")
    ids = {e["id"] for e in block["elements"]}
    assert CCPA_ELEMENTS <= ids
    cites = " | ".join(e["cite"] for e in block["elements"])
    for n in range(1, 6):
        assert f"§1798.110(a)({n})" in cites
    assert "§1798.115(a)(2)" in cites and "§7024(d)" in cites


def test_eu_complaint_names_the_member_state_authority():
    de = run("eu", country="DE")["complaint"]
    assert de["authority"]["country"] == "DE" and "bfdi.bund.de" in de["authority"]["website"]
    assert de["routes"][0]["id"] == "sa_de"
    unknown = run("eu")["complaint"]
    assert unknown["authority"] is None
    assert unknown["routes"][-1]["website"] == "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en"
    assert sorted(a["country"] for a in unknown["authorities"]) == sorted(EU_EEA)
    notice = next(n for n in run("eu", country="fr")["notices"] if n["id"] == "complaint")
    assert "CNIL" in notice["items"][0]


def test_eu_deadline_uses_member_state_holidays():
    assert run("eu", received="2025-09-03")["deadlines"]["due"] == "2025-10-03"
    assert run("eu", received="2025-09-03", country="DE")["deadlines"]["due"] == "2025-10-06"


def test_uk_complaint_and_stop_the_clock():
    block = run("uk", received="2025-03-03",
                clock_stops=[{"from": "2025-03-05", "to": "2025-03-15", "reason": "clarification"}],
                extension={"length": 2, "reason": "complex"})
    ico = block["complaint"]["routes"][0]
    assert ico["address"] == "Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF, United Kingdom"
    assert ico["phone"] == "0303 123 1113" and ico["website"] == "https://ico.org.uk"
    d = block["deadlines"]
    # UK GDPR Art. 12A: 5–15 March, both days paused (11); 3 Jun + 11 = Sat 14 Jun → Mon 16 Jun 2025
    assert (d["due"], d["extended_due"], d["paused_days"]) == ("2025-04-14", "2025-06-16", 11)
    deadline_notice = block["notices"][0]
    assert deadline_notice["id"] == "deadlines" and "2025-06-16" in " ".join(deadline_notice["paragraphs"])
    # the complaints route: a complaint to PicoNext is acknowledged within 30 days (DPA 2018 s.164A)
    assert "within 30 days" in block["complaint"]["text"] and "s.164A" in block["complaint"]["text"]


def test_request_errors():
    with pytest.raises(RequestError):
        run("eu", country="Germany")
    with pytest.raises(RequestError):
        run("eu", received="yesterday")
    with pytest.raises(RequestError):
        run("eu", clock_stops=[{"from": "2026-11-03", "to": "2026-11-05", "reason": "id"}])
    with pytest.raises(RequestError):
        run("uk", extension={"length": 3, "reason": "complex"})
    with pytest.raises(RequestError):
        run("ca", extension={"length": 45, "reason": ""})
    with pytest.raises(RequestError):
        run("ca", verification="certain")


def test_transfers_and_automated_decisions():
    eu = run("eu")
    assert eu["transfers"]["applies"] is True
    assert eu["transfers"]["destinations"][0]["country"] == "US"
    assert "2021/914" in eu["transfers"]["mechanism"] or "standard contractual clauses" in eu["transfers"]["mechanism"]
    uk = run("uk")
    assert "International Data Transfer Agreement" in uk["transfers"]["mechanism"]
    ad = eu["automated_decisions"]
    assert ad["exists"] is False and ad["profiling"] is True and ad["profiling_categories"] == ["personalisation"]
    assert "personalise" in ad["profiling_text"]
    none = run("eu", counts={"personalisation": 0})["automated_decisions"]
    assert none["profiling"] is False and none["profiling_text"] is None


def test_ca_table_from_the_recipient_model():
    block = run("ca")
    ccpa = block["ccpa"]
    rows = {r["category"]["id"]: r for r in ccpa["rows"]}
    assert set(rows) == {"identifiers", "internet_activity", "inferences"}
    ident = rows["identifiers"]
    assert [c["id"] for c in ident["data_categories"]] == ["account", "company_contact"]
    assert {s["id"] for s in ident["sources"]} == {"subject", "distributors"}
    assert ident["sold"] is True and [x["id"] for x in ident["sold_to"]] == ["distributors_resellers"]
    assert ident["shared"] is False
    assert [x["id"] for x in ident["disclosed_for_business_purpose"]] == ["it_infrastructure"]
    assert any("1798.140(e)(5)" in p["business_purpose"] for p in ident["purposes"])
    assert ccpa["sold_any"] is True and rows["internet_activity"]["sold"] is False
    assert ccpa["withheld"]["items"][0]["kind"] == "account_password"
    assert ccpa["sensitive"]["categories"] == [{"id": "account", "title": "Account"}]
    # 10 business days after Mon 2 Nov 2026, skipping Veterans Day (Wed 11 Nov, a California state holiday)
    assert block["deadlines"]["confirmation_due"] == "2026-11-17"
    assert block["period"]["from"] == "2022-01-01"
    ids = [n["id"] for n in block["notices"]]
    assert {"ccpa_categories", "ccpa_sold_shared", "ccpa_sensitive", "ccpa_withheld"} <= set(ids)
    assert ids[0] == "deadlines" and ids[-1] == "complaint"


def test_ca_flipping_a_recipient_flag_changes_the_table():
    before = run("ca")
    catalog = small_catalog()
    catalog["recipients"]["distributors_resellers"]["sold"] = False
    catalog["recipients"]["analytics"]["shared"] = True
    after = run("ca", catalog=catalog)
    rows = {r["category"]["id"]: r for r in after["ccpa"]["rows"]}
    assert rows["identifiers"]["sold"] is False and rows["identifiers"]["sold_to"] == []
    assert rows["internet_activity"]["shared"] is True
    assert [x["id"] for x in rows["internet_activity"]["shared_with"]] == ["analytics"]
    assert "analytics" not in [x["id"] for x in rows["internet_activity"]["disclosed_for_business_purpose"]]
    # distributors now count as a business-purpose disclosure (third party, neither sold nor shared)
    assert "distributors_resellers" in [x["id"] for x in rows["identifiers"]["disclosed_for_business_purpose"]]
    assert before["ccpa"]["sold_shared"] != after["ccpa"]["sold_shared"] or before != after
    catalog["recipients"]["analytics"]["shared"] = False
    none = run("ca", catalog=catalog)["ccpa"]
    assert none["sold_any"] is False and none["shared_any"] is False
    assert "not sold or shared" in none["sold_shared"]["text"]


def test_ca_only_held_categories_appear():
    block = run("ca", counts={"personalisation": 0, "screen_interactions": 0, "account": 0})
    rows = block["ccpa"]["rows"]
    assert [r["category"]["id"] for r in rows] == ["identifiers"]
    assert [c["id"] for c in rows[0]["data_categories"]] == ["company_contact"]
    assert block["ccpa"]["sensitive"]["categories"] == []
    assert block["ccpa"]["withheld"]["items"] == []


def test_ca_reasonable_verification_gives_categories_only(output_validator):
    block = run("ca", verification="reasonable")
    valid(output_validator, block)
    assert block["access"]["specific_pieces"] is False and block["access"]["categories"] is True
    el = {e["id"]: e for e in block["elements"]}["ccpa_110_a_5_specific_pieces"]
    assert el["applies"] is False and "§7024" in el["note"]
    assert block["ccpa"]["rows"]  # categories are still disclosed


def test_retention_notice_names_kinds_with_the_same_retention_together():
    catalog = small_catalog()
    cats = entries(catalog)
    same = "Deleted 18 months after your last log-in."
    for c in cats:
        c["retention"]["explanation"] = same
    cats[-1]["retention"]["explanation"] = "Kept for ten years (tax law)."
    block = jurisdictions.evaluate("eu", catalog=catalog, request=request(), facts={}, categories=cats, now=NOW)
    items = {n["id"]: n for n in block["notices"]}["retention"]["items"]
    titles = [c["title"] for c in cats]
    assert items == [f"{', '.join(titles[:-1])}: {same}", f"{titles[-1]}: Kept for ten years (tax law)."]
    # every held kind is named exactly once
    assert sum(i.count(t) for i in items for t in titles) == len(titles)


def test_notices_are_individualised():
    catalog = small_catalog()
    catalog["recipients"]["it_infrastructure"]["names"] = ["Example Cloud Ltd."]
    block = run("eu", catalog=catalog, country="IE")
    notices = {n["id"]: n for n in block["notices"]}
    assert "IT and hosting providers: Example Cloud Ltd." in notices["recipients"]["items"]
    assert any("distributors" in i.lower() for i in notices["sources"]["items"])
    assert any(i.startswith("Account: ") for i in notices["retention"]["items"])
    assert "Data Protection Commission (Ireland)" in notices["complaint"]["items"][0]
    assert "C-154/21" in notices["recipients"]["cite"]
    order = [n["id"] for n in block["notices"]]
    assert order.index("deadlines") < order.index("contents") < order.index("rights") < order.index("complaint")


# ---- against the real catalog, when it exists ------------------------------------------------------


@pytest.mark.parametrize("jid", ["eu", "uk", "ca", "ut"])
def test_real_catalog(jid, output_validator):
    path = catalog_dir() / "categories.toml"
    catalog = tomllib.loads(path.read_text(encoding="utf-8"))
    cats = entries(catalog)
    block = jurisdictions.evaluate(jid, catalog=catalog, request=request(country="NL"), facts={},
                                   categories=cats, now=NOW)
    valid(output_validator, block)
    if jid == "ca":
        rows = block["ccpa"]["rows"]
        held = {c.get("ccpa_category") for c in catalog["categories"]}
        assert {r["category"]["id"] for r in rows} == held
        sold_ids = {rid for rid, r in catalog["recipients"].items() if r.get("sold")}
        assert block["ccpa"]["sold_any"] is bool(sold_ids)
        kinds = {i["kind"] for i in block["ccpa"]["withheld"]["items"]}
        assert "other" not in kinds, block["ccpa"]["withheld"]["items"]
    json.dumps(copy.deepcopy(block))
    assert not re.search(r"\{[a-z_]+\}", json.dumps(block))
