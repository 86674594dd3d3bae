"""The reviewed legal catalog (catalog/categories.toml) and the category schemas."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from exporter.resources import catalog_dir, schemas_dir

CATEGORY_IDS = [
    "account", "company_contact", "company_profile", "payment_cards", "billing", "orders",
    "content_posts", "ledger_postings", "content_downloads", "event_registrations",
    "screen_interactions", "devices", "access_logs", "cookies", "tracking_pixels",
    "marketing_subscriptions", "opt_out_preferences", "support_emails", "support_chats",
    "communications", "identity_verification", "personalisation", "third_party_disclosures",
    "deletion_records",
]  # fmt: skip
IDENTIFIER_TYPES = {"email", "account_id", "customer_id", "contact_id", "device_id", "cookie_id", "order_id",
                    "chat_id", "ledger_address"}  # fmt: skip
RULE_FORMS = ("earliest_of", "per_record", "kind")
SCHEMA_ID_BASE = "https://schemas.piconext.com/exporter/categories/"


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    with (catalog_dir() / "categories.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def categories(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in catalog["categories"]}


def load_schema(cid: str) -> dict[str, Any]:
    return json.loads((schemas_dir() / "categories" / f"{cid}.json").read_text(encoding="utf-8"))


def demo_schema(cid: str) -> dict[str, Any]:
    """The schema the demo store is checked against: the shipped one with the demo overlay merged."""
    from exporter.schemas import category_schema
    from exporter.demo import demo_schema_file

    return dict(category_schema(cid, demo_schema_file(cid)))


def walk_properties(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (pointer, property schema) in a schema, nested objects and array items included."""
    out: list[tuple[str, dict[str, Any]]] = []
    for name, prop in schema.get("properties", {}).items():
        out.append((f"{path}/{name}", prop))
        out.extend(walk_properties(prop, f"{path}/{name}"))
    if isinstance(schema.get("items"), dict):
        out.extend(walk_properties(schema["items"], f"{path}/items"))
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(schema.get(key, [])):
            out.extend(walk_properties(sub, f"{path}/{key}/{i}"))
    return out


# ------------------------------------------------------------------------------------------------
# catalog


def test_meta_and_controller(catalog: dict[str, Any]) -> None:
    assert catalog["meta"]["policy"] == "PicoNext Privacy Policy"
    assert str(catalog["meta"]["policy_updated"]) == "2024-10-01"
    assert catalog["meta"]["reviewed_by"]
    c = catalog["controller"]
    assert c["name"] == "PicoNext"
    assert c["address"].startswith("8850 S. 700 E. #81, Sandy UT 84070")
    assert c["email"] == c["dpo_email"] == "support@piconext.com"
    assert c["country"] == "US"


def test_exactly_the_24_categories(catalog: dict[str, Any]) -> None:
    ids = [c["id"] for c in catalog["categories"]]
    assert ids == CATEGORY_IDS  # order matters for the report; ids are used by other components


def test_identifier_types(catalog: dict[str, Any]) -> None:
    assert set(catalog["identifier_types"]) == IDENTIFIER_TYPES
    for name, t in catalog["identifier_types"].items():
        assert t["title"], name
        assert t["match"] in {"email", "trim", "exact", "ascii_ci"}, name  # never "casefold"
    assert catalog["identifier_types"]["email"]["match"] == "email"
    assert catalog["identifier_types"]["cookie_id"]["match"] == "exact"


def test_legal_bases(catalog: dict[str, Any]) -> None:
    # the catalog holds the article (the same in GDPR and UK GDPR); each rules file names its law
    articles = {k: v["article"] for k, v in catalog["legal_bases"].items()}
    assert articles == {
        "consent": "Art. 6(1)(a)",
        "contract": "Art. 6(1)(b)",
        "legal_obligation": "Art. 6(1)(c)",
        "legitimate_interests": "Art. 6(1)(f)",
    }


def test_purposes_cite_the_policy(catalog: dict[str, Any]) -> None:
    purposes = catalog["purposes"]
    section3 = [p for p in purposes.values() if p["policy"] == "§3"]
    assert len(section3) == 15  # one per bullet of policy §3
    for pid, p in purposes.items():
        assert p["title"] and p["policy"] in {"§3", "§5"}, pid
        assert "1798.14" in p["ccpa_business_purpose"], pid


