"""Record transforms (card masking, withholding) and the streaming writers."""

from __future__ import annotations

import csv
import hashlib
import io

import orjson
import pytest

from exporter.collect.transforms import RecordTransformer, luhn_ok, mask_pans
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
    t = RecordTransformer(withheld=("password_hash",))
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
