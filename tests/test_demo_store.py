"""The deterministic demo store (exporter.demo) and its configuration.

The store is read here with plain sqlite3/SQLAlchemy, json, csv and pyarrow — independently of the
exporter's own source plugins — by running the configuration's identity and stream reads.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from exporter import demo
from exporter.resources import catalog_dir

HEAVY = 4000  # small heavy-log volume for the shared store (the default is tested separately)


from demo_reader import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = demo.build_demo_store(tmp_path_factory.mktemp("demo") / "store", heavy_events=HEAVY)
    return Store(root)


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    with (catalog_dir() / "categories.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    """The schemas the demo store is checked against: the shipped ones with the demo overlay merged
    (its identifier formats and value lists)."""
    from exporter.schemas import category_schema

    return {cid: dict(category_schema(cid, demo.demo_schema_file(cid))) for cid in demo.ALL_CATEGORIES}


@pytest.fixture(scope="module")
def everybody(store: Store) -> dict[str, set[str]]:
    """All identifiers reachable from every email address in the store."""
    con = sqlite3.connect(store.root / "piconext.sqlite")
    emails = {r[0].casefold() for r in con.execute("SELECT email FROM accounts UNION SELECT email FROM company_contacts")}
    con.close()
    ids: dict[str, set[str]] = {"email": emails}
    for email in sorted(emails):
        for t, values in store.resolve(email=email).items():
            ids.setdefault(t, set()).update(values)
    return ids


@pytest.fixture(scope="module")
def persona_ids(store: Store) -> dict[str, dict[str, set[str]]]:
    return {key: store.resolve(email=email) for key, email in demo.DEMO_SUBJECTS.items()}


def source_row_count(store: Store, cid: str) -> int:
    """How many records the category's underlying table / file / dataset holds in total."""
    total = 0
    for read in store.streams[cid]:
        if read.kind == "sql":
            table = read.spec["query"].split(" FROM ")[1].split()[0]
            con = sqlite3.connect(store.root / "piconext.sqlite")
            total += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            con.close()
        elif read.kind == "files":
            with (store.root / read.spec["path"]).open(encoding="utf-8") as fh:
                total += sum(1 for line in fh if line.strip()) - (read.spec["path"].endswith(".csv"))
        else:
            files = sorted(str(p) for p in store.root.glob(read.spec["path"]))
            total += ds.dataset(files, format="parquet").count_rows()
    return total


# ------------------------------------------------------------------------------------------------
# layout and config


def test_layout(store: Store) -> None:
    root = store.root
    for name in ["piconext.sqlite", "exporter.toml", "support_emails.jsonl", "support_chats.jsonl",
                 "tracking_pixels.jsonl", "content_downloads.jsonl", "marketing_subscriptions.csv",
                 "opt_out_preferences.csv", "event_registrations.csv"]:  # fmt: skip
        assert (root / name).is_file(), name
    for kind in ("access_logs", "screen_interactions"):
        months = sorted(p.name for p in (root / "logs" / kind).iterdir())
        assert months and all(m.startswith("month=20") and len(m) == len("month=2026-01") for m in months)
        assert all(list((root / "logs" / kind / m).glob("*.parquet")) for m in months)
    assert demo.demo_config_path(root) == root / "exporter.toml"


def test_config_matches_catalog(store: Store, catalog: dict[str, Any], schemas: dict[str, Any]) -> None:
    cfg = store.config
    assert cfg["export"]["inline_limit"] > 0 and cfg["export"]["pdf_rows"] > 0
    types = set(catalog["identifier_types"])
    assert set(cfg["recipients"]) <= set(catalog["recipients"])
    assert cfg["recipients"]["payment_processor"]["names"] and cfg["recipients"]["email_delivery"]["names"]
    assert {s["kind"] for s in cfg["sources"].values()} == {"sql", "files", "parquet"}
    assert sorted(store.streams) == sorted(demo.ALL_CATEGORIES)  # one stream per category
    for read in store.identities:
        assert set(read.needs) <= types and set(read.spec["yields"]) <= types
    for cid, reads in store.streams.items():
        for read in reads:
            assert set(read.needs) <= types, cid
            if read.kind == "sql":
                q = read.spec["query"]
                assert "ORDER BY" in q, cid
                assert "SELECT *" not in q, cid
                for t in read.needs:
                    assert f"IN :{t}" in q, cid
            elif read.kind == "files":
                assert set(read.spec["match"]) <= types and set(read.spec["match"]) == set(read.needs), cid
            else:
                assert read.spec["order_by"], cid
                assert set(read.spec["columns"]) == set(schemas[cid]["properties"]), cid
                assert set(read.spec["match"]) <= types, cid
    # several hops: account_id is found from email, then device/cookie/order/ledger/chat from it
    hops = {t for r in store.identities if r.needs == ["account_id"] for t in r.spec["yields"]}
    assert {"device_id", "cookie_id", "order_id", "ledger_address", "chat_id"} <= hops


