"""report.pdf: structure, fonts, PDF/A, determinism and the locked URL fetcher.

The render context is synthetic (built here, no pipeline): a subject with a name in six scripts,
a small category, a 5,000-record category given as 100 samples + aggregates (shown as a compact
table of the catalog's ``pdf_columns``), a wide category shown as definition lists, a none_held and
an incomplete category, a jurisdiction block with notices and a CCPA table, plus a categories-only
(California, reasonable verification) variant. The last tests render the demo store's typical
subject through the whole pipeline and the shipped catalog.
"""

from __future__ import annotations

import http.server
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from exporter.render import render_pdf
from exporter.render.view import build_view
from exporter.render.view.limits import FULL_DETAIL_ROWS, LISTING_MIN_ROWS, LISTING_WIDTH
from exporter.render.view.listing import _listing
from exporter.render.fetcher import ASSET_BASE, AssetFetcher, AssetRefused
from exporter.render.pdf import BASE_FAMILY, MONO_FAMILY, SCRIPT_FAMILIES, font_families

# --------------------------------------------------------------------------------------------
# Synthetic render context
# --------------------------------------------------------------------------------------------

NAMES = {
    "latin": "Zoë Ångström-Núñez",
    "greek": "Ελένη Παπαδοπούλου",
    "cyrillic": "Анна Кузнецова",
    "cjk": "山田太郎 김민준 李小龙",
    "arabic": "فاطمة الزهراء",
    "hebrew": "דוד כהן",
}
DISPLAY_NAME = f"{NAMES['latin']} ({NAMES['greek']})"
EVIL = '<script>alert(1)</script><img src="http://127.0.0.1:{port}/img"> <link rel=stylesheet href="http://127.0.0.1:{port}/css">'
EVIL_CSS = '<div style="background: url(file:///etc/passwd)">x</div><style>@import url(http://127.0.0.1:{port}/imp);</style>'

CATEGORY_TITLES = {
    "account": "Account and identity",
    "orders": "Orders and invoices",
    "support": "Support conversations",
    "marketing": "Marketing preferences",
    "web3": "Web3 ledger postings",
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "account": {
        "type": "object",
        "properties": {
            "account_id": {
                "title": "Account number",
                "description": "Your PicoNext account number.",
                "type": "string",
            },
            "name": {"title": "Name", "description": "Your name as you gave it.", "type": "string"},
            "email": {"title": "Email address", "type": "string"},
            "status": {
                "title": "Account status",
                "description": "Whether the account can be used.",
                "enum": ["active", "closed"],
                "x-enum-titles": {"active": "Open and usable", "closed": "Closed"},
            },
            "created_at": {"title": "Created", "type": "string", "format": "date-time"},
            "last_login_at": {"title": "Last log-in", "type": "string", "format": "date-time"},
            "address": {
                "title": "Postal address",
                "type": "object",
                "properties": {
                    "street": {"title": "Street", "type": "string"},
                    "city": {"title": "City", "type": "string"},
                    "country": {"title": "Country", "type": "string"},
                },
            },
            "names_other_scripts": {"title": "Other spellings", "type": "array", "items": {"type": "string"}},
            "notes": {"title": "Notes", "type": ["string", "null"]},
        },
    },
    "orders": {
        "type": "object",
        "properties": {
            "order_id": {
                "title": "Order number",
                "description": "Reference printed on your invoice.",
                "type": "string",
            },
            "ordered_at": {
                "title": "Ordered",
                "description": "When you placed the order.",
                "type": "string",
                "format": "date-time",
            },
            "status": {
                "title": "Status",
                "description": "Where the order stands.",
                "enum": ["paid", "refunded", "pending"],
                "x-enum-titles": {
                    "paid": "Payment received",
                    "refunded": "Money returned to you",
                    "pending": "Awaiting payment",
                },
            },
            "total": {"title": "Total (USD)", "type": "number"},
            "items": {
                "title": "Items",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"title": "Product code", "type": "string"},
                        "qty": {"title": "Quantity", "type": "integer"},
                    },
                },
            },
        },
    },
    "support": {
        "type": "object",
        "properties": {
            "chat_id": {"title": "Chat number", "type": "string"},
            "started_at": {"title": "Started", "type": "string", "format": "date-time"},
            "ended_at": {"title": "Ended", "type": "string", "format": "date-time"},
            "channel": {
                "title": "Channel",
                "enum": ["chat", "email"],
                "x-enum-titles": {"chat": "Live chat on the website", "email": "Email"},
            },
            "agent": {"title": "Agent", "type": "string"},
            "topic": {"title": "Topic", "type": "string"},
            "transcript": {
                "title": "Transcript",
                "description": "What was written, by you and by us.",
                "type": "string",
            },
            "rating": {"title": "Your rating", "type": ["integer", "null"]},
        },
    },
    "marketing": {"type": "object", "properties": {"consent": {"title": "Consent", "type": "boolean"}}},
    "web3": {"type": "object", "properties": {"tx": {"title": "Transaction", "type": "string"}}},
}


#: The catalog's ``pdf_columns`` for the synthetic context (render_pdf(..., columns=COLUMNS)).
COLUMNS = {
    "orders": ["ordered_at", "order_id", "status", "total"],
    "support": ["started_at", "channel", "topic"],  # 3 records: shown in full all the same
}


def _category(cid: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": cid,
        "title": CATEGORY_TITLES[cid],
        "description": f"What the {CATEGORY_TITLES[cid].lower()} category holds, in plain words.",
        "policy_section": "§1, §4A",
        "status": "held",
        "count": 0,
        "first": None,
        "last": None,
        "top_values": {},
        "purposes": [
            {
                "id": "deliver_services",
                "title": "Deliver the Services you requested",
                "basis": "contract",
                "basis_title": "Performance of a contract with you",
                "basis_cite": "GDPR Art. 6(1)(b)",
            },
            {
                "id": "fraud",
                "title": "Prevent fraud",
                "basis": "legitimate_interests",
                "basis_title": "Our legitimate interests",
                "basis_cite": "GDPR Art. 6(1)(f)",
                "interest": "preventing fraud on customer accounts",
            },
        ],
        "ccpa_category": {
            "id": "identifiers",
            "title": "Identifiers",
            "cite": "Cal. Civ. Code §1798.140(v)(1)(A)",
        },
        "sensitive": False,
        "origins": [
            {"id": "subject", "title": "You, when you create an account, place an order or fill in a form"}
        ],
        "recipients": [
            {
                "id": "payment_processor",
                "title": "Credit-card payment processor",
                "names": ["Stripe Payments Europe, Ltd."],
                "country": "US",
            },
            {"id": "it_infrastructure", "title": "IT infrastructure providers", "names": []},
        ],
        "retention": {
            "text": "Kept while your account is active; deleted after 18 months without a log-in.",
            "policy": "§4A",
            "until": "2028-05-03",
            "explanation": "18 months after your last log-in on 3 Nov 2026.",
        },
        "schema": f"schemas/{cid}.json",
        "files": {
            "jsonl": {"path": f"data/{cid}.jsonl", "bytes": 1, "sha256": "0" * 64},
            "csv": {"path": f"data/{cid}.csv", "bytes": 1, "sha256": "0" * 64},
        },
        "provenance": [{"read": f"app/{cid}", "count": 0}],
    }
    base.update(extra)
    return base


