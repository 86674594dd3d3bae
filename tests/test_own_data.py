"""A catalog the deployment owns: the worked example of docs/own-data.md (examples/own-data/, a
bicycle repair shop's SQLite database that is not PicoNext's shape) exported through config +
overlay alone, and overlays that add a category to / replace a schema of the shipped catalog."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporter import demo
from exporter.api import AccessRequest, ExportOptions, export
from exporter.law.catalog import load_catalog
from exporter.cli import app
from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.packaging.package import verify

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "own-data"
FILES = ["shop.sql", "exporter.toml", "catalog/categories.toml", "catalog/schemas/client.json",
         "catalog/schemas/repairs.json"]


@pytest.fixture()
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "own-data"
    shutil.copytree(EXAMPLE, root)
    con = sqlite3.connect(root / "shop.sqlite")
    con.executescript((root / "shop.sql").read_text(encoding="utf-8"))
    con.close()
    return root


def test_the_docs_show_the_example_files_as_they_are() -> None:
    doc = (ROOT / "docs" / "own-data.md").read_text(encoding="utf-8")
    for rel in FILES:
        assert (EXAMPLE / rel).read_text(encoding="utf-8").strip() in doc, rel
    assert "own-data.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_foreign_schema_is_exported_through_config_and_overlay_alone(shop: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["export", "--config", str(shop / "exporter.toml"), "--subject",
                              "email:Ines.Weber@example.org", "--jurisdiction", "eu", "--request-id", "SC-1",
                              "--received", "2026-11-30", "--now", "2026-12-01T09:00:00Z", "--out",
                              str(shop / "out"), "--quiet"])
    assert res.exit_code == 0, res.stderr
    pkg = Path(res.stdout.strip())
    bundle = json.loads((pkg / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["controller"]["name"] == "Spoke & Chain Cycles"
    assert [c["id"] for c in bundle["categories"]] == ["client", "repairs"]
    assert bundle["summary"]["complete"] is True and {c["status"] for c in bundle["categories"]} == {"held"}

    # no fabricated value: every record is exactly a row of the shop's own tables
    con = sqlite3.connect(shop / "shop.sqlite")
    con.row_factory = sqlite3.Row
    rows = {"client": [dict(r) for r in con.execute("SELECT * FROM clients WHERE client_no = 17")],
            "repairs": [dict(r) for r in con.execute("SELECT * FROM repairs WHERE client_no = 17 ORDER BY job_no")]}
    for cat in bundle["categories"]:
        assert cat["records"] == rows[cat["id"]], cat["id"]
    assert "Tom Kraus" not in (pkg / "bundle.json").read_text(encoding="utf-8")
    for cid in ("client", "repairs"):  # the package ships the overlay's schemas
        assert (pkg / "schemas" / f"{cid}.json").read_bytes() == (shop / "catalog" / "schemas" / f"{cid}.json").read_bytes()
    assert verify(pkg) == []

    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(pkg / "report.pdf").pages).split())
    assert "Spoke & Chain Cycles" in text and "Your repairs" in text and "Puncture, rear wheel" in text
    assert "PicoNext" not in text

    res = runner.invoke(app, ["audit", "--config", str(shop / "exporter.toml"), "--strict"])
    assert res.exit_code == 0 and "clean: every column" in res.stdout

    res = runner.invoke(app, ["catalog", "--config", str(shop / "exporter.toml"), "--json"])
    shown = json.loads(res.stdout)
    assert [c["id"] for c in shown["categories"]] == ["client", "repairs"]
    assert shown["controller"]["name"] == "Spoke & Chain Cycles"
    res = runner.invoke(app, ["schemas", "--config", str(shop / "exporter.toml"), "--out", str(shop / "schemas-out")])
    assert res.exit_code == 0
    assert sorted(p.name for p in (shop / "schemas-out" / "categories").iterdir()) == ["client.json", "repairs.json"]
    assert (shop / "schemas-out" / "bundle.json").is_file()


def test_overlay_adds_a_category_and_merges_into_a_shipped_schema(demo_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    overlay = store / "catalog"  # the demo's own overlay, which its config names
    # a patch (RFC 7396), not a copy: the deployment's own title, and no ORD-… pattern of the demo's
    (overlay / "schemas" / "orders.json").write_text(json.dumps(
        {"properties": {"order_id": {"title": "Order reference", "pattern": None}}}), encoding="utf-8")
    orders = json.loads((ROOT / "schemas" / "categories" / "orders.json").read_text(encoding="utf-8"))
    orders["properties"]["order_id"]["title"] = "Order reference"
    (overlay / "schemas" / "loyalty.json").write_text(json.dumps({
        "type": "object", "additionalProperties": False, "required": ["account_id", "points"],
        "properties": {"account_id": {"title": "Account number", "type": "string"},
                       "points": {"title": "Points", "type": "integer"}}}), encoding="utf-8")
    (overlay / "categories.toml").write_text('''
[[categories]]
id = "orders"
description = "Orders, as this deployment describes them."
[categories.retention]
text = "Kept for ten years (the deployment's own words)."

[[categories]]
id = "loyalty"
title = "Loyalty points"
description = "Points you collected."
origins = ["automatic"]
recipients = []
withheld = []
purposes = [ { purpose = "deliver_services", basis = "contract" } ]
[categories.retention]
text = "Kept while you have an account."
kind = "criteria"
''', encoding="utf-8")
    (store / "loyalty.jsonl").write_text(json.dumps({"account_id": demo.DEMO_IDENTIFIERS["typical"]["account_id"],
                                                    "points": 420}) + "\n", encoding="utf-8")
    cfg = demo.demo_config_path(store)
    cfg.write_text(cfg.read_text(encoding="utf-8") + '''
[[sources.files.streams]]
category = "loyalty"
needs = ["account_id"]
path = "loyalty.jsonl"
match = { account_id = "account_id" }
''', encoding="utf-8")
    config = load_config(cfg)
    ids = [c.id for c in config.catalog]
    assert ids[:-1] == [c.id for c in load_catalog()] and ids[-1] == "loyalty"  # added after the shipped ones
    assert config.catalog["orders"].raw["description"] == "Orders, as this deployment describes them."
    assert config.catalog["orders"].raw["purposes"] == load_catalog()["orders"].raw["purposes"]  # merged field by field
    shipped_retention = load_catalog()["orders"].retention
    assert config.catalog["orders"].retention == {**shipped_retention,  # the text only; the rule stays
                                                  "text": "Kept for ten years (the deployment's own words)."}

    request = AccessRequest.parse([demo.DEMO_SUBJECTS["typical"]], jurisdiction="eu", request_id="O-1")
    result = export(request, config, tmp_path / "out", ExportOptions(pdf=False, html=False))
    assert result.complete and result.counts["loyalty"] == 1
    pkg = result.path
    assert json.loads((pkg / "schemas" / "orders.json").read_text(encoding="utf-8")) == orders
    bundle = json.loads((pkg / "bundle.json").read_text(encoding="utf-8"))
    assert next(c for c in bundle["categories"] if c["id"] == "loyalty")["records"][0]["points"] == 420
    assert verify(pkg) == []  # checked against the package's own (overlay) schemas
    assert load_catalog()["orders"].schema_file is None  # the shipped catalog is untouched

    # `exporter catalog` and `exporter schemas` show the merged result
    runner = CliRunner()
    res = runner.invoke(app, ["catalog", "--config", str(cfg), "--json"])
    assert res.exit_code == 0, res.stderr
    shown = {c["id"]: c for c in json.loads(res.stdout)["categories"]}
    assert shown["orders"]["description"] == "Orders, as this deployment describes them."
    assert shown["orders"]["retention"]["text"] == "Kept for ten years (the deployment's own words)."
    res = runner.invoke(app, ["schemas", "--config", str(cfg), "--out", str(tmp_path / "merged")])
    assert res.exit_code == 0, res.stderr
    assert json.loads((tmp_path / "merged" / "categories" / "orders.json").read_text(encoding="utf-8")) == orders
    merged_account = json.loads((tmp_path / "merged" / "categories" / "account.json").read_text(encoding="utf-8"))
    assert merged_account["properties"]["account_id"]["pattern"] == "^ACC-[0-9]{6}$"  # the demo overlay's


@pytest.mark.parametrize(("change", "where", "key"), [
    (lambda o: (o / "schemas" / "client.json").write_text(json.dumps({
        "type": "object", "properties": {"client_no": {"type": "integer"}}}), encoding="utf-8"),
     "catalog/schemas/client.json", "/properties/client_no/title"),
    (lambda o: (o / "schemas" / "bikes.json").write_text("{}", encoding="utf-8"), "catalog/schemas/bikes.json", None),
    (lambda o: (o / "schemas" / "repairs.json").write_text('{"type": "object", "properties": {}, "required": 3}',
                                                           encoding="utf-8"), "catalog/schemas/repairs.json", "/required"),
    (lambda o: (o / "schemas" / "repairs.json").unlink(), "catalog/categories.toml", "categories (repairs)"),
    (lambda o: (o / "categories.toml").write_text(
        (o / "categories.toml").read_text(encoding="utf-8").replace('categories = "replace"', 'categories = "swap"'),
        encoding="utf-8"), "catalog/categories.toml", "overlay.categories"),
    (lambda o: (o / "categories.toml").write_text(
        (o / "categories.toml").read_text(encoding="utf-8").replace('purpose = "newsletter"', 'purpose = "spam"'),
        encoding="utf-8"), "catalog/categories.toml", "categories[0] (client).purposes[1]"),
])
def test_overlay_errors_name_file_and_key(shop: Path, change, where: str, key: str | None) -> None:  # type: ignore[no-untyped-def]
    change(shop / "catalog")
    with pytest.raises(ConfigError) as info:
        load_config(shop / "exporter.toml")
    assert info.value.context["file"] == str((shop / where).resolve())
    if key is not None:
        assert info.value.context["key"] == key


def test_a_field_the_mapping_does_not_place_is_an_error_never_a_silent_drop(shop: Path) -> None:
    con = sqlite3.connect(shop / "shop.sqlite")
    con.execute("ALTER TABLE repairs ADD COLUMN internal_note TEXT")
    con.commit()
    con.close()
    cfg = shop / "exporter.toml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        "SELECT job_no, client_no, bike, work, handed_in, collected, price_eur", "SELECT *"), encoding="utf-8")
    res = CliRunner().invoke(app, ["export", "--config", str(cfg), "--subject", "email:ines.weber@example.org",
                                   "--jurisdiction", "eu", "--out", str(shop / "out"), "--no-pdf", "--quiet"])
    assert res.exit_code == 4
    assert not (shop / "out").exists() or not any((shop / "out").iterdir())  # nothing written
    assert "internal_note" in res.stderr and "source: shop" in res.stderr and "read: shop/repairs" in res.stderr
    assert "Ines" not in res.stderr
    from exporter.audit import audit

    report = audit(cfg)  # the audit says the same before any export
    repairs = next(t for t in report.tables if t.table == "repairs")
    note = next(c for c in repairs.columns if c.name == "internal_note")
    assert note.status == "exported" and "does not define" in (note.problem or "") and not report.clean


def _malformed_card(store: Path) -> None:
    """The typical subject's card record gets a card number that is not the demo's CARD-nnnnnn."""
    customer = demo.DEMO_IDENTIFIERS["typical"]["customer_id"]
    con = sqlite3.connect(store / "piconext.sqlite")
    n = con.execute("UPDATE payment_cards SET card_id = 'card 7' WHERE customer_id = ? AND rowid = "
                    "(SELECT min(rowid) FROM payment_cards WHERE customer_id = ?)", (customer, customer)).rowcount
    con.commit()
    con.close()
    assert n == 1


def test_the_demo_overlay_rejects_a_malformed_demo_id(demo_store: Path, tmp_path: Path) -> None:
    """The demo's formats are its overlay's (catalog/demo-overlay, copied into the store): the demo
    export still rejects a card number that is not CARD-nnnnnn, naming source, category and pointer."""
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    assert load_config(demo.demo_config_path(store)).catalog["payment_cards"].schema_file is not None
    _malformed_card(store)
    res = CliRunner().invoke(app, ["export", "--config", str(demo.demo_config_path(store)), "--subject",
                                   demo.DEMO_SUBJECTS["typical"], "--jurisdiction", "eu", "--out",
                                   str(tmp_path / "out"), "--no-pdf", "--no-html", "--quiet"])
    assert res.exit_code == 4, res.stderr
    assert "payment_cards" in res.stderr and "/card_id" in res.stderr and "pattern" in res.stderr
    assert "card_id=card 7" in res.stderr  # the record, named by its catalog key, as every record error does
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_without_the_demo_overlay_the_shipped_schemas_take_any_identifier(demo_store: Path, tmp_path: Path) -> None:
    """The shipped schemas impose no store's identifier format: the same malformed (for the demo)
    card number is a valid value of the shipped payment_cards schema."""
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    _malformed_card(store)
    cfg = demo.demo_config_path(store)
    text = cfg.read_text(encoding="utf-8")
    assert '\ncatalog = "catalog"\n' in text
    cfg.write_text(text.replace('\ncatalog = "catalog"\n', "\n", 1), encoding="utf-8")
    request = AccessRequest.parse([demo.DEMO_SUBJECTS["typical"]], jurisdiction="eu", request_id="NO-OVERLAY")
    result = export(request, cfg, tmp_path / "out", ExportOptions(pdf=False, html=False))
    cards = [json.loads(line) for line in (result.path / "data" / "payment_cards.jsonl").read_text().splitlines()]
    assert "card 7" in {c["card_id"] for c in cards}
    shipped = json.loads((ROOT / "schemas" / "categories" / "payment_cards.json").read_text(encoding="utf-8"))
    assert json.loads((result.path / "schemas" / "payment_cards.json").read_text(encoding="utf-8")) == shipped
    assert verify(result.path) == []


COMPLAINT = ("You may complain to a supervisory authority, in particular in the Member State where you live or "
             "work. Spoke & Chain Cycles would like to hear from you first at {email} (notice §5).")


def test_an_overlay_changes_a_jurisdiction_text_without_copying_the_rules_file(shop: Path) -> None:
    rules = shop / "catalog" / "jurisdictions"
    rules.mkdir()
    (rules / "eu.toml").write_text(f'[complaint]\ntext = """{COMPLAINT}"""\n', encoding="utf-8")
    config = load_config(shop / "exporter.toml")
    assert config.catalog.jurisdictions == rules.resolve()
    request = AccessRequest.parse(["email:ines.weber@example.org"], jurisdiction="eu", request_id="SC-J")
    result = export(request, config, shop / "out", ExportOptions(pdf=False, html=True))
    bundle = json.loads((result.path / "bundle.json").read_text(encoding="utf-8"))
    complaint = bundle["jurisdiction"]["complaint"]
    assert "Spoke & Chain Cycles would like to hear from you first at privacy@spoke-chain.example" in json.dumps(complaint)
    assert "Data Protection Officer first" not in json.dumps(bundle)  # the shipped text is replaced …
    assert complaint["authorities"] and complaint["cite"] == "GDPR Art. 77(1), Art. 15(1)(f)"  # … the rest stays
    html = " ".join((result.path / "index.html").read_text(encoding="utf-8").split())
    assert "would like to hear from you first" in html
    from exporter.law import jurisdictions

    assert "Data Protection Officer first" in jurisdictions.load("eu")["complaint"]["text"]  # shipped untouched


@pytest.mark.parametrize(("name", "text", "key"), [
    ("eu.toml", "[deadline]\ntext = 3\n", "deadline.text"),
    ("eu.toml", "[complaint]\ntext = \"ask {nobody}\"\n", "complaint.text"),
    ("xx.toml", "[complaint]\ntext = \"x\"\n", None),
])
def test_jurisdiction_overlay_errors_name_file_and_key(shop: Path, name: str, text: str, key: str | None) -> None:
    rules = shop / "catalog" / "jurisdictions"
    rules.mkdir()
    (rules / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(shop / "exporter.toml")
    assert info.value.context["file"] == str((rules / name).resolve())
    if key is not None:
        assert info.value.context["key"] == key
