"""Isolation (issue #8, part 5; the rule: docs/isolation.md): no record of another person reaches a
subject's package — not through look-alike names, e-mail variants, a shared company, a shared
device or a shared IP address.

* a Hypothesis property test builds stores of confusable people (same names, e-mail addresses that
  differ only by case, plus-addressing or dots, one company, shared devices and IPs) and exports
  each of them;
* the demo store's CONFUSABLES, including Max Mustermann who uses Jane Doe's laptop and office IP,
  with an identity read that pivots through device ids;
* the configuration checks that refuse reads which would select records by a shared identifier.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.collect.identity import plan
from exporter.packaging.package import verify
from exporter.resources import catalog_dir

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
OPTS = ExportOptions(now=NOW, pdf=False, html=False)
PERSON_FIELDS = ("account_id", "contact_id", "customer_id")


def email_in(blob: str, email: str) -> bool:
    """``email`` appears in ``blob`` as a whole address (case-insensitive)."""
    return re.search(rf"(?<![\w.+%-]){re.escape(email)}(?![\w-]|\.\w)", blob, re.IGNORECASE) is not None


def package_records(pkg: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((pkg / "data").glob("*.jsonl")) if (pkg / "data").exists() else []:
        out += [(path.stem, orjson.loads(line)) for line in path.read_bytes().splitlines()]
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    for entry in bundle["categories"]:
        out += [(entry["id"], r) for r in entry.get("records") or []]
    return out


def package_text(pkg: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(pkg.rglob("*"))
                     if p.is_file() and p.suffix in (".json", ".jsonl", ".csv", ".html"))


# ---------------------------------------------------------------------------------------------
# property test: a store of confusable people
# ---------------------------------------------------------------------------------------------

STORE_CONFIG = """
[identity]
given = ["email", "account_id", "contact_id", "device_id"]

[sources.app]
kind = "sql"
url = "sqlite:///app.sqlite"