def make_context(
    port: int = 9, *, order_count: int = 5000, categories_only: bool = False
) -> tuple[dict, dict, dict]:
    """(bundle, samples, schemas) — the render context of docs/architecture.md."""
    evil = EVIL.format(port=port)
    account = {
        "account_id": "A-1001",
        "name": DISPLAY_NAME,
        "email": "zoe@example.org",
        "status": "active",
        "created_at": "2022-03-04T09:15:00Z",
        "last_login_at": "2026-11-03T14:05:00+01:00",
        "address": {
            "street": "Λεωφόρος Αλεξάνδρας 12 / ул. Тверская 7",
            "city": "東京都千代田区",
            "country": "JP",
        },
        "names_other_scripts": list(NAMES.values()),
        "notes": evil
        + " "
        + EVIL_CSS.format(port=port)
        + " "
        + "x" * 300
        + " "
        + "Lorem ipsum dolor sit amet " * 200,
    }
    orders = [
        {
            "order_id": f"O-{i:05d}",
            "ordered_at": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "status": ("paid", "refunded", "pending")[i % 3],
            "total": round(10 + i * 0.37, 2),
            "items": [{"sku": f"SKU-{i % 17}", "qty": 1 + i % 3}, {"sku": "SKU-LONG-" + "9" * 80, "qty": 1}],
        }
        for i in range(100)
    ]
    support = [
        {
            "chat_id": f"C-{i}",
            "started_at": "2025-01-02T10:00:00Z",
            "ended_at": "2025-01-02T10:20:00Z",
            "channel": "chat",
            "agent": "Sam",
            "topic": ("مشكلة في الدفع", "בעיה בחשבון", "配送について")[i % 3],
            "transcript": (
                f"Customer: {NAMES['cjk']} {NAMES['arabic']} {NAMES['hebrew']} — "
                + evil
                + " https://example.org/"
                + "a" * 150
            ),
            "rating": None if i else 5,
        }
        for i in range(3)
    ]
    categories = [
        _category(
            "account",
            count=1,
            first="2022-03-04T09:15:00Z",
            last="2022-03-04T09:15:00Z",
            top_values={"status": [["active", 1]]},
            withheld_fields=["password_hash"],
            withheld_counts={"password_hash": 1},
        ),
        _category(
            "orders",
            count=order_count,
            first="2023-01-01T00:00:00Z",
            last="2026-10-30T18:00:00Z",
            top_values={"status": [["paid", 1667], ["refunded", 1667], ["pending", 1666]]},
        ),
        _category(
            "support",
            count=3,
            first="2025-01-02T10:00:00Z",
            last="2025-01-02T10:20:00Z",
            sensitive=True,
            pans_masked=1,
            redactions={"email": 1},
            redaction_notice="To protect other people (GDPR Art. 15(4)), 1 e-mail address in the free text of "
            "this category was replaced by a placeholder such as “[email 1]”.",
        ),
        _category("marketing", status="none_held", count=0, files={}),
        _category(
            "web3",
            status="incomplete",
            count=0,
            files={},
            incomplete_reason="The ledger indexer did not answer (timed out after 30 s).",
        ),
    ]
    samples: dict[str, list[dict]] = {"account": [account], "orders": orders, "support": support}
    if categories_only:
        reason = (
            "Your identity is verified to a reasonable degree of certainty only, which allows us to give the "
            "categories of personal information but not specific pieces (11 CCR §7024(a), §7062(b)-(c))."
        )
        for c in categories:
            c["records_withheld_reason"] = reason
        samples = {}
    notices = [
        {
            "id": "rights",
            "title": "Your rights",
            "cite": "GDPR Art. 15–22",
            "paragraphs": ["You have these rights. Write to support@piconext.com."],
            "items": [
                "Right of access (Art. 15)",
                "Right to rectification (Art. 16)",
                "Right to erasure (Art. 17)",
            ],
        },
        {
            "id": "complaint",
            "title": "How to complain",
            "cite": "GDPR Art. 77",
            "paragraphs": ["You can complain to a supervisory authority: https://cppa.ca.gov"],
            "items": [],
        },
        {
            "id": "transfers",
            "title": "Transfers outside your country",
            "cite": "GDPR Art. 15(2)",
            "paragraphs": ["We process your data in the United States under Standard Contractual Clauses."],
            "items": [],
        },
        {
            "id": "automated",
            "title": "Automated decisions",
            "cite": "GDPR Art. 22",
            "paragraphs": ["We make no decisions about you by automated means alone."],
            "items": [],
        },
    ]
    jurisdiction = {
        "id": "ca",
        "title": "California, USA",
        "law": "California Consumer Privacy Act (Cal. Civ. Code §1798.100 et seq.)",
        "notices": notices,
        "deadlines": {
            "received": "2026-11-02",
            "due": "2026-12-17",
            "extended_due": "2027-01-31",
            "confirmation_due": "2026-11-16",
            "explanation": "45 calendar days from receipt (Cal. Civ. Code §1798.130(a)(2)(A)).",
        },
        "ccpa": [
            {
                "category": "identifiers",
                "title": "Identifiers",
                "sources": ["You", "Payment processor"],
                "purposes": ["Performing services"],
                "disclosed_to": ["Credit-card payment processor"],
                "sold": False,
                "sold_to": [],
                "shared": False,
                "shared_to": [],
            },
            {
                "category": "commercial",
                "title": "Commercial information",
                "sources": ["You"],
                "purposes": ["Performing services", "Advertising"],
                "disclosed_to": ["Advertising partners"],
                "sold": False,
                "sold_to": [],
                "shared": True,
                "shared_to": ["Advertising partners"],
            },
        ],
    }
    bundle = {
        "format": "piconext-access-bundle/1",
        "request": {
            "id": "REQ-2026-0042",
            "received": "2026-11-02",
            "jurisdiction": "ca",
            "verification": "reasonable" if categories_only else "verified",
            "identifiers_given": [{"type": "email", "value": "zoe@example.org"}],
        },
        "generated_at": "2026-11-25T10:00:00Z",
        "snapshot_at": "2026-11-25T09:58:00Z",
        "controller": {
            "name": "PicoNext",
            "address": "8850 S. 700 E. #81, Sandy UT 84070, USA",
            "email": "support@piconext.com",
            "dpo_email": "support@piconext.com",
            "country": "US",
        },
        "catalog": {"version": "1"},
        "subject": {
            "display_name": DISPLAY_NAME
            + " "
            + " ".join(NAMES[k] for k in ("cyrillic", "cjk", "arabic", "hebrew")),
            "identifiers": [
                {"type": "email", "value": "zoe@example.org", "found_by": "request"},
                {"type": "account_id", "value": "A-1001", "found_by": "app/identities[0]"},
            ],
        },
        "period": {"from": "2022-01-01", "to": "2026-11-25"},
        "facts": {"last_login_at": "2026-11-03T14:05:00Z"},
        "summary": {
            "categories": 5,
            "categories_held": 4,
            "records": order_count + 4,
            "specific_pieces": not categories_only,
        },
        "categories": categories,
        "jurisdiction": jurisdiction,
        "warnings": ["Web3 ledger postings are incomplete: the indexer timed out."],
    }
    return bundle, samples, SCHEMAS


