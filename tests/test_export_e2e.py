"""End to end over the demo store: `exporter.export` → package, read back as a user's tools would."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
from html import unescape
from pathlib import Path
from typing import Any

import orjson
import pytest
from demo_reader import Store

from exporter import AccessRequest, RecordValidationError, export
from exporter import demo
from exporter.law.catalog import load_catalog
from exporter.packaging.package import verify
from exporter.schemas import check_against

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone.utc)
RECEIVED = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.build_demo_store(tmp_path_factory.mktemp("e2e") / "store", heavy_events=3000)


@pytest.fixture(scope="module")
def reader(store_root: Path) -> Store:
    return Store(store_root)


def run(store_root: Path, out: Path, subject: str, jurisdiction: str, **kw: Any) -> Any:
    request = AccessRequest.parse([subject], jurisdiction=jurisdiction, received=RECEIVED,
                                  verification=kw.pop("verification", "verified"))
    kw.setdefault("pdf", False)
    kw.setdefault("html", False)
    return export(request, demo.demo_config_path(store_root), out, now=NOW, **kw)


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def all_records(pkg: Path, entry: dict[str, Any]) -> list[dict[str, Any]]:
    if not entry["count"]:
        return []
    with (pkg / entry["files"]["jsonl"]["path"]).open("rb") as fh:
        return [orjson.loads(line) for line in fh]


@pytest.mark.parametrize("jurisdiction", ["eu", "uk", "ca"])
def test_typical_subject_package(store_root: Path, reader: Store, tmp_path: Path, jurisdiction: str) -> None:
    result = run(store_root, tmp_path, demo.DEFAULT_DEMO_SUBJECT, jurisdiction)
    pkg = result.path
    assert pkg.parent == tmp_path and verify(pkg) == []
    bundle = load(pkg / "bundle.json")
    check_against("bundle.json", bundle)  # raises on any schema violation
    catalog = load_catalog()
    assert [c["id"] for c in bundle["categories"]] == [c.id for c in catalog]
    assert bundle["request"]["jurisdiction"] == jurisdiction

    ids = reader.resolve(email=demo.DEFAULT_DEMO_SUBJECT)
    found = {(i["type"], i["value"]) for i in bundle["subject"]["identifiers"]}
    expected = {(t, v) for t, vs in ids.items() for v in vs}
    assert found == expected
    for entry in bundle["categories"]:
        want = len(reader.category(entry["id"], ids))
        assert entry["count"] == want, entry["id"]
        assert result.counts[entry["id"]] == want
        assert entry["status"] == ("held" if want else "none_held")
        records = all_records(pkg, entry)
        assert len(records) == want
        if entry["records"] is not None and want:
            assert entry["records"] == records  # inline copy equals the data file
        assert entry["purposes"] and entry["retention"]["explanation"]
    assert all(e["count"] for e in bundle["categories"]), "the typical persona has data in every category"
    manifest = load(pkg / "manifest.json")
    listed = {f["path"] for f in manifest["files"]}
    assert {"bundle.json", "data/orders.jsonl", "data/orders.csv", "schemas/bundle.json", "schemas/orders.json"} <= listed
    assert_closed_schemas(pkg)


def assert_closed_schemas(pkg: Path) -> None:
    """Validate the package with only the files inside it (issue 18 part 7): every $ref of its
    schemas is internal or names a file in the package's schemas/ folder, and a validator whose
    registry holds only those files (no installed schemas, no network) accepts bundle.json,
    manifest.json and every data record."""
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    folder = pkg / "schemas"
    schemas = {p.name: load(p) for p in folder.glob("*.json")}

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref" and isinstance(v, str)] + [
                r for v in node.values() for r in refs(v)]
        return [r for v in node for r in refs(v)] if isinstance(node, list) else []

    for name, schema in schemas.items():
        for ref in refs(schema):
            target = ref.split("#", 1)[0]
            assert not target or target in schemas, f"{name} refers to {ref}, which the package does not ship"

    def retrieve(uri: str) -> Resource:  # only the package's own files, found by their $id's file name
        name = uri.rsplit("/", 1)[-1]
        if name not in schemas:
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(schemas[name])

    registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    for doc, schema in (("bundle.json", "bundle.json"), ("manifest.json", "manifest.json")):
        Draft202012Validator(schemas[schema], registry=registry, format_checker=FormatChecker()).validate(
            load(pkg / doc))
    for jsonl in (pkg / "data").glob("*.jsonl"):
        validator = Draft202012Validator(schemas[f"{jsonl.stem}.json"], registry=registry,
                                         format_checker=FormatChecker())
        for line in jsonl.read_bytes().splitlines():
            validator.validate(orjson.loads(line))


def test_no_other_subject_leaks(store_root: Path, reader: Store, tmp_path: Path) -> None:
    mine = reader.resolve(email=demo.DEFAULT_DEMO_SUBJECT)
    my_values = {v for vs in mine.values() for v in vs}
    others = set()
    for key, email in {**demo.DEMO_SUBJECTS, **demo.CONFUSABLES}.items():
        if email == demo.DEFAULT_DEMO_SUBJECT:
            continue
        for t, vs in reader.resolve(email=email).items():
            if t in ("email", "account_id", "customer_id", "contact_id", "order_id", "chat_id", "ledger_address"):
                others |= set(vs) - my_values
    assert others
    result = run(store_root, tmp_path, demo.DEFAULT_DEMO_SUBJECT, "eu")
    blob = b"".join(p.read_bytes() for p in sorted(result.path.rglob("*")) if p.is_file())
    leaked = sorted(v for v in others if v.encode() in blob)
    assert leaked == []


def test_unknown_subject_gets_a_nothing_held_package(store_root: Path, tmp_path: Path) -> None:
    result = run(store_root, tmp_path, "email:nobody@nowhere.example", "uk")
    assert result.records == 0 and result.warnings
    bundle = load(result.path / "bundle.json")
    check_against("bundle.json", bundle)
    assert {e["status"] for e in bundle["categories"]} == {"none_held"}
    assert not (result.path / "data").exists()
    assert verify(result.path) == []


def test_california_reasonable_verification_gives_categories_only(store_root: Path, tmp_path: Path) -> None:
    result = run(store_root, tmp_path, demo.DEMO_SUBJECTS["california"], "ca", verification="reasonable",
                 acknowledge={"sale_after_opt_out"})
    bundle = load(result.path / "bundle.json")
    assert bundle["summary"]["specific_pieces"] is False
    held = [e for e in bundle["categories"] if e["count"]]
    assert held and all(e["records"] is None and e["records_withheld_reason"] for e in held)
    assert not (result.path / "data").exists()


def test_invalid_record_stops_the_export_and_writes_nothing(store_root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "store"
    shutil.copytree(store_root, broken)
    con = sqlite3.connect(broken / "piconext.sqlite")
    con.execute("UPDATE accounts SET email = 'not-an-email' WHERE account_id = ?", (demo.DEMO_IDENTIFIERS["typical"]["account_id"],))
    con.commit()
    con.close()
    out = tmp_path / "out"
    with pytest.raises(RecordValidationError) as exc:
        run(broken, out, "account_id:" + demo.DEMO_IDENTIFIERS["typical"]["account_id"], "eu")
    err = exc.value
    assert err.context["category"] == "account"
    assert err.context["pointer"] == "/email"
    assert err.context["source"]
    assert "not-an-email" not in str(err)  # the bad value is subject data: never in the message
    assert not out.exists() or list(out.iterdir()) == []


def test_same_input_same_bytes(store_root: Path, tmp_path: Path) -> None:
    a = run(store_root, tmp_path / "a", demo.DEFAULT_DEMO_SUBJECT, "uk")
    b = run(store_root, tmp_path / "b", demo.DEFAULT_DEMO_SUBJECT, "uk")
    files_a = sorted(p.relative_to(a.path) for p in a.path.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b.path) for p in b.path.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a.path / rel).read_bytes() == (b.path / rel).read_bytes(), rel
    assert a.manifest_sha256 == b.manifest_sha256


def test_pdf_and_html_read_back(store_root: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    result = run(store_root, tmp_path, demo.DEMO_SUBJECTS["uk"], "uk", pdf=True, html=True)
    bundle = load(result.path / "bundle.json")
    name = bundle["subject"]["display_name"]
    assert name
    reader = PdfReader(result.path / "report.pdf")
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    flat = " ".join(text.split())
    assert name in flat
    for entry in bundle["categories"]:
        assert " ".join(entry["title"].split()) in flat, entry["title"]
    html = (result.path / "index.html").read_text(encoding="utf-8")
    assert name in html and all(e["title"].replace("&", "&amp;") in html for e in bundle["categories"])
    assert verify(result.path) == []


def test_never_disclosed_items_stay_out_of_every_byte(store_root: Path, tmp_path: Path) -> None:
    """11 CCR §7024(d) / PCI: full card numbers, password hashes, security answers, ID document numbers."""
    from pypdf import PdfReader

    con = sqlite3.connect(store_root / "piconext.sqlite")
    account = demo.DEMO_IDENTIFIERS["typical"]["account_id"]
    secrets = [demo.TEST_PAN, " ".join(demo.TEST_PAN[i:i + 4] for i in range(0, 16, 4))]
    secrets += [v for row in con.execute(
        "SELECT password_hash, security_answer_hash FROM accounts WHERE account_id = ?", (account,)) for v in row if v]
    secrets += [r[0] for r in con.execute(
        "SELECT document_number FROM identity_verifications WHERE account_id = ? AND document_number IS NOT NULL",
        (account,))]
    secrets += [r[0] for r in con.execute("SELECT card_token FROM payment_cards WHERE card_token IS NOT NULL")]
    con.close()
    assert len(secrets) >= 5
    for jurisdiction in ("eu", "uk", "ca"):
        result = run(store_root, tmp_path / jurisdiction, demo.DEFAULT_DEMO_SUBJECT, jurisdiction, pdf=True, html=True)
        blobs = [p.read_bytes() for p in result.path.rglob("*") if p.is_file()]
        pdf = PdfReader(result.path / "report.pdf")
        blobs.append("".join(page.extract_text() or "" for page in pdf.pages).encode())
        blobs += [content for contents in pdf.attachments.values() for content in contents]
        for secret in secrets:
            assert not any(secret.encode() in b for b in blobs), "a never-disclosed value reached the package"
        bundle = load(result.path / "bundle.json")
        account_entry = next(e for e in bundle["categories"] if e["id"] == "account")
        assert account_entry["withheld_counts"] == {"password_hash": 1, "security_answer_hash": 1, "security_question": 1}
        # each law's own reason for leaving them out, never California's rule under EU or UK rules
        note = bundle["jurisdiction"]["withheld"]
        text = " ".join("".join(page.extract_text() or "" for page in pdf.pages).split())
        page = (result.path / "index.html").read_text(encoding="utf-8")
        html = " ".join(unescape(re.sub(r"<[^>]+>", "", page)).split())
        for shown in (text, html):
            assert "Held but not shown: Password hash (1)" in shown
            assert note["cite"] in shown and note["text"].split(":")[0] in shown
            assert ("7024" in shown) is (jurisdiction == "ca"), jurisdiction
        # EU/UK: the copy must not adversely affect others (Art. 15(4)); Art. 5(1)(f)/32 are duties, not an exemption
        assert ("15(3)-(4)" in note["cite"]) is (jurisdiction in ("eu", "uk")) and "Art. 32" not in note["cite"]
        assert "card ending 4242" in (result.path / "data" / "support_emails.jsonl").read_text(encoding="utf-8")


def test_demo_redacts_staff_named_in_support_replies(store_root: Path, tmp_path: Path) -> None:
    """The demo configures its staff directory: a colleague named in a reply ("… from billing")
    and the signing agent become "[staff member N]" (Art. 15(4)), and the package says so."""
    result = run(store_root, tmp_path, demo.DEFAULT_DEMO_SUBJECT, "eu")
    bundle = load(result.path / "bundle.json")
    entry = next(c for c in bundle["categories"] if c["id"] == "support_emails")
    text = (result.path / entry["files"]["jsonl"]["path"]).read_text(encoding="utf-8")
    assert entry["count"] and "[staff member" in text
    for name in demo.STAFF:
        assert name not in text, name
    assert entry["redactions"].get("staff_name", 0) >= 1
    assert "GDPR Art. 15(4)" in entry["redaction_notice"]