def test_origins(catalog: dict[str, Any]) -> None:
    origins = catalog["origins"]
    assert {"subject", "automatic", "payment_processor", "event_partners", "public_sources", "distributors"} <= set(origins)
    for oid, o in origins.items():
        assert o["title"] and isinstance(o["not_from_subject"], bool), oid
    assert origins["subject"]["not_from_subject"] is False
    assert origins["public_sources"]["not_from_subject"] is True


def test_recipients(catalog: dict[str, Any]) -> None:
    recipients = catalog["recipients"]
    assert {
        "payment_processor", "order_fulfillment", "analytics", "event_campaign_management", "website_management",
        "it_infrastructure", "customer_service", "email_delivery", "auditors", "authorities",
        "distributors_resellers", "event_partners_sponsors", "corporate_transaction",
    } <= set(recipients)  # fmt: skip
    for rid, r in recipients.items():
        assert r["title"] and r["policy"] == "§5", rid
        assert r["ccpa_role"] in {"service_provider", "contractor", "third_party"}, rid
        assert isinstance(r["sold"], bool) and isinstance(r["shared"], bool), rid
        assert len(r["country"]) == 2 and r["country"].isupper(), rid
        assert r["names"] == [], rid  # names come from the deployment config
        if r["sold"] or r["shared"]:
            assert r["ccpa_role"] == "third_party", rid  # service providers cannot be sold to
            assert "§1798.140(ad)" in r["note"] and "§1798.140(ah)" in r["note"], rid
    # the decisions documented in the catalog
    assert recipients["distributors_resellers"]["sold"] is True
    assert recipients["event_partners_sponsors"]["sold"] is True
    assert not any(r["shared"] for r in recipients.values())  # policy §5: no interest-based advertising
    assert recipients["corporate_transaction"]["sold"] is False


def test_ccpa_categories(catalog: dict[str, Any], categories: dict[str, dict[str, Any]]) -> None:
    ccpa = catalog["ccpa_categories"]
    for cid, c in ccpa.items():
        assert c["title"] and c["cite"].startswith("Cal. Civ. Code §1798.140(v)(1)("), cid
    used = {c["ccpa_category"] for c in categories.values()}
    assert used == set(ccpa)  # only categories actually used are listed


def test_category_references(catalog: dict[str, Any]) -> None:
    for c in catalog["categories"]:
        cid = c["id"]
        for key in ("title", "description", "policy_section", "key", "time_field"):
            assert isinstance(c[key], str) and c[key], (cid, key)
        assert c["policy_section"].startswith("§"), cid
        assert c["ccpa_category"] in catalog["ccpa_categories"], cid
        assert isinstance(c["sensitive"], bool), cid
        assert c["origins"] and set(c["origins"]) <= set(catalog["origins"]), cid
        assert c["recipients"] and set(c["recipients"]) <= set(catalog["recipients"]), cid
        assert isinstance(c["summary_fields"], list) and c["summary_fields"], cid
        assert isinstance(c["withheld"], list), cid
        assert c["purposes"], cid
        for p in c["purposes"]:
            assert p["purpose"] in catalog["purposes"], (cid, p)
            assert p["basis"] in catalog["legal_bases"], (cid, p)
            if p["basis"] == "legitimate_interests":
                assert p.get("interest"), (cid, p)
            if p["basis"] == "consent":  # policy §3: opt-in only for targeted communications
                assert p["purpose"] == "targeted_communications", (cid, p)


def test_sensitive_and_withheld(categories: dict[str, dict[str, Any]]) -> None:
    assert categories["account"]["sensitive"] is True  # log-in + password, §1798.140(ae)(1)(B)
    assert categories["identity_verification"]["sensitive"] is True  # government ID, (ae)(1)(A)
    assert categories["payment_cards"]["sensitive"] is False  # only brand + last4 are held
    assert {"password_hash", "security_answer_hash"} <= set(categories["account"]["withheld"])
    assert "document_number" in categories["identity_verification"]["withheld"]
    for c in categories.values():  # 11 CCR §7024(d): each withheld field is described on its own
        for f in c["withheld"]:
            assert (c.get("withheld_notes") or {}).get(f), (c["id"], f)


def test_facts(categories: dict[str, dict[str, Any]]) -> None:
    assert categories["account"]["facts"] == {"last_login_at": "last_login_at", "terminated_at": "terminated_at",
                                              "display_name": "display_name", "country": "country"}
    assert categories["company_contact"]["facts"] == {"display_name": "full_name", "country": "country"}
    assert categories["marketing_subscriptions"]["facts"] == {"unsubscribed_at": "unsubscribed_at"}
    for cid, c in categories.items():
        if cid not in {"account", "company_contact", "marketing_subscriptions"}:
            assert "facts" not in c, cid