# --------------------------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_weasyprint_warnings() -> Iterator[None]:
    """Every test here fails on any WeasyPrint warning or error."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


class _Server(http.server.ThreadingHTTPServer):
    hits: list[str]


@pytest.fixture
def trap_server() -> Iterator[_Server]:
    """A real HTTP server on 127.0.0.1 that records every request it receives."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.server.hits.append(self.path)  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _write_bundle_json(path: Path, bundle: dict) -> Path:
    path.write_bytes(json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One render of the full context, shared by the read-back tests."""
    tmp = tmp_path_factory.mktemp("pdf")
    bundle, samples, schemas = make_context()
    bundle_json = _write_bundle_json(tmp / "bundle.json", bundle)
    out = tmp / "report.pdf"
    handler = _Collect()
    logging.getLogger("weasyprint").addHandler(handler)
    try:
        render_pdf(bundle, samples, schemas, out, bundle_json=bundle_json, columns=COLUMNS)
    finally:
        logging.getLogger("weasyprint").removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]
    reader = PdfReader(out)
    pages = [page.extract_text() or "" for page in reader.pages]
    return {
        "out": out,
        "bundle": bundle,
        "bundle_json": bundle_json,
        "reader": reader,
        "pages": pages,
        "samples": samples,
        "schemas": schemas,
    }


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _outline_titles(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every outline entry."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_outline_has_every_section_and_category(rendered: dict) -> None:
    outline = _outline_titles(rendered["reader"])
    titles = [t for _, t, _ in outline]
    for section in (
        "What we hold about you",
        "Contents",
        "About your request",
        "Your data, kind by kind",
        "Your rights and how to use them",
        "Deadlines",
        "Categories, sources and recipients (CCPA)",
    ):
        assert section in titles, (section, titles)
    none_held = {c["id"] for c in rendered["bundle"]["categories"] if c["status"] == "none_held"}
    assert none_held, "the fixture has a kind of data that is not held"
    for cid, title in CATEGORY_TITLES.items():
        assert title in titles
        depth = next(d for d, t, _ in outline if t == title)
        if cid in none_held:  # listed together, each still a bookmark, under one heading
            assert depth == 2, title
        else:
            assert depth == 1, "categories are nested under 'Your data'"
    assert next(d for d, t, _ in outline if t == "Kinds of data we hold none of") == 1
    for notice in rendered["bundle"]["jurisdiction"]["notices"]:
        assert notice["title"] in titles
    # Each bookmark points at the page whose text starts that section.
    for _, title, page in outline:
        assert _norm(title) in _norm(rendered["pages"][page]), title


def test_toc_page_numbers_match_section_pages(rendered: dict) -> None:
    pages = rendered["pages"]
    toc_index = next(
        i for i, t in enumerate(pages) if t.lstrip().startswith("Contents") or "\nContents\n" in t
    )
    entries = {}
    for line in pages[toc_index].splitlines():
        m = re.match(r"^(.*?)[\s.]*?(\d+)$", line.strip())
        if m and not line.startswith("Request "):  # not the running footer
            entries[_norm(m.group(1).rstrip(". "))] = int(m.group(2))
    none_held = {c["id"] for c in rendered["bundle"]["categories"] if c["status"] == "none_held"}
    held = [title for cid, title in CATEGORY_TITLES.items() if cid not in none_held]
    expected = ["What we hold about you", "About your request", *held, "Kinds of data we hold none of", "Deadlines"]
    outline = {t: p for _, t, p in _outline_titles(rendered["reader"])}
    for title in expected:
        assert title in entries, (title, entries)
        page_number = entries[title]
        assert _norm(title) in _norm(pages[page_number - 1]), (title, page_number)
        assert outline[title] == page_number - 1, (title, outline[title], page_number)


def test_text_names_titles_and_scripts(rendered: dict) -> None:
    text = _norm(" ".join(rendered["pages"]))
    for title in CATEGORY_TITLES.values():
        assert title in text
    for script, name in NAMES.items():
        if script in ("arabic", "hebrew"):
            # Right-to-left runs come back in visual or logical order depending on the extractor.
            assert name in text or name[::-1] in text or all(w in text for w in name.split()), script
        else:
            assert name in text, script
    assert "Page 1 of" not in rendered["pages"][0], "no footer on the cover"
    assert re.search(r"Page 2 of \d+", rendered["pages"][1])
    # Coded values are explained, dates are readable with their zone, subject markup is plain text.
    assert "Payment received" in text and "Open and usable" in text
    assert "4 Mar 2022, 09:15 UTC" in text
    assert "3 Nov 2026, 14:05 UTC+01:00" in text
    assert "<script>alert(1)</script>" in text
    # Large category: samples + aggregates + pointer to the full files.
    assert "first 100 of 5,000 records" in text
    assert "data/orders.jsonl" in text and "data/orders.csv" in text
    assert "1,667" in text
    assert "none held" in text.lower()
    assert "ledger indexer did not answer" in text
    assert "Until 3 May 2028" in text
    assert "(GDPR Art. 15(4)), 1 e-mail address in the free text of this category was replaced" in text


def test_compact_table_for_a_large_category(rendered: dict) -> None:
    """More than FULL_DETAIL_ROWS records and pdf_columns: a table of those columns only, a legend
    for its codes, and a pointer to the data files with the fields it leaves out."""
    text = _norm(" ".join(rendered["pages"]))
    start = text.index("Orders and invoices", text.index("For each kind of data"))
    orders = text[start : text.index("Support conversations", start)]
    for title in ("Ordered", "Order number", "Status", "Total (USD)"):
        assert title in orders, title
    assert "O-00001" in orders and "2 Feb 2023, 01:01 UTC" in orders  # records, dates readable
    assert "Product code" not in orders and "SKU-LONG" not in orders  # "items" is not a pdf_column
    # 100 shown rows (> LISTING_MIN_ROWS): a listing, one fixed-width line per record.
    # coded values by their titles, in the listing itself (no codes, so no legend of codes)
    assert "Payment received" in orders and "Money returned to you" in orders
    assert "Codes in this list" not in orders and " refunded " not in orders
    assert "with 4 of their 5 fields" in orders
    assert (
        "Full records in data/orders.jsonl (JSONL) and data/orders.csv (CSV), with the other fields too: Items."
        in orders
    )
    # Few records keep the full detail, whatever pdf_columns says.
    support = text[text.index("Support conversations", start) :]
    assert "Record 1 of 3" in support and "Transcript" in support and "Your rating" in support


def test_listing_aligns_columns_and_cuts_long_values() -> None:
    from wcwidth import wcswidth

    rows = [
        ["1 Nov 2025, 00:07:39 UTC", "/app/search", "198.51.100.140", "Firefox 132"],
        ["2 Nov 2025, 10:00 UTC", "/app/" + "x" * 200, "2001:db8::1", "王芳的浏览器"],
        ["3 Nov 2025, 11:00 UTC", "tab\there\nnewline", "", "—"],
    ]
    listing = _listing(["Time", "Page", "IP address", "Browser"], rows)
    lines = [listing["head"], *(line for block in listing["blocks"] for line in block)]
    assert len(lines) == 4 and all(wcswidth(line) <= LISTING_WIDTH for line in lines)
    assert all("\t" not in line and "\n" not in line for line in lines)

    def starts(line: str) -> list[int]:  # display column where each field starts (after 2+ spaces)
        cols, col, prev_spaces = [0], 0, 0
        for ch in line:
            if ch != " " and prev_spaces >= 2:
                cols.append(col)
            prev_spaces = prev_spaces + 1 if ch == " " else 0
            col += wcswidth(ch)
        return cols

    assert starts(lines[0]) == starts(lines[1]) == starts(lines[2])  # wide CJK counted as two columns
    assert "…" in lines[2] and "x" * 200 not in lines[2]  # cut to fit; the full value is in the data files
    assert lines[1].startswith("1 Nov 2025, 00:07:39 UTC  /app/search")


def test_large_compact_category_is_a_listing_in_the_pdf(rendered: dict) -> None:
    """> LISTING_MIN_ROWS shown rows: report.pdf sets them as aligned lines in the packaged
    fixed-width font (cheap for WeasyPrint); the text reads back one record per line."""
    lines = [line for page in rendered["pages"] for line in page.splitlines()]
    assert any(re.match(r"^2 Feb 2023, 01:01 UTC\s+O-00001\s+Money returned to you\s+10\.37$", ln.strip())
               for ln in lines), [
        ln for ln in lines if "O-00001" in ln]
    with pikepdf.open(rendered["out"]) as pdf:
        fonts = {str(f.get("/BaseFont")) for p in pdf.pages for f in (p.Resources.get("/Font") or {}).values()}
    assert any("Report-Mono" in f for f in fonts), fonts
    bundle, samples, schemas = make_context()
    view = {c["id"]: c for c in build_view(bundle, samples, schemas, columns=COLUMNS)["categories"]}
    assert len(view["orders"]["rows"]) > LISTING_MIN_ROWS and view["orders"]["listing"] is not None
    assert view["orders"]["listing"]["wrapped"] is False  # one line per record
    few = {"orders": samples["orders"][:LISTING_MIN_ROWS]}
    view = {c["id"]: c for c in build_view(bundle, few, schemas, columns=COLUMNS)["categories"]}
    # Few rows: long values wrap inside their column instead of being cut.
    assert view["orders"]["layout"] == "compact" and view["orders"]["listing"]["wrapped"] is True
    assert len(view["orders"]["listing"]["blocks"]) == LISTING_MIN_ROWS


def test_wrapped_listing_keeps_every_character_and_aligns_columns() -> None:
    from wcwidth import wcswidth

    long = "PicoNext Enterprise plan, September 2026 " + "renewal " * 30
    rows = [
        ["1 May 2026, 06:00 UTC", "PN-2026-000013", long.strip(), "1105.77"],
        ["1 Jun 2026, 06:00 UTC", "PN-2026-000014", "王芳的订单 " * 12, "9.5"],
    ]
    listing = _listing(["Issued", "Invoice number", "Description", "Total"], rows, wrap=True)
    assert listing["wrapped"] is True and len(listing["blocks"]) == 2
    for block, row in zip(listing["blocks"], rows, strict=True):
        assert len(block) > 1  # the description wrapped
        assert all(wcswidth(line) <= LISTING_WIDTH for line in block)
        # nothing is cut: the words of every cell read back in order
        assert " ".join(" ".join(block).split()).count("renewal") == row[2].count("renewal")
        assert "…" not in " ".join(block)
        assert block[0].startswith(row[0]) and row[1] in block[0]  # ids and dates are not broken
    first = listing["blocks"][0]
    col = first[0].index("PicoNext")
    assert all(line[col:].startswith("renewal") or not line[col:].strip() for line in first[1:])
    assert listing["head"].startswith("Issued") and "Invoice number" in listing["head"]


def test_card_rows_pair_short_fields_and_wrap_long_ones() -> None:
    from wcwidth import wcswidth

    from exporter.render.view.formats import Line
    from exporter.render.view.limits import CARD_TITLE_WIDTH
    from exporter.render.view.listing import _card_rows

    card = [
        [("Account number", [Line("", "ACC-000105", "")]), ("Customer number", [Line("", "CUS-000105", "")])],
        [("Plan", [Line("", "enterprise", "Enterprise plan")])],
        [("A very long field title that must wrap", [Line("", "word " * 60, "")])],
        [("Address", [Line("Street", "1 Main St", ""), Line("City", "東京", "")])],
        [("Display name", [Line("", "Zoë Łukasiewicz", "")])],
    ]
    rows = _card_rows(card)
    lines = [line for row in rows for line in row.split("\n")]
    assert all(wcswidth(line) <= LISTING_WIDTH for line in lines)
    assert rows[0].startswith("Account number") and "ACC-000105" in rows[0] and "CUS-000105" in rows[0]
    assert "\n" not in rows[0]  # two short fields on one line
    # "Plan" and "Display name" are short but not adjacent to another short one here: own rows
    assert "enterprise (Enterprise plan)" in " ".join(rows)
    long_row = next(r for r in rows if r.startswith("A very long"))
    value_col = long_row.split("\n")[0].index("word")
    assert value_col <= CARD_TITLE_WIDTH + 2
    assert sum(r.count("word") for r in long_row.split("\n")) == 60  # wrapped, not cut
    assert "must wrap" in long_row  # the title wraps in its column
    assert "Street: 1 Main St" in " ".join(rows) and "City: 東京 " in " ".join(rows) + " "


def test_ccpa_terms_shown_only_under_the_ccpa(tmp_path: Path) -> None:
    """A category's CCPA category and its "sensitive personal information" flag are California
    terms: shown when the bundle's rules are the CCPA's (a ``ccpa`` block), left out for EU/UK."""
    from exporter.render.html import render_html

    bundle, samples, schemas = make_context()
    bundle["categories"][0]["sensitive"] = True
    eu = {**bundle, "jurisdiction": {k: v for k, v in bundle["jurisdiction"].items() if k != "ccpa"}}
    views = {name: {c["id"]: c for c in build_view(b, samples, schemas)["categories"]}
             for name, b in (("ca", bundle), ("eu", eu))}
    first = bundle["categories"][0]["id"]
    assert views["ca"][first]["ccpa_category"] == {"title": "Identifiers", "cite": "Cal. Civ. Code §1798.140(v)(1)(A)"}
    assert views["ca"][first]["sensitive"] is True
    assert all(c["ccpa_category"] is None and c["sensitive"] is False for c in views["eu"].values())
    for name, b in (("ca", bundle), ("eu", eu)):
        render_html(b, samples, schemas, tmp_path / f"{name}.html")
    ca_html, eu_html = ((tmp_path / f"{n}.html").read_text() for n in ("ca", "eu"))
    assert "CCPA category:" in ca_html and "Sensitive personal information." in ca_html
    assert "CCPA category" not in eu_html and "1798.140" not in eu_html


def test_render_leaves_no_font_files_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint writes the @font-face fonts of each render to a temporary folder; the renderer
    removes it when the PDF is written, not whenever the garbage collector gets to it."""
    import tempfile

    from exporter.render import pdf as pdf_module

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    folders: list[Path] = []
    remove = pdf_module._remove_font_files

    def watch(font_config: Any) -> None:
        folders.append(Path(font_config._folder))
        remove(font_config)

    monkeypatch.setattr(pdf_module, "_remove_font_files", watch)
    bundle, samples, schemas = make_context()
    pdf_module.render_pdf_bytes(bundle, samples, schemas, columns=COLUMNS)
    assert len(folders) == 1 and folders[0].parent == temp  # WeasyPrint did write its fonts there
    assert list(temp.iterdir()) == []


def test_font_folders_of_killed_renders_are_removed(tmp_path: Path) -> None:
    """A render killed outright (SIGKILL) leaves its font folder in the temp directory; the next
    clean-up removes it — but not a folder whose render still runs, nor one of another WeasyPrint
    user, nor one just created."""
    import signal
    import subprocess
    import sys

    from exporter.folderlock import lock as _lock
    from exporter.render.pdf import FONT_FOLDER_PREFIX, remove_stale_font_folders

    temp = tmp_path / "tmp"
    temp.mkdir()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_render_pdf import make_context, COLUMNS;"
        "from exporter.render.pdf import render_pdf_bytes;"
        "b, s, sc = make_context()\n"
        "while True: render_pdf_bytes(b, s, sc, columns=COLUMNS)"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(Path(__file__).parent)],
                             env={**os.environ, "TMPDIR": str(temp)})
    try:
        deadline = time.monotonic() + 300
        while not list(temp.glob(FONT_FOLDER_PREFIX + "*")):  # wait until it renders, then kill it
            assert child.poll() is None and time.monotonic() < deadline, "the render did not start"
            time.sleep(0.05)
        while not any(f.iterdir() for f in temp.glob(FONT_FOLDER_PREFIX + "*")):  # fonts written
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    killed = list(temp.glob(FONT_FOLDER_PREFIX + "*"))
    assert killed and any(f.iterdir() for f in killed)  # what the killed run left behind
    live = temp / (FONT_FOLDER_PREFIX + "live")
    other = temp / "weasyprint-someone-else"
    for folder in (live, other):
        folder.mkdir()
    old = time.time() - 3600
    for folder in (*killed, live, other):
        os.utime(folder, (old, old))
    fresh = temp / (FONT_FOLDER_PREFIX + "fresh")
    fresh.mkdir()  # created a moment ago: its render may not have locked it yet
    held = _lock(live)
    try:
        assert remove_stale_font_folders(temp) == len(killed)
    finally:
        os.close(held)
    assert sorted(p.name for p in temp.iterdir()) == sorted([live.name, other.name, fresh.name])
    assert remove_stale_font_folders(temp) == 1  # the live one, now that its lock is free
    assert sorted(p.name for p in temp.iterdir()) == sorted([other.name, fresh.name])