[[sources.app.identities]]
needs = ["email"]
query = "SELECT account_id, email FROM accounts WHERE lower(email) IN :email"
yields = { account_id = "account_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT contact_id, account_id FROM company_contacts WHERE account_id IN :account_id"
yields = { contact_id = "contact_id" }

[[sources.app.identities]]         # the dangerous pivot: device -> account (devices are shared)
needs = ["device_id"]
query = "SELECT account_id, device_id FROM devices WHERE device_id IN :device_id"
yields = { account_id = "account_id" }

[[sources.app.streams]]
category = "account"
needs = ["account_id"]
query = "SELECT account_id, email, display_name, phone, status, created_at FROM accounts WHERE account_id IN :account_id"

[[sources.app.streams]]
category = "company_contact"
needs = ["contact_id"]
query = "SELECT * FROM company_contacts WHERE contact_id IN :contact_id"

[[sources.app.streams]]
category = "devices"
needs = ["account_id"]
query = "SELECT * FROM devices WHERE account_id IN :account_id ORDER BY device_id"

[sources.files]
kind = "files"

[[sources.files.streams]]
category = "support_emails"
needs = ["account_id"]
path = "support_emails.jsonl"
match = { account_id = "account_id" }

[[sources.files.streams]]
category = "access_logs"
needs = ["account_id"]
path = "access_logs.jsonl"
match = { account_id = "account_id" }
"""

LOCALS = ["jane.doe", "janedoe", "jane", "j.doe", "jane_doe"]
DOMAINS = ["nordlicht.example", "nordlicht-gmbh.example"]
NAMES = ["Jane Doe", "Jane Doe", "Janet Doe", "John Doe", "Max Mustermann"]
DEVICES = [f"DEV-{i:012X}" for i in range(1, 5)]
IPS = ["203.0.113.10", "203.0.113.11"]


@st.composite
def email_variant(draw: st.DrawFn) -> str:
    local = draw(st.sampled_from(LOCALS))
    if draw(st.booleans()):
        local += "+" + draw(st.sampled_from(["news", "shop", "x"]))
    if draw(st.booleans()) and "." not in local:
        cut = draw(st.integers(1, len(local) - 1))
        local = local[:cut] + "." + local[cut:]
    return f"{local}@{draw(st.sampled_from(DOMAINS))}"


@st.composite
def people(draw: st.DrawFn) -> list[dict[str, Any]]:
    emails = draw(st.lists(email_variant(), min_size=2, max_size=4, unique_by=str.casefold))
    out = []
    for i, email in enumerate(emails, 1):
        stored = "".join(c.upper() if draw(st.booleans()) else c for c in email)  # as typed at sign-up
        out.append({
            "n": i, "email": email, "stored": stored, "name": draw(st.sampled_from(NAMES)),
            "account_id": f"ACC-{i:06d}", "contact_id": f"CON-{i:06d}",
            "phone": f"+49 30 5550 1{i:03d}",
            "devices": draw(st.lists(st.sampled_from(DEVICES), min_size=1, max_size=2, unique=True)),
            "ip": draw(st.sampled_from(IPS)),
            "ask_device": draw(st.booleans()),
            "request_case": draw(st.sampled_from(["lower", "upper", "stored"])),
        })
    return out


def build_store(root: Path, persons: list[dict[str, Any]]) -> Path:
    con = sqlite3.connect(root / "app.sqlite")
    con.execute("CREATE TABLE accounts (account_id, email, display_name, phone, status, created_at)")
    con.execute("CREATE TABLE company_contacts (contact_id, account_id, full_name, email, company_name, country, "
                "source, created_at, updated_at)")
    con.execute("CREATE TABLE devices (device_id, account_id, device_type, os_name, first_seen_at, last_seen_at)")
    emails, logs = [], []
    for p in persons:
        con.execute("INSERT INTO accounts VALUES (?,?,?,?,?,?)",
                    (p["account_id"], p["stored"], p["name"], p["phone"], "active", "2025-01-01T00:00:00Z"))
        con.execute("INSERT INTO company_contacts VALUES (?,?,?,?,?,?,?,?,?)",
                    (p["contact_id"], p["account_id"], p["name"], p["email"], "Nordlicht GmbH", "DE",
                     "account_signup", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"))
        for d in p["devices"]:
            con.execute("INSERT INTO devices VALUES (?,?,?,?,?,?)",
                        (d, p["account_id"], "laptop", "Linux", "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z"))
        others = [q for q in persons if q is not p]
        mention = " ".join(f"Please copy {q['email']} (phone {q['phone']})." for q in others)
        emails.append({"message_id": f"EM-{p['n']:07d}", "ticket_id": f"TCK-{p['n']:06d}",
                       "account_id": p["account_id"], "direction": "from_you", "sent_at": "2025-03-01T09:00:00Z",
                       "from_address": p["email"], "to_address": "support@piconext.com",
                       "subject_line": "Colleagues", "ticket_status": "closed",
                       "body": f"Hello, I am {p['name']} ({p['email']}, {p['phone']}). {mention}"})
        for k, d in enumerate(p["devices"]):
            logs.append({"event_id": f"AL-{p['n']:08X}{k:08X}", "occurred_at": "2025-05-01T08:00:00Z",
                         "account_id": p["account_id"], "ip_address": p["ip"], "method": "GET", "page": "/",
                         "browser": "Firefox", "status_code": 200, "device_id": d})
    con.commit()
    con.close()
    (root / "support_emails.jsonl").write_text("".join(json.dumps(e) + "\n" for e in emails), encoding="utf-8")
    (root / "access_logs.jsonl").write_text("".join(json.dumps(e) + "\n" for e in logs), encoding="utf-8")
    config = root / "exporter.toml"
    config.write_text(STORE_CONFIG, encoding="utf-8")
    return config


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(persons=people())
def test_no_record_of_another_subject_reaches_the_package(persons: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = load_config(build_store(root, persons))
        for p in persons:
            email = {"lower": p["email"].lower(), "upper": p["email"].upper(), "stored": p["stored"]}[p["request_case"]]
            ids = [f"email:{email}"] + ([f"device_id:{p['devices'][0]}"] if p["ask_device"] else [])
            request = AccessRequest.parse(ids, jurisdiction="eu", request_id=f"R-{p['n']}")
            result = export(request, config, root / "out", OPTS)
            pkg = result.path
            assert verify(pkg, schemas=p["n"] == 1) == []  # schema checks once per example (they are slow)
            bundle = orjson.loads((pkg / "bundle.json").read_bytes())
            found = {(i["type"], i["value"]) for i in bundle["subject"]["identifiers"]}
            assert {v for t, v in found if t == "account_id"} == {p["account_id"]}
            assert {v for t, v in found if t == "contact_id"} == {p["contact_id"]}
            assert {v for t, v in found if t == "email"} == {email}  # the request's identifier as given
            assert {v for t, v in found if t == "device_id"} <= set(p["devices"])
            shared = p["ask_device"] and any(p["devices"][0] in q["devices"] for q in persons if q is not p)
            assert any("shared with other people" in w for w in bundle["warnings"]) == shared
            records = package_records(pkg)
            assert {c for c, _ in records} >= {"account", "company_contact", "devices", "support_emails",
                                                "access_logs"}
            for category, rec in records:
                for f in ("account_id", "contact_id"):
                    if rec.get(f) is not None:
                        assert rec[f] == p[f], (category, f)
                if isinstance(rec.get("email"), str):
                    assert rec["email"].casefold() == p["email"].casefold(), category
            text = package_text(pkg)
            for q in persons:
                if q is p:
                    continue
                assert not email_in(text, q["email"]), "another person's e-mail address in the package"
                assert q["phone"] not in text, "another person's phone number in the package"
                assert q["account_id"] not in text and q["contact_id"] not in text
            assert p["phone"] in text  # the subject's own phone is never redacted
            notice = next(e for e in bundle["categories"] if e["id"] == "support_emails").get("redactions")
            assert notice == ({"email": len(persons) - 1, "phone": len(persons) - 1} if len(persons) > 1 else None)


# ---------------------------------------------------------------------------------------------
# the demo store's confusable people
# ---------------------------------------------------------------------------------------------


def demo_ids(store: Path, email: str) -> dict[str, set[str]]:
    con = sqlite3.connect(store / "piconext.sqlite")
    acc = {r[0] for r in con.execute("SELECT account_id FROM accounts WHERE lower(email) = ?", (email,))}
    out = {"account_id": acc, "email": {email}}
    marks = ",".join("?" * len(acc))
    for table, col in (("accounts", "customer_id"), ("company_contacts", "contact_id"), ("devices", "device_id"),
                       ("cookies", "cookie_id")):
        out[col] = {r[0] for r in con.execute(f"SELECT {col} FROM {table} WHERE account_id IN ({marks})",
                                              tuple(acc)) if r[0]}
    con.close()
    return out


def test_demo_confusables_never_reach_janes_package(demo_store: Path, tmp_path: Path) -> None:
    jane = demo_ids(demo_store, demo.DEFAULT_DEMO_SUBJECT)
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu", request_id="JANE")
    pkg = export(request, demo.demo_config_path(demo_store), tmp_path, OPTS).path
    text = package_text(pkg)
    for key, email in demo.CONFUSABLES.items():
        other = demo_ids(demo_store, email)
        assert not email_in(text, email), key
        for t in ("account_id", "customer_id", "contact_id", "cookie_id"):
            for value in other.get(t, set()) - jane.get(t, set()):
                assert value not in text, (key, t)
    for category, rec in package_records(pkg):
        for f in PERSON_FIELDS:
            if rec.get(f) is not None:
                assert rec[f] in jane[f], (category, f)
    # the laptop Max also uses is Jane's device too: her own device record is there, his is not
    max_ids = demo_ids(demo_store, demo.CONFUSABLES["shared_device_and_ip"])
    shared = jane["device_id"] & max_ids["device_id"]
    assert len(shared) == 1
    devices = [r for c, r in package_records(pkg) if c == "devices" and r["device_id"] in shared]
    assert devices and {r["account_id"] for r in devices} == jane["account_id"]
    # the office IP address is Jane's too (her own access-log events), but none of Max's events
    logs = [r for c, r in package_records(pkg) if c == "access_logs"]
    assert any(r.get("ip_address") == demo.OFFICE_IP_NORDLICHT for r in logs)
    assert all(r.get("account_id") in jane["account_id"] or r.get("cookie_id") in jane["cookie_id"] for r in logs)


@pytest.fixture()
def pivot_config(demo_store: Path) -> Iterator[Callable[..., Path]]:
    """Writes variants of the demo config into the (shared, read-only) store folder; removes them after."""
    made: list[Path] = []

    def make(catalog: Path | None = None) -> Path:
        path = demo_store / f"pivot-{uuid.uuid4().hex[:8]}.toml"
        path.write_text(_pivot_text(demo_store, catalog=catalog), encoding="utf-8")
        made.append(path)
        return path

    yield make
    for path in made:
        path.unlink(missing_ok=True)


def _pivot_text(store: Path, *, catalog: Path | None = None) -> str:
    """The demo config with device ids as request identifiers and a device → account pivot read
    (instead of account → device, which together would form a cycle)."""
    text = demo.demo_config_path(store).read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[)", text)
    out = []
    for b in blocks:
        if b.startswith("[[sources.app.identities]]") and "FROM devices" in b:
            b = ('[[sources.app.identities]]\nneeds = ["device_id"]\n'
                 'query = "SELECT account_id, device_id FROM devices WHERE device_id IN :device_id ORDER BY account_id"\n'
                 'yields = { account_id = "account_id" }\n\n')
        elif b.startswith("[[sources.app.streams]]") and 'category = "devices"' in b:
            b = ('[[sources.app.streams]]\ncategory = "devices"\nneeds = ["account_id"]\n'
                 'query = """SELECT device_id, account_id, device_type, manufacturer, model, os_name, os_version, '
                 'carrier, app_version, first_seen_at, last_seen_at FROM devices WHERE account_id IN :account_id '
                 'ORDER BY first_seen_at, device_id"""\n\n')
        out.append(b)
    head = '[identity]\ngiven = ["email", "account_id", "customer_id", "contact_id", "device_id"]\n\n'
    if catalog is not None:
        out = [b.replace('\ncatalog = "catalog"\n', f'\ncatalog = "{catalog}"\n', 1) for b in out]  # instead of the demo overlay
    return head + "".join(out)


