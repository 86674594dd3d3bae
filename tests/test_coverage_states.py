"""held / none_held / not_searched / not_applicable: every output says which, and a package with a
category nobody searched is incomplete everywhere (bundle.json, manifest.json, report.pdf,
index.html, the library result and the CLI's exit status) — not only on stderr."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporter import demo
from exporter.api import AccessRequest, ExportOptions, export
from exporter.cli import app
from exporter.config import load_config
from exporter.errors import ConfigError, IncompletePackage
from exporter.packaging.package import verify

NOW = "2026-11-25T10:00:00Z"
LEDGER_REASON = "This deployment does not run the ledger publishing service, so it holds no ledger postings."


def _drop_stream(text: str, category: str) -> str:
    """The demo configuration without the stream of ``category``."""
    pattern = re.compile(r'\[\[sources\.\w+\.streams\]\]\ncategory = "' + category + r'"\n.*?(?=\n\n|\n#|\Z)', re.S)
    out, n = pattern.subn("", text)
    assert n == 1, category
    return out


@pytest.fixture(scope="module")
def partial_store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store whose config has lost the cookies stream (a forgotten source) and
    declares ledger postings not applicable (its stream removed)."""
    store = tmp_path_factory.mktemp("partial") / "store"
    shutil.copytree(demo_store, store)
    cfg = demo.demo_config_path(store)
    text = _drop_stream(_drop_stream(cfg.read_text(encoding="utf-8"), "cookies"), "ledger_postings")
    cfg.write_text(text + f'\n[not_applicable]\nledger_postings = "{LEDGER_REASON}"\n', encoding="utf-8")
    return store


def _cli(store: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [
        "export", "--config", str(demo.demo_config_path(store)), "--subject", demo.DEMO_SUBJECTS["typical"],
        "--jurisdiction", "eu", "--received", "2026-11-02", "--request-id", "R-1", "--now", NOW,
        "--out", str(out), "--quiet", *extra])
    return result.exit_code, result.stdout, result.stderr


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(path).pages).split())


def test_not_searched_makes_every_output_incomplete(partial_store: Path, tmp_path: Path) -> None:
    code, out, err = _cli(partial_store, tmp_path)
    assert code == IncompletePackage.exit_code == 7
    pkg = Path(out.strip().splitlines()[-1])
    assert pkg == (tmp_path / "R-1").resolve() and pkg.is_dir()  # written, marked incomplete
    assert "not searched" in err and "cookies" in err and "--allow-partial" in err
    assert demo.DEMO_SUBJECTS["typical"] not in err

    bundle = json.loads((pkg / "bundle.json").read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in bundle["categories"]}
    assert by_id["cookies"]["status"] == "not_searched" and by_id["cookies"]["count"] == 0
    assert "not searched" in by_id["cookies"]["incomplete_reason"]
    assert by_id["ledger_postings"]["status"] == "not_applicable"
    assert by_id["ledger_postings"]["not_applicable_reason"] == LEDGER_REASON
    assert by_id["orders"]["status"] == "held"
    summary = bundle["summary"]
    assert summary["complete"] is False
    assert summary["not_searched"] == ["cookies"] and summary["not_applicable"] == ["ledger_postings"]

    manifest = json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] is False
    assert [i["category"] for i in manifest["incomplete"]] == ["cookies"]
    assert verify(pkg) == []  # both documents valid against the updated schemas

    pdf = _pdf_text(pkg / "report.pdf")
    cover = pdf.split("What we hold about you")[0]
    assert "This report is incomplete." in cover and "Cookies" in cover
    assert pdf.count("This report is incomplete.") >= 2  # cover and summary page
    assert "Not searched." in pdf and "not searched" in pdf
    assert "Does not apply." in pdf and " ".join(LEDGER_REASON.split()) in pdf

    html = (pkg / "index.html").read_text(encoding="utf-8")
    assert html.count("This report is incomplete.") == 2  # header and summary
    assert "Not searched." in html and LEDGER_REASON in html

    code, out, _err = _cli(partial_store, tmp_path, "--allow-partial", "--force")
    assert code == 0 and Path(out.strip()) == pkg
    assert json.loads((pkg / "bundle.json").read_text(encoding="utf-8"))["summary"]["complete"] is False


