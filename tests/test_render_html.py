"""index.html: offline (no resource reference of any kind), escaped, same sections as the PDF."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from pathlib import Path

from test_render_pdf import CATEGORY_TITLES, COLUMNS, EVIL, NAMES, make_context

from exporter.render import render_html
from exporter.render.html import render_html_text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _render(tmp_path: Path, **kwargs: object) -> tuple[str, _Collector]:
    bundle, samples, schemas = make_context(**kwargs)  # type: ignore[arg-type]
    out = tmp_path / "index.html"
    render_html(bundle, samples, schemas, out)
    html = out.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    return html, parser


def test_no_external_resources(tmp_path: Path) -> None:
    html, parser = _render(tmp_path)
    allowed = {
        "meta",
        "html",
        "head",
        "title",
        "style",
        "body",
        "header",
        "nav",
        "main",
        "section",
        "footer",
        "p",
        "h1",
        "h2",
        "h3",
        "dl",
        "dt",
        "dd",
        "div",
        "ol",
        "ul",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "colgroup",
        "col",
        "span",
        "strong",
        "br",
        "details",
        "summary",
        "code",
    }
    for tag, attrs in parser.tags:
        assert tag in allowed, tag
        assert tag not in (
            "script",
            "img",
            "link",
            "iframe",
            "object",
            "embed",
            "base",
            "form",
            "svg",
            "video",
            "audio",
        )
        for name, value in attrs.items():
            assert name not in ("src", "srcset", "action", "formaction", "poster", "background"), (tag, name)
            if name == "href":
                assert value and value.startswith("#"), value  # in-page anchors only
            if name == "style":
                assert "url(" not in (value or "")
            assert not name.startswith("on"), name
    # Nothing in markup or CSS that loads: no url(), @import, protocol-relative or absolute URLs
    # outside the text content (the notices may *mention* a web address as text).
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    css = style.group(1)
    assert "url(" not in css and "@import" not in css and "//" not in css.replace("/*", "").replace("*/", "")
    markup_only = re.sub(r">[^<]*<", "><", html)  # drop text nodes
    for needle in ("http://", "https://", "url(", "@import"):
        assert needle not in markup_only, needle
    assert not re.search(r"""(?:src|href)\s*=\s*["']?//""", html)
    assert "default-src 'none'" in html  # CSP as a second fence


def test_subject_strings_are_escaped(tmp_path: Path) -> None:
    html, parser = _render(tmp_path)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;http://127.0.0.1:9/img&#34;&gt;" in html
    text = "".join(parser.text)
    assert EVIL.format(port=9)[:40] in text


def test_same_sections_as_pdf(tmp_path: Path) -> None:
    html, parser = _render(tmp_path)
    text = re.sub(r"\s+", " ", "".join(parser.text))
    for title in CATEGORY_TITLES.values():
        assert title in text
    for name in NAMES.values():
        assert name in text
    for needle in (
        "What we hold about you",
        "none held",
        "Payment received",
        "first 100 of 5,000 records",
        "data/orders.jsonl",
        "4 Mar 2022, 09:15 UTC",
        "Until 3 May 2028",
        "Your rights",
        "Categories, sources and recipients (CCPA)",
        "Deadlines",
        "17 Dec 2026",
        "ledger indexer did not answer",
        "(GDPR Art. 15(4)), 1 e-mail address in the free text of this category was replaced",
    ):
        assert needle in text, needle
    for anchor in (
        "sec-summary",
        "sec-data",
        "sec-notices",
        "sec-ccpa",
        "sec-deadlines",
        "cat-orders",
        "cat-marketing",
    ):
        assert anchor in parser.ids
    # Every in-page link has a target.
    for tag, attrs in parser.tags:
        if tag == "a":
            assert (attrs["href"] or "#")[1:] in parser.ids
    assert html.count("<details") >= 3


def test_compact_table_same_as_pdf(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    html = render_html_text(bundle, samples, schemas, columns=COLUMNS)
    parser = _Collector()
    parser.feed(html)
    text = re.sub(r"\s+", " ", "".join(parser.text))
    assert '<table class="records compact cols-4">' in html
    assert '<th scope="col">Order number</th>' in html and '<th scope="col">Items</th>' not in html
    # coded values by their titles, in the table itself: no codes, so no legend of codes
    assert "<td>Payment received</td>" in html and "<td>paid</td>" not in html
    assert "Codes in this table" not in text
    assert (
        "Full records in data/orders.jsonl (JSONL) and data/orders.csv (CSV), with the other fields too: Items."
        in text
    )
    assert "Legal bases named below: Contract: Performance of a contract with you" in text
    assert "Record 1 of 3" in text  # the 3 support chats keep the full detail


def test_categories_only(tmp_path: Path) -> None:
    html, parser = _render(tmp_path, categories_only=True)
    text = re.sub(r"\s+", " ", "".join(parser.text))
    assert "categories of data only" in text
    assert "Only the category is given here" in text
    assert "O-00001" not in text
    assert '<table class="records' not in html


def test_threads_share_one_environment() -> None:
    bundle, samples, schemas = make_context()
    results: list[str] = []
    errors: list[Exception] = []

    def work() -> None:
        try:
            results.append(render_html_text(bundle, samples, schemas))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(results) == 4 and len(set(results)) == 1


def test_report_prose_shows_every_date_one_way() -> None:
    """bundle.json's texts keep ISO days; the report (PDF and HTML share the view) shows "30 Apr
    2028" everywhere, and says a retention date once, not twice in two forms."""
    from exporter.render.view.category import _category_view
    from exporter.render.view.formats import readable_dates
    from exporter.render.view.summary import _notice_view

    assert readable_dates("on 2028-04-30, after 2026-10-31; DSAR-2026-11-02x, 2026-11-25T12:00:00Z, 2026-02-30") == (
        "on 30 Apr 2028, after 31 Oct 2026; DSAR-2026-11-02x, 2026-11-25T12:00:00Z, 2026-02-30")

    def retention(until: str, explanation: str) -> dict:
        cat = {"id": "account", "title": "Account", "count": 1, "status": "held",
               "retention": {"until": until, "explanation": explanation, "text": "The rule."}}
        return _category_view(cat, [], {}, "cat-account")["retention"]

    ahead = retention("2028-04-30", "Is deleted on 2028-04-30, 18 months after your last log-in on 2026-10-31.")
    assert ahead["until"] == "30 Apr 2028" and ahead["joined"]
    assert ahead["explanation"] == "18 months after your last log-in on 31 Oct 2026."
    past = retention("2026-01-02", "Was due for deletion on 2026-01-02, 3 months after the end of your service on 2025-10-02.")
    assert not past["joined"]
    assert past["explanation"] == "Was due for deletion on 2 Jan 2026, 3 months after the end of your service on 2 Oct 2025."

    notice = _notice_view({"title": "Deadline", "paragraphs": ["We received it on 2026-11-02."],
                           "items": ["Due 2026-12-02"]}, "n")
    assert notice["paragraphs"] == ["We received it on 2 Nov 2026."] and notice["bullets"] == ["Due 2 Dec 2026"]
