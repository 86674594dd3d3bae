"""index.html at phone width (issue 19, item 7): record cards stack (one label above its value)
below 40rem, so a 390 px screen does not squeeze four columns and break labels mid-word ("Pho ne
num ber"). No headless browser is available to the suite, so the CSS rules of the rendered page
are parsed (tinycss2, which WeasyPrint ships with) and asserted."""

from __future__ import annotations

import re
from pathlib import Path

import tinycss2
from test_render_html import _render

PHONE_PX = 390
ROOT_PX = 16  # html { font-size: 16px }


def _css(html: str) -> list[tinycss2.ast.Node]:
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    return tinycss2.parse_stylesheet(style.group(1), skip_comments=True, skip_whitespace=True)


def _declarations(rule: tinycss2.ast.QualifiedRule) -> dict[str, str]:
    out = {}
    for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
        if d.type == "declaration":
            out[d.lower_name] = tinycss2.serialize(d.value).strip()
    return out


def _rules(nodes: list[tinycss2.ast.Node]) -> dict[str, dict[str, str]]:
    """selector → declarations (later rules win, as in the cascade for equal specificity)."""
    out: dict[str, dict[str, str]] = {}
    for node in nodes:
        if node.type == "qualified-rule":
            for selector in tinycss2.serialize(node.prelude).split(","):
                out.setdefault(" ".join(selector.split()), {}).update(_declarations(node))
    return out


def _max_width_px(prelude: str) -> float | None:
    m = re.fullmatch(r"\s*\(\s*max-width\s*:\s*([\d.]+)(rem|em|px)\s*\)\s*", prelude)
    if m is None:
        return None
    return float(m[1]) * (1 if m[2] == "px" else ROOT_PX)


def _phone_rules(html: str) -> dict[str, dict[str, str]]:
    """The rules that apply at 390 px: every @media (max-width: W) block with W ≥ 390 px."""
    out: dict[str, dict[str, str]] = {}
    for node in _css(html):
        if node.type == "at-rule" and node.lower_at_keyword == "media":
            width = _max_width_px(tinycss2.serialize(node.prelude))
            if width is not None and width >= PHONE_PX:
                for sel, decls in _rules(tinycss2.parse_rule_list(node.content, skip_comments=True,
                                                                  skip_whitespace=True)).items():
                    out.setdefault(sel, {}).update(decls)
    return out


def test_page_is_laid_out_for_the_device_width(tmp_path: Path) -> None:
    html, parser = _render(tmp_path)
    metas = [a for t, a in parser.tags if t == "meta" and a.get("name") == "viewport"]
    assert metas and "width=device-width" in (metas[0].get("content") or "")
    assert any(t == "table" and a.get("class") == "card" for t, a in parser.tags), "the sample has record cards"


def test_record_cards_stack_at_390px(tmp_path: Path) -> None:
    html, _ = _render(tmp_path)
    phone = _phone_rules(html)
    for part in ("table.card", "table.card tr", "table.card th", "table.card td"):
        assert phone.get(part, {}).get("display") == "block", part  # one label, then its value, full width
        assert phone[part].get("width") == "100%", part
    assert phone["table.card colgroup"]["display"] == "none"  # the 17 % / 33 % columns are gone
    # and not on a wide screen: outside the media query the card keeps its four columns
    wide = _rules(_css(html))
    assert wide["table.card"].get("table-layout") == "fixed" and "display" not in wide["table.card"]


def test_labels_break_between_words_only(tmp_path: Path) -> None:
    html, parser = _render(tmp_path)
    wide = _rules(_css(html))
    assert wide["html"]["overflow-wrap"] == "anywhere"  # values (long ids, URLs) may break anywhere ...
    for label in ("table.card th", "dl.facts dt"):
        # ... labels not: break-word only splits a word that does not fit a line by itself
        assert wide[label]["overflow-wrap"] == "break-word" and wide[label]["word-break"] == "normal", label
    # a stacked label has the whole width: at 390 px less padding, about 40 characters of .85rem text,
    # so no catalog field title of the sample is split
    titles = [t for t in re.findall(r'<th scope="row">([^<]+)</th>', html)]
    assert titles and max(len(w) for t in titles for w in t.split()) < 40