def test_view_layouts_follow_pdf_columns() -> None:
    bundle, samples, schemas = make_context()
    plain = {c["id"]: c for c in build_view(bundle, samples, schemas)["categories"]}
    assert plain["orders"]["layout"] == "table"  # no pdf_columns: every field (5 ≤ 6 columns)
    assert [c["key"] for c in plain["orders"]["columns"]] == list(SCHEMAS["orders"]["properties"])
    assert plain["account"]["layout"] == "list"
    view = {c["id"]: c for c in build_view(bundle, samples, schemas, columns=COLUMNS)["categories"]}
    orders = view["orders"]
    assert orders["layout"] == "compact"
    assert [c["key"] for c in orders["columns"]] == COLUMNS["orders"]
    assert orders["other_fields"] == ["Items"]
    # a coded value by its title (x-enum-titles), not its code: no legend of codes needed
    assert orders["rows"][1] == ["2 Feb 2023, 01:01 UTC", "O-00001", "Money returned to you", "10.37"]
    assert all(len(row) == 4 and all(isinstance(cell, str) for cell in row) for row in orders["rows"])
    assert "legend" not in orders
    assert sum(c["width"].endswith("%") for c in orders["columns"]) == 4
    assert len(samples["support"]) <= FULL_DETAIL_ROWS and view["support"]["layout"] == "list"
    # Unknown or repeated names are dropped; at most six columns; long text is shortened.
    samples = dict(samples)
    samples["orders"] = [dict(r, status="x" * 500) for r in samples["orders"]]
    cols = {"orders": ["nope", "status", "status", "order_id", "total", "ordered_at", "items", "a", "b"]}
    orders = next(
        c for c in build_view(bundle, samples, schemas, columns=cols)["categories"] if c["id"] == "orders"
    )
    assert [c["key"] for c in orders["columns"]] == ["status", "order_id", "total", "ordered_at", "items"]
    assert orders["rows"][0][0].endswith("[shortened; the full value is in the data file]")
    assert len(orders["rows"][0][0]) < 220
    assert orders["rows"][0][4].startswith(
        "1. Product code: SKU-0; Quantity: 1; 2. Product code: SKU-LONG-99"
    )