def test_identity_never_hops_through_the_shared_laptop(demo_store: Path, tmp_path: Path,
                                                      pivot_config: Callable[..., Path]) -> None:
    jane = demo_ids(demo_store, demo.DEFAULT_DEMO_SUBJECT)
    max_ids = demo_ids(demo_store, demo.CONFUSABLES["shared_device_and_ip"])
    (laptop,) = jane["device_id"] & max_ids["device_id"]
    own = min(jane["device_id"] - max_ids["device_id"])
    config = pivot_config()

    def run(*ids: str, rid: str) -> tuple[dict[str, Any], str]:
        result = export(AccessRequest.parse(ids, jurisdiction="eu", request_id=rid), config, tmp_path, OPTS)
        return orjson.loads((result.path / "bundle.json").read_bytes()), package_text(result.path)

    bundle, text = run(f"email:{demo.DEFAULT_DEMO_SUBJECT}", f"device_id:{laptop}", rid="A")
    accounts = {i["value"] for i in bundle["subject"]["identifiers"] if i["type"] == "account_id"}
    assert accounts == jane["account_id"]
    assert any("1 device_id value(s) of the subject are shared" in w for w in bundle["warnings"])
    assert not any(laptop in w for w in bundle["warnings"])  # counts only, never the value
    assert all(v not in text for v in max_ids["account_id"] | max_ids["contact_id"])

    bundle, _ = run(f"email:{demo.DEFAULT_DEMO_SUBJECT}", f"device_id:{own}", rid="B")
    assert not any("shared" in w for w in bundle["warnings"])  # her own device: followed, nothing new

    bundle, text = run(f"device_id:{laptop}", rid="C")  # only the shared laptop: whose is it? nobody's
    assert {i["type"] for i in bundle["subject"]["identifiers"]} == {"device_id"}
    assert bundle["summary"]["records"] == 0
    assert all(v not in text for v in max_ids["account_id"] | jane["account_id"])

    bundle, _ = run(f"device_id:{own}", rid="D")  # a device only Jane uses leads to Jane
    assert {i["value"] for i in bundle["subject"]["identifiers"] if i["type"] == "account_id"} == jane["account_id"]


