"""Exact identity: look-alike people never receive each other's data (GDPR Art. 4(12), Art. 15).

Each person of tests/lookalikes.py is exported through SQL (SQLite and the real PostgreSQL the
tests start), CSV files, Parquet and a real HTTP API on 127.0.0.1 that matches sloppily. Every
byte of each package is scanned for every other person's markers, and each person's own records
must all be there. The rule itself (exporter.identifiers) is checked on an explicit table of
confusables and by property tests.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from exporter import AccessRequest, ExportOptions, export
from exporter.config import load_config
from exporter.identifiers import RULES, ascii_lower, nfc_keep_singletons

from lookalikes import DISTINCT, SAME, Person, people, sloppy_contacts, write_store

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
OPTS = ExportOptions(now=NOW, pdf=False, html=False)
EMAIL = RULES["email"]


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def package_bytes(pkg: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8") for p in sorted(pkg.rglob("*")) if p.is_file())


def check_everyone(config: Path, persons: list[Person], out: Path, env: dict[str, str] | None = None,
                   http: bool = True) -> dict[str, tuple[str, ...]]:
    """Export every person; assert 0 foreign markers and all own records. Returns review notes."""
    cfg = load_config(config)
    reviews = {}
    for p in persons:
        request = AccessRequest.parse([f"email:{p.request}"], jurisdiction="eu", request_id=f"LA-{p.n:04d}")
        result = export(request, cfg, out, OPTS.replace(env=env or {}))
        text = package_bytes(result.path)
        for q in persons:
            if q.n != p.n:
                for marker in q.markers:
                    assert marker not in text, f"{q.label}'s {marker} in {p.label}'s package"
        for marker in p.markers:
            assert marker in text, f"{p.label}: own {marker} missing"
        counts = result.counts
        assert counts["account"] == 1, p.label
        assert counts["marketing_subscriptions"] == 1, p.label
        assert counts["access_logs"] == 2, p.label
        if http:
            assert counts["company_contact"] == 1, p.label
        bundle = orjson.loads((result.path / "bundle.json").read_bytes())
        asked = [i for i in bundle["subject"]["identifiers"] if i["found_by"] == "request"]
        # kept as given (the identifier type's title is the catalog's, for the report)
        assert [{k: i[k] for k in ("type", "value", "found_by")} for i in asked] == [
            {"type": "email", "value": p.request, "found_by": "request"}]
        reviews[p.label] = result.review
        assert all(p.request not in r for r in result.review)  # counts only, never a value
    return reviews


def _near_reported(reviews: dict[str, tuple[str, ...]], label: str) -> bool:
    return any("possible same person" in r for r in reviews[label])


def test_lookalikes_sqlite_files_parquet_http(tmp_path: Path, httpserver: HTTPServer) -> None:
    persons = people()
    httpserver.expect_request("/contacts").respond_with_handler(sloppy_contacts(persons))
    config = write_store(tmp_path / "store", persons, http_url=httpserver.url_for("/").rstrip("/"))
    reviews = check_everyone(config, persons, tmp_path / "out")
    # the person whose address folds onto another's is told nothing; the operator is told to review
    for label in ("sharp_s", "ligature_ffi", "kelvin_sign", "long_s", "elise_upper", "dotless_i", "cyrillic_a"):
        assert _near_reported(reviews, label), label
    assert not _near_reported(reviews, "nfc_nfd")


@pytest.mark.postgres
def test_lookalikes_postgres(tmp_path: Path, postgres_url: str) -> None:
    persons = people()
    config = write_store(tmp_path / "store", persons, sql_url=postgres_url)
    check_everyone(config, persons, tmp_path / "out", env={"LOOKALIKE_DB_URL": postgres_url}, http=False)


# -- the rule itself -------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    (p, q) for i, (_, p) in enumerate(DISTINCT) for (_, q) in DISTINCT[i + 1:]])
def test_distinct_table_entries_never_share_a_key(a: str, b: str) -> None:
    assert EMAIL.key(a) != EMAIL.key(b)


@pytest.mark.parametrize(("label", "sql", "files", "asked"), SAME)
def test_same_person_spellings_share_a_key(label: str, sql: str, files: str, asked: str) -> None:
    assert EMAIL.key(sql) == EMAIL.key(files) == EMAIL.key(asked), label


def test_email_rule_examples() -> None:
    assert EMAIL.key("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert EMAIL.key("jane.doß@x.example") != EMAIL.key("jane.doss@x.example")
    assert EMAIL.key("x@münchen.example") == "x@xn--mnchen-3ya.example"
    assert EMAIL.key("\u212aate@x.example").startswith("\u212a")  # no singleton folding to K
    # every probe of a key maps back to a key of somebody who may be a look-alike, never a value
    # the database cannot produce: the key itself is among them
    assert EMAIL.key("jane@x.example") in EMAIL.probes(EMAIL.key("jane@x.example"))


LOCAL_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
                              + ["ß", "ﬃ", "ﬁ", "\u212a", "ſ", "ı", "İ", "é", "É", "e\u0301", "ｊ", "\u200d",
                                 "\u0430", "\u03bf", "\u2126", "ü", "Ü"])
LOCALS = st.lists(LOCAL_CHARS, min_size=1, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(LOCALS, st.sampled_from(["example.com", "Example.COM", "münchen.example", "xn--mnchen-3ya.example"]))
def test_key_is_idempotent_and_ignores_ascii_case_only(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    key = EMAIL.key(address)
    assert EMAIL.key(key) == key
    # flip ASCII case in the NFC form (in e + U+0301 the e is part of é, not an ASCII letter)
    flipped = "".join(c.swapcase() if c.isascii() else c for c in nfc_keep_singletons(local))
    assert EMAIL.key(f"{flipped}@{domain.upper() if domain.isascii() else domain}") == key


@settings(max_examples=400, deadline=None)
@given(LOCALS, st.data())
def test_key_never_merges_a_non_ascii_change(local: str, data: st.DataObject) -> None:
    """Replacing one non-ASCII character by its case-folded, compatibility or look-alike form
    always gives another key (the merge that gave jane.doß@ jane.doss@'s package)."""
    chars = [c for c in unicodedata.normalize("NFC", local) if not c.isascii()]
    if not chars:
        return
    c = data.draw(st.sampled_from(chars))
    for alt in {c.casefold(), unicodedata.normalize("NFKC", c), c.lower(), c.upper()} - {c}:
        other = unicodedata.normalize("NFC", local).replace(c, alt, 1)
        if ascii_lower(unicodedata.normalize("NFC", other)) == ascii_lower(unicodedata.normalize("NFC", local)):
            continue  # the change was an ASCII case change only (c.lower() of ASCII-only text)
        if unicodedata.normalize("NFC", alt) == c:
            continue  # canonically the same character
        assert EMAIL.key(f"{local}@x.example") != EMAIL.key(f"{other}@x.example"), (c, alt)


def test_the_catalog_rule_reaches_files_and_sql_the_same_way(tmp_path: Path) -> None:
    """The same identifier selects the same person in every source kind (no HTTP here)."""
    persons = people()
    config = write_store(tmp_path / "store", persons)
    text = config.read_text(encoding="utf-8")
    assert "lower(email) IN :email" in text
    check_everyone(config, [p for p in persons if p.label in ("sharp_s", "ascii", "a_label", "nfc_nfd")],
                   tmp_path / "out", http=False)