def test_retention_rules(categories: dict[str, dict[str, Any]]) -> None:
    facts = {f for c in categories.values() for f in c.get("facts", {})}
    for cid, c in categories.items():
        r = c["retention"]
        assert r["policy"].startswith("§4") and r["text"], cid
        forms = [k for k in RULE_FORMS if k in r]
        assert len(forms) == 1, (cid, forms)
        if "earliest_of" in r:
            assert r["earliest_of"], cid
            for item in r["earliest_of"]:
                assert item["fact"] in facts, cid
                assert set(item) - {"fact"} <= {"months", "days", "years"} and len(item) == 2, cid
        elif "per_record" in r:
            pr = r["per_record"]
            units = set(pr) & {"months", "days", "years"}
            assert len(units) == 1 and set(pr) - {"field", "after", "record", "event"} == units, cid
            assert pr.get("after") in (None, "end_of_year"), cid
            props = load_schema(cid)["properties"]
            assert props[pr["field"]].get("format") == "date-time", cid
        else:
            assert r["kind"] in {"immutable", "criteria"}, cid
    # policy §4 mapped faithfully
    assert categories["account"]["retention"]["earliest_of"] == [
        {"fact": "last_login_at", "months": 18}, {"fact": "terminated_at", "months": 3}]  # fmt: skip
    assert categories["support_emails"]["retention"]["earliest_of"] == [{"fact": "terminated_at", "months": 3}]
    assert categories["support_chats"]["retention"]["per_record"] == {"field": "ended_at", "months": 1,
                                                                "record": "chat transcript", "event": "the chat ended"}
    assert categories["deletion_records"]["retention"]["per_record"] == {"field": "deleted_at", "days": 90}
    assert categories["opt_out_preferences"]["retention"]["per_record"] == {"field": "recorded_at", "years": 20}
    assert categories["ledger_postings"]["retention"]["kind"] == "immutable"
    for cid in ("payment_cards", "marketing_subscriptions"):
        assert categories[cid]["retention"]["kind"] == "criteria", cid
    # §4B "or longer as necessary for record retention": the period that fixes it (draft for the DPO)
    for cid, field in (("billing", "issued_at"), ("orders", "ordered_at"), ("third_party_disclosures", "disclosed_at")):
        pr = categories[cid]["retention"]["per_record"]
        assert (pr["field"], pr["years"], pr["after"]) == (field, 7, "end_of_year"), cid
        assert "26 U.S.C. §6001" in categories[cid]["retention"]["text"] or cid == "third_party_disclosures"