def test_font_families_follow_the_text() -> None:
    assert font_families("Zoë Ångström, Ελένη, Анна — “quoted” 5 €") == {BASE_FAMILY}
    assert font_families("فاطمة") == {BASE_FAMILY, "Report Arabic"}
    assert font_families("דוד") == {BASE_FAMILY, "Report Hebrew"}
    assert font_families("山田 김민준 カタカナ") == {BASE_FAMILY, "Report CJK"}
    assert font_families('<div class="listing"><p>x</p></div>') == {BASE_FAMILY, MONO_FAMILY}


def test_script_families_cover_every_glyph_noto_sans_lacks() -> None:
    """A script font is loaded only when the text has a character in its ranges: every character
    the font has and Noto Sans lacks must lie in them, or it would fall back to a system font."""
    from fontTools.ttLib import TTFont

    from exporter.resources import templates_dir

    def cmap(name: str) -> set[int]:
        data = AssetFetcher().fetch(ASSET_BASE + "fonts/" + name).read()
        return set(TTFont(io.BytesIO(data)).getBestCmap())

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    faces = re.findall(r'font-family: "([^"]+)";[^}]*?url\("piconext-asset:/fonts/([^"]+)"\)', css)
    assert {family for family, _ in faces} == {BASE_FAMILY, MONO_FAMILY, *SCRIPT_FAMILIES}
    base = set().union(*(cmap(f) for family, f in faces if family == BASE_FAMILY))
    # The fixed-width family only sets listings; what it lacks falls back to the families after it.
    mono = set().union(*(cmap(f) for family, f in faces if family == MONO_FAMILY))
    assert all(ord(ch) in mono for ch in "0123456789:,.-/ ÅäöüßŁłęŻ…ΕλένηАнна"), "listing text in the mono font"
    for family, font in faces:
        if family in (BASE_FAMILY, MONO_FAMILY):
            continue
        outside = sorted(
            cp for cp in cmap(font) - base if not any(lo <= cp <= hi for lo, hi in SCRIPT_FAMILIES[family])
        )
        assert not outside, (family, font, [f"U+{cp:04X}" for cp in outside[:20]])