def test_a_device_only_somebody_else_uses_is_not_followed(demo_store: Path, tmp_path: Path,
                                                          pivot_config: Callable[..., Path]) -> None:
    """The pivot rule's "no other person than the subject's known ones": a device id whose rows name
    a single person — but somebody else (Max's own phone, given with Jane's e-mail address, or named
    in one of her records) — is not followed to that person's account."""
    jane = demo_ids(demo_store, demo.DEFAULT_DEMO_SUBJECT)
    max_ids = demo_ids(demo_store, demo.CONFUSABLES["shared_device_and_ip"])
    his = sorted(max_ids["device_id"] - jane["device_id"])
    assert his, "the demo's Max has a device of his own"
    config = pivot_config()
    request = AccessRequest.parse([f"email:{demo.DEFAULT_DEMO_SUBJECT}", f"device_id:{his[0]}"], jurisdiction="eu",
                                  request_id="OTHER")
    result = export(request, config, tmp_path, OPTS)
    bundle = orjson.loads((result.path / "bundle.json").read_bytes())
    found = {(i["type"], i["value"]) for i in bundle["subject"]["identifiers"]}
    assert {v for t, v in found if t == "account_id"} == jane["account_id"]
    assert any("1 device_id value(s) of the subject are shared" in w for w in bundle["warnings"])
    text = package_text(result.path)
    assert all(v not in text for v in max_ids["account_id"] | max_ids["contact_id"] | max_ids["customer_id"])
    assert not email_in(text, demo.CONFUSABLES["shared_device_and_ip"])
    assert all(r["account_id"] in jane["account_id"] for c, r in package_records(result.path) if c == "devices")


