"""Record transforms (card masking, withholding) and the streaming writers."""

from __future__ import annotations

import csv
import hashlib
import io

import orjson
import pytest

from exporter.collect.cards import luhn_ok, mask_pans
from exporter.collect.chain import TransformChain
from exporter.collect.transforms import MaskCards, RepairSurrogates, Withhold
from exporter.collect.writers import CsvWriter, JsonlWriter, csv_cell


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4242424242424242 on file", "card card ending 4242 on file"),
        ("pay with 4111-1111-1111-1111.", "pay with card ending 1111."),
        ("amex 3782 822463 10005 ok", "amex card ending 0005 ok"),
        ("order 1234567890123456 is not a card", "order 1234567890123456 is not a card"),  # fails Luhn
        ("phone +44 20 7946 0958", "phone +44 20 7946 0958"),
        ("", ""),
    ],
)
def test_mask_pans(text: str, expected: str) -> None:
    assert mask_pans(text) == expected


def test_luhn() -> None:
    assert luhn_ok("4242424242424242")
    assert not luhn_ok("4242424242424241")


def test_transformer_masks_nested_and_withholds() -> None:
    t = TransformChain([Withhold(("password_hash",)), RepairSurrogates(None), MaskCards(None)])
    rec = {"id": 1, "password_hash": "x", "messages": [{"text": "my card is 4242 4242 4242 4242"}], "n": None}
    out = t(rec)
    assert "password_hash" not in out
    assert out["messages"][0]["text"] == "my card is card ending 4242"
    assert t.masked == 1 and t.withheld_counts == {"password_hash": 1}
    assert b"4242424242424242" not in orjson.dumps(out).replace(b" ", b"")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1 555", "'+1 555"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("plain", "plain"),
        (None, ""),
        (True, "true"),
        (3, "3"),
        (2.5, "2.5"),
        ({"b": 1, "a": [1, "é"]}, '{"a":[1,"é"],"b":1}'),  # JSON text, never a Python repr
    ],
)
def test_csv_cell(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_writers_hash_what_they_write(tmp_path) -> None:
    recs = [{"name": "Zoë Łukasiewicz", "tags": ["a", "王芳"], "x": None}, {"name": "=cmd", "tags": [], "x": 1}]
    j = JsonlWriter(tmp_path / "data" / "c.jsonl", tmp_path)
    j.write_many(recs)
    info = j.close()
    raw = (tmp_path / "data" / "c.jsonl").read_bytes()
    assert info == {"path": "data/c.jsonl", "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    assert "Zoë Łukasiewicz".encode() in raw  # UTF-8 kept, not \u-escaped
    assert [orjson.loads(line) for line in raw.splitlines()] == recs

    c = CsvWriter(tmp_path / "data" / "c.csv", tmp_path, ["name", "tags"], extra=True)
    c.write_many(recs)
    cinfo = c.close()
    craw = (tmp_path / "data" / "c.csv").read_bytes()
    assert cinfo["sha256"] == hashlib.sha256(craw).hexdigest()
    rows = list(csv.reader(io.StringIO(craw.decode("utf-8"), newline="")))
    assert rows[0] == ["name", "tags", "_extra"]
    assert rows[1] == ["Zoë Łukasiewicz", '["a","王芳"]', '{"x":null}']
    assert rows[2] == ["'=cmd", "[]", '{"x":1}']


@pytest.mark.parametrize("text", ["SI-1234567890120002", "ORD_4242424242424242", "id4242424242424242", "x-4242424242424242"])
def test_ids_that_contain_luhn_valid_digits_are_not_cards(text: str) -> None:
    assert mask_pans(text) == text


# ---------------------------------------------------------------------------------------------
# every PAN length of ISO/IEC 7812 that the masking covers (13-19 digits), in every output
# ---------------------------------------------------------------------------------------------


def _luhn_complete(prefix: str) -> str:
    """``prefix`` + the check digit that makes it Luhn-valid."""
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


#: Luhn-valid card numbers of 13 to 19 digits (Visa 13/16/19, Amex 15, UnionPay/Maestro 17-19 …)
CARDS = {n: _luhn_complete(("4" if n in (13, 16, 19) else "6") + "0123456789012345678"[: n - 2]) for n in range(13, 20)}


@pytest.mark.parametrize("length", sorted(CARDS))
def test_every_pan_length_from_13_to_19_digits_is_masked(length: int) -> None:
    card = CARDS[length]
    assert len(card) == length and luhn_ok(card)
    assert mask_pans(f"paid with {card}.") == f"paid with card ending {card[-4:]}."
    grouped = " ".join(card[i:i + 4] for i in range(0, length, 4))
    assert mask_pans(f"card {grouped} ok") == f"card card ending {card[-4:]} ok"
    assert mask_pans(f"paid with {card[:-1]}{(int(card[-1]) + 1) % 10}.") != f"paid with card ending {card[-4:]}."


def test_the_screens_let_long_cards_through_to_the_masking() -> None:
    """The record path's and the columnar path's cheap screens must not drop a 17/19-digit card."""
    import pyarrow as pa

    from exporter.collect import card_screens, cards

    for length in (17, 19):
        assert cards.may_hold_card(CARDS[length])
        assert card_screens.columns_may_hold_card([pa.array(["x", f"card {CARDS[length]}"])])


def test_17_and_19_digit_cards_are_masked_in_every_output(tmp_path) -> None:
    """JSONL, CSV, bundle.json (inline records), the PDF's text and embedded bundle, index.html."""
    import datetime as dt
    import re
    from html import unescape

    from ministore import ANN, MiniStore, email_row
    from pypdf import PdfReader

    from exporter import AccessRequest, ExportOptions, export
    from exporter.packaging.package import verify

    card17, card19 = CARDS[17], CARDS[19]
    spaced19 = " ".join(card19[i:i + 4] for i in range(0, 19, 4))
    store = MiniStore(tmp_path / "store")
    store.emails = [email_row(ANN, 1, body=f"Please refund the card {card17}, thanks."),
                    email_row(ANN, 3, body=f"Or the other one: {spaced19}")]
    store.emails[1]["subject_line"] = f"Card {card19}"
    store.write_emails()
    request = AccessRequest.parse([ANN["email"]], jurisdiction="eu", request_id="CARDS")
    opts = ExportOptions(now=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), pdf=True, html=True, env=store.env())
    pkg = export(request, store.config, tmp_path / "out", opts).path
    assert verify(pkg) == []

    pdf = PdfReader(pkg / "report.pdf")
    pdf_text = " ".join(" ".join(page.extract_text() or "" for page in pdf.pages).split())
    html_text = " ".join(unescape(re.sub(r"<[^>]+>", " ", (pkg / "index.html").read_text(encoding="utf-8"))).split())
    outputs = {
        "jsonl": (pkg / "data" / "support_emails.jsonl").read_text(encoding="utf-8"),
        "csv": (pkg / "data" / "support_emails.csv").read_text(encoding="utf-8"),
        "bundle.json": (pkg / "bundle.json").read_text(encoding="utf-8"),
        "report.pdf text": pdf_text,
        "report.pdf attachment": b"".join(c for cs in pdf.attachments.values() for c in cs).decode("utf-8"),
        "index.html": html_text,
    }
    digits_only = {name: re.sub(r"[^0-9]", "", text) for name, text in outputs.items()}
    for name, text in outputs.items():
        for card in (card17, card19):
            assert card not in digits_only[name], f"a full {len(card)}-digit card number in {name}"
            assert card[:12] not in digits_only[name], f"the first 12 digits of a card in {name}"
        assert f"card ending {card17[-4:]}" in text, name
        assert f"card ending {card19[-4:]}" in text, name
    entry = next(c for c in orjson.loads(outputs["bundle.json"])["categories"] if c["id"] == "support_emails")
    assert entry["count"] == 2 and len(entry["records"]) == 2