def test_latin_only_report_does_not_load_the_cjk_font(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    bundle["subject"]["display_name"] = "Jane Doe"
    samples = {"orders": samples["orders"]}
    bundle["jurisdiction"]["notices"] = []
    out = tmp_path / "latin.pdf"
    render_pdf(bundle, samples, schemas, out, columns=COLUMNS)
    with pikepdf.open(out) as pdf:
        fonts = {
            str(font.get("/BaseFont"))
            for page in pdf.pages
            for font in (page.Resources.get("/Font") or {}).values()
        }
    assert fonts and not any("CJK" in f or "Arabic" in f or "Hebrew" in f for f in fonts), fonts


def test_embedded_bundle_json_is_byte_identical(rendered: dict) -> None:
    with pikepdf.open(rendered["out"]) as pdf:
        files = pdf.attachments
        assert "bundle.json" in files
        spec = files["bundle.json"]
        assert spec.get_file().read_bytes() == rendered["bundle_json"].read_bytes()
        assert str(spec.obj.get("/AFRelationship")) == "/Data"
        assert any(str(f.get("/F")) == "bundle.json" for f in pdf.Root.AF)


def test_pdfa_metadata_title_lang_author(rendered: dict) -> None:
    with pikepdf.open(rendered["out"]) as pdf:
        with pdf.open_metadata() as meta:
            assert meta["pdfaid:part"] == "3"
            assert meta["pdfaid:conformance"] == "B"
            assert "PicoNext" in str(meta.get("dc:creator"))
            assert "REQ-2026-0042" in str(meta.get("dc:title"))
            assert str(meta.get("xmp:CreateDate")).startswith("2026-11-25T10:00:00")
        assert str(pdf.Root.Lang) == "en"
        assert "/MarkInfo" in pdf.Root and bool(pdf.Root.MarkInfo.Marked)
        assert "/StructTreeRoot" in pdf.Root
        assert "/OutputIntents" in pdf.Root
        assert str(pdf.docinfo["/Author"]) == "PicoNext"


def test_pdf_structure_check_passes(rendered: dict) -> None:
    """``qpdf --check`` without the qpdf program: pikepdf (built on libqpdf) runs the same steps
    (cross-reference table, document structures, every stream decoded, every page's content
    parsed) and reports every warning and error."""
    with pikepdf.open(rendered["out"]) as pdf:
        problems = pdf.check_pdf_syntax()
        assert problems == [], problems
        assert len(pdf.pages) > 1 and not pdf.is_encrypted


def _to_unicode(font: pikepdf.Object) -> dict[int, str]:
    """glyph id → text, from a font's ToUnicode CMap."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return {}
    data = cmap.read_bytes().decode("latin-1")
    out: dict[int, str] = {}

    def text(hexstr: str) -> str:
        return bytes.fromhex(hexstr).decode("utf-16-be", errors="replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            out[int(src, 16)] = text(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            base = int(dst, 16)
            for i, gid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[gid] = chr(base + i)
    return out


def test_fonts_cover_cjk_arabic_hebrew_greek_cyrillic(rendered: dict) -> None:
    """Every character of the six scripts is drawn with a real glyph (not .notdef, glyph 0) of an
    embedded font, and the CJK characters with the packaged CJK font."""
    from fontTools.ttLib import TTFont

    needed = {
        "cjk": "山田太郎김민준李小龙東京都千代田区配送について",
        "arabic": "فاطمةالزهراء",
        "hebrew": "דודכהן",
        "greek": "ΕλένηΠαπαδοπούλου",
        "cyrillic": "АннаКузнецова",
        "latin": "ZoëÅngströmNúñez",
    }
    drawn: dict[str, set[str]] = {}  # character → fonts that have a glyph for it
    with pikepdf.open(rendered["out"]) as pdf:
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                base = str(font.get("/BaseFont"))
                descendant = font.DescendantFonts[0]
                desc = descendant.FontDescriptor
                stream = next((desc[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in desc), None)
                assert stream is not None, f"font {base} is not embedded"
                ttf = TTFont(io.BytesIO(stream.read_bytes())) if "/FontFile2" in desc else None
                glyph_order = ttf.getGlyphOrder() if ttf is not None else None
                for gid, chars in _to_unicode(font).items():
                    if gid == 0:
                        continue  # .notdef
                    if glyph_order is not None:
                        assert gid < len(glyph_order) and glyph_order[gid] != ".notdef"
                    for ch in chars:
                        drawn.setdefault(ch, set()).add(base)
    for script, chars in needed.items():
        missing = [ch for ch in chars if ch not in drawn]
        assert not missing, (script, missing)
    for ch in needed["cjk"]:
        assert any("CJK" in f for f in drawn[ch]), (ch, drawn[ch])
    text = " ".join(rendered["pages"])
    for ch in "山田太郎김민준":
        assert ch in text


def test_every_font_is_embedded_and_the_cjk_one_is_listed(rendered: dict) -> None:
    """What ``pdffonts`` lists, read with pikepdf: every font of every page (and of the form
    XObjects it draws) has an embedded font file, and one of them is the CJK font."""
    fonts: dict[str, bool] = {}

    def collect(resources: pikepdf.Object | None) -> None:
        if resources is None:
            return
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get("/BaseFont"))
            desc = font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font \
                else font.get("/FontDescriptor")
            embedded = desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            if str(font.get("/Subtype")) == "/Type3":
                embedded = True  # glyphs are drawn by the font's own content streams
            fonts[name] = fonts.get(name, True) and embedded
        for xobject in (resources.get("/XObject") or {}).values():
            if str(xobject.get("/Subtype")) == "/Form":
                collect(xobject.get("/Resources"))

    with pikepdf.open(rendered["out"]) as pdf:
        for page in pdf.pages:
            collect(page.obj.get("/Resources"))
    assert fonts
    assert any("CJK" in name for name in fonts), sorted(fonts)
    not_embedded = sorted(name for name, ok in fonts.items() if not ok)
    assert not not_embedded, not_embedded


def test_reduced_user_agent_stylesheet_renders_the_same_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """templates/report-ua.css (WeasyPrint's html5_ua.css cut to the report's elements) must not
    change a single byte of the report; and WeasyPrint must still ask ``_ua_stylesheets``."""
    import weasyprint

    import exporter.render.pdf as pdf_module

    assert callable(getattr(weasyprint.HTML, "_ua_stylesheets", None)), "WeasyPrint dropped the UA hook"
    bundle, samples, schemas = make_context()
    ours = pdf_module.render_pdf_bytes(bundle, samples, schemas, columns=COLUMNS)
    asked: list[bool] = []
    ours_class = pdf_module._report_html_class()
    red = weasyprint.CSS(string="p { color: red }")
    monkeypatch.setattr(ours_class, "_ua_stylesheets",
                        lambda self, forms=False: asked.append(True) or [pdf_module._ua_stylesheet(), red])
    assert pdf_module.render_pdf_bytes(bundle, samples, schemas, columns=COLUMNS) != ours  # the hook is used
    assert asked
    monkeypatch.setattr(pdf_module, "_report_html_class", lambda: weasyprint.HTML)
    assert pdf_module.render_pdf_bytes(bundle, samples, schemas, columns=COLUMNS) == ours


def test_embedded_font_subsets_keep_the_source_fonts_timestamp(rendered: dict) -> None:
    """Whichever subsetter WeasyPrint uses (HarfBuzz-Subset, or fontTools without
    libharfbuzz-subset0), an embedded subset's ``head.modified`` is its packaged font's, never the
    time of the render: fontTools used to stamp the current time, so two renders differed."""
    from fontTools.ttLib import TTFont, woff2

    import weasyprint.pdf.fonts as weasy_fonts

    assert issubclass(weasy_fonts.TTFont, TTFont), "WeasyPrint no longer loads fonts through pdf.fonts.TTFont"
    source: set[int] = set()
    for font in (Path(__file__).resolve().parent.parent / "templates" / "fonts").glob("*.woff2"):
        out = io.BytesIO()
        woff2.decompress(io.BytesIO(font.read_bytes()), out)
        source.add(TTFont(io.BytesIO(out.getvalue()))["head"].modified)
    seen: set[int] = set()
    with pikepdf.open(rendered["out"]) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Length1") is not None:  # FontFile2
                seen.add(TTFont(io.BytesIO(obj.read_bytes()))["head"].modified)
    assert seen and seen <= source, (seen, source)


def test_layout_tables_deleted_before_subsetting_give_the_same_font_and_pdf(
        rendered: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fontTools path: WeasyPrint drops GSUB/GPOS; deleting them before ``subset`` (so that
    fontTools does not decompile them first, exporter.render.subset._drop_first_subsetter) gives the
    very same subset of every packaged face, and the very same report.pdf."""
    from fontTools import subset
    from fontTools.ttLib import TTFont, woff2

    import weasyprint.pdf.fonts as weasy_fonts

    from exporter.render import pdf as pdf_module

    pdf_module._prepare_weasyprint()
    assert isinstance(weasy_fonts.subset, pdf_module._SubsetModule)
    assert weasy_fonts.subset.Options is subset.Options
    ours = weasy_fonts.subset.Subsetter
    assert issubclass(ours, subset.Subsetter) and ours is not subset.Subsetter
    for font in sorted((Path(__file__).resolve().parent.parent / "templates" / "fonts").glob("NotoSans*.woff2")):
        if "CJK" in font.name:
            continue  # 5 MB: the Latin, Arabic, Hebrew and mono faces have the layout tables in question
        raw = io.BytesIO()
        woff2.decompress(io.BytesIO(font.read_bytes()), raw)
        cmap = TTFont(io.BytesIO(raw.getvalue())).getBestCmap()
        gids = sorted({TTFont(io.BytesIO(raw.getvalue())).getGlyphID(g) for g in list(cmap.values())[:120]})
        made = []
        for cls in (subset.Subsetter, ours):  # WeasyPrint 70's options (pdf/fonts.py _fonttools_subset)
            options = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                                     hinting=False, desubroutinize=True, notdef_outline=False)
            options.drop_tables += ["GSUB", "GPOS", "SVG"]
            ttfont = TTFont(io.BytesIO(raw.getvalue()), recalcTimestamp=False)
            sub = cls(options)
            sub.populate(gids=gids)
            sub.subset(ttfont)
            out = io.BytesIO()
            ttfont.save(out)
            made.append(out.getvalue())
        assert made[0] == made[1], font.name
    bundle, samples, schemas = make_context()
    monkeypatch.setattr(weasy_fonts, "subset", subset)  # fontTools' own Subsetter
    assert pdf_module.render_pdf_bytes(bundle, samples, schemas, bundle_json=rendered["bundle_json"],
                                       columns=COLUMNS) == rendered["out"].read_bytes()