def test_library_result_agrees_with_its_coverage(partial_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([demo.DEMO_SUBJECTS["typical"]], jurisdiction="eu", request_id="L-1")
    result = export(request, demo.demo_config_path(partial_store), tmp_path, ExportOptions(pdf=False, html=False))
    cov = result.coverage
    assert cov.not_searched == ("cookies",) and cov.not_applicable == {"ledger_postings": LEDGER_REASON}
    assert not cov.complete and not result.complete and set(result.incomplete) == {"cookies"}
    states = {c.id: c.status for c in cov.categories}
    assert states["cookies"] == "not_searched" and states["ledger_postings"] == "not_applicable"
    assert result.to_dict()["complete"] is False and result.to_dict()["coverage"]["not_searched"] == ["cookies"]
    with pytest.raises(IncompletePackage) as info:
        result.require_complete()
    assert info.value.context["categories"] == ["cookies"] and info.value.exit_code == 7


def test_searched_and_nothing_found_is_none_held_and_complete(demo_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse(["email:nobody@example.org"], jurisdiction="eu", request_id="N-1")
    result = export(request, demo.demo_config_path(demo_store), tmp_path, ExportOptions(pdf=False))
    bundle = json.loads((result.path / "bundle.json").read_text(encoding="utf-8"))
    assert {c["status"] for c in bundle["categories"]} == {"none_held"}
    assert bundle["summary"]["complete"] is True and bundle["summary"]["not_searched"] == []
    assert result.complete and result.require_complete() is result
    assert "This report is incomplete" not in (result.path / "index.html").read_text(encoding="utf-8")
    assert json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))["complete"] is True


