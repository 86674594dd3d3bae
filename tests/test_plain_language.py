"""Plain language everywhere a person reads (issue 18, part 6).

Real packages of the demo store (EU, UK and California; a full one, a categories-only one and one
for a person we hold nothing about), read back from report.pdf (pypdf) and index.html as the subject
would: no internal label or code without its title, money with its currency in the law's locale,
one deadline explanation, the "What this response contains" map in words, and a nothing-held answer
written for that case. bundle.json and the data files keep raw numbers and codes.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import orjson
import pytest
from pypdf import PdfReader

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.config import load_config
from exporter.errors import SubjectNotFound
from exporter.packaging.package import verify
from exporter.render.money import format_money, with_money
from exporter.resources import schemas_dir

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
# the demo Californian: a disclosure treated as a sale after his GPC opt-out (blocking finding)
OPTS = ExportOptions(now=NOW, pdf=True, html=True, acknowledge=frozenset({"sale_after_opt_out"}))
NOBODY = "nobody.at.all@example.org"


def _texts(pkg: Path) -> dict[str, str]:
    pdf = "\n".join(page.extract_text() or "" for page in PdfReader(pkg / "report.pdf").pages)
    html = (pkg / "index.html").read_text(encoding="utf-8")
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = unescape(re.sub(r"<[^>]+>", " ", html))
    return {"report.pdf": " ".join(pdf.split()), "index.html": " ".join(html.split())}


def _export(store: Path, out: Path, subject: str, jid: str, *, config: Any = None, name: str = "", **kw: Any
            ) -> Path:
    request = AccessRequest.parse([subject], jurisdiction=jid, request_id=f"PLAIN-{name or jid}", **kw)
    result = export(request, config or demo.demo_config_path(store), out, OPTS)
    assert verify(result.path) == []
    return result.path


@pytest.fixture(scope="module")
def packages(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("plain")
    cases = {
        "eu": (demo.DEFAULT_DEMO_SUBJECT, "eu", {}),
        "eu_marketing": (demo.DEMO_SUBJECTS["marketing_only"], "eu", {}),
        "uk": (demo.DEMO_SUBJECTS["uk"], "uk", {}),
        "ca": (demo.DEMO_SUBJECTS["california"], "ca", {"verification": "verified"}),
        "ca_categories": (demo.DEMO_SUBJECTS["california"], "ca", {"verification": "reasonable"}),
        "eu_nothing": (NOBODY, "eu", {}),
        "ca_nothing": (NOBODY, "ca", {"verification": "verified"}),
    }
    return {key: _export(demo_store, out, subject, jid, name=key.replace("_", "-"), **kw)
            for key, (subject, jid, kw) in cases.items()}


def _records(pkg: Path, cid: str) -> list[dict[str, Any]]:
    path = pkg / "data" / f"{cid}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# --------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------


def test_format_money_per_locale() -> None:
    assert format_money(1960.0, "EUR", "en_IE") == "€1,960.00"
    assert format_money(1960.0, "EUR", "de_DE") == "1.960,00\xa0€"
    assert format_money(1047, "GBP", "en_GB") == "£1,047.00"
    assert format_money(12.5, "USD", "en_US") == "$12.50"
    assert format_money(1960.0, None, "en_US") == "1,960"  # no currency named: the number, in the locale
    assert format_money(1960.0, "EUR", "xx_NOPE") == "€1,960.00"  # an unknown locale falls back to English
    props = {"total": {"type": "number", "x-currency-field": "currency"}, "currency": {"type": "string"},
             "items": {"type": "array", "items": {"type": "object", "properties": {
                 "price": {"type": "number", "x-currency-field": "currency"}}}}}
    record = {"total": 1960.0, "currency": "EUR", "items": [{"price": 980.5}]}
    shown = with_money(record, props, "en_IE")
    assert shown == {"total": "€1,960.00", "currency": "EUR", "items": [{"price": "€980.50"}]}
    assert record["total"] == 1960.0 and record["items"][0]["price"] == 980.5  # the record is not changed


@pytest.mark.parametrize(("key", "locale", "symbol"), [("eu", "en_IE", "€"), ("uk", "en_GB", "£"),
                                                      ("ca", "en_US", "$")])
def test_amounts_in_the_report_have_their_currency(packages: dict[str, Path], key: str, locale: str,
                                                   symbol: str) -> None:
    pkg = packages[key]
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    assert bundle["jurisdiction"]["vocabulary"]["locale"] == locale
    orders = _records(pkg, "orders") + _records(pkg, "billing")
    assert orders, "the demo subject has orders or invoices"
    texts = _texts(pkg)
    for rec in orders:
        amount = rec["total"]
        assert isinstance(amount, (int, float))  # raw in the data files
        shown = format_money(amount, rec["currency"], locale)
        assert shown.startswith(symbol) or rec["currency"] != {"€": "EUR", "£": "GBP", "$": "USD"}[symbol]
        for name, text in texts.items():
            assert shown in text, (key, name, shown)
            if isinstance(amount, float) and amount == int(amount):
                assert f" {amount!r} " not in f" {text} ", (key, name, amount)  # never "1960.0"
    # the CSV keeps the number as a number
    with (pkg / "data" / "orders.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(re.fullmatch(r"\d+(\.\d+)?", r["total"]) for r in rows)


def test_deployment_locale_overrides_the_law(demo_store: Path, tmp_path: Path) -> None:
    cfg = dataclasses.replace(load_config(demo.demo_config_path(demo_store)), locale="de_DE")
    pkg = _export(demo_store, tmp_path, demo.DEFAULT_DEMO_SUBJECT, "eu", config=cfg)
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    assert bundle["jurisdiction"]["vocabulary"]["locale"] == "de_DE"
    rec = _records(pkg, "orders")[0]
    shown = format_money(rec["total"], rec["currency"], "de_DE")
    assert re.fullmatch(r"[\d.]+,\d\d\xa0€", shown)
    for text in _texts(pkg).values():
        assert shown.replace("\xa0", " ") in text.replace("\xa0", " ")


# --------------------------------------------------------------------------------------------
# Labels and codes
# --------------------------------------------------------------------------------------------


def _coded_values(pkg: Path) -> dict[str, str]:
    """Snake-case codes (``email_open``) that occur in the subject's records → their titles."""
    out: dict[str, str] = {}
    for path in sorted((schemas_dir() / "categories").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        props = schema.get("properties") or {}
        for rec in _records(pkg, path.stem):
            for key, node in props.items():
                titles = node.get("x-enum-titles") if isinstance(node, dict) else None
                value = rec.get(key)
                if isinstance(titles, dict) and isinstance(value, str) and "_" in value and value in titles:
                    out[value] = titles[value]
    return out


@pytest.mark.parametrize("key", ["eu", "eu_marketing", "uk", "ca"])
def test_codes_are_shown_by_their_titles(packages: dict[str, Path], key: str) -> None:
    codes = _coded_values(packages[key])
    assert codes, "the subject's records hold coded values"
    if key == "eu_marketing":
        assert "email_open" in codes  # the example: tracking pixels
    for name, text in _texts(packages[key]).items():
        shown = sorted(c for c in codes if re.search(rf"(?<![\w/.-]){re.escape(c)}(?![\w/.-])", text))
        assert shown == [], (key, name, shown)
        assert "Codes in this" not in text
        assert any(t in text for t in codes.values())


@pytest.mark.parametrize("key", ["eu", "uk", "ca", "ca_categories", "eu_nothing"])
def test_no_internal_labels(packages: dict[str, Path], key: str) -> None:
    catalog_ids = ("distributors_resellers", "event_partners_sponsors", "payment_processor",
                   "customer_service", "it_infrastructure")
    for name, text in _texts(packages[key]).items():
        assert not re.search(r"\b\w+/identities\[\d+\]", text), (key, name)  # read labels
        assert "Found by" not in text
        for rid in catalog_ids:
            assert rid not in text, (key, name, rid)
        # the contents map names places in the report, not bundle.json keys
        for key_name in ("“purposes”", "“recipients”", "“retention”", "“origins”", "“title”", "(“category”)",
                         "(“sources”)", "(“third parties”)", "(“sold”)"):
            assert key_name not in text, (key, name, key_name)


def test_identifiers_say_how_they_were_found(packages: dict[str, Path]) -> None:
    pkg = packages["eu"]
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    idents = bundle["subject"]["identifiers"]
    known = {(i["type"], i["value"]) for i in idents}
    found = [i for i in idents if i["found_by"] != "request"]
    assert found and all(i["found_by"].count("/") == 1 for i in found)  # the read stays in bundle.json
    for i in found:
        through = i["found_through"]
        assert (through["type"], through["value"]) in known and (through["type"], through["value"]) != (
            i["type"], i["value"])
    assert all("found_through" not in i for i in idents if i["found_by"] == "request")
    email = demo.DEFAULT_DEMO_SUBJECT
    for name, text in _texts(pkg).items():
        assert "You gave us:" in text, name
        assert f"Found through your email address {email}:" in text, name
        assert "Email address" in text and "Email id" not in text  # the catalog's titles


def test_categories_only_shows_no_identifier(packages: dict[str, Path]) -> None:
    email = demo.DEMO_SUBJECTS["california"]
    for name, text in _texts(packages["ca_categories"]).items():
        assert "You gave us" not in text and "Found through" not in text, name
        assert email not in text, name


# --------------------------------------------------------------------------------------------
# Deadline
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["eu", "uk", "ca"])
def test_deadline_is_explained_once(packages: dict[str, Path], key: str) -> None:
    bundle = orjson.loads((packages[key] / "bundle.json").read_bytes())
    steps = bundle["jurisdiction"]["deadlines"]["steps"]
    assert steps
    for name, text in _texts(packages[key]).items():
        # each step's opening words, with the report's date form (2 Nov 2026)
        head = " ".join(steps[0].split()[:4])
        assert text.count(head) == 1, (key, name, head, text.count(head))
        assert re.search(r"How these dates are worked out: see “ ?Your request and our deadline ?”", text), (key, name)


