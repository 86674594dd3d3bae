"""Tables and record cards as index.html shows them: column widths, cards of field pairs.

The layout of the copy of the personal data (GDPR Art. 15(3)) in its table forms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .formats import Line


def _column_widths(columns: Sequence[Mapping[str, Any]], rows: Sequence[Sequence[list[Line]]]) -> list[str]:
    """Percent widths for a fixed-layout table.

    Each column gets at least room for its longest usual word (ids, dates, amounts stay on one
    line); what is left goes to the columns with long text. A fixed layout keeps unbreakable values
    (hashes, URLs) from pushing the table off the page, and is much faster for WeasyPrint."""
    char_mm, pad_mm, avail_mm = 1.65, 3.8, 171.0
    minimum, desired = [], []
    for i, col in enumerate(columns):
        title_word = max((len(w) for w in str(col["title"]).split()), default=4)
        words, lengths = [], []
        for row in rows:
            cell = row[i]
            lengths.append(
                max((len(line.label) + len(line.text) + len(line.note) + 3 for line in cell), default=1)
            )
            words.append(
                max((len(w) for line in cell for w in f"{line.label} {line.text}".split()), default=1)
            )
        words.sort()
        lengths.sort()
        p90 = min(len(rows) - 1, int(len(rows) * 0.9)) if rows else 0
        word = max(title_word, words[p90] if words else 1)
        typical = max(word, lengths[p90] if lengths else 1)
        minimum.append(min(word, 16) * char_mm + pad_mm)
        desired.append(min(typical, 60) * char_mm + pad_mm)
    total_min, total_desired = sum(minimum), sum(desired)
    if total_desired <= avail_mm:
        widths = [d * avail_mm / total_desired for d in desired]
    elif total_min >= avail_mm:
        widths = [m * avail_mm / total_min for m in minimum]
    else:
        spare, extra = avail_mm - total_min, total_desired - total_min
        widths = [m + (d - m) * spare / extra for m, d in zip(minimum, desired, strict=True)]
    return [f"{100 * w / avail_mm:.2f}%" for w in widths]


#: In a record card, values longer than this (or on several lines) take a whole row.
_CARD_SHORT = 42


def _cards(
    columns: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    rows: Sequence[Sequence[list[Line]]],
) -> list[list[list[tuple[str, list[Line]]]]]:
    """Records as compact cards: rows of one or two (title, value) pairs. Short values sit two to a
    row; long or multi-line ones take the whole row. Fields without a value (null) are left out."""
    cards = []
    for record, cells in zip(records, rows, strict=True):
        card: list[list[tuple[str, list[Line]]]] = []
        open_row = False  # the last row holds one short pair and can take another
        for col, key, lines in zip(columns, keys, cells, strict=True):
            if key not in record or record[key] is None:
                continue
            pair = (str(col["title"]), lines)
            short = (
                len(lines) == 1
                and len(lines[0].label) + len(lines[0].text) + len(lines[0].note) <= _CARD_SHORT
            )
            if short and open_row:
                card[-1].append(pair)
                open_row = False
            else:
                card.append([pair])
                open_row = short
        cards.append(card)
    return cards
