"""The font subsetter made reproducible and quick: WeasyPrint's fontTools path, patched once per process.

WeasyPrint subsets fonts with HarfBuzz-Subset when the system library ``libharfbuzz-subset0`` is
installed and with fontTools otherwise. The two make different (equally valid) subsets, so the
PDF's bytes depend on the machine; its text, pages and metadata do not. fontTools stamps the
current time into each subset's ``head.modified`` when it saves it, which made every render
differ; :func:`prepare_weasyprint` keeps the source font's timestamp instead (as HarfBuzz does), so
the same input gives the same bytes on a given machine with either subsetter, and lets fontTools
drop the layout tables before it decompiles them (:func:`_drop_first_subsetter`).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

__all__ = ["SubsetModule", "prepare_weasyprint"]

log = logging.getLogger("exporter.render")

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
def prepare_weasyprint() -> None:
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
    if not isinstance(weasy_fonts.subset, SubsetModule):
        weasy_fonts.subset = SubsetModule(weasy_fonts.subset)
    logging.getLogger("weasyprint").addFilter(_SubsetterNotice())


class SubsetModule:
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