def test_without_the_shared_flag_the_pivot_would_leak(demo_store: Path, tmp_path: Path,
                                                     pivot_config: Callable[..., Path]) -> None:
    """Control: the same request with a catalog that does not mark device_id shared pulls Max in —
    so the rule (not luck) is what keeps him out above."""
    catalog = tmp_path / "catalog.toml"
    text = (catalog_dir() / "categories.toml").read_text(encoding="utf-8")
    catalog.write_text(re.sub(r"(?m)^shared = true.*$", "", text), encoding="utf-8")
    config = pivot_config(catalog=catalog)
    jane = demo_ids(demo_store, demo.DEFAULT_DEMO_SUBJECT)
    max_ids = demo_ids(demo_store, demo.CONFUSABLES["shared_device_and_ip"])
    (laptop,) = jane["device_id"] & max_ids["device_id"]
    request = AccessRequest.parse([f"email:{demo.DEFAULT_DEMO_SUBJECT}", f"device_id:{laptop}"], jurisdiction="eu")
    result = export(request, config, tmp_path / "out", OPTS)
    bundle = orjson.loads((result.path / "bundle.json").read_bytes())
    accounts = {i["value"] for i in bundle["subject"]["identifiers"] if i["type"] == "account_id"}
    assert accounts == jane["account_id"] | max_ids["account_id"]


# ---------------------------------------------------------------------------------------------
# configuration checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reads", "message"),
    [
        ('''[[sources.app.streams]]
category = "devices"
needs = ["device_id"]
query = "SELECT * FROM devices WHERE device_id IN :device_id"''', "selects records by the shared identifier type"),
        ('''[[sources.files.streams]]
category = "access_logs"
needs = ["account_id", "device_id"]
path = "logs.jsonl"
match = { account_id = "account_id", device_id = "device_id" }''', "lists the shared identifier type 'device_id' in `match`"),
        ('''[[sources.app.identities]]
needs = ["device_id", "email"]
query = "SELECT account_id FROM devices WHERE device_id IN :device_id AND email IN :email"
yields = { account_id = "account_id" }''', "must need only that type"),
        ('''[[sources.app.identities]]
needs = ["device_id"]
query = "SELECT cookie_id FROM cookies WHERE device_id IN :device_id"
yields = { cookie_id = "cookie_id" }''', "yield a person identifier"),
    ],
)
def test_reads_that_would_select_by_a_shared_identifier_are_config_errors(tmp_path: Path, reads: str,
                                                                         message: str) -> None:
    (tmp_path / "app.sqlite").touch()
    (tmp_path / "logs.jsonl").touch()
    body = textwrap.dedent('''
        [identity]
        given = ["email", "device_id"]
        [sources.app]
        kind = "sql"
        url = "sqlite:///app.sqlite"
        [[sources.app.identities]]
        needs = ["email"]
        query = "SELECT account_id, email FROM accounts WHERE lower(email) IN :email"
        yields = { account_id = "account_id" }
        [sources.files]
        kind = "files"
        ''')
    config = tmp_path / "exporter.toml"
    if reads.startswith("[[sources.app."):  # keep the TOML tables of one source together
        text = body.replace('[sources.files]\nkind = "files"\n', "") + reads + '\n[sources.files]\nkind = "files"\n'
    else:
        text = body + reads + "\n"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        plan(load_config(config))
    assert "isolation" in (info.value.hint or "")
