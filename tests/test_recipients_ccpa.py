"""Recipients and CCPA answers from the person's own records (issue 18 part 2, rest of part 1).

Each test reads the rendered report back (report.pdf's text through pypdf, as the subject and a
regulator would) or the CLI's output:

* actual recipients (names, dates, what) from the person's disclosure log first; possible
  recipients listed apart and labelled; a recipient the log shows nothing for is never named as
  one that received the data (CJEU C-154/21);
* CCPA sold/shared per category from the person's own disclosures, not the catalog's list;
  "Internet activity" sold only when a record says so; the GPC opt-out with its date; a
  disclosure treated as a sale after the opt-out is a blocking finding for the operator (library
  ``UnacknowledgedFinding``, CLI exit 8, no package) until acknowledged;
* the §7024(d) notice says what is held per type (a token for one consumer, a full card number
  for another);
* UK tracking pixels on consent (PECR reg. 6); the "held but not shown" ground of the EU/UK is
  not Art. 5(1)(f)/32; no "outside the area this law covers" in a California report.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pypdf import PdfReader
from typer.testing import CliRunner

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.batch import read_requests, run_batch
from exporter.cli import app
from exporter.errors import UnacknowledgedFinding
from exporter.law.disclosures import LogObserver, MAX_RECIPIENTS
from exporter.law.findings import Finding
from exporter.queue import options_from_dict, options_to_dict
from exporter.resources import schemas_dir

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
RECEIVED = dt.date(2026, 11, 2)
ACK = frozenset({"sale_after_opt_out"})
CARLOS = demo.DEMO_SUBJECTS["california"]
OLIVIA = demo.DEMO_SUBJECTS["uk"]
JANE = demo.DEFAULT_DEMO_SUBJECT
# Carlos's disclosure log (demo store): an event sponsor on 5 Jan 2026 and a distributor on
# 13 Apr 2026; his GPC opt-out is of 2 Mar 2026. The catalog/config name other distributors and
# sponsors, which never received his data.
HIS_RECIPIENTS = ("WestCoast SaaS Resellers LLC", "SupplyChainX AG")
NOT_HIS = ("Alpine Trade Partners GmbH", "Hellas Digital Distribution", "Albion Channel Partners", "CloudLedger Inc.",
           "TagWorks Ltd")


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.build_demo_store(tmp_path_factory.mktemp("recip") / "store", heavy_events=200)


@pytest.fixture(scope="module")
def config(store: Path) -> Path:
    return demo.demo_config_path(store)


def _export(config: Path, out: Path, email: str, jid: str, rid: str, *, pdf: bool = True, **kw: Any) -> Any:
    ack = kw.pop("acknowledge", ACK)
    request = AccessRequest.parse([f"email:{email}"], jurisdiction=jid, received=RECEIVED, request_id=rid, **kw)
    return export(request, config, out, ExportOptions(now=NOW, pdf=pdf, html=False, acknowledge=ack))


def _report(result: Any) -> str:
    return _flat("\n".join(page.extract_text() or "" for page in PdfReader(result.path / "report.pdf").pages))


@pytest.fixture(scope="module")
def reports(config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("reports")
    runs = {
        "ca": _export(config, out, CARLOS, "ca", "R-CA"),
        "ca_categories": _export(config, out, CARLOS, "ca", "R-CA-CAT", verification="reasonable"),
        "ca_jane": _export(config, out, JANE, "ca", "R-CA-JANE", acknowledge=frozenset()),
        "uk": _export(config, out, OLIVIA, "uk", "R-UK", acknowledge=frozenset()),
        "eu": _export(config, out, JANE, "eu", "R-EU", country="DE", acknowledge=frozenset()),
    }
    return {k: {"result": r, "text": _report(r), "bundle": json.loads((r.path / "bundle.json").read_text())}
            for k, r in runs.items()}


def _section(text: str, start: str, end: str) -> str:
    i = text.index(start)
    j = text.find(end, i + len(start))
    return text[i:j if j > 0 else None]


# ------------------------------------------------------------------------------------------------
# actual recipients (C-154/21)


def test_actual_recipients_come_from_the_disclosure_log_with_names_dates_and_what(reports: dict[str, Any]) -> None:
    text = reports["ca"]["text"]
    who = _section(text, "Who received your personal information Cal. Civ. Code", "Personal information we collected about you")
    assert "Received your personal information: WestCoast SaaS Resellers LLC (PicoNext authorised distributors " \
           "and resellers), on 13 Apr 2026" in who
    assert "SupplyChainX AG (Event partners and conference sponsors), on 5 Jan 2026" in who
    assert "what: name, company, business email, phone, products of interest" in who
    # actual ones first, then the service providers (named), then the possible ones, each labelled
    assert who.index("Received your personal information") < who.index("Service provider or contractor") \
        < who.index("May receive this kind of information, but has received none of yours")
    for name in NOT_HIS:  # named in the catalog/config, but never received his data
        assert name not in text, name
    assert "names on request" not in text.lower() and "we will tell you the names" not in text


def test_possible_recipients_are_listed_apart_on_each_category_page(reports: dict[str, Any]) -> None:
    text = reports["ca"]["text"]
    orders = _section(text, "Who receives it: Credit-card payment processor (Demo PayCo Europe Ltd. (fictitious)); Order "
                            "fulfilment", "How long we keep it")
    # orders name distributors as a recipient kind; his log shows no disclosure of orders to one
    assert "Possible recipients, to whom our records show no disclosure of this data about you: " \
           "PicoNext authorised distributors and resellers" in orders
    bundle = reports["ca"]["bundle"]
    by_id = {c["id"]: c for c in bundle["categories"]}
    statuses = {r["id"]: r["status"] for r in by_id["company_contact"]["recipients"]}
    assert statuses["distributors_resellers"] == "disclosed" and statuses["authorities"] == "possible"
    assert statuses["it_infrastructure"] == "receives"
    [dist] = [r for r in by_id["company_contact"]["recipients"] if r["id"] == "distributors_resellers"]
    assert dist["names"] == ["WestCoast SaaS Resellers LLC"]


def test_uk_registration_shared_with_sponsors_without_a_logged_disclosure(reports: dict[str, Any]) -> None:
    """Olivia's disclosure log holds nothing; her event registration record says it was shared with
    the sponsors. The report does not invent a sponsor (nor list the catalog's), says why none is
    named, and the operator gets a (non-blocking) finding to fix the log."""
    uk = reports["uk"]
    text = uk["text"]
    for name in ("CloudLedger Inc.", "SupplyChainX AG", "TagWorks Ltd"):
        assert f"Event partners and conference sponsors ({name}" not in text
    assert "Event partners and conference sponsors (not named: your event registration record says it was made " \
           "available to the event's sponsors, but our record of disclosures does not say to which of them" in text
    assert "Possible recipient: our records show no disclosure of your data to it: PicoNext authorised " \
           "distributors and resellers" in text
    [f] = [f for f in uk["result"].findings if f.code == "disclosure_not_logged"]
    assert not f.blocking and f.category == "event_registrations" and f.count >= 1
    assert OLIVIA not in f.message and "Olivia" not in f.message + f.action


# ------------------------------------------------------------------------------------------------
# CCPA: sold/shared, opt-out, finding


def test_ccpa_sold_per_category_from_his_own_disclosures(reports: dict[str, Any]) -> None:
    bundle = reports["ca"]["bundle"]
    rows = {r["category"]["id"]: r for r in bundle["jurisdiction"]["ccpa"]["rows"]}
    sold = {cid: [(x["id"], x["names"]) for x in r["sold_to"]] for cid, r in rows.items() if r["sold"]}
    assert sold == {"identifiers": [("distributors_resellers", ["WestCoast SaaS Resellers LLC"])],
                    "commercial": [("event_partners_sponsors", ["SupplyChainX AG"])]}, sold
    assert rows["internet_activity"]["sold"] is False and not rows["internet_activity"]["shared"]
    text = reports["ca"]["text"]
    sale = _section(text, "Sale and sharing of your personal information Cal. Civ. Code",
                    "Your choice about sale and sharing Cal. Civ. Code")
    assert "Internet" not in sale  # no record says internet activity was sold
    assert "sold to PicoNext authorised distributors and resellers (WestCoast SaaS Resellers LLC)" in sale
    row = text[text.index("(Cal. Civ. Code §1798.140(v)(1)(F)) — held in:"):]  # the internet-activity row
    assert row[row.index("Sold:"):].startswith("Sold: no. Shared: no.")


def test_gpc_opt_out_is_shown_with_its_date_and_not_offered_again(reports: dict[str, Any]) -> None:
    text = reports["ca"]["text"]
    assert "You opted out of the sale and sharing of your personal information on 2 Mar 2026, through the " \
           "Global Privacy Control signal your browser sends" in text
    assert "You can opt out at any time" not in text
    oo = reports["ca"]["bundle"]["jurisdiction"]["ccpa"]["opt_out"]
    assert oo == {**oo, "status": "opted_out", "date": "2026-03-02", "signal": True}
    # the sale after the opt-out is marked for him (the operator acknowledged the finding)
    assert "Sold to WestCoast SaaS Resellers LLC (PicoNext authorised distributors and resellers), on 13 Apr " \
           "2026 — 1 after your opt-out." in text
    assert "Sold to SupplyChainX AG (Event partners and conference sponsors), on 5 Jan 2026." in text


def test_categories_only_answer_keeps_status_but_no_names_or_dates(reports: dict[str, Any]) -> None:
    r = reports["ca_categories"]
    assert "opted out of the sale and sharing of your personal information through the Global Privacy Control" \
        in r["text"]
    everything = "".join(p.read_text(encoding="utf-8", errors="replace") for p in r["result"].path.rglob("*.json"))
    everything += r["text"]
    for needle in (*HIS_RECIPIENTS, "2026-03-02", "2 Mar 2026", "2026-04-13", "13 Apr 2026", "2026-01-05"):
        assert needle not in everything, needle
    assert "Sold to PicoNext authorised distributors and resellers, once — 1 after your opt-out." in r["text"]


def test_sale_after_opt_out_blocks_the_export_until_acknowledged(config: Path, tmp_path: Path) -> None:
    with pytest.raises(UnacknowledgedFinding) as info:
        _export(config, tmp_path, CARLOS, "ca", "BLOCK-1", pdf=False, acknowledge=frozenset())
    err = info.value
    assert err.code == "unacknowledged_finding" and err.exit_code == 8
    assert "sale_after_opt_out" in str(err) and CARLOS not in str(err)
    assert list(tmp_path.iterdir()) == []  # no package, no staging folder left behind
    result = _export(config, tmp_path, CARLOS, "ca", "BLOCK-1", pdf=False)
    [f] = [f for f in result.findings if f.code == "sale_after_opt_out"]
    assert f.blocking and f.count == 1 and f.category == "third_party_disclosures"
    assert f.cite.startswith("Cal. Civ. Code §1798.120(d)")
    for value in (CARLOS, "Carlos", "Rivera", "WestCoast", "2026-04-13", "2026-03-02"):
        assert value not in f.message + f.action, value
    assert result.to_dict()["findings"] == [x.to_dict() for x in result.findings]
    # findings are for the operator: not in the subject's package (its schemas only describe them)
    package = (result.path / "bundle.json").read_text(encoding="utf-8")
    assert "sale_after_opt_out" not in package and "finding" not in package.lower()
    # the manifest records the acknowledged code only (no subject data)
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert "sale_after_opt_out" in manifest.get("acknowledged_findings", [])


def test_the_same_consumer_under_eu_rules_has_no_ccpa_finding(config: Path, tmp_path: Path) -> None:
    result = _export(config, tmp_path, CARLOS, "eu", "EU-CARLOS", pdf=False, acknowledge=frozenset())
    assert "sale_after_opt_out" not in {f.code for f in result.findings}


# ------------------------------------------------------------------------------------------------
# §7024(d): what is held, per type


def test_7024d_notice_says_what_is_held_per_consumer(reports: dict[str, Any]) -> None:
    carlos = _section(reports["ca"]["text"], "Information we hold but do not disclose 11 CCR", "About the format")
    assert "We never store your full card number" not in reports["ca"]["text"]
    assert "Payment processor's card token (Financial account number" in carlos
    assert "full number" not in carlos and "Full payment card number" not in carlos  # his store holds none
    jane = _section(reports["ca_jane"]["text"], "Information we hold but do not disclose 11 CCR", "About the format")
    assert "Full payment card number (Financial account number" in jane
    assert "An old data import kept the full number of one or more of your payment cards" in jane
    assert "4242424242424242" not in reports["ca_jane"]["text"]


# ------------------------------------------------------------------------------------------------
# rest of part 1


def test_uk_tracking_pixels_rest_on_consent_under_pecr(reports: dict[str, Any]) -> None:
    page = _section(reports["uk"]["text"], "Email and web tracking pixels What it is", "How long we keep it")
    assert "Your consent (UK GDPR Art. 6(1)(a); PECR reg. 6)" in page
    assert "Legitimate interests" not in page and "Art. 6(1)(f)" not in page
    [pixels] = [c for c in reports["uk"]["bundle"]["categories"] if c["id"] == "tracking_pixels"]
    assert {p["basis"] for p in pixels["purposes"]} == {"consent"}
    assert all("interest" not in p and "basis_in" not in p for p in pixels["purposes"])


@pytest.mark.parametrize("jid", ["uk", "eu"])
def test_held_but_not_shown_ground_is_not_the_security_duty(reports: dict[str, Any], jid: str) -> None:
    text = reports[jid]["text"]
    held = _section(text, "Held but not shown:", "What it is:")
    assert "Art. 5(1)(f)" not in text and "Art. 32" not in text
    law = "UK GDPR" if jid == "uk" else "GDPR"
    assert f"({law} Art. 15(1), 15(3)-(4))" in held
    if jid == "eu":  # Jane's store holds one full card number (the demo's planted PAN): it is named as held
        assert "Full payment card number (1)" in text and "4242424242424242" not in text


def test_ca_report_has_no_transfer_sentence_of_another_law(reports: dict[str, Any]) -> None:
    text = reports["ca"]["text"]
    assert "outside the area this law covers" not in text
    assert "We process your personal information in the United States." in text


# ------------------------------------------------------------------------------------------------
# CLI, batch, queue options, API shape


def test_cli_exits_8_with_the_finding_and_writes_nothing(config: Path, tmp_path: Path) -> None:
    args = ["export", "-c", str(config), "-s", f"email:{CARLOS}", "-j", "ca", "--received", "2026-11-02",
            "--now", "2026-11-25T10:00:00Z", "--request-id", "CLI-CA", "--out", str(tmp_path), "--no-pdf",
            "--no-html"]
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    blocked = CliRunner().invoke(app, args, env=env)
    assert blocked.exit_code == 8, blocked.output
    err = blocked.stderr
    assert "error: 1 blocking finding(s) for the operator: sale_after_opt_out (third_party_disclosures, 1):" in err
    assert "--acknowledge sale_after_opt_out" in err
    assert "Traceback" not in blocked.output and CARLOS not in err
    assert not (tmp_path / "CLI-CA").exists()
    ok = CliRunner().invoke(app, [*args, "--acknowledge", "sale_after_opt_out", "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    schema = json.loads((schemas_dir() / "cli" / "export.json").read_text())
    Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/result"}).validate(doc)
    [sale] = [f for f in doc["findings"] if f["code"] == "sale_after_opt_out"]
    assert sale["blocking"] and sale["count"] == 1
    assert (tmp_path / "CLI-CA" / "manifest.json").is_file()


def test_export_help_offers_acknowledge() -> None:
    result = CliRunner().invoke(app, ["export", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    text = " ".join(result.output.split())
    assert "--acknowledge" in text and "exit 8" in text


def test_batch_acknowledge_column(config: Path, tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    with requests.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "jurisdiction", "received", "request_id", "verification", "country", "acknowledge"])
        w.writerow([f"email:{CARLOS}", "ca", "2026-11-02", "B-ACK", "verified", "", "sale_after_opt_out"])
        w.writerow([f"email:{CARLOS}", "ca", "2026-11-02", "B-NOACK", "verified", "", ""])
    reqs = read_requests(requests)
    assert [r.acknowledge for r in reqs] == [("sale_after_opt_out",), ()]
    outcomes = {o.request_id: o for o in run_batch(reqs, config, tmp_path / "out", jobs=1,
                                                     options={"now": NOW, "pdf": False, "html": False})}
    assert outcomes["B-ACK"].ok and (tmp_path / "out" / "B-ACK" / "manifest.json").is_file()
    assert not outcomes["B-NOACK"].ok and outcomes["B-NOACK"].exit_code == 8
    assert not (tmp_path / "out" / "B-NOACK").exists()


def test_queued_options_carry_acknowledge() -> None:
    opts = ExportOptions(acknowledge=ACK)
    assert options_to_dict(opts)["acknowledge"] == ["sale_after_opt_out"]
    assert options_from_dict(options_to_dict(opts)).acknowledge == ACK


def test_finding_shape_is_the_shared_api() -> None:
    f = Finding(code="x_y", category=None, count=2, message="m", action="a", blocking=False, cite="c")
    assert f.to_dict() == {"code": "x_y", "category": None, "count": 2, "message": "m", "action": "a",
                           "blocking": False, "cite": "c"}
    with pytest.raises(AttributeError):
        f.code = "other"  # type: ignore[misc]


def test_log_summary_is_bounded() -> None:
    obs = LogObserver("disclosures", {})
    obs.update({"recipient_type": "distributors_resellers", "recipient_name": f"R{i}",
                "disclosed_at": f"2026-01-01T00:00:{i % 60:02d}Z", "data_disclosed": "name"}
               for i in range(MAX_RECIPIENTS + 25))
    out = obs.result()
    assert len(out["recipients"]) == MAX_RECIPIENTS and out["more"] == 25