# --------------------------------------------------------------------------------------------
# Nothing held
# --------------------------------------------------------------------------------------------


def test_strict_mode_refuses_a_subject_with_no_data(demo_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([NOBODY], jurisdiction="eu")
    with pytest.raises(SubjectNotFound):
        export(request, demo.demo_config_path(demo_store), tmp_path, ExportOptions(now=NOW, strict=True,
                                                                                   pdf=False, html=False))


@pytest.mark.parametrize(("key", "words"), [("eu_nothing", "personal data"), ("ca_nothing", "personal information")])
def test_nothing_held_report_is_written_for_that_case(packages: dict[str, Path], key: str, words: str) -> None:
    pkg = packages[key]
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    assert bundle["summary"]["records"] == 0
    # the operator's warning stays in bundle.json (and the CLI's log), not in the report
    assert any("no personal data matched" in w for w in bundle["warnings"])
    answer = bundle["jurisdiction"]["nothing_held"]
    assert answer["cite"] and "{kinds}" not in answer["summary"]
    assert not (pkg / "data").exists()
    for name, text in _texts(pkg).items():
        assert f"We hold no {words} about you." in text, (key, name)
        assert f"all {bundle['summary']['categories']} kinds" in text
        for wrong in ("0 of the", "0 records", "no personal data matched the identifiers", "Please note",
                      "data/", "came from you", "every record of every kind", "JSON Lines and CSV files with"):
            assert wrong not in text, (key, name, wrong)
        assert "It holds no data files" in text or "no data files" in text, (key, name)
        assert "Legal bases named below" not in text
    # the required items about held data say why they do not apply
    elements = bundle["jurisdiction"]["elements"]
    about_data = [e for e in elements if e["satisfied_by"].startswith(("/categories/", "/jurisdiction/ccpa/rows/"))]
    assert about_data and all(not e["applies"] and e["note"] == answer["element"] for e in about_data)


def test_held_package_has_no_nothing_held_answer(packages: dict[str, Path]) -> None:
    bundle = orjson.loads((packages["eu"] / "bundle.json").read_bytes())
    assert "nothing_held" not in bundle["jurisdiction"]
    text = _texts(packages["eu"])["report.pdf"]
    assert re.search(r"We hold data about you in \d+ of the \d+ kinds", text)
    assert "a folder data/" in text