def test_render_is_deterministic(tmp_path: Path, rendered: dict) -> None:
    bundle, samples, schemas = make_context()
    out = tmp_path / "again.pdf"
    render_pdf(bundle, samples, schemas, out, bundle_json=rendered["bundle_json"], columns=COLUMNS)
    assert out.read_bytes() == rendered["out"].read_bytes()


def test_render_holds_off_full_garbage_collection_and_restores_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """No oldest-generation pass while a report renders (each walks every object of the process);
    young generations still run; one full pass when the render ends, and the thresholds are
    restored afterwards, also when renders overlap in threads."""
    import gc
    import threading

    from exporter.render import pdf as pdfmod

    # a process that warmed a helper in-process (tests/test_render_worker.py) collects before a
    # report instead; this is the default, collecting after
    monkeypatch.setattr(pdfmod, "_collect_after_render", True)

    bundle, samples, schemas = make_context()
    started: list[int] = []

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    before = gc.get_threshold()
    gc.callbacks.append(watch)
    try:
        render_pdf(bundle, samples, schemas, tmp_path / "a.pdf", columns=COLUMNS)
    finally:
        gc.callbacks.remove(watch)
    assert 0 in started and started.count(2) == 1 and started[-1] == 2, sorted(set(started))
    assert gc.get_threshold() == before

    barrier = threading.Barrier(2)
    inside: list[tuple[int, ...]] = []

    def hold() -> None:
        with pdfmod._no_full_gc():
            barrier.wait()
            inside.append(gc.get_threshold())
            barrier.wait()

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t[2] for t in inside] == [pdfmod._FULL_PASS_THRESHOLD] * 2
    assert gc.get_threshold() == before


def _tracked_objects() -> int:
    import gc

    return len(gc.get_objects())


def test_back_to_back_renders_do_not_grow_the_process(tmp_path: Path) -> None:
    """Each render leaves about 40,000 objects of cyclic garbage; with full passes held off during
    renders, a process rendering report after report (a DSAR service) never reached Python's own
    trigger for a full pass and grew by about 18 MB per report. The pass at the end frees them."""
    bundle, samples, schemas = make_context()
    counts = []
    for i in range(4):
        render_pdf(bundle, samples, schemas, tmp_path / f"{i}.pdf", columns=COLUMNS)
        counts.append(_tracked_objects())
    assert counts[-1] - counts[1] < 2_000, counts


def test_record_cards_read_back_as_aligned_rows(rendered: dict) -> None:
    """Cards are fixed-width rows in the PDF: each field title and its value on one line, in the
    packaged mono font, two short fields side by side."""
    lines = [ln.strip() for page in rendered["pages"] for ln in page.splitlines()]
    assert any(re.match(r"^Account number\s+A-1001$", ln) for ln in lines)  # the name is too long to pair
    assert any(
        re.match(r"^Email address\s+zoe@example\.org\s+Account status\s+Open and usable$", ln)
        for ln in lines
    ), [ln for ln in lines if "zoe@" in ln]
    assert any(re.match(r"^Postal address\s+Street: ", ln) for ln in lines)
    assert "City: 東京都千代田区" in lines  # the value's next line, under its column (the title column is blank)
    # A long value wraps under its own column: its continuation lines carry no title.
    notes = next(i for i, ln in enumerate(lines) if ln.startswith("Notes "))
    assert re.match(r"^Notes\s+<script>", lines[notes]) and lines[notes + 1].startswith('href="http')
    text = _norm(" ".join(rendered["pages"]))
    assert "Record 1 of 3" in text and "Your rating" in text


