"""``report.pdf``: PDF/A-3b, tagged, with ``bundle.json`` embedded, byte-for-byte reproducible.

Determinism (WeasyPrint 70): the PDF's dates (Info ``CreationDate``/``ModDate``, XMP
``CreateDate``/``ModifyDate``) come from the ``dcterms.created``/``dcterms.modified`` meta tags,
which the template fills with ``bundle["generated_at"]``; the attachment dates are passed
explicitly (WeasyPrint would use the current time); the file identifier ``/ID`` is WeasyPrint's MD5
of the document's objects, so it follows from the content; XMP carries no random ``DocumentID``
for PDF/A-3. Font subsets, object order and compression are deterministic for a given WeasyPrint,
font subsetter and font set. Nothing is post-processed.

The pieces live next to this module: which ``@font-face`` families the text needs
(:mod:`exporter.render.fonts`), the font subsetter made reproducible (:mod:`exporter.render.subset`)
and each render's font folder (:mod:`exporter.render.font_folder`). This module renders: the report
HTML, its attachments, the PDF/A-3b write, with full garbage-collection passes held off meanwhile.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..collect.writers import replace_atomically
from ._env import capture_weasyprint_warnings, environment, read_text
from .view import build_view
from .fetcher import ASSET_BASE, AssetFetcher
from .font_folder import FONT_FOLDER_PREFIX, own_font_folder, remove_stale_font_folders
from .font_folder import remove_font_files as _remove_font_files
from .font_folder import remove_stale_font_folders_once as _remove_stale_font_folders_once
from .fonts import BASE_FAMILY, MONO_FAMILY, SCRIPT_FAMILIES, font_families, stylesheet
from .subset import SubsetModule as _SubsetModule  # noqa: F401 - where tests/test_render_pdf.py looks
from .subset import prepare_weasyprint as _prepare_weasyprint

__all__ = [
    "BASE_FAMILY",
    "FONT_FOLDER_PREFIX",
    "MONO_FAMILY",
    "SCRIPT_FAMILIES",
    "font_families",
    "remove_stale_font_folders",
    "render_pdf",
    "render_pdf_bytes",
]

log = logging.getLogger("exporter.render")


@cache
def _ua_stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(string=read_text("report-ua.css"))


@cache
def _report_html_class() -> Any:
    """WeasyPrint's ``HTML`` with the report's own, smaller user-agent stylesheet.

    ``templates/report-ua.css`` is WeasyPrint's html5_ua.css reduced to the elements the templates
    use; the rendered PDF is byte-identical (tests/test_render_pdf.py compares them) and about 3 %
    cheaper to render. ``_ua_stylesheets`` is the method WeasyPrint's ``HTML`` asks for its
    user-agent stylesheets (a private one: a test fails if a WeasyPrint release drops it).
    """
    from weasyprint import HTML

    class ReportHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [_ua_stylesheet()]

    return ReportHTML


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, ...] = ()
#: While a report renders, the cyclic garbage collector skips full (oldest-generation) passes.
#: WeasyPrint allocates millions of objects, which triggers one to three full passes per report;
#: each walks every object of the process (about 180,000 in an exporter, more in a DSAR service,
#: 0.1-0.15 s each here). Young generations are still collected, so short-lived cycles are freed as
#: usual. When the last overlapping render ends, one full pass frees the report's cyclic garbage
#: (about 40,000 objects, 18 MB): without it, back-to-back renders never reach Python's own trigger
#: for a full pass and a long-running process grows by that much per report.
_FULL_PASS_THRESHOLD = 1_000_000
#: Whether that full pass runs as the render ends. A :class:`~exporter.render.worker.WarmRenderer`
#: helper turns it off and collects before its next report instead: a CLI run's helper renders one
#: report and exits, so the pass would only delay report.pdf.
_collect_after_render = True


@contextmanager
def _no_full_gc() -> Iterator[None]:
    """Hold off full garbage-collection passes (see :data:`_FULL_PASS_THRESHOLD`); nests and is
    thread-safe: the first render to start saves the thresholds, the last to end restores them and
    runs one full pass."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            if len(_gc_saved) >= 3:
                gc.set_threshold(_gc_saved[0], _gc_saved[1], _FULL_PASS_THRESHOLD)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            last = _gc_depth == 0
            if last:
                gc.set_threshold(*_gc_saved)
        if last and _collect_after_render:
            gc.collect()


def _generated_at(bundle: Mapping[str, Any]) -> datetime:
    raw = bundle.get("generated_at")
    if isinstance(raw, str) and raw:
        try:
            dt = datetime.fromisoformat(raw)
            return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        except ValueError:
            pass
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime(1970, 1, 1, tzinfo=UTC)


