"""A categories-only answer holds no specific piece of personal information in any byte (issue 18
part 3; 11 CCR §7024(a) and §7062: a request verified to a reasonable degree gets the categories
only).

Every value of the consumer's own records (names, identifiers, e-mail addresses, phone numbers,
IP addresses, free text, timestamps, also as the report writes dates) is looked for in every file of
the package, the PDF's text included. Values that also appear in another consumer's
categories-only package are not specific to this one (enum values, plan names, the catalog's
words) and are left out of the scan; the scan is shown to reach the name, the e-mail address, the
account number and the last log-in, so it can fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from demo_reader import Store
from pypdf import PdfReader

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.packaging.package import verify

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
# the demo Californian has a disclosure treated as a sale after his GPC opt-out (a blocking finding)
OPTS = ExportOptions(now=NOW, pdf=True, html=True, acknowledge=frozenset({"sale_after_opt_out"}))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _forms(value: str) -> set[str]:
    """The value and the ways the report writes it (dates as 28 Oct 2026 / 2026-10-28)."""
    out = {value}
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return out
    out |= {when.date().isoformat(), f"{when.day} {when:%b %Y}", f"{when:%H:%M}" if ":" in value else ""}
    return {f for f in out if len(f) > 5}


def _package_text(pkg: Path) -> str:
    parts = []
    for path in sorted(pkg.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.decode("utf-8", errors="ignore"))
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            parts += [page.extract_text() or "" for page in reader.pages]
            parts += [str(v) for v in (reader.metadata or {}).values()]
    return "\n".join(parts)


def _categories_only(store: Path, email: str, out: Path) -> Path:
    request = AccessRequest.parse([f"email:{email}"], jurisdiction="ca", verification="reasonable",
                                  request_id=f"CAT-{email.split('@')[0]}")
    result = export(request, demo.demo_config_path(store), out, OPTS)
    assert verify(result.path) == []
    return result.path


@pytest.fixture(scope="module")
def packages(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("categories-only")
    return (_categories_only(demo_store, demo.DEMO_SUBJECTS["california"], out),
            _categories_only(demo_store, demo.DEFAULT_DEMO_SUBJECT, out))


def test_no_specific_piece_in_any_byte(demo_store: Path, packages: tuple[Path, Path]) -> None:
    pkg, other_pkg = packages
    store = Store(demo_store)
    ids = store.resolve(email=demo.DEMO_SUBJECTS["california"])
    values: set[str] = {v for vs in ids.values() for v in vs}
    for cid in demo.ALL_CATEGORIES:
        for rec in store.category(cid, ids):
            values.update(s.strip() for s in _strings(rec) if len(s.strip()) > 5)
    values = {f for v in values for f in _forms(v)}
    baseline = _package_text(other_pkg)
    specific = {v for v in values if v not in baseline}
    account = store.category("account", ids)[0]
    for must in (account["display_name"], account["email"], account["account_id"], account["last_login_at"],
                 demo.DEMO_SUBJECTS["california"]):
        assert must in specific, must  # the scan reaches what a leak would be
    text = _package_text(pkg)
    leaked = sorted(v for v in specific if v in text)
    assert leaked == []
    assert "Carlos" not in text and "Rivera" not in text


def test_categories_only_bundle_says_what_it_is(packages: tuple[Path, Path]) -> None:
    pkg, _ = packages
    bundle = orjson.loads((pkg / "bundle.json").read_bytes())
    assert bundle["summary"]["specific_pieces"] is False
    assert bundle["subject"] == {"display_name": None, "identifiers": []}
    assert bundle["request"]["identifiers_given"] == [] and bundle["request"]["identifier_types_given"] == ["email"]
    assert bundle["facts"] == {}
    held = [c for c in bundle["categories"] if c["count"]]
    assert held and all(c["first"] is None and c["last"] is None and c["top_values"] == {} for c in held)
    assert all(c["records"] is None and c["files"] == {} for c in bundle["categories"])
    assert not (pkg / "data").exists()
    html = (pkg / "index.html").read_text(encoding="utf-8")
    assert "<code>data/</code>" not in html and "It holds no records" in html