def test_report_files_get_the_mode_of_any_other_file(tmp_path: Path) -> None:
    """report.pdf and index.html are written through a temporary file and renamed, but not with
    mkstemp's 0600: a reader of the package (another account, a web server) sees them like
    bundle.json."""
    import stat

    from exporter.render import render_html

    bundle, samples, schemas = make_context()
    plain = tmp_path / "plain.txt"
    old_umask = os.umask(0o022)
    try:
        plain.write_text("x")
        render_pdf(bundle, samples, schemas, tmp_path / "report.pdf", columns=COLUMNS)
        render_html(bundle, samples, schemas, tmp_path / "index.html", columns=COLUMNS)
    finally:
        os.umask(old_umask)
    want = stat.S_IMODE(plain.stat().st_mode)
    assert want == 0o644
    for name in ("report.pdf", "index.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == want, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "plain.txt", "report.pdf"]  # no temp left


def test_page_count_bounded_for_huge_category(tmp_path: Path, rendered: dict) -> None:
    bundle, samples, schemas = make_context(order_count=100_000)
    out = tmp_path / "huge.pdf"
    render_pdf(bundle, samples, schemas, out, columns=COLUMNS)
    pages = len(PdfReader(out).pages)
    assert pages == len(rendered["pages"]), "only the samples are rendered, whatever the count"
    assert pages <= 14
    assert "first 100 of 100,000 records" in _norm(" ".join(p.extract_text() for p in PdfReader(out).pages))


def test_render_caps_rows_even_when_given_more(tmp_path: Path) -> None:
    from exporter.render.view.limits import MAX_ROWS

    bundle, samples, schemas = make_context()
    samples = dict(samples)
    samples["orders"] = [dict(samples["orders"][0], order_id=f"O-{i}") for i in range(MAX_ROWS + 300)]
    from exporter.render.view import build_view

    orders = next(c for c in build_view(bundle, samples, schemas)["categories"] if c["id"] == "orders")
    assert orders["shown"] == MAX_ROWS


def test_categories_only_variant(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context(categories_only=True)
    out = tmp_path / "cats.pdf"
    render_pdf(bundle, samples, schemas, out)
    reader = PdfReader(out)
    text = _norm(" ".join(p.extract_text() for p in reader.pages))
    assert "categories of data only" in text
    assert "reasonable degree of certainty" in text
    assert "Only the category is given here" in text
    assert "O-00001" not in text and "A-1001" in text  # identifiers used are listed, records are not
    assert "Order number" not in text
    for title in CATEGORY_TITLES.values():
        assert title in text
    assert len(reader.pages) <= 12, "no record pages in a categories-only response"


def test_report_without_kinds_not_held(tmp_path: Path) -> None:
    """Every kind of data held: no empty "none of" list, and the contents page does not name it."""
    bundle, samples, schemas = make_context()
    bundle["categories"] = [c for c in bundle["categories"] if c["status"] != "none_held"]
    out = tmp_path / "all-held.pdf"
    render_pdf(bundle, samples, schemas, out, columns=COLUMNS)
    text = _norm(" ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "Kinds of data we hold none of" not in text and "Orders and invoices" in text


def test_render_makes_no_request_and_reads_no_file(
    tmp_path: Path, trap_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = trap_server.server_address[1]
    bundle, samples, schemas = make_context(port=port)
    # Subject data in every place it can appear: name, record values, notices, warnings.
    bundle["subject"]["display_name"] = EVIL.format(port=port) + " " + EVIL_CSS.format(port=port)
    bundle["jurisdiction"]["notices"][0]["paragraphs"].append(EVIL_CSS.format(port=port))
    bundle["warnings"].append(f'<iframe src="http://127.0.0.1:{port}/frame"></iframe>')
    bundle["categories"][0]["title"] = f'Account <img src="http://127.0.0.1:{port}/title">'

    opened: list[str] = []
    import builtins

    real_open = builtins.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    out = tmp_path / "evil.pdf"
    render_pdf(bundle, samples, schemas, out)
    monkeypatch.undo()
    time.sleep(0.2)
    assert trap_server.hits == []
    assert not any("passwd" in f for f in opened)
    text = _norm(" ".join(p.extract_text() for p in PdfReader(out).pages))
    assert "<script>alert(1)</script>" in text
    assert f'<img src="http://127.0.0.1:{port}/img">' in text
    assert "url(file:///etc/passwd)" in text


def test_fetcher_refuses_everything_but_packaged_assets(trap_server: _Server, tmp_path: Path) -> None:
    port = trap_server.server_address[1]
    fetcher = AssetFetcher()
    secret = tmp_path / "secret.css"
    secret.write_text("body{}")
    for url in (
        f"http://127.0.0.1:{port}/x.css",
        f"https://127.0.0.1:{port}/x.css",
        "file:///etc/passwd",
        secret.as_uri(),
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
        "fonts/NotoSans-Regular.woff2",
        ASSET_BASE + "../pyproject.toml",
        ASSET_BASE + "fonts/../../README.md",
        ASSET_BASE + "/etc/passwd",
        ASSET_BASE + "report.html.j2",
        ASSET_BASE + "fonts/missing.woff2",
        ASSET_BASE + "fonts%2F..%2F..%2Fx.css",
    ):
        with pytest.raises(AssetRefused):
            fetcher.fetch(url)
        with pytest.raises(AssetRefused):
            fetcher.open(url)
    assert fetcher.refused == 26
    assert trap_server.hits == []
    response = fetcher.fetch(ASSET_BASE + "fonts/NotoSans-Regular.woff2")
    data = response.read()
    assert data[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")  # served as a decompressed sfnt
    css = fetcher.fetch(ASSET_BASE + "report.css").read()
    assert b"@font-face" in css


def test_templates_reference_only_packaged_assets() -> None:
    from exporter.resources import templates_dir

    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    assert urls, "the fonts are loaded through url()"
    fetcher = AssetFetcher()
    for url in urls:
        assert url.startswith(ASSET_BASE), url
        assert fetcher.fetch(url).read()
    assert "local(" not in css  # local() fonts would be fetched as file:// URLs


# --------------------------------------------------------------------------------------------
# The shipped catalog's pdf_columns and the demo store's typical subject, end to end
# --------------------------------------------------------------------------------------------


def test_catalog_pdf_columns_name_schema_fields() -> None:
    from exporter.law.catalog import load_catalog
    from exporter.render.view.limits import MAX_TABLE_COLUMNS
    from exporter.schemas import category_schema

    catalog = load_catalog()
    with_columns = [c for c in catalog if c.raw.get("pdf_columns")]
    for cid in (
        "access_logs",
        "screen_interactions",
        "tracking_pixels",
        "communications",
        "orders",
        "billing",
        "content_downloads",
        "cookies",
        "devices",
        "personalisation",
        "support_emails",
    ):
        assert catalog[cid].raw.get("pdf_columns"), cid
    for cat in with_columns:
        columns = cat.raw["pdf_columns"]
        props = category_schema(cat.id)["properties"]
        assert 1 <= len(columns) <= MAX_TABLE_COLUMNS and len(set(columns)) == len(columns), cat.id
        assert all(c in props for c in columns), (cat.id, [c for c in columns if c not in props])
        assert not set(columns) & set(cat.withheld), cat.id
    assert "body" not in catalog["support_emails"].raw["pdf_columns"]  # the subject line, not the text


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import datetime as dt

    from exporter import AccessRequest, demo, export

    tmp = tmp_path_factory.mktemp("demo")
    store = demo.build_demo_store(tmp / "store", heavy_events=1000)
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu")
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    result = export(request, demo.demo_config_path(store), tmp / "out", now=now, pdf=True, html=False)
    reader = PdfReader(result.path / "report.pdf")
    return {"path": result.path, "pages": [page.extract_text() or "" for page in reader.pages]}


def test_typical_demo_subject_report_is_short(demo_report: dict) -> None:
    # 24 categories, 517 records; the two log categories (300 and 150 records) as compact tables.
    assert len(demo_report["pages"]) <= 40


def test_typical_demo_subject_compact_tables(demo_report: dict) -> None:
    text = _norm(" ".join(demo_report["pages"]))
    start = text.index("Access logs", text.index("For each kind of data"))
    logs = text[start : text.index("Cookies", start)]
    # The catalog's pdf_columns for access_logs, with their titles from the schema.
    assert "Time Page IP address Browser" in logs
    assert "User agent" not in logs and "Browser details" in logs  # named among the other fields only
    assert "This report shows the first 100 of 300 records, with 4 of their 13 fields." in logs
    assert "Full records in data/access_logs.jsonl" in logs and "data/access_logs.csv" in logs
    start = text.index("Screens you viewed and clicked", text.index("For each kind of data"))
    screens = text[start : text.index("Devices you used", start)]
    assert "Time Screen Element Action" in screens
    assert "Viewed the screen" in screens and "Codes in this list" not in screens
    assert "Full records in data/screen_interactions.jsonl" in screens