def test_not_applicable_must_name_a_category_without_a_stream(demo_store: Path, tmp_path: Path) -> None:
    text = demo.demo_config_path(demo_store).read_text(encoding="utf-8")
    shutil.copytree(demo_store / "catalog", tmp_path / "catalog")  # the demo overlay the config names
    for table, key in (('nonsense = "x"', "not_applicable.nonsense"), ('cookies = "x"', "not_applicable.cookies")):
        cfg = tmp_path / "exporter.toml"
        cfg.write_text(text + f"\n[not_applicable]\n{table}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_config(cfg)
        assert info.value.context["key"] == key
    cfg.write_text(text + '\n[not_applicable]\nledger_postings = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError):  # a reason is required: the subject is shown it
        load_config(cfg)


def test_demo_package_holds_the_scores_and_names_them_in_the_profiling_notice(demo_store: Path, tmp_path: Path) -> None:
    """Data the demo store holds is in the package (lead score, sales contact, …) and every
    automated score held is named with its logic, significance and consequences (Art. 15(1)(h))."""
    import sqlite3

    from pypdf import PdfReader  # noqa: F401 - the PDF is read back below

    from exporter.law.catalog import load_catalog

    request = AccessRequest.parse([demo.DEMO_SUBJECTS["typical"]], jurisdiction="eu", request_id="S-1")
    result = export(request, demo.demo_config_path(demo_store), tmp_path, ExportOptions(html=False))
    bundle = json.loads((result.path / "bundle.json").read_text(encoding="utf-8"))
    cats = {c["id"]: c for c in bundle["categories"]}
    contact_id = demo.DEMO_IDENTIFIERS["typical"]["contact_id"]
    con = sqlite3.connect(demo_store / "piconext.sqlite")
    score, owner = con.execute("SELECT lead_score, sales_owner FROM company_contacts WHERE contact_id = ?",
                               (contact_id,)).fetchone()
    contact = next(r for r in cats["company_contact"]["records"] if r["contact_id"] == contact_id)
    assert contact["lead_score"] == score
    # the assigned sales contact is there, as staff members are everywhere (Art. 15(4)): a placeholder
    assert owner and contact["sales_owner"].startswith("[staff member ") and owner not in json.dumps(bundle)
    assert all("model_version" in r for r in cats["personalisation"]["records"])
    assert all("provider_message_id" in r for r in cats["communications"]["records"])

    scores = {s["id"]: s for s in bundle["jurisdiction"]["automated_decisions"]["scores"]}
    assert set(scores) == {"fraud_risk", "lead_score"}
    catalog = load_catalog().table("scores")
    notice = next(n for n in bundle["jurisdiction"]["notices"] if n["id"] == "automated_decisions")
    pdf = _pdf_text(result.path / "report.pdf")
    for sid, text in catalog.items():
        assert scores[sid]["logic"] == text["logic"]
        line = next(i for i in notice["items"] if i.startswith(text["title"]))
        assert text["logic"] in line and text["significance"] in line
        assert " ".join(text["logic"].split()[:12]) in pdf  # the profiling notice names the score
    assert "Lead score" in pdf


_LEGACY_CARD_EXCLUSION = """
[[sources.app.exclude]]
table = "payment_cards"
columns = ["raw_card_number"]
reason = "withheld"
titles = { raw_card_number = "Full card number (from an old data import)" }
category = "payment_cards"
note = "Legacy import column; a full card number is never disclosed or passed on (PCI DSS Req. 3.3-3.4) and is being erased."
"""


def test_config_withheld_columns_are_named_to_the_subject(demo_store: Path, tmp_path: Path) -> None:
    """A column the configuration excludes as withheld is named on its category's page, with its
    legal ground (bundle.json, report.pdf, index.html); not_personal exclusions only in the audit."""
    from exporter.audit import audit
    from exporter.config import load_config

    # the demo reads the legacy full-card-number column and the catalog withholds it (per person,
    # 11 CCR §7024(d)); a deployment may instead leave such a column out in its config, as here
    text = demo.demo_config_path(demo_store).read_text(encoding="utf-8")
    assert ", card_token, raw_card_number\n" in text
    text = text.replace(", card_token, raw_card_number\n", ", card_token\n") + _LEGACY_CARD_EXCLUSION
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    variant = demo.demo_config_path(store)
    variant.write_text(text, encoding="utf-8")
    config = load_config(variant)
    (entry,) = config.not_included["payment_cards"]
    assert entry["column"] == "raw_card_number" and entry["title"] == "Full card number (from an old data import)"
    assert "PCI DSS" in entry["ground"]
    assert set(config.not_included) == {"payment_cards"}  # gl_account, margin_pct and month are not_personal

    request = AccessRequest.parse([demo.DEMO_SUBJECTS["typical"]], jurisdiction="eu", request_id="NI-1")
    result = export(request, config, tmp_path, ExportOptions())
    bundle = json.loads((result.path / "bundle.json").read_text(encoding="utf-8"))
    cats = {c["id"]: c for c in bundle["categories"]}
    assert cats["payment_cards"]["status"] == "held"
    assert cats["payment_cards"]["not_included"] == [dict(entry)]
    assert not any("not_included" in c for cid, c in cats.items() if cid != "payment_cards")
    line = f"Not included: {entry['title']} — {entry['ground']}"
    html = " ".join(re.sub(r"<[^>]+>", "", (result.path / "index.html").read_text(encoding="utf-8")).split())
    pdf = _pdf_text(result.path / "report.pdf")
    for text in (html, pdf):
        assert " ".join(line.split()[:12]) in text
    for hidden in ("gl_account", "margin_pct", "general-ledger"):  # not_personal: not the subject's business
        assert hidden not in html and hidden not in json.dumps(bundle)
    report = audit(config)
    columns = {(t.table, c.name): c for t in report.tables for c in t.columns}
    assert columns[("invoices", "gl_account")].reason == "not_personal"
    assert columns[("payment_cards", "raw_card_number")].reason == "withheld"


@pytest.mark.parametrize(("extra", "key"), [
    ('[[sources.app.exclude]]\ntable = "nowhere"\ncolumns = ["x"]\nreason = "withheld"\nnote = "a ground"\n',
     "category"),
    ('[[sources.app.exclude]]\ntable = "orders"\ncolumns = ["x"]\nreason = "withheld"\nnote = "a ground"\n'
     'titles = { y = "Y" }\n', "titles.y"),
    ('[[sources.app.exclude]]\ntable = "orders"\ncolumns = ["x"]\nreason = "withheld"\nnote = "a ground"\n'
     'category = "nonsense"\n', "category"),
])
def test_withheld_exclusion_errors_name_the_key(demo_store: Path, tmp_path: Path, extra: str, key: str) -> None:
    from exporter.config import load_config

    shutil.copytree(demo_store / "catalog", tmp_path / "catalog")
    cfg = tmp_path / "exporter.toml"
    text = demo.demo_config_path(demo_store).read_text(encoding="utf-8")
    cfg.write_text(text + "\n" + extra, encoding="utf-8")
    n = text.count("[[sources.app.exclude]]")
    with pytest.raises(ConfigError) as info:
        load_config(cfg)
    assert info.value.context["key"] == f"sources.app.exclude[{n}].{key}"


def test_withheld_exclusion_category_defaults_to_the_streams_reading_the_table(demo_store: Path,
                                                                                tmp_path: Path) -> None:
    from exporter.config import load_config

    shutil.copytree(demo_store / "catalog", tmp_path / "catalog")
    cfg = tmp_path / "exporter.toml"
    cfg.write_text(demo.demo_config_path(demo_store).read_text(encoding="utf-8") + '''
[[sources.app.exclude]]
table = "main.orders"
columns = ["fraud_note", "courier_ref"]
reason = "withheld"
note = "Kept for the prevention of fraud; disclosing it would defeat that purpose (a stated ground)."
titles = { fraud_note = "Fraud-check note" }
''', encoding="utf-8")
    config = load_config(cfg)
    assert [dict(x) for x in config.not_included["orders"]] == [  # sorted by title; default title = the column
        {"column": "courier_ref", "title": "courier_ref", "ground": config.not_included["orders"][0]["ground"]},
        {"column": "fraud_note", "title": "Fraud-check note", "ground": config.not_included["orders"][0]["ground"]},
    ]
    assert "fraud" in config.not_included["orders"][0]["ground"]
