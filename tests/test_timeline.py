"""Issue 18 parts 4 and 5: retention honesty and the request's life.

* findings for the operator (exporter/law/findings.py): past retention, a late response, a receipt
  confirmation not recorded; blocking ones fail the export with exit code 8 and publish nothing;
* every catalog category has a retention period or the criteria that fix it (GDPR Art. 15(1)(d));
* the request's life (identity check, stop-the-clock, clarification, extension, receipt
  confirmation, lateness) in the library, the CLI, the batch input, bundle.json and the report.

Real demo store, real exports (no mocks); the generation time is fixed so that the demo's support
chat (ended 28 Oct 2026, one-month rule) is past its retention date on 3 Dec 2026.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from exporter import AccessRequest, ExportOptions, demo, export
from exporter.cli import app
from exporter.errors import RequestError, UnacknowledgedFinding
from exporter.law import overdue, timeline
from exporter.law.catalog import load_catalog
from exporter.cli.output import finding_line
from exporter.law.findings import Finding
from exporter.resources import catalog_dir, schemas_dir

NOW = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
NOW_TEXT = "2026-12-03T10:00:00Z"
UK = f"email:{demo.DEMO_SUBJECTS['uk']}"
CA = f"email:{demo.DEMO_SUBJECTS['california']}"
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def config(demo_store: Path) -> Path:
    return demo.demo_config_path(demo_store)


def cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args), env=WIDE)


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def package_text(path: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(path.rglob("*"))
                     if p.is_file() and p.suffix in (".json", ".jsonl", ".csv", ".html"))


# ---- the shared findings API -------------------------------------------------------------------


def test_finding_api_is_the_shared_design() -> None:
    f = Finding(code="past_retention", category="support_chats", count=3, message="m", action="a",
                blocking=True, cite="GDPR Art. 5(1)(e)")
    assert f.to_dict() == {"code": "past_retention", "category": "support_chats", "count": 3, "message": "m",
                           "action": "a", "blocking": True, "cite": "GDPR Art. 5(1)(e)"}
    with pytest.raises(AttributeError):
        f.count = 4  # type: ignore[misc]  # frozen
    warn = Finding("late_response", None, 0, "m", "a", False, "c")
    assert warn.to_dict()["category"] is None and not warn.blocking
    assert UnacknowledgedFinding("x").exit_code == 8 and UnacknowledgedFinding.code == "unacknowledged_finding"
    line = finding_line(f)
    assert all(part in line for part in ("past_retention", "support_chats", "3 records", "m", "a"))


# ---- retention: a period or the criteria that fix it --------------------------------------------

OPEN_ENDED = re.compile(r"or longer|as long as (?:needed|necessary)|as necessary|for example tax law|"
                        r"where needed for record keeping", re.IGNORECASE)


def test_every_category_has_a_period_or_the_criteria_that_fix_it() -> None:
    data = tomllib.loads((catalog_dir() / "categories.toml").read_text(encoding="utf-8"))
    for cat in data["categories"]:
        rule = cat["retention"]
        text = rule["text"]
        assert not OPEN_ENDED.search(text), (cat["id"], text)  # Art. 15(1)(d): no open-ended period
        if "earliest_of" in rule or "per_record" in rule:
            continue  # a computable period
        assert rule["kind"] in ("immutable", "criteria"), cat["id"]
        if rule["kind"] == "criteria":
            # the criteria name the event that ends the period
            assert re.search(r"\b(until|as long as you|while|when you|deleted when)\b", text), (cat["id"], text)


def test_retention_texts_reach_the_subject_with_a_date() -> None:
    billing = next(c for c in load_catalog() if c.id == "billing")
    out = __import__("exporter.law.retention", fromlist=["evaluate"]).evaluate(
        dict(billing.retention), facts={}, field_range=("2024-03-01T10:00:00Z", "2025-06-30T10:00:00Z"),
        today=dt.date(2026, 12, 3))
    # seven years after the end of the year of issue: 2024 → 31 Dec 2031, 2025 → 31 Dec 2032
    assert out["until"] == "2032-12-31"
    assert "2031-12-31" in out["explanation"] and "end of the year of issue" in out["explanation"]


def test_count_past_and_the_statement() -> None:
    rule = {"text": "Each chat transcript is deleted one month after the chat ended.",
            "per_record": {"field": "ended_at", "months": 1, "record": "chat transcript"}}
    days = {"2026-10-01": 2, "2026-11-02": 1, "2026-11-20": 4}
    today = dt.date(2026, 12, 3)
    assert overdue.count_past(rule, days, today) == 3  # 1 Nov and 2 Dec are before 3 Dec; 20 Dec is not
    entry = {"id": "support_chats", "retention": {"explanation": "Each … ended.", "policy": "§4D"}}
    overdue.annotate(entry, rule, days, today=today, count=7)
    text = entry["retention"]["overdue"]["text"]
    assert text == "3 chat transcripts are older than our one-month rule; they will be deleted by 2027-01-02."
    assert entry["retention"]["explanation"].endswith(text)
    (finding,) = overdue.findings([entry], cite="GDPR Art. 5(1)(e)")
    assert (finding.code, finding.category, finding.count, finding.blocking) == ("past_retention", "support_chats", 3, False)
    assert "2027-01-02" in finding.action and finding.cite.startswith("GDPR Art. 5(1)(e)")
    # nothing past: no statement, no finding
    fresh = {"id": "x", "retention": {"explanation": "e"}}
    overdue.annotate(fresh, rule, {"2026-11-20": 1}, today=today, count=1)
    assert "overdue" not in fresh["retention"] and overdue.findings([fresh]) == []


# ---- end to end: past retention, findings in the result, never in the package ------------------


def test_past_retention_is_a_finding_and_a_plain_statement(config: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([UK], jurisdiction="uk", received=dt.date(2026, 11, 20), request_id="T-RET")
    result = export(request, config, tmp_path, ExportOptions(now=NOW, pdf=False))
    past = {f.category: f for f in result.findings if f.code == "past_retention"}
    assert past["support_chats"].count == 1 and not past["support_chats"].blocking
    bundle = json.loads((result.path / "bundle.json").read_text(encoding="utf-8"))
    chats = next(c for c in bundle["categories"] if c["id"] == "support_chats")
    assert chats["retention"]["overdue"]["text"] == (
        "1 chat transcript is older than our one-month rule; it will be deleted by 2027-01-02.")
    text = package_text(result.path)
    assert "deletion run" not in text
    assert "older than our one-month rule" in (result.path / "index.html").read_text(encoding="utf-8")
    # findings are for the operator only: never in any file of the package
    assert "past_retention" not in text and past["support_chats"].action not in text
    assert result.to_dict()["findings"][0]["code"] in {"past_retention", "late_response"}


def test_categories_only_answer_keeps_past_retention_for_the_operator(config: Path, tmp_path: Path) -> None:
    # 11 CCR §7024(a): "1 chat transcript is older than one month" would describe a specific record
    request = AccessRequest.parse([CA], jurisdiction="ca", received=dt.date(2026, 11, 20), request_id="T-CAT",
                                  verification="reasonable", confirmation_sent=dt.date(2026, 11, 23))
    result = export(request, config, tmp_path, ExportOptions(now=NOW, pdf=False, acknowledge=frozenset({"sale_after_opt_out"})))
    assert not result.specific_pieces
    assert any(f.code == "past_retention" and f.category == "support_chats" and f.count == 1 for f in result.findings)
    text = "\n".join((result.path / name).read_text(encoding="utf-8") for name in ("bundle.json", "index.html"))
    assert "older than our" not in text and '"overdue": {' not in text and "_overdue" not in text


def test_blocking_finding_publishes_nothing_until_acknowledged(config: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(config.parent, store)  # the session store is read-only
    cfg = store / "exporter.toml"
    overlay = store / "catalog"  # the demo's own catalog overlay, which its config names
    assert '\ncatalog = "catalog"\n' in cfg.read_text(encoding="utf-8")
    (overlay / "categories.toml").write_text("[retention_overdue]\nblocking = true\n", encoding="utf-8")
    out = tmp_path / "out"
    request = AccessRequest.parse([UK], jurisdiction="uk", received=dt.date(2026, 11, 20), request_id="T-BLOCK")
    with pytest.raises(UnacknowledgedFinding) as exc:
        export(request, cfg, out, ExportOptions(now=NOW, pdf=False, html=False))
    assert exc.value.exit_code == 8 and "past_retention" in str(exc.value)
    assert not out.exists() or list(out.iterdir()) == []  # no package, and its temporary folder is gone too
    # the CLI: exit 8, one error line, nothing published; then --acknowledge releases it
    args = ["export", "-c", str(cfg), "-s", UK, "-j", "uk", "--received", "2026-11-20", "--request-id", "T-BLOCK",
            "--out", str(out), "--now", NOW_TEXT, "--no-pdf", "--no-html"]
    failed = cli(*args)
    assert failed.exit_code == 8, failed.output
    assert "unacknowledged" not in failed.stdout and "--acknowledge past_retention" in failed.stderr
    assert not (out / "T-BLOCK").exists()
    ok = cli(*args, "--acknowledge", "past_retention", "--json")
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    assert any(f["code"] == "past_retention" and f["blocking"] for f in doc["findings"])
    assert "finding past_retention (blocking): category support_chats, 1 record" in ok.stderr
    defs = json.loads((schemas_dir() / "cli" / "export.json").read_text(encoding="utf-8"))["$defs"]
    Draft202012Validator({"$defs": defs, "$ref": "#/$defs/result"}).validate(doc)
    assert (out / "T-BLOCK" / "bundle.json").is_file()
    manifest = json.loads((out / "T-BLOCK" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["acknowledged_findings"] == ["past_retention"]
    assert cli("verify", str(out / "T-BLOCK")).exit_code == 0


# ---- the request's life -------------------------------------------------------------------------


def test_export_help_offers_the_request_life_options() -> None:
    text = flat(cli("export", "--help").stdout)
    for option in ("--extension", "--extension-reason", "--clock-stop", "--clarification", "--verification-method",
                   "--verification-evidence", "--verified-by", "--verified-on", "--confirmation-sent",
                   "--acknowledge"):
        assert option in text, option


def test_check_dates_refuses_what_cannot_be_true() -> None:
    today = dt.date(2026, 12, 3)
    with pytest.raises(RequestError, match="in the future") as exc:
        timeline.check_dates(received=dt.date(2026, 12, 4), today=today)
    assert exc.value.context["pointer"] == "/received"
    with pytest.raises(RequestError, match="before the request was received"):
        timeline.check_dates(received=today, today=today, confirmation_sent=dt.date(2026, 12, 1))
    with pytest.raises(RequestError, match="answered before it was asked"):
        timeline.check_dates(received=dt.date(2026, 11, 1), today=today, clarifications=[
            timeline.Clarification(dt.date(2026, 11, 5), dt.date(2026, 11, 4), "scope")])
    timeline.check_dates(received=dt.date(2026, 11, 1), today=today, clarifications=[
        timeline.Clarification(dt.date(2026, 11, 5), None, "scope")])  # no answer yet is fine


@pytest.mark.parametrize(("args", "code", "phrase"), [
    (["-j", "eu", "--received", "2026-12-04"], 2, "in the future"),
    (["-j", "uk", "--received", "2026-10-01", "--clock-stop", "2026-11-20:2026-11-25:identity"], 2,
     "begins after the response was due"),
    (["-j", "eu", "--received", "2026-11-20", "--clock-stop", "2026-11-21:2026-11-25:identity"], 2,
     "do not allow stopping the clock"),
    (["-j", "uk", "--received", "2026-11-20", "--clock-stop", "2026-11-21"], 2, "DATE:DATE:REASON"),
    (["-j", "uk", "--received", "2026-11-20", "--verified-by", "privacy team"], 2, "--verification-method"),
    (["-j", "ca", "--received", "2026-11-20", "--extension-reason", "volume"], 2, "extension"),
])
def test_cli_refuses_impossible_timelines(config: Path, tmp_path: Path, args: list[str], code: int,
                                          phrase: str) -> None:
    result = cli("export", "-c", str(config), "-s", UK, "--out", str(tmp_path), "--now", NOW_TEXT,
                 "--no-pdf", "--no-html", *args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith("error: ") and phrase in result.stderr, result.stderr
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_uk_timeline_in_bundle_and_report(config: Path, tmp_path: Path) -> None:
    result = cli("export", "-c", str(config), "-s", UK, "-j", "uk", "--received", "2026-11-02",
                 "--request-id", "T-UK", "--out", str(tmp_path), "--now", NOW_TEXT, "--no-pdf",
                 "--clock-stop", "2026-11-03:2026-11-06:proof of identity",
                 "--clarification", "2026-11-10:2026-11-11:which support case the request is about",
                 "--verification-method", "log-in to the account", "--verification-evidence", "account password",
                 "--verified-by", "privacy team", "--verified-on", "2026-11-06",
                 "--extension", "1", "--extension-reason", "three systems are searched by hand", "--json")
    assert result.exit_code == 0, result.output
    bundle = json.loads((tmp_path / "T-UK" / "bundle.json").read_text(encoding="utf-8"))
    req = bundle["request"]
    assert req["verification_details"] == {"method": "log-in to the account", "evidence_type": "account password",
                                           "by": "privacy team", "on": "2026-11-06"}
    assert req["clarifications"] == [{"asked": "2026-11-10", "answered": "2026-11-11",
                                      "reason": "which support case the request is about"}]
    d = bundle["jurisdiction"]["deadlines"]
    # 2 Nov + 1 month = 2 Dec; paused 3–6 Nov (4 days) and 10–11 Nov (2 days), both days counted
    # (UK GDPR Art. 12A) → 8 Dec 2026 (Tue); extended by one month: 2 Jan 2027 + 6 = Fri 8 Jan 2027
    assert (d["paused_days"], d["due"], d["extended_due"]) == (6, "2026-12-08", "2027-01-08")
    tl = bundle["jurisdiction"]["timeline"]
    assert tl["late"] is False and tl["confirmation"] is None
    statements = " ".join(tl["statements"])
    assert "On 2026-11-06 we checked that you are the person this data is about: log-in to the account " \
           "(evidence: account password; checked by privacy team)." in statements
    assert ("paused from 2026-11-03 to 2026-11-06 (4 days, both days counted) while we waited for information "
            "from you: proof of identity") in statements
    assert "your answer arrived on 2026-11-11" in statements
    notice = next(n for n in bundle["jurisdiction"]["notices"] if n["id"] == "timeline")
    assert notice["title"] == "How we handled your request" and "12A" in notice["cite"]
    html = (tmp_path / "T-UK" / "index.html").read_text(encoding="utf-8")
    assert "How we handled your request" in html and "checked by privacy team" in html
    assert "three systems are searched by hand" in html
    complaint = next(n for n in bundle["jurisdiction"]["notices"] if n["id"] == "complaint")
    assert "within 30 days" in " ".join(complaint["paragraphs"] + complaint["items"])


def test_late_response_is_said_and_warned(config: Path, tmp_path: Path) -> None:
    result = cli("export", "-c", str(config), "-s", UK, "-j", "eu", "--received", "2026-10-01",
                 "--request-id", "T-LATE", "--out", str(tmp_path), "--now", NOW_TEXT, "--no-pdf", "--json")
    assert result.exit_code == 0, result.output
    assert "finding late_response: category -, 0 records: the response is late: it was due on 2026-11-02" \
           in result.stderr  # 1 Oct + 1 month = Sun 1 Nov → Mon 2 Nov 2026
    doc = json.loads(result.stdout)
    assert [f["code"] for f in doc["findings"] if f["code"] == "late_response"] == ["late_response"]
    bundle = json.loads((tmp_path / "T-LATE" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["jurisdiction"]["timeline"]["late"] is True
    assert "This response is late: it was due on 2026-11-02 (GDPR Art. 12(3))" in \
        " ".join(bundle["jurisdiction"]["timeline"]["statements"])
    html = (tmp_path / "T-LATE" / "index.html").read_text(encoding="utf-8")
    assert "This response is late" in html


def test_ca_receipt_confirmation_is_sent_or_due_never_assumed(config: Path, tmp_path: Path) -> None:
    common = ["export", "-c", str(config), "-s", CA, "-j", "ca", "--received", "2026-11-20", "--out",
              str(tmp_path), "--now", NOW_TEXT, "--no-pdf", "--acknowledge", "sale_after_opt_out"]
    assert cli(*common, "--request-id", "T-CA-DUE").exit_code == 0
    due = json.loads((tmp_path / "T-CA-DUE" / "bundle.json").read_text(encoding="utf-8"))["jurisdiction"]
    # 10 business days after Fri 20 Nov 2026 (Thanksgiving 26 Nov and the day after are CA holidays)
    assert due["timeline"]["confirmation"]["status"] == "due"
    html = (tmp_path / "T-CA-DUE" / "index.html").read_text(encoding="utf-8")
    assert "Receipt confirmed by" not in html and "Receipt confirmation due by" in html
    assert "we have no record that it was sent" in html
    sent = cli(*common, "--request-id", "T-CA-SENT", "--confirmation-sent", "2026-11-23")
    assert sent.exit_code == 0, sent.output
    tl = json.loads((tmp_path / "T-CA-SENT" / "bundle.json").read_text(encoding="utf-8"))["jurisdiction"]["timeline"]
    assert tl["confirmation"] == {"due": due["deadlines"]["confirmation_due"], "sent": "2026-11-23", "status": "sent"}
    assert any(s.startswith("We confirmed receipt of your request on 2026-11-23") for s in tl["statements"])
    assert "Receipt confirmed on" in (tmp_path / "T-CA-SENT" / "index.html").read_text(encoding="utf-8")


def test_overdue_confirmation_is_a_finding(config: Path, tmp_path: Path) -> None:
    result = export(AccessRequest.parse([CA], jurisdiction="ca", received=dt.date(2026, 11, 2), request_id="T-CA-OLD"),
                    config, tmp_path, ExportOptions(now=NOW, pdf=False, html=False, acknowledge=frozenset({"sale_after_opt_out"})))
    codes = {f.code: f for f in result.findings}
    assert "confirmation_not_recorded" in codes and not codes["confirmation_not_recorded"].blocking
    assert codes["confirmation_not_recorded"].cite == "11 CCR §7021(a)"


# ---- the same fields in the batch input ---------------------------------------------------------


def test_batch_csv_and_jsonl_carry_the_request_life(config: Path, tmp_path: Path) -> None:
    from exporter.batch import read_requests, run_batch

    csv_file = tmp_path / "requests.csv"
    csv_file.write_text(
        "subject,jurisdiction,received,request_id,verification,country,clock_stops,clarifications,"
        "verification_method,verification_evidence,verified_by,verified_on,confirmation_sent,acknowledge\n"
        f"{UK},uk,2026-11-02,B-UK,,GB,2026-11-03:2026-11-06:proof of identity,,log-in,account password,"
        "privacy team,2026-11-06,,past_retention\n"
        f"{UK},uk,2026-12-09,B-FUTURE,,,,,,,,,,\n", encoding="utf-8")
    lines = [
        {"identifiers": [CA], "jurisdiction": "ca", "received": "2026-11-20", "request_id": "B-CA",
         "confirmation_sent": "2026-11-23", "clarifications": [{"asked": "2026-11-21", "answered": None,
                                                                "reason": "which account"}],
         "acknowledge": ["sale_after_opt_out"]},
    ]
    schema = json.loads((schemas_dir() / "cli" / "export-batch-input.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    for line in lines:
        Draft202012Validator(schema).validate(line)
    jsonl = tmp_path / "requests.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    csv_requests = read_requests(csv_file)
    assert csv_requests[0].acknowledge == ("past_retention",)
    # the CSV row's request, as JSON, is valid against the same schema as a .jsonl line
    Draft202012Validator(schema).validate({**csv_requests[0].request, "acknowledge": ["past_retention"]})
    outcomes = run_batch([*csv_requests, *read_requests(jsonl)], config, tmp_path / "out", jobs=1,
                         options={"pdf": False, "html": False, "now": NOW})
    by_id = {o.request_id: o for o in outcomes}
    assert by_id["B-UK"].ok and by_id["B-CA"].ok
    assert not by_id["B-FUTURE"].ok and by_id["B-FUTURE"].exit_code == 2 and "future" in (by_id["B-FUTURE"].error or "")
    uk = json.loads((tmp_path / "out" / "B-UK" / "bundle.json").read_text(encoding="utf-8"))
    assert uk["request"]["clock_stops"] == [{"from": "2026-11-03", "to": "2026-11-06", "reason": "proof of identity"}]
    assert uk["jurisdiction"]["deadlines"]["paused_days"] == 4
    assert uk["request"]["verification_details"]["by"] == "privacy team"
    ca = json.loads((tmp_path / "out" / "B-CA" / "bundle.json").read_text(encoding="utf-8"))
    assert ca["jurisdiction"]["timeline"]["confirmation"]["status"] == "sent"
    assert "we have not received an answer" in " ".join(ca["jurisdiction"]["timeline"]["statements"])


def test_access_request_json_round_trip() -> None:
    data = {"identifiers": ["email:a@b.example"], "jurisdiction": "uk", "received": "2026-11-02",
            "clock_stops": [{"from": "2026-11-03", "to": "2026-11-06", "reason": "identity"}],
            "clarifications": [{"asked": "2026-11-07", "answered": None, "reason": "scope"}],
            "verification_details": {"method": "m", "evidence_type": "e", "by": "b", "on": "2026-11-03"},
            "confirmation_sent": "2026-11-04"}
    request = AccessRequest.from_dict(data)
    assert AccessRequest.from_dict(request.to_dict()) == request
    with pytest.raises(RequestError) as exc:
        AccessRequest.from_dict({**data, "verification_details": {"method": "m", "evidence": "passport scan"}})
    assert exc.value.context["pointer"] == "/verification_details"
    with pytest.raises(RequestError) as exc:
        AccessRequest.from_dict({**data, "clarifications": [{"asked": "2026-11-07", "reason": " "}]})
    assert exc.value.context["pointer"] == "/clarifications/0"


def test_report_pdf_tells_the_subject(config: Path, tmp_path: Path) -> None:
    """Read back as the subject would: the request's life and the retention statement are in report.pdf."""
    import pypdf

    request = AccessRequest.from_dict({
        "identifiers": [UK], "jurisdiction": "uk", "received": "2026-11-02", "request_id": "T-PDF",
        "clock_stops": [{"from": "2026-11-03", "to": "2026-11-06", "reason": "proof of identity"}],
        "verification_details": {"method": "a one-time code sent to the account's e-mail address",
                                 "evidence_type": "one-time code", "by": "privacy team", "on": "2026-11-06"}})
    result = export(request, config, tmp_path, ExportOptions(now=NOW, html=False))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(result.path / "report.pdf").pages)
    assert "How we handled your request" in text
    assert "we checked that you are the person this data is about: a one-time code sent to the account's e-mail" in text
    assert "(4 days, both days counted)" in text
    assert "1 chat transcript is older than our one-month rule; it will be deleted by 2 Jan 2027" in text
    assert "within 30 days" in text  # DPA 2018 s.164A
    assert "deletion run" not in text and "past_retention" not in text