def test_every_category_has_a_comment_citing_the_policy() -> None:
    lines = (catalog_dir() / "categories.toml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "[[categories]]":
            assert lines[i - 1].startswith("# "), f"no policy comment above line {i + 1}"


# ------------------------------------------------------------------------------------------------
# schemas


@pytest.mark.parametrize("cid", CATEGORY_IDS)
def test_schema_is_valid_and_documented(cid: str, categories: dict[str, dict[str, Any]]) -> None:
    path = schemas_dir() / "categories" / f"{cid}.json"
    assert path.is_file()
    schema = load_schema(cid)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{SCHEMA_ID_BASE}{cid}.json"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["title"] and schema["description"]
    assert set(schema["required"]) <= set(schema["properties"])
    for pointer, prop in walk_properties(schema):
        if "/anyOf/" in pointer:
            continue
        assert prop.get("title") and prop.get("description"), f"{cid}{pointer}"
        if "enum" in prop:
            codes = [v for v in prop["enum"] if v is not None]
            titles = prop.get("x-enum-titles", {})
            assert set(codes) == set(titles), f"{cid}{pointer}: every code needs an explanation"
        if pointer.endswith("ip_address"):
            formats = {alt.get("format") for alt in prop["anyOf"]}
            assert {"ipv4", "ipv6"} <= formats, f"{cid}{pointer}"
    # the catalog's field references exist
    c = categories[cid]
    props = schema["properties"]
    assert c["key"] in props, cid
    assert props[c["time_field"]].get("format") == "date-time", cid
    assert set(c["summary_fields"]) <= set(props), cid
    for fact, field in c.get("facts", {}).items():
        assert field in props, cid
        if fact.endswith("_at"):  # time facts feed retention rules
            assert props[field].get("format") == "date-time", cid
    assert not set(c["withheld"]) & set(props), f"{cid}: withheld fields must not be in the schema"


def test_no_extra_schema_files() -> None:
    names = sorted(p.stem for p in (schemas_dir() / "categories").glob("*.json"))
    assert names == sorted(CATEGORY_IDS)


@pytest.mark.parametrize("overlay", ["shipped", "demo"])
def test_payment_cards_cannot_carry_a_card_number(overlay: str) -> None:
    """The shipped schema has no identifier formats, yet no field of it can carry a full card number;
    the demo's merged schema (its overlay's CARD-… patterns) neither."""
    schema = load_schema("payment_cards") if overlay == "shipped" else demo_schema("payment_cards")
    v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    good = {
        "card_id": "CARD-000001", "customer_id": "CUS-000101", "brand": "visa", "last4": "4242",
        "exp_month": 12, "exp_year": 2029, "cardholder_name": "JANE DOE", "billing_postal_code": "10117",
        "billing_country": "DE", "default_card": "yes", "added_at": "2024-03-24T20:57:03Z", "removed_at": None,
    }  # fmt: skip
    assert not list(v.iter_errors(good))
    pan = "4242424242424242"
    for name in schema["properties"]:
        bad = dict(good, **{name: pan})
        assert list(v.iter_errors(bad)), f"{name} accepts a full card number"
        assert list(v.iter_errors(dict(good, **{name: int(pan)}))), f"{name} accepts a card number as a number"
    assert list(v.iter_errors(dict(good, card_number=pan)))
    assert list(v.iter_errors(dict(good, last4="424242")))


def test_support_chat_messages_are_nested() -> None:
    schema = load_schema("support_chats")
    msg = schema["properties"]["messages"]["items"]
    assert "enum" not in msg["properties"]["from"]  # the demo's value list is the demo overlay's
    assert msg["additionalProperties"] is False
    merged = demo_schema("support_chats")["properties"]["messages"]["items"]
    assert merged["properties"]["from"]["enum"] == ["subject", "agent", "bot"]
    assert merged["additionalProperties"] is False and merged["properties"]["from"]["title"]


#: the demo store's identifier formats: in the demo overlay, never in a shipped category schema
DEMO_FORMATS = ("ACC-", "CUS-", "CARD-", "ORD-", "CON-", "INV-", "DEV-", "ck_", "PN-")


@pytest.mark.parametrize("cid", CATEGORY_IDS)
def test_shipped_schemas_impose_no_demo_identifier_format(cid: str) -> None:
    """Shipped schemas describe meaning and JSON types: no identifier pattern and no value list of
    the demo store (a protection such as last4 = four digits stays); the demo overlay has them."""
    text = (schemas_dir() / "categories" / f"{cid}.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    for pointer, prop in walk_properties(schema):
        assert "enum" not in prop, f"{cid}{pointer}: a value list belongs in an overlay"
        pattern = prop.get("pattern", "")
        assert not any(p in pattern for p in DEMO_FORMATS), f"{cid}{pointer}: {pattern}"
        assert prop.get("title"), f"{cid}{pointer} has no title"
    merged = demo_schema(cid)
    assert set(merged["properties"]) == set(schema["properties"])  # the overlay adds no field
    assert merged["required"] == schema["required"]


def test_demo_overlay_holds_the_demo_formats() -> None:
    assert demo_schema("account")["properties"]["account_id"]["pattern"] == "^ACC-[0-9]{6}$"
    assert demo_schema("payment_cards")["properties"]["card_id"]["pattern"] == "^CARD-[0-9]{6}$"
    assert demo_schema("orders")["properties"]["order_id"]["pattern"].startswith("^ORD-")
    # merged keyword by keyword: the shipped title, description and type stay
    shipped = load_schema("orders")["properties"]["order_id"]
    assert {k: v for k, v in demo_schema("orders")["properties"]["order_id"].items() if k != "pattern"} == shipped


def test_free_text_fields_exist() -> None:
    for cid, field in [("support_emails", "body"), ("content_posts", "body"),
                       ("event_registrations", "badge_scan_note")]:  # fmt: skip
        assert field in load_schema(cid)["properties"], cid


def test_schemas_dir_is_the_checkout_or_package() -> None:
    assert Path(schemas_dir(), "categories").is_dir()
