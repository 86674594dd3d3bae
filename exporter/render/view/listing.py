"""Fixed-width text for report.pdf: listings of many records and record cards as aligned lines.

See :data:`~exporter.render.view.limits.LISTING_MIN_ROWS` and
:data:`~exporter.render.view.limits.CARD_TITLE_WIDTH` for why (WeasyPrint layout time); the copy of
the personal data (GDPR Art. 15(3)) reads the same as in index.html's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wcwidth import wcswidth, wcwidth

from .formats import Line
from .limits import CARD_TITLE_WIDTH, LISTING_BLOCK, LISTING_WIDTH


def _fit(text: str, width: int) -> str:
    """``text`` padded with spaces, or cut with "…", to ``width`` terminal columns."""
    text = " ".join(text.split())  # one line: no tabs or newlines inside a listing cell
    w = wcswidth(text)
    if w < 0:  # control or unprintable characters: fall back to code points
        w = len(text)
    if w <= width:
        return text + " " * (width - w)
    out, used = [], 0
    for ch in text:
        cw = max(wcwidth(ch), 0)
        if used + cw > width - 1:
            break
        out.append(ch)
        used += cw
    return "".join(out) + "…" + " " * (width - 1 - used)


def _columns_of(text: str) -> int:
    """Terminal columns ``text`` takes in a fixed-width font (wide characters count two)."""
    w = wcswidth(text)
    return w if w >= 0 else sum(max(wcwidth(ch), 0) for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` columns: broken at spaces, inside a word only when
    the word alone is wider; the text's own line breaks are kept, tabs become spaces."""
    out: list[str] = []
    for para in text.expandtabs(1).splitlines() or [""]:
        line, used = "", 0
        for word in para.split():
            w = _columns_of(word)
            if line and used + 1 + w <= width:
                line, used = f"{line} {word}", used + 1 + w
                continue
            if line:
                out.append(line)
            line, used = "", 0
            while w > width:  # a word wider than the column: split it
                head, hw = "", 0
                for ch in word:
                    cw = max(wcwidth(ch), 0)
                    if hw + cw > width and head:
                        break
                    head, hw = head + ch, hw + cw
                out.append(head)
                word = word[len(head) :]
                w = _columns_of(word)
            line, used = word, w
        out.append(line)
    return out


def _card_rows(card: Sequence[Sequence[tuple[str, list[Line]]]]) -> list[str]:
    """One record card as fixed-width text (see :data:`CARD_TITLE_WIDTH`): a string per row, rows
    of several lines joined with newlines. Short single-line values sit two to a row."""
    gap = "  "
    pairs = [pair for row in card for pair in row]
    tw = min(max((_columns_of(title) for title, _ in pairs), default=1), CARD_TITLE_WIDTH)
    half = (LISTING_WIDTH - len(gap)) // 2
    vw_half, vw_full = half - tw - len(gap), LISTING_WIDTH - tw - len(gap)

    def texts(lines: Sequence[Line]) -> list[str]:
        return [
            (f"{ln.label}: " if ln.label else "") + ln.text + (f" ({ln.note})" if ln.note else "")
            for ln in lines
        ] or [""]

    def short(pair: tuple[str, list[Line]]) -> bool:
        title, lines = pair
        text = texts(lines)
        return len(text) == 1 and "\n" not in text[0] and _columns_of(text[0]) <= vw_half and (
            _columns_of(title) <= tw
        )

    rows: list[str] = []
    i = 0
    while i < len(pairs):
        first = pairs[i]
        if i + 1 < len(pairs) and short(first) and short(pairs[i + 1]):
            second = pairs[i + 1]
            left = _fit(first[0], tw) + gap + _fit(texts(first[1])[0], vw_half)
            rows.append((left + gap + _fit(second[0], tw) + gap + texts(second[1])[0]).rstrip())
            i += 2
            continue
        title, lines = first
        keys = _wrap(title, tw)
        values = [piece for text in texts(lines) for piece in _wrap(text, vw_full)]
        n = max(len(keys), len(values))
        keys += [""] * (n - len(keys))
        values += [""] * (n - len(values))
        rows.append("\n".join((_fit(k, tw) + gap + v).rstrip() for k, v in zip(keys, values, strict=True)))
        i += 1
    return rows


def _listing(titles: Sequence[str], rows: Sequence[Sequence[str]], *, wrap: bool = False) -> dict[str, Any]:
    """Rows as aligned fixed-width lines (see :data:`LISTING_MIN_ROWS`).

    Each column is as wide as its widest value (or title); when the line would be longer than
    :data:`LISTING_WIDTH`, the widest columns are narrowed first. Without ``wrap``, each record is
    one line and long values are cut with "…" (the full values are in the data files, as the report
    says under the listing); with ``wrap``, long values and titles continue on the next lines of
    their column, columns are not narrowed below their longest word (up to 24 columns) while others
    can give way, and each block is one record.
    """
    gap = 2
    widths, floors = [], []
    for i, title in enumerate(titles):
        cells = [" ".join(str(r[i]).split()) for r in rows]
        widths.append(max([_columns_of(title), *(_columns_of(c) for c in cells), 1]))
        longest_word = max((_columns_of(w) for c in cells for w in c.split()), default=1)
        floors.append(min(max(longest_word, 6), 24) if wrap else 6)
    budget = LISTING_WIDTH - gap * (len(titles) - 1)
    while sum(widths) > budget:
        wider = [i for i in range(len(widths)) if widths[i] > floors[i]]
        if not wider:
            if floors == [6] * len(floors):
                break
            floors = [6] * len(floors)  # the words alone do not fit: narrow all columns alike
            continue
        widest = max(wider, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
    sep = " " * gap

    def line(cells: Sequence[str]) -> str:
        return sep.join(_fit(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()

    def wrapped(cells: Sequence[str]) -> list[str]:
        columns = [_wrap(" ".join(str(c).split()), w) for c, w in zip(cells, widths, strict=True)]
        height = max(len(col) for col in columns)
        return [line([col[k] if k < len(col) else "" for col in columns]) for k in range(height)]

    if wrap:
        return {"head": "\n".join(wrapped(titles)), "blocks": [wrapped(r) for r in rows], "wrapped": True}
    lines = [line(r) for r in rows]
    return {
        "head": line(list(titles)),
        "blocks": [lines[i : i + LISTING_BLOCK] for i in range(0, len(lines), LISTING_BLOCK)],
        "wrapped": False,
    }
