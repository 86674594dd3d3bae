"""The explicit transform chain (issue 21 item 2): screens, order, the columnar flag, counts.

* every transform's screen is a promise: it never says "no" to a batch its apply would change
  (cards of 13-19 digits, lone surrogates, other people's e-mail addresses, nested values);
* the chain applies withhold → repair surrogates → mask cards → redact, and that order shows;
* a batch a non-columnar transform may change takes the record path; the columnar path applies
  the rest with the same counts;
* the counts and records are those of the former single ``RecordTransformer`` (kept below as the
  reference).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.collect import pipeline
from exporter.collect.cards import PAN_MIN_DIGITS, luhn_ok, mask_pans
from exporter.collect.chain import TransformChain, chain_for
from exporter.collect.redaction import RedactionSettings, Redactor
from exporter.collect.transforms import Batch, MaskCards, Redact, RepairSurrogates, Transform, Withhold
from exporter.config import Read
from exporter.law.catalog import load_catalog
from exporter.sources.base import ReadSpec

FIELDS = ("a", "b", "c", "secret")


def _luhn_card(length: int, seed: int) -> str:
    body = "4" + str(seed).zfill(length - 2)[: length - 2]
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


CARDS = st.builds(_luhn_card, st.integers(PAN_MIN_DIGITS, 19), st.integers(0, 10**18))
GROUPED = CARDS.map(lambda c: " ".join(c[i:i + 4] for i in range(0, len(c), 4)))
PIECES = st.one_of(
    st.text(max_size=8), CARDS, GROUPED, st.sampled_from(["\ud800", "\udfff", "x\udc80y", "é", "王", "-", " ", "\n"]),
    st.sampled_from(["someone.else@example.org", "jane.doe@example.com", "4242424242424242@example.com"]),
)
TEXT = st.lists(PIECES, max_size=4).map("".join)
SCALAR = st.one_of(st.none(), st.integers(-5, 5), st.booleans(), TEXT)
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                     max_leaves=6)
RECORD = st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=4)
BATCH = st.lists(RECORD, min_size=1, max_size=4)


def _redactor() -> Redactor:
    return Redactor(RedactionSettings(phones=False), own_emails=["jane.doe@example.com"])


def _content_posts_rule() -> Any:
    cat = next(c for c in load_catalog() if c.id == "content_posts")
    return cat, _redactor().rule(cat)


def _transforms() -> list[Transform]:
    rule = _redactor().rule(next(c for c in load_catalog() if c.id == "content_posts"))
    assert rule is not None
    rule.free_text = ("a", "b")
    return [Withhold(("secret",)), RepairSurrogates(FIELDS), MaskCards(FIELDS), Redact(rule)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BATCH)
def test_a_screen_never_says_no_to_a_batch_its_transform_would_change(recs: list[dict[str, Any]]) -> None:
    for t in _transforms():
        if t.screen(Batch(copy.deepcopy(recs))):
            continue
        before = dict(t.counts)
        for rec in recs:
            assert t.apply(copy.deepcopy(rec)) == rec, t.name
        assert dict(t.counts) == before, t.name


# -- the former RecordTransformer, as it was: the chain must give the same records and counts ------

_SURROGATE = re.compile("[\ud800-\udfff]")
_PAN_RUN = re.compile(r"(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w-])")


def _utf8_safe(text: str) -> str:
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


class _Reference:
    def __init__(self, withheld: tuple[str, ...], redaction: Any = None) -> None:
        self.withheld, self.redaction, self.masked, self.withheld_counts = withheld, redaction, 0, Counter()

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        for name in self.withheld:
            if record.pop(name, None) is not None:
                self.withheld_counts[name] += 1
        for key, value in record.items():
            if isinstance(value, str):
                if not value.isascii():
                    value = record[key] = _utf8_safe(value)
                if len(value) >= 13 and _PAN_RUN.search(value):
                    new = mask_pans(value)
                    if new != value:
                        self.masked += 1
                        record[key] = new
            elif isinstance(value, (dict, list)):
                record[key] = self._deep(value)
        return self.redaction(record) if self.redaction is not None else record

    def _deep(self, value: Any) -> Any:
        if isinstance(value, str):
            value = _utf8_safe(value) if not value.isascii() else value
            if len(value) >= 13 and _PAN_RUN.search(value):
                new = mask_pans(value)
                self.masked += new != value
                return new
            return value
        if isinstance(value, dict):
            return {_utf8_safe(k) if isinstance(k, str) else k: self._deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deep(v) for v in value]
        return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BATCH)
def test_the_chain_gives_the_records_and_counts_of_the_former_transformer(recs: list[dict[str, Any]]) -> None:
    chain = TransformChain(_transforms())
    redact = chain.transforms[-1]
    assert isinstance(redact, Redact)
    other = _redactor().rule(next(c for c in load_catalog() if c.id == "content_posts"))
    assert other is not None
    other.free_text = ("a", "b")
    ref = _Reference(("secret",), other)
    for rec in recs:
        assert chain(copy.deepcopy(rec)) == ref(copy.deepcopy(rec))
    assert chain.masked == ref.masked
    assert chain.withheld_counts == ref.withheld_counts
    assert redact.counts == other.counts


def test_chain_for_puts_the_transforms_in_their_order() -> None:
    cats = {c.id: c for c in load_catalog()}
    cat, rule = _content_posts_rule()
    assert [t.name for t in chain_for(cat, redaction=rule)] == ["repair_surrogates", "mask_cards", "redact"]
    assert [t.name for t in chain_for(cats["payment_cards"])] == ["withhold", "repair_surrogates", "mask_cards"]
    assert [t.cite for t in chain_for(cats["payment_cards"])] == [
        "11 CCR §7024(d)", "UTF-8 (RFC 3629)", "PCI DSS 3.4; 11 CCR §7024(d)"]
    assert all(t.columnar == (t.name in ("withhold", "repair_surrogates")) for t in chain_for(cats["account"]))


def test_the_order_shows_in_the_output() -> None:
    """Withheld before masked (a withheld card is not counted as masked); masked before redacted
    (the card in front of an address is masked, then the rest of the address is redacted)."""
    cat, rule = _content_posts_rule()
    chain = TransformChain([Withhold(("raw",)), RepairSurrogates(None), MaskCards(None), Redact(rule)])
    out = chain({"raw": "4242424242424242", "body": "4242424242424242@example.com \ud800"})
    assert out == {"body": "card ending [email 1] \ufffd"}
    assert chain.masked == 1 and chain.withheld_counts == {"raw": 1} and rule.counts == {"email": 1}


# -- the columnar path honours the flag -----------------------------------------------------------

BASE = {"event_id": "AL-0000000000000001", "occurred_at": "2026-01-01T00:00:00Z", "account_id": "ACC-000001",
        "cookie_id": None, "session_id": "S-000000000001", "ip_address": "192.0.2.1", "browser": "Firefox",
        "user_agent": "Mozilla/5.0", "method": "GET", "page": "/a", "status_code": 200, "referrer": "https://x.example/",
        "device_id": None}
READ = Read(source="s", spec=ReadSpec(label="s/access_logs", needs=("account_id",)))


def _run_arrow(root: Path, rows: list[dict[str, Any]], chain: TransformChain | None,
               monkeypatch: pytest.MonkeyPatch) -> tuple[pipeline.CategoryResult, int, bytes]:
    cat = next(c for c in load_catalog() if c.id == "access_logs")
    run = pipeline._Run(cat, root, inline_limit=10, sample_size=10, write_records=True, chain=chain)
    assert run.plan.columnar is not None
    calls = []
    real = pipeline._Run.batch
    monkeypatch.setattr(pipeline._Run, "batch", lambda self, read, recs: calls.append(1) or real(self, read, recs))
    run.arrow_batch(READ, pa.RecordBatch.from_pylist(rows))
    monkeypatch.setattr(pipeline._Run, "batch", real)
    run.close()
    return run.finish([]), len(calls), (root / "data/access_logs.jsonl").read_bytes()


def test_a_batch_a_non_columnar_transform_may_change_takes_the_record_path(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clean = [dict(BASE), dict(BASE, event_id="AL-0000000000000002")]
    pan = _luhn_card(19, 42424242424242424)
    card = [dict(BASE), dict(BASE, page=f"/pay?card={pan}")]
    res, record_path, _ = _run_arrow(tmp_path / "clean", clean, None, monkeypatch)
    assert record_path == 0 and res.count == 2
    res, record_path, out = _run_arrow(tmp_path / "card", card, None, monkeypatch)
    assert record_path == 1 and res.pans_masked == 1 and f"card ending {pan[-4:]}".encode() in out
    cat, rule = _content_posts_rule()
    access_logs = next(c for c in load_catalog() if c.id == "access_logs")
    redacting = chain_for(access_logs, redaction=rule)
    res, record_path, _ = _run_arrow(tmp_path / "redact", clean, redacting, monkeypatch)
    assert record_path == 1 and res.count == 2  # redaction never runs on Arrow columns


def test_the_columnar_path_withholds_with_the_record_paths_counts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [dict(BASE), dict(BASE, event_id="AL-0000000000000002", referrer=None)]
    access_logs = next(c for c in load_catalog() if c.id == "access_logs")

    def chain() -> TransformChain:
        return TransformChain([Withhold(("referrer", "user_agent")), *chain_for(access_logs)])

    fast, record_path, fast_out = _run_arrow(tmp_path / "fast", rows, chain(), monkeypatch)
    assert record_path == 0
    run = pipeline._Run(access_logs, tmp_path / "slow", inline_limit=10, sample_size=10, write_records=True,
                        chain=chain())
    run.batch(READ, [dict(r) for r in rows])
    run.close()
    slow = run.finish([])
    assert fast.withheld == slow.withheld == {"referrer": 1, "user_agent": 2}
    assert fast_out == (tmp_path / "slow/data/access_logs.jsonl").read_bytes()
    assert b"referrer" not in fast_out
