"""``report.pdf``: PDF/A-3b, tagged, with ``bundle.json`` embedded, byte-for-byte reproducible.

Determinism (WeasyPrint 70): the PDF's dates (Info ``CreationDate``/``ModDate``, XMP
``CreateDate``/``ModifyDate``) come from the ``dcterms.created``/``dcterms.modified`` meta tags,
which the template fills with ``bundle["generated_at"]``; the attachment dates are passed
explicitly (WeasyPrint would use the current time); the file identifier ``/ID`` is WeasyPrint's MD5
of the document's objects, so it follows from the content; XMP carries no random ``DocumentID``
for PDF/A-3. Font subsets, object order and compression are deterministic for a given WeasyPrint,
font subsetter and font set. Nothing is post-processed.

Font subsetter: WeasyPrint subsets fonts with HarfBuzz-Subset when the system library
``libharfbuzz-subset0`` is installed and with fontTools otherwise. The two make different (equally
valid) subsets, so the PDF's bytes depend on the machine; its text, pages and metadata do not.
fontTools stamps the current time into each subset's ``head.modified`` when it saves it, which made
every render differ; :func:`_prepare_weasyprint` keeps the source font's timestamp instead (as
HarfBuzz does), so the same input gives the same bytes on a given machine with either subsetter.

Fonts: ``report.css`` declares one ``@font-face`` family per script. Only the families whose script
occurs in the document's text are handed to WeasyPrint (:func:`font_families`): a report without
Chinese, Japanese or Korean text never loads the 7.7 MB CJK font, which costs about half a second
per render. Characters outside every packaged font fall back to a system font, as before.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from ..cleanup import remove_tree
from ..errors import OutputError
from ..collect.writers import replace_atomically
from ._env import capture_weasyprint_warnings, environment, read_text
from .view import build_view
from .fetcher import ASSET_BASE, AssetFetcher

__all__ = ["font_families", "remove_stale_font_folders", "render_pdf", "render_pdf_bytes"]

log = logging.getLogger("exporter.render")

#: The base family (Latin, Greek, Cyrillic, punctuation): always loaded.
BASE_FAMILY = "Report Sans"
#: The fixed-width family of listings (many-record categories): loaded when there is one.
MONO_FAMILY = "Report Mono"
#: Script families of report.css and the code points that need them: every character these fonts
#: have and Noto Sans lacks lies in these ranges (tests/test_render_pdf.py checks it on the fonts).
SCRIPT_FAMILIES: dict[str, tuple[tuple[int, int], ...]] = {
    "Report Arabic": (
        (0x0600, 0x06FF),
        (0x0750, 0x077F),
        (0x08A0, 0x08FF),
        (0xFB50, 0xFDFF),
        (0xFE70, 0xFEFF),
    ),
    "Report Hebrew": ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    "Report CJK": (
        (0x3000, 0x30FF),  # CJK symbols and punctuation, Hiragana, Katakana
        (0x3100, 0x32FF),  # Bopomofo, Hangul compatibility jamo, Kanbun, enclosed CJK
        (0x4E00, 0x9FFF),  # CJK unified ideographs
        (0xAC00, 0xD7AF),  # Hangul syllables
        (0xFF00, 0xFFEF),  # half-width and full-width forms
    ),
}
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}\s*")
_FAMILY = re.compile(r"font-family:\s*\"([^\"]+)\"")


def font_families(text: str) -> frozenset[str]:
    """The ``@font-face`` families a document with this text (the report's HTML) needs."""
    wide = {ord(ch) for ch in set(text) if ch >= "\u0590"}
    needed = {BASE_FAMILY}
    if 'class="listing' in text:
        needed.add(MONO_FAMILY)
    if wide:
        for family, ranges in SCRIPT_FAMILIES.items():
            if any(lo <= cp <= hi for cp in wide for lo, hi in ranges):
                needed.add(family)
    return frozenset(needed)


@cache
def _stylesheet(families: frozenset[str]) -> str:
    """report.css with the ``@font-face`` rules of ``families`` only."""
    css = read_text("report.css")

    def keep(match: re.Match[str]) -> str:
        family = _FAMILY.search(match.group(0))
        return match.group(0) if family is None or family.group(1) in families else ""

    return _FONT_FACE.sub(keep, css)


_HARFBUZZ_FALLBACK = "Using fontTools instead of HarfBuzz-Subset"


class _SubsetterNotice(logging.Filter):
    """Drops WeasyPrint's per-font "Using fontTools instead of HarfBuzz-Subset" warning (a note
    about the machine, not about the report: every render would repeat it once per font) and logs
    it once per process at INFO instead."""

    def __init__(self) -> None:
        super().__init__()
        self._said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(_HARFBUZZ_FALLBACK):
            return True
        if not self._said:
            self._said = True
            log.info("libharfbuzz-subset0 is not installed: WeasyPrint subsets the report's fonts with "
                     "fontTools (same text and layout; the PDF's bytes differ from a machine that has it)")
        return False


@cache
def _prepare_weasyprint() -> None:
    """Once per process: make WeasyPrint's fontTools subsets reproducible and quiet its fallback notice.

    WeasyPrint's ``pdf.fonts`` module loads fonts with fontTools' ``TTFont``, whose ``save`` sets
    ``head.modified`` to the current time (``recalcTimestamp=True``): with the fontTools subsetter
    (no ``libharfbuzz-subset0``) two renders of the same report differed in every embedded font.
    The module's ``TTFont`` is replaced by a subclass that keeps the font's own timestamp. (``TTFont``
    is a module attribute of WeasyPrint's; tests/test_render_pdf.py fails if a release renames it.)"""
    import weasyprint.pdf.fonts as weasy_fonts
    from fontTools.ttLib import TTFont

    if weasy_fonts.TTFont is TTFont:

        class KeepTimestampTTFont(TTFont):  # type: ignore[misc]
            def __init__(self, *args: Any, recalcTimestamp: bool = False, **kwargs: Any) -> None:
                super().__init__(*args, recalcTimestamp=recalcTimestamp, **kwargs)

        weasy_fonts.TTFont = KeepTimestampTTFont
    if not isinstance(weasy_fonts.subset, _SubsetModule):
        weasy_fonts.subset = _SubsetModule(weasy_fonts.subset)
    logging.getLogger("weasyprint").addFilter(_SubsetterNotice())


class _SubsetModule:
    """``fontTools.subset`` as WeasyPrint's ``pdf.fonts`` sees it, with :func:`_drop_first_subsetter`'s
    ``Subsetter``; every other name is the module's own."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.Subsetter = _drop_first_subsetter(module.Subsetter)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _drop_first_subsetter(base: type) -> type:
    """fontTools' ``Subsetter`` deleting the layout tables it is told to drop *before* subsetting.

    WeasyPrint's fontTools path drops ``GSUB`` and ``GPOS`` (Pango has shaped the text already),
    and fontTools deletes dropped tables as the first step of ``subset`` — but since 4.68 it
    first decompiles ``GDEF``/``GSUB``/``GPOS`` whole to convert them to compact layouts
    (``beyond64k._compact_layout_tables``): for the Noto faces that was a third of a report's PDF
    time, for tables thrown away a moment later. Deleting them first (and ``kern`` where fontTools
    would drop it because ``GPOS`` is there) leaves the same font, byte for byte
    (tests/test_render_pdf.py compares the subsets)."""

    class DropFirstSubsetter(base):  # type: ignore[misc]
        def subset(self, font: Any) -> None:
            layout = [t for t in ("GSUB", "GPOS") if t in self.options.drop_tables and t in font]
            if layout:
                if "kern" in font and not self.options.legacy_kern and "GPOS" in font:
                    del font["kern"]
                for tag in layout:
                    del font[tag]
            super().subset(font)

    return DropFirstSubsetter


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
    from weasyprint import Attachment
    from weasyprint.text.fonts import FontConfiguration

    _prepare_weasyprint()
    started = time.perf_counter()
    view = build_view(bundle, samples, schemas, lang=lang, columns=columns)
    html_text = (
        environment().get_template("report.html.j2").render(v=view, controller_name=view["author"] or "us")
    )
    created = _generated_at(bundle)

    fetcher = AssetFetcher()
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

    _remove_stale_font_folders_once()
    with capture_weasyprint_warnings() as records:
        font_config = FontConfiguration()
        lock = _own_font_folder(font_config)
        try:
            pdf = _write(html_text, font_config, fetcher, files)
        finally:
            _remove_font_files(font_config)
            if lock is not None:
                os.close(lock)
    for record in records:
        log.warning("WeasyPrint: %s", record.getMessage())
    if fetcher.refused:
        raise OutputError(
            "report.pdf referred to a resource that is not a packaged asset",
            hint="the templates must only use piconext-asset:/ URLs; this is a bug, please report it",
            refused=fetcher.refused,
        )
    log.debug("report.pdf rendered in %.2f s", time.perf_counter() - started)
    assert isinstance(pdf, bytes)
    return pdf


def _write(html_text: str, font_config: Any, fetcher: AssetFetcher, files: list[Any]) -> bytes:
    from weasyprint import CSS

    css = CSS(
        string=_stylesheet(font_families(html_text)),
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


#: The folder of each render's ``@font-face`` fonts: ``<temp dir>/weasyprint-exporter-<random>``,
#: ``flock``-ed while the render runs (as a package's work folder is, exporter/packaging/package.py).
FONT_FOLDER_PREFIX = "weasyprint-exporter-"
#: A folder this young is never removed: between ``mkdtemp`` and ``flock`` it is not locked yet.
_FONT_FOLDER_MIN_AGE = 60.0


def _own_font_folder(font_config: Any) -> int | None:
    """Give ``font_config`` a font folder of the exporter's, locked while this render lives; returns
    the lock (close it when done). WeasyPrint creates its ``weasyprint-*`` folder only when it has
    none (``_folder``, its own attribute: a test fails if it changes)."""
    import tempfile

    from ..packaging.package import _lock

    folder = Path(tempfile.mkdtemp(prefix=FONT_FOLDER_PREFIX))
    font_config._folder = folder
    try:
        return _lock(folder)
    except OSError:
        return None


def remove_stale_font_folders(temp_dir: Path | None = None) -> int:
    """Remove the font folders (:data:`FONT_FOLDER_PREFIX`) that killed renders left in the temp
    directory (a SIGKILLed export leaves its fonts behind, 1.5-2.5 MB); returns how many.

    A folder is left alone while its render lives (its ``flock`` is held) and during its first
    minute. Runs once per process before the first render; housekeeping may call it too. Folders
    of other WeasyPrint users (plain ``weasyprint-*``) are not touched."""
    import tempfile

    from ..packaging.package import _abandoned

    root = Path(temp_dir or tempfile.gettempdir())
    removed = 0
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(FONT_FOLDER_PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            young = time.time() - entry.stat().st_mtime < _FONT_FOLDER_MIN_AGE
        except OSError:
            continue
        if not young and _abandoned(entry):
            if remove_tree(entry, "a font folder of an interrupted render", logger=log):
                removed += 1
    if removed:
        log.info("removed %d font folder(s) of interrupted renders from %s", removed, root)
    return removed


@cache
def _remove_stale_font_folders_once() -> None:
    remove_stale_font_folders()


def _remove_font_files(font_config: Any) -> None:
    """Remove the temporary folder WeasyPrint wrote the render's ``@font-face`` fonts to (1.5-2.5 MB).

    WeasyPrint removes it in ``FontConfiguration.__del__``, which runs only once the garbage
    collector frees the configuration (a cycle) — never in a process that ends with ``os._exit``,
    as multiprocessing workers do (the PDF helper, export-batch workers): each such run left a
    ``weasyprint-*`` folder behind in the temp directory. The PDF is written, so nothing reads the
    files any more. (``_folder`` is WeasyPrint's own attribute; a test fails if it changes.)"""
    folder = getattr(font_config, "_folder", None)
    if folder:
        remove_tree(folder, "the render's font folder", logger=log)
        font_config._folder = None


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