def test_identity_graph_needs_several_hops(store: Store) -> None:
    ids = store.resolve(email=demo.DEFAULT_DEMO_SUBJECT.upper())  # case-insensitive
    fixed = demo.DEMO_IDENTIFIERS["typical"]
    for t in ("account_id", "customer_id", "contact_id"):
        assert ids[t] == {fixed[t]}, t
    for t in ("device_id", "cookie_id", "order_id", "ledger_address", "chat_id"):
        assert ids.get(t), t
    for key, fixed in demo.DEMO_IDENTIFIERS.items():
        got = store.resolve(email=fixed["email"])
        for t, v in fixed.items():
            if t != "email":
                assert got[t] == {v}, (key, t)
    assert "account_id" not in store.resolve(email=demo.DEMO_SUBJECTS["marketing_only"])
    assert "customer_id" not in store.resolve(email=demo.DEMO_SUBJECTS["sparse"])


# ------------------------------------------------------------------------------------------------
# every record validates


def test_every_record_validates(store: Store, everybody: dict[str, set[str]], schemas: dict[str, Any]) -> None:
    base = demo.BASE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    for cid in demo.ALL_CATEGORIES:
        schema = schemas[cid]
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        records = store.category(cid, everybody)
        assert records, cid
        # every row of the underlying table/file was reachable from some person's identifiers
        assert len(records) == source_row_count(store, cid), cid
        dt_fields = [k for k, p in schema["properties"].items() if p.get("format") == "date-time"]
        entry = next(c for c in tomllib.loads(
            (catalog_dir() / "categories.toml").read_text(encoding="utf-8"))["categories"] if c["id"] == cid)
        time_field = entry["time_field"]
        for rec in records:
            # §7024(d) fields are read on purpose and dropped by the exporter before validation
            rec = {k: v for k, v in rec.items() if k not in entry.get("withheld", [])}
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(rec)]
            assert not errors, (cid, errors[:3])
            for f in dt_fields:
                assert rec[f] is None or rec[f].endswith("Z"), (cid, f)
            assert rec[time_field] < base, (cid, "time field after the demo's 'now'")


def test_planted_card_number_never_streams(store: Store, everybody: dict[str, set[str]]) -> None:
    con = sqlite3.connect(store.root / "piconext.sqlite")
    planted = con.execute("SELECT customer_id, last4 FROM payment_cards WHERE raw_card_number IS NOT NULL").fetchall()
    con.close()
    assert planted == [(demo.DEMO_IDENTIFIERS["typical"]["customer_id"], demo.TEST_PAN[-4:])]
    # the payment_cards stream selects it only so that the catalog withholds it (dropped before
    # validation, counted, and stated as held: 11 CCR §7024(d)); no other field of any stream has it
    from exporter.law.catalog import load_catalog

    assert "raw_card_number" in load_catalog()["payment_cards"].withheld
    for cid in demo.ALL_CATEGORIES:
        recs = store.category(cid, everybody)
        text = json.dumps([{k: v for k, v in r.items() if k != "raw_card_number"} for r in recs])
        assert demo.TEST_PAN not in text, cid
        if cid != "payment_cards":
            assert not any("raw_card_number" in r for r in recs), cid
    # …but the spaced form is in one support email's free text, for the masking transform
    emails = store.category("support_emails", store.resolve(email=demo.DEFAULT_DEMO_SUBJECT))
    assert any("4242 4242 4242 4242" in e["body"] for e in emails)


# ------------------------------------------------------------------------------------------------
# personas


@pytest.mark.parametrize("persona", sorted(demo.DEMO_SUBJECTS))
def test_persona_categories(store: Store, persona_ids: dict[str, dict[str, set[str]]], persona: str) -> None:
    ids = persona_ids[persona]
    held = {cid for cid in demo.ALL_CATEGORIES if store.category(cid, ids)}
    assert held == set(demo.PERSONA_CATEGORIES[persona])


