"""Each package speaks its own law (issue 18 part 1).

The EU, UK and California reports of the demo's customers are read back — report.pdf through pypdf
and index.html as text — and every citation of another law fails the test: GDPR legal bases,
recitals or articles in a CCPA report; "GDPR" without "UK" or CCPA terms in a UK report; CCPA / 11
CCR terms in an EU report. Legal bases are cited in the law's own words ("UK GDPR Art. 6(1)(b)"),
the redaction notice cites the law's own rule protecting others.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path

import orjson
import pytest
from pypdf import PdfReader

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.law.jurisdictions import vocabulary

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

#: jurisdiction → (subject, patterns of other laws' citations that must not appear)
CASES = {
    "eu": (demo.DEFAULT_DEMO_SUBJECT, [r"\bCCPA\b", r"\bCPRA\b", r"§ ?1798", r"\bCCR\b", r"\bUK GDPR\b",
                                      r"\bDPA 2018\b", r"treated as a sale", r"\bsold\b", r"\bUtah\b"]),
    "uk": (demo.DEMO_SUBJECTS["uk"], [r"(?<!UK )\bGDPR Art", r"(?<!UK )\bGDPR Recital", r"\bCCPA\b", r"\bCPRA\b",
                                      r"§ ?1798", r"\bCCR\b", r"treated as a sale", r"\bsold\b"]),
    "ca": (demo.DEMO_SUBJECTS["california"], [r"\bGDPR\b", r"\bRecital\b", r"\bArt\. ?\d", r"\bDPA 2018\b",
                                              r"\bICO\b", r"supervisory authority"]),
}


def _texts(pkg: Path) -> dict[str, str]:
    pdf = "\n".join(page.extract_text() or "" for page in PdfReader(pkg / "report.pdf").pages)
    html = unescape(re.sub(r"<[^>]+>", " ", (pkg / "index.html").read_text(encoding="utf-8")))
    return {"report.pdf": " ".join(pdf.split()), "index.html": " ".join(html.split())}


@pytest.fixture(scope="module")
def packages(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("vocabulary")
    done = {}
    for jid, (subject, _) in CASES.items():
        request = AccessRequest.parse([subject], jurisdiction=jid, request_id=f"VOC-{jid}")
        done[jid] = export(request, demo.demo_config_path(demo_store), out, ExportOptions(now=NOW, acknowledge=frozenset({"sale_after_opt_out"}))).path
    return done


@pytest.mark.parametrize("jid", sorted(CASES))
def test_no_other_laws_citation(packages: dict[str, Path], jid: str) -> None:
    _, foreign = CASES[jid]
    for name, text in _texts(packages[jid]).items():
        found = {p: text[max(0, m.start() - 60):m.end() + 30] for p in foreign for m in re.finditer(p, text)}
        assert found == {}, f"{jid} {name}: {found}"


def test_legal_bases_in_each_laws_words(packages: dict[str, Path]) -> None:
    # tracking pixels: consent, with the rule on reading a device (catalog basis_in)
    for jid, law, device in (("eu", "GDPR", "Directive 2002/58/EC Art. 5(3)"), ("uk", "UK GDPR", "PECR reg. 6")):
        bundle = orjson.loads((packages[jid] / "bundle.json").read_bytes())
        cites = {p["basis_cite"] for c in bundle["categories"] for p in c["purposes"]}
        assert cites == {f"{law} Art. 6(1)({x})" for x in "abcf"} | {f"{law} Art. 6(1)(a); {device}"}, jid
        texts = _texts(packages[jid])
        assert f"{law} Art. 6(1)(b)" in texts["report.pdf"] and f"{law} Recital 47" in texts["report.pdf"]
        notices = {c["redaction_notice"] for c in bundle["categories"] if c.get("redaction_notice")}
        assert notices and all(n.startswith(f"To protect other people ({vocabulary(jid)['others_cite']})")
                               for n in notices)
    ca = orjson.loads((packages["ca"] / "bundle.json").read_bytes())
    assert all(p["basis_cite"] is None and p["legal_basis_shown"] is False
               for c in ca["categories"] for p in c["purposes"])
    assert ca["jurisdiction"]["vocabulary"]["legal_bases"] is False
    ca_text = _texts(packages["ca"])["report.pdf"]
    assert vocabulary("ca")["purposes_note"] in ca_text
    assert "Cal. Civ. Code §1798.145(k)" in ca_text  # the redaction notice's own rule