def render_pdf_bytes(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    attachments: Sequence[Path] = (),
    bundle_json: Path | bytes | None = None,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """The PDF as bytes (see :func:`render_pdf`)."""
    with _no_full_gc():
        return _render_pdf_bytes(bundle, samples, schemas, attachments=attachments, bundle_json=bundle_json,
                                 lang=lang, columns=columns)


def _render_pdf_bytes(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    attachments: Sequence[Path],
    bundle_json: Path | bytes | None,
    lang: str,
    columns: Mapping[str, Sequence[str]] | None,
) -> bytes:
    """The report's steps: its HTML, its dates, its associated files, the PDF/A write, the check."""
    _prepare_weasyprint()
    started = time.perf_counter()
    html_text = _report_html(bundle, samples, schemas, lang=lang, columns=columns)
    created = _generated_at(bundle)
    fetcher = AssetFetcher()
    files = _associated_files(bundle_json, attachments, fetcher, created)
    pdf = _write_with_own_fonts(html_text, fetcher, files)
    if fetcher.refused:
        raise OutputError(
            "report.pdf referred to a resource that is not a packaged asset",
            hint="the templates must only use piconext-asset:/ URLs; this is a bug, please report it",
            refused=fetcher.refused,
        )
    log.debug("report.pdf rendered in %.2f s", time.perf_counter() - started)
    return pdf


def _report_html(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    lang: str,
    columns: Mapping[str, Sequence[str]] | None,
) -> str:
    """The report as HTML: the view of the render context through ``report.html.j2``."""
    view = build_view(bundle, samples, schemas, lang=lang, columns=columns)
    html: str = environment().get_template("report.html.j2").render(
        v=view, controller_name=view["author"] or "us"
    )
    return html


def _associated_files(
    bundle_json: Path | bytes | None, attachments: Sequence[Path], fetcher: AssetFetcher, created: datetime
) -> list[Any]:
    """The PDF/A-3 associated files: ``bundle.json`` (``/AFRelationship /Data``), then the supplements,
    dated ``created`` (WeasyPrint would stamp the current time)."""
    from weasyprint import Attachment

    files: list[Any] = []
    if bundle_json is not None:
        data = bundle_json if isinstance(bundle_json, bytes) else Path(bundle_json).read_bytes()
        files.append(
            Attachment(
                file_obj=BytesIO(data),
                name="bundle.json",
                url_fetcher=fetcher,
                description="The machine-readable access bundle this report presents",
                created=created,
                modified=created,
                relationship="Data",
            )
        )
    for path in attachments:
        path = Path(path)
        files.append(
            Attachment(
                file_obj=BytesIO(path.read_bytes()),
                name=path.name,
                url_fetcher=fetcher,
                created=created,
                modified=created,
                relationship="Supplement",
            )
        )
    return files


def _write_with_own_fonts(html_text: str, fetcher: AssetFetcher, files: list[Any]) -> bytes:
    """:func:`_write` with a font folder of the render's own (locked, removed after), WeasyPrint's
    warnings passed on to the log."""
    from weasyprint.text.fonts import FontConfiguration

    _remove_stale_font_folders_once()
    with capture_weasyprint_warnings() as records:
        font_config = FontConfiguration()
        lock = own_font_folder(font_config)
        try:
            pdf = _write(html_text, font_config, fetcher, files)
        finally:
            _remove_font_files(font_config)
            if lock is not None:
                os.close(lock)
    for record in records:
        log.warning("WeasyPrint: %s", record.getMessage())
    return pdf


def _write(html_text: str, font_config: Any, fetcher: AssetFetcher, files: list[Any]) -> bytes:
    """Lay out and write the PDF: PDF/A-3b, tagged, fonts subset, ``files`` attached."""
    from weasyprint import CSS

    css = CSS(
        string=stylesheet(font_families(html_text)),
        base_url=ASSET_BASE,
        url_fetcher=fetcher,
        font_config=font_config,
    )
    document = _report_html_class()(string=html_text, base_url=ASSET_BASE, url_fetcher=fetcher)
    pdf = document.write_pdf(
        stylesheets=[css],
        font_config=font_config,
        pdf_variant="pdf/a-3b",
        pdf_tags=True,
        attachments=files,
        # Fonts are subset (never embedded whole): the CJK font alone is ~12 MB.
        full_fonts=False,
    )
    assert isinstance(pdf, bytes)
    return pdf


def render_pdf(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    out: Path,
    *,
    attachments: Sequence[Path] = (),
    bundle_json: Path | None = None,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write ``report.pdf`` to ``out`` (atomically: a temporary file in the same folder, then rename).

    ``bundle`` is the bundle without records, ``samples`` at most ``pdf_rows`` records per category,
    ``schemas`` the category schemas, ``columns`` the catalog's ``pdf_columns`` per category (a
    category with more than a few records is shown as a compact table of these fields; see
    :func:`exporter.render.view.build_view`). ``bundle_json`` is embedded as associated file
    (``/AFRelationship /Data``) so the PDF alone is a complete copy; ``attachments`` are embedded as
    supplements. The same input gives a byte-identical file.
    """
    pdf = render_pdf_bytes(
        bundle, samples, schemas, attachments=attachments, bundle_json=bundle_json, lang=lang, columns=columns
    )
    replace_atomically(Path(out), pdf)
