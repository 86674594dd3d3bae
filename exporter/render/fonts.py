"""Which fonts a report needs: the ``@font-face`` families of ``report.css`` its text uses.

``report.css`` declares one ``@font-face`` family per script. Only the families whose script
occurs in the document's text are handed to WeasyPrint (:func:`font_families`): a report without
Chinese, Japanese or Korean text never loads the 7.7 MB CJK font, which costs about half a second
per render. Characters outside every packaged font fall back to a system font, as before.
"""

from __future__ import annotations

import re
from functools import cache

from ._env import read_text

__all__ = ["BASE_FAMILY", "MONO_FAMILY", "SCRIPT_FAMILIES", "font_families", "stylesheet"]

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
def stylesheet(families: frozenset[str]) -> str:
    """report.css with the ``@font-face`` rules of ``families`` only."""
    css = read_text("report.css")

    def keep(match: re.Match[str]) -> str:
        family = _FAMILY.search(match.group(0))
        return match.group(0) if family is None or family.group(1) in families else ""

    return _FONT_FACE.sub(keep, css)