def test_typical_subject_has_every_category(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    ids = persona_ids["typical"]
    not_applicable: set[str] = set(demo.ALL_CATEGORIES) - demo.PERSONA_CATEGORIES["typical"]
    assert not not_applicable
    for cid in demo.ALL_CATEGORIES:
        assert store.category(cid, ids), cid
    assert 200 <= len(store.category("access_logs", ids)) <= 1000  # "a few hundred" log events
    chats = store.category("support_chats", ids)
    assert all({"at", "from", "text"} == set(m) for c in chats for m in c["messages"])


def test_terminated_subject(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    [acct] = store.category("account", persona_ids["terminated"])
    assert acct["status"] == "terminated" and acct["terminated_at"].startswith("2026-10-15")


def test_marketing_only_subject(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    ids = persona_ids["marketing_only"]
    assert set(ids) == {"email", "contact_id", "cookie_id"}
    regs = store.category("event_registrations", ids)
    assert any(r["badge_scanned_by"] and r["badge_scan_note"] for r in regs)


def test_california_and_uk(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    [ca] = store.category("account", persona_ids["california"])
    assert (ca["country"], ca["region"]) == ("US", "CA")
    [uk] = store.category("account", persona_ids["uk"])
    assert uk["country"] == "GB"
    opt = store.category("opt_out_preferences", persona_ids["california"])
    assert any(o["channel"] == "sale_or_sharing" for o in opt)


def test_heavy_subject(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    ids = persona_ids["heavy_logs"]
    assert len(store.category("access_logs", ids)) == HEAVY
    assert len(store.category("screen_interactions", ids)) == HEAVY // 2
    logs = store.category("access_logs", ids)
    assert [r["occurred_at"] for r in logs] == sorted(r["occurred_at"] for r in logs)


def test_isolation_from_confusable_people(store: Store, persona_ids: dict[str, dict[str, set[str]]]) -> None:
    jane = persona_ids["typical"]
    others = {k: store.resolve(email=e) for k, e in demo.CONFUSABLES.items()}
    for key, ids in others.items():
        assert ids.get("account_id", set()).isdisjoint(jane["account_id"]), key
        assert ids["contact_id"].isdisjoint(jane["contact_id"]), key
        assert ids.get("cookie_id", set()).isdisjoint(jane["cookie_id"]), key
    # Max shares Jane's laptop and office IP address …
    max_ids = others["shared_device_and_ip"]
    shared = max_ids["device_id"] & jane["device_id"]
    assert len(shared) == 1
    max_logs = store.category("access_logs", max_ids)
    assert {r["ip_address"] for r in max_logs} == {demo.OFFICE_IP_NORDLICHT}
    # … but none of his records appear in Jane's export
    mine = {"account_id": jane["account_id"], "contact_id": jane["contact_id"], "customer_id": jane["customer_id"]}
    for cid in demo.ALL_CATEGORIES:
        for rec in store.category(cid, jane):
            for field, values in mine.items():
                if rec.get(field) is not None:
                    assert rec[field] in values, (cid, field)
    devices = store.category("devices", jane)
    assert [d["account_id"] for d in devices if d["device_id"] in shared] == sorted(jane["account_id"])
    jane_event_ids = {r["event_id"] for r in store.category("access_logs", jane)}
    assert jane_event_ids.isdisjoint(r["event_id"] for r in max_logs)


def test_non_ascii_and_free_text_mentions(store: Store, everybody: dict[str, set[str]]) -> None:
    names = {r["display_name"] for r in store.category("account", everybody)}
    assert {"Zoë Łukasiewicz", "Иван Петров"} <= names
    contacts = {r["full_name"] for r in store.category("company_contact", everybody)}
    assert "Ελένη Παπαδοπούλου" in contacts and "芳 王" in contacts
    jane = store.resolve(email=demo.DEFAULT_DEMO_SUBJECT)
    text = json.dumps(store.category("support_emails", jane) + store.category("content_posts", jane), ensure_ascii=False)
    assert "john.doe@nordlicht-gmbh.example" in text  # another customer's email in free text


# ------------------------------------------------------------------------------------------------
# determinism and rebuilding


def snapshot(root: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".sqlite":
            con = sqlite3.connect(path)
            out[rel] = list(con.iterdump())
            con.close()
        elif path.suffix == ".parquet":
            out[rel] = pq.read_table(path).to_pylist()
        else:
            out[rel] = path.read_bytes()
    return out


def test_deterministic(tmp_path: Path) -> None:
    a = demo.build_demo_store(tmp_path / "a")
    b = demo.build_demo_store(tmp_path / "b")
    snap_a, snap_b = snapshot(a), snapshot(b)
    assert sorted(snap_a) == sorted(snap_b)
    for rel in snap_a:
        assert snap_a[rel] == snap_b[rel], rel
    heavy = Store(a).category("access_logs", Store(a).resolve(email=demo.DEMO_SUBJECTS["heavy_logs"]))
    assert len(heavy) == demo.DEFAULT_HEAVY_EVENTS
    c = demo.build_demo_store(tmp_path / "c", seed=7, heavy_events=10)
    assert snapshot(c)["support_emails.jsonl"] != snap_a["support_emails.jsonl"]


def test_rebuild_and_refuse_foreign_folder(tmp_path: Path) -> None:
    dest = tmp_path / "store"
    demo.build_demo_store(dest, heavy_events=0)
    (dest / "stale.txt").write_text("x")
    demo.build_demo_store(dest, heavy_events=0)  # rebuilt from scratch
    assert not (dest / "stale.txt").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "important.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        demo.build_demo_store(foreign)
    assert (foreign / "important.txt").read_text() == "keep me"


def test_heavy_screens_set_separately(tmp_path: Path) -> None:
    """The benchmark's heavy subject: N access-log events and M page views, M not tied to N."""
    root = demo.build_demo_store(tmp_path / "s", heavy_events=30, heavy_screens=75)
    store = Store(root)
    ids = store.resolve(email=demo.DEMO_SUBJECTS["heavy_logs"])
    assert len(store.category("access_logs", ids)) == 30
    assert len(store.category("screen_interactions", ids)) == 75
    with pytest.raises(ValueError):
        demo.build_demo_store(tmp_path / "t", heavy_events=1, heavy_screens=-1)
