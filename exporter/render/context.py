"""View model for the report templates: readable titles, dates, codes and nested values.

The templates only lay out what :func:`build_view` returns; every decision about how a value reads
(field titles from the schema, coded values with their explanations, dates with their time zone,
nested values flattened into labelled lines, over-long text cut with a pointer to the data file) is
made here, in plain Python, so that the PDF and the HTML say the same thing.

Nothing here marks text as safe: templates are rendered with autoescape on, and subject data stays
plain ``str``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from wcwidth import wcswidth, wcwidth

from .money import with_money

__all__ = [
    "Line",
    "build_view",
    "describe_value",
    "field_schema",
    "format_count",
    "format_date",
    "format_datetime",
    "format_temporal",
]

#: Records with at most this many columns are shown as a table; wider ones as definition lists.
MAX_TABLE_COLUMNS = 6
#: Categories with at most this many shown records keep the full per-record detail; above it, a
#: category with ``pdf_columns`` in the catalog gets a compact table of those columns only.
FULL_DETAIL_ROWS = 3
#: Longest text in one cell of a compact table (the full value is in the data files).
MAX_COMPACT_CHARS = 160
#: Longest text shown in one cell; the full value is in the data files.
MAX_CELL_CHARS = 1200
#: At most this many lines for one nested value.
MAX_CELL_LINES = 40
#: At most this many most-frequent values shown per field.
MAX_TOP_VALUES = 10
#: At most this many rows rendered per category, whatever the caller passes.
MAX_ROWS = 500
#: Compact tables are shown in report.pdf as *listings*: fixed-width text, columns aligned with
#: spaces. WeasyPrint lays out every table cell as its own boxes (about 2,500 Python calls each; a
#: third of a typical report's render time once went to two 100-row log tables); a line of text costs
#: about a tenth of a table row. With more rows than this, a listing gives one line per record and
#: cuts long values with "…"; with this many or fewer, long values wrap inside their column, so the
#: reader loses nothing the table showed. index.html keeps the real tables (browsers are fast at them).
LISTING_MIN_ROWS = 20
#: Characters per listing line: the PDF's text width (171 mm) in 7.5 pt Noto Sans Mono (0.6 em).
LISTING_WIDTH = 104
#: Listing lines per block (blocks alternate in shade, so the eye can follow a line across).
LISTING_BLOCK = 5
#: Record cards (categories showing at most FULL_DETAIL_ROWS records) are set in report.pdf the way
#: listings are: fixed-width lines, a field title and its value per row, two short fields side by
#: side, long values wrapped under their own column. As 4-column tables they cost about 8 ms of
#: WeasyPrint time per row, a sixth of a typical report; a line of text costs about 1.4 ms.
#: index.html keeps the table cards. Field titles wider than this many columns wrap.
CARD_TITLE_WIDTH = 22

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
#: Short names of the GDPR Art. 6(1) legal bases, used in each category; the report explains each
#: once, with the catalog's full wording, before the categories.
_BASIS_SHORT = {
    "consent": "Your consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligation",
    "legitimate_interests": "Legitimate interests",
}
_STATUS = {
    "held": "Held",
    "none_held": "None held",
    "incomplete": "Incomplete",
    "not_searched": "Not searched",
    "not_applicable": "Does not apply",
}
#: statuses for which nothing was found because nothing was (or needed to be) searched
_NOT_READ = ("not_searched", "not_applicable")


class Line(NamedTuple):
    """One line of a displayed value: optional ``label`` (nested field), ``text``, optional ``note``
    (the explanation of a coded value)."""

    label: str
    text: str
    note: str


# --------------------------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------------------------


def format_count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else str(n)


def format_date(value: Any) -> str:
    """``"2026-11-02"`` → ``"2 Nov 2026"``; anything unparsable is returned as text."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    text = str(value)
    try:
        d = date.fromisoformat(text[:10])
    except ValueError:
        return text
    if len(text) > 10:
        return format_datetime(text)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


_ISO_DAY = re.compile(r"(?<![\w-])(\d{4}-\d{2}-\d{2})(?![\w-])")


def readable_dates(text: str) -> str:
    """Bundle prose with its ISO days (``2028-04-30``) in the report's form (``30 Apr 2028``).

    bundle.json keeps ISO dates in its texts (machine-readable, language-neutral); the report shows
    every date one way. Only whole ``YYYY-MM-DD`` tokens that are real dates change."""

    def one(match: re.Match[str]) -> str:
        try:
            return format_date(date.fromisoformat(match.group(1)))
        except ValueError:
            return match.group(0)

    return _ISO_DAY.sub(one, text)


def _zone(dt: datetime) -> str:
    offset = dt.utcoffset()
    if offset is None:
        return ""
    if offset == timedelta(0):
        return " UTC"
    total = int(offset.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f" UTC{sign}{hours:02d}:{minutes:02d}"


def format_datetime(value: Any) -> str:
    """``"2026-02-03T14:05:09Z"`` → ``"3 Feb 2026, 14:05:09 UTC"`` (seconds only when not zero)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip()
        try:
            dt = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            return text
    clock = f"{dt.hour:02d}:{dt.minute:02d}"
    if dt.second or dt.microsecond:
        clock += f":{dt.second:02d}"
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year}, {clock}{_zone(dt)}"


def format_temporal(value: Any) -> str:
    """A date or a date-time, whichever the value is."""
    if isinstance(value, str) and _DATE_RE.match(value):
        return format_date(value)
    return format_datetime(value)


def _cut(text: str, limit: int = MAX_CELL_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f" … [{len(text) - limit:,} more characters in the data file]"


def _join(items: Iterable[str], sep: str = "; ") -> str:
    return sep.join(i for i in items if i)


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


def _deref(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Resolve a local ``$ref`` and merge ``allOf``/``anyOf``/``oneOf`` members enough for display."""
    if not isinstance(node, Mapping):
        return {}
    seen = 0
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and seen < 8:
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(target, Mapping)
                else {}
            )
        node = (
            {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            if isinstance(target, Mapping)
            else {}
        )
        seen += 1
    merged: dict[str, Any] | None = None
    for key in ("allOf", "anyOf", "oneOf"):
        for member in node.get(key) or ():
            sub = _deref(member, root)
            if sub.get("type") == "null":
                continue
            merged = merged if merged is not None else dict(node)
            for k, v in sub.items():
                if k == "properties" and isinstance(v, Mapping):
                    merged["properties"] = {**v, **merged.get("properties", {})}
                else:
                    merged.setdefault(k, v)
    return merged if merged is not None else node


def field_schema(schema: Mapping[str, Any] | None, path: Sequence[str]) -> Mapping[str, Any]:
    """The (dereferenced) schema of ``path`` inside an object schema; ``{}`` when unknown."""
    if not schema:
        return {}
    root = schema
    node: Mapping[str, Any] = _deref(schema, root)
    for key in path:
        if node.get("type") == "array" or "items" in node:
            node = _deref(node.get("items", {}), root)
        props = node.get("properties")
        if not isinstance(props, Mapping) or key not in props:
            return {}
        node = _deref(props[key], root)
    return node


def _types(node: Mapping[str, Any]) -> set[str]:
    t = node.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _humanize(key: str) -> str:
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else key


def title_of(node: Mapping[str, Any], key: str) -> str:
    title = node.get("title")
    return str(title) if isinstance(title, str) and title.strip() else _humanize(key)


def enum_note(node: Mapping[str, Any], value: Any) -> str:
    """Explanation of a coded value: ``x-enum-titles[value]``; ``""`` when there is none."""
    titles = node.get("x-enum-titles")
    if isinstance(titles, Mapping) and not isinstance(value, (dict, list)):
        note = titles.get(
            value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        )
        if note is None and not isinstance(value, str):
            note = titles.get(str(value))
        if isinstance(note, str):
            return note
    return ""


def _scalar(value: Any, node: Mapping[str, Any]) -> tuple[str, str]:
    """(text, note) of a scalar value under its schema. A coded value is shown by its title
    (``x-enum-titles``), never as the code: "You opened the email", not ``email_open``."""
    if value is None:
        return "—", ""
    title = enum_note(node, value)
    if title:
        return _cut(title), ""
    if isinstance(value, bool):
        return ("Yes" if value else "No"), ""
    fmt = node.get("format")
    if isinstance(value, str):
        if fmt == "date-time" or (not fmt and _DATETIME_RE.match(value) and "T" in value):
            return format_datetime(value), ""
        if fmt == "date" or (not fmt and _DATE_RE.match(value)):
            return format_date(value), ""
        return _cut(value), ""
    if isinstance(value, float):
        text = repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
        return text, ""
    return str(value), ""


def describe_value(value: Any, node: Mapping[str, Any], root: Mapping[str, Any] | None = None) -> list[Line]:
    """A value as display lines. Nested objects become ``label: value`` lines (labels from the
    schema titles, joined with ``›``); lists of scalars are joined with commas."""
    lines: list[Line] = []
    _walk(value, node, root or node, "", lines)
    if len(lines) > MAX_CELL_LINES:
        hidden = len(lines) - MAX_CELL_LINES
        lines = lines[:MAX_CELL_LINES] + [Line("", f"… {hidden:,} more lines in the data file", "")]
    return lines


def _walk(value: Any, node: Mapping[str, Any], root: Mapping[str, Any], label: str, out: list[Line]) -> None:
    if len(out) > MAX_CELL_LINES:
        out.append(Line("", "…", ""))
        return
    node = _deref(node, root)
    if isinstance(value, Mapping):
        if not value:
            out.append(Line(label, "—", ""))
            return
        props = _props(node)
        for key in _ordered_keys(props, [value]):
            if key not in value:
                continue
            sub = _deref(props.get(key, {}), root)
            name = title_of(sub, key)
            _walk(value[key], sub, root, f"{label} › {name}" if label else name, out)
        return
    if isinstance(value, list):
        items_node = _deref(node.get("items", {}), root)
        if not value:
            out.append(Line(label, "none", ""))
            return
        if all(not isinstance(v, (Mapping, list)) for v in value):
            parts = []
            for v in value:
                text, note = _scalar(v, items_node)
                parts.append(f"{text} ({note})" if note else text)
            out.append(Line(label, _cut(", ".join(parts)), ""))
            return
        for i, item in enumerate(value, 1):
            if isinstance(item, Mapping) and all(not isinstance(v, (Mapping, list)) for v in item.values()):
                props = _props(items_node)
                parts = []
                for key in _ordered_keys(props, [item]):
                    if key in item:
                        sub = _deref(props.get(key, {}), root)
                        text, note = _scalar(item[key], sub)
                        parts.append(f"{title_of(sub, key)}: {text}" + (f" ({note})" if note else ""))
                text = _cut("; ".join(parts)) or "—"
                out.append(Line(f"{label} {i}", text, "") if label else Line("", f"{i}. {text}", ""))
            else:
                _walk(item, items_node, root, f"{label} {i}" if label else f"#{i}", out)
        return
    text, note = _scalar(value, node)
    out.append(Line(label, text, note))


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


def _props(node: Mapping[str, Any]) -> Mapping[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, Mapping) else {}


def _ordered_keys(props: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> list[str]:
    keys = list(props)
    seen = set(keys)
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    return keys


# --------------------------------------------------------------------------------------------
# View
# --------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "x"


def _names(items: Any, key: str = "title") -> list[str]:
    out = []
    for item in items or ():
        if isinstance(item, Mapping):
            value = item.get(key) or item.get("title") or item.get("name") or item.get("id")
            if value:
                out.append(str(value))
        elif item is not None:
            out.append(str(item))
    return out


def _shorten(text: str, limit: int = MAX_COMPACT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + " … [shortened; the full value is in the data file]"


def _compact_text(value: Any, node: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """A value as the single line of text a compact-table cell shows. A coded value appears as its
    title; nested values become ``label: value; …``."""
    if isinstance(value, str) and not _DATETIME_RE.match(value) and not _DATE_RE.match(value):
        return _shorten(enum_note(node, value) or value)
    if not isinstance(value, (Mapping, list)):
        return _scalar(value, node)[0]
    lines = describe_value(value, node, root)
    return _shorten(
        _join(
            (f"{line.label}: " if line.label else "") + line.text + (f" ({line.note})" if line.note else "")
            for line in lines
        )
    )


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


def _compact_keys(
    wanted: Sequence[str], props: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """The catalog's ``pdf_columns`` that this category has (schema field or present in a record)."""
    keys: list[str] = []
    for key in wanted:
        if isinstance(key, str) and key not in keys and (key in props or any(key in r for r in rows)):
            keys.append(key)
    return keys[:MAX_TABLE_COLUMNS]


def _columns(
    keys: Sequence[str], props: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[dict[str, Any]]:
    columns = []
    for key in keys:
        node = _deref(props.get(key, {}), schema)
        desc = node.get("description")
        columns.append(
            {"key": key, "title": title_of(node, key), "description": desc if isinstance(desc, str) else ""}
        )
    return columns


def _category_view(
    cat: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    schema: Mapping[str, Any] | None,
    anchor: str,
    pdf_columns: Sequence[str] = (),
    *,
    ccpa: bool = True,
    withheld_note: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """One category of the report. ``ccpa``: whether the rules applied are the CCPA's (the
    bundle's jurisdiction has a ``ccpa`` block); only then are the category's CCPA category and
    its "sensitive personal information" flag (Cal. Civ. Code §1798.140(v), (ae)) shown. An EU or
    UK reader gets the GDPR facts of Art. 15(1) alone, not another law's terms (GDPR Art. 12(1):
    concise and intelligible). ``withheld_note``: the jurisdiction's ``withheld`` block, why fields
    that are held are not in the copy (each law's own reason and rule)."""
    schema = schema or {}
    status = str(cat.get("status") or "held")
    count = cat.get("count") or 0
    withheld_reason = cat.get("records_withheld_reason")
    rows = list(rows or ())[:MAX_ROWS] if not withheld_reason else []
    props = _deref(schema, schema).get("properties")
    props = props if isinstance(props, Mapping) else {}
    # amounts with their currency in the reader's locale ("€1,960.00"); the data files keep numbers
    rows = [with_money(r, props, locale) for r in rows]
    all_keys = [k for k in _ordered_keys(props, rows) if any(k in r for r in rows)]
    compact_keys = _compact_keys(pdf_columns, props, rows) if len(rows) > FULL_DETAIL_ROWS else []
    keys = compact_keys or all_keys
    columns = _columns(keys, props, schema)
    col_nodes = [_deref(props.get(k, {}), schema) for k in keys]
    table_rows: list[list[list[Line]]] = []
    compact_rows: list[list[str]] = []
    other_fields: list[str] = []
    cards: list[list[list[tuple[str, list[Line]]]]] = []
    card_listings: list[list[str]] = []
    listing: dict[str, Any] | None = None
    layout = "none"
    if compact_keys:
        # Many records: one line of text per cell, the columns the privacy office chose.
        layout = "compact"
        compact_rows = [
            [_compact_text(r[k], n, schema) if k in r else "" for k, n in zip(keys, col_nodes, strict=True)]
            for r in rows
        ]
        listing = _listing(
            [c["title"] for c in columns], compact_rows, wrap=len(compact_rows) <= LISTING_MIN_ROWS
        )
        measured = [[[Line("", text, "")] for text in row] for row in compact_rows]
        for col, width in zip(columns, _column_widths(columns, measured), strict=True):
            col["width"] = width
        withheld_fields = set(cat.get("withheld_fields") or ())
        other_fields = [
            title_of(_deref(props.get(k, {}), schema), k)
            for k in _ordered_keys(props, rows)
            if k not in compact_keys and k not in withheld_fields
        ]
    elif rows:
        table_rows = [
            [describe_value(r[k], n, schema) if k in r else [] for k, n in zip(keys, col_nodes, strict=True)]
            for r in rows
        ]
        layout = "table" if len(table_rows) > 1 and len(columns) <= MAX_TABLE_COLUMNS else "list"
        if layout == "table":
            for col, width in zip(columns, _column_widths(columns, table_rows), strict=True):
                col["width"] = width
        else:
            cards = _cards(columns, rows, keys, table_rows)
            card_listings = [_card_rows(card) for card in cards]

    top_values = []
    for field, pairs in (cat.get("top_values") or {}).items():
        node = field_schema(schema, [field])
        values = []
        for pair in list(pairs or ())[:MAX_TOP_VALUES]:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                continue
            text, note = (
                _scalar(pair[0], node) if not isinstance(pair[0], (dict, list)) else (str(pair[0]), "")
            )
            values.append(
                f"{text} ({note}): {format_count(pair[1])}" if note else f"{text}: {format_count(pair[1])}"
            )
        if values:
            # One text run per field: every extra inline box is layout and drawing work.
            top_values.append({"title": title_of(node, field), "text": " · ".join(values)})

    recipients: list[dict[str, Any]] = []
    # recipients the person's disclosure log shows received none of this data: listed apart, as
    # possible ones (exporter.law.disclosures; CJEU C-154/21)
    recipients_possible: list[str] = []
    for r in cat.get("recipients") or ():
        if not isinstance(r, Mapping):
            continue
        if r.get("status") == "possible":
            recipients_possible.append(str(r.get("title") or r.get("id") or ""))
            continue
        extra = []
        if r.get("country"):
            extra.append(f"processes in {r['country']}")
        if not r.get("names") and r.get("unnamed_reason"):
            extra.append(f"not named: {r['unnamed_reason']}")
        recipients.append(
            {
                "title": str(r.get("title") or r.get("id") or ""),
                "names": _names(r.get("names"), "name"),
                "extra": ", ".join(extra),
                "country": str(r.get("country") or ""),
            }
        )

    countries = {r["country"] for r in recipients}
    recipients_where = ""
    if len(recipients) > 1 and len(countries) == 1 and "" not in countries:
        # Said once after the list rather than after every recipient.
        recipients_where = next(iter(countries))
        for r in recipients:
            r["extra"] = ", ".join(x for x in r["extra"].split(", ") if x and not x.startswith("processes in "))

    purposes = []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in cat.get("purposes") or ():
        if isinstance(p, Mapping):
            purpose = {
                "title": str(p.get("title") or p.get("id") or ""),
                "basis": str(p.get("basis_title") or p.get("basis") or ""),
                "cite": str(p.get("basis_cite") or ""),
                "interest": str(p.get("interest") or ""),
            }
            purposes.append(purpose)
            if p.get("legal_basis_shown") is False:
                # a law without legal bases (CCPA, UCPA): the purposes only, in one run
                group = groups.setdefault(("", ""), {"label": "", "basis": "", "cite": "", "purposes": []})
                group["purposes"].append(purpose["title"])
                continue
            label = _BASIS_SHORT.get(str(p.get("basis") or ""), purpose["basis"])
            group = groups.setdefault(
                (purpose["basis"], purpose["cite"]),
                {"label": label, "basis": purpose["basis"], "cite": purpose["cite"], "purposes": []},
            )
            group["purposes"].append(
                purpose["title"] + (f" (our interest: {purpose['interest']})" if purpose["interest"] else "")
            )

    retention = cat.get("retention") or {}
    until_shown = format_date(retention.get("until")) if retention.get("until") else ""
    explanation = readable_dates(str(retention.get("explanation") or ""))
    lead = f"Is deleted on {until_shown}, "
    joined = bool(until_shown) and explanation.startswith(lead) and len(explanation) > len(lead)
    if joined:
        explanation = explanation[len(lead):]
    withheld_counts = cat.get("withheld_counts") or {}
    withheld = []
    # fields held but not shown exist only where records are held (not in a kind we hold none of)
    for field in (cat.get("withheld_fields") or ()) if count else ():
        node = field_schema(schema, [field])
        n = withheld_counts.get(field) if isinstance(withheld_counts, Mapping) else None
        if n == 0:
            continue  # allowed for by the catalog, but none held for this person
        titles = cat.get("withheld_titles") or {}
        withheld.append({"title": str(titles.get(field) or title_of(node, field)),
                         "count": format_count(n) if n is not None else ""})
    withheld_why = withheld_note if isinstance(withheld_note, Mapping) else {}

    files = []
    for kind, info in (cat.get("files") or {}).items():
        if isinstance(info, Mapping) and info.get("path"):
            files.append({"kind": kind.upper(), "path": str(info["path"])})

    ccpa_category = cat.get("ccpa_category") if ccpa and isinstance(cat.get("ccpa_category"), Mapping) else None
    shown = len(rows)
    if not withheld_reason and shown <= FULL_DETAIL_ROWS and shown >= count:
        top_values = []  # every record is shown in full just below
    if status == "none_held":
        count_text = "none held"
    elif status == "not_searched":
        count_text = "not searched"
    elif status == "not_applicable":
        count_text = "does not apply"
    elif status == "incomplete":
        count_text = f"{format_count(count)} records found so far (incomplete)" if count else "incomplete"
    else:
        count_text = f"{format_count(count)} record{'s' if count != 1 else ''}"

    return {
        "id": str(cat.get("id")),
        "anchor": anchor,
        "title": str(cat.get("title") or cat.get("id")),
        "description": str(cat.get("description") or ""),
        "policy_section": str(cat.get("policy_section") or ""),
        "status": status,
        "status_label": _STATUS.get(status, status),
        "incomplete_reason": str(cat.get("incomplete_reason") or ""),
        "not_applicable_reason": str(cat.get("not_applicable_reason") or ""),
        "count": count,
        "count_text": count_text,
        "first": format_temporal(cat.get("first")) if cat.get("first") else "",
        "last": format_temporal(cat.get("last")) if cat.get("last") else "",
        "purposes": purposes,
        "purpose_groups": list(groups.values()),
        "recipients": recipients,
        "recipients_where": recipients_where,
        "recipients_possible": recipients_possible,
        "origins": _names(cat.get("origins")),
        "retention": {
            # The rule, unless the explanation already quotes it.
            "text": ""
            if str(retention.get("text") or "") in str(retention.get("explanation") or "")
            else str(retention.get("text") or ""),
            "policy": str(retention.get("policy") or ""),
            "until": until_shown,
            "explanation": explanation,
            # "Until 30 Apr 2028: 18 months after …" rather than "Until 30 Apr 2028. Is deleted on 30 Apr 2028, 18 months after …"
            "joined": joined,
        },
        "ccpa_category": {"title": str(ccpa_category.get("title") or ""),
                          "cite": str(ccpa_category.get("cite") or "")}
        if ccpa_category
        else None,
        "sensitive": ccpa and bool(cat.get("sensitive")),
        "withheld": withheld,
        "not_included": [{"title": str(n.get("title") or n.get("column") or ""), "ground": str(n.get("ground") or "")}
                         for n in cat.get("not_included") or () if isinstance(n, Mapping)],
        "withheld_text": str(withheld_why.get("text") or ""),
        "withheld_cite": str(withheld_why.get("cite") or ""),
        "pans_masked": cat.get("pans_masked") or 0,
        "redaction_notice": str(cat.get("redaction_notice") or ""),
        "files": files,
        "records_withheld_reason": str(withheld_reason or ""),
        "top_values": top_values,
        "top_values_approximate": bool(cat.get("top_values_approximate")),
        "columns": columns,
        "rows": table_rows if layout == "table" else compact_rows,
        "cards": cards,
        "card_listings": card_listings,
        "listing": listing,
        "layout": layout,
        "other_fields": other_fields,
        "shown": shown,
        "shown_text": format_count(shown),
        "count_fmt": format_count(count),
        "partial": status != "none_held" and status not in _NOT_READ and not withheld_reason and isinstance(count, int) and count > shown,
        "provenance": [
            {"read": str(p.get("read", "")), "count": format_count(p.get("count", 0))}
            for p in cat.get("provenance") or ()
            if isinstance(p, Mapping)
        ],
    }


def _ccpa_rows(ccpa: Any) -> list[dict[str, Any]]:
    rows = ccpa.get("rows") if isinstance(ccpa, Mapping) else ccpa
    out = []
    for row in rows or ():
        if not isinstance(row, Mapping):
            continue
        category = row.get("title") or row.get("category")
        if isinstance(category, Mapping):
            category = category.get("title") or category.get("id")
        def who(items: Any) -> list[str]:  # the kind of third party, with the names of the actual ones
            return [f"{t} ({', '.join(x['names'])})" if isinstance(x, Mapping) and x.get("names") else t
                    for x, t in zip(items or (), _names(items), strict=False)]

        sold_to = who(row.get("sold_to"))
        shared_to = who(row.get("shared_with") or row.get("shared_to"))
        out.append(
            {
                "category": str(category or ""),
                "cite": str(row.get("cite") or ""),
                "sources": _names(row.get("sources")),
                "purposes": _names(row.get("purposes")),
                "disclosed_to": _names(row.get("disclosed_to") or row.get("third_parties")),
                "sold": ("Yes — to " + ", ".join(sold_to) if sold_to else "Yes") if row.get("sold") else "No",
                "shared": ("Yes — with " + ", ".join(shared_to) if shared_to else "Yes")
                if row.get("shared")
                else "No",
            }
        )
    return out


def _notice_view(notice: Mapping[str, Any], anchor: str) -> dict[str, Any]:
    return {
        "anchor": anchor,
        "title": str(notice.get("title") or notice.get("id") or ""),
        "cite": str(notice.get("cite") or ""),
        "paragraphs": [readable_dates(str(p)) for p in notice.get("paragraphs") or () if p],
        "bullets": [readable_dates(str(i)) for i in notice.get("items") or () if i],
    }


def _kind(title: str) -> str:
    """An identifier title inside a sentence: "Email address" → "email address"; a name keeps its
    capitals ("PicoNext account number")."""
    first = title.split(" ", 1)[0]
    return title[:1].lower() + title[1:] if (first[1:].islower() and first[1:].isalpha()) or len(first) == 1 else title


def _identifier_groups(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The subject's identifiers grouped by how we found them, in words: the ones the request gave,
    then one group per identifier of the subject that a lookup was given ("Found through your
    email address …"). The read that found each (``found_by``, e.g. ``app/identities[0]``) stays in
    bundle.json for the operator."""
    idents = [i for i in items if isinstance(i, Mapping)]
    kinds = {str(i.get("type")): str(i.get("title") or _humanize(str(i.get("type", "")))) for i in idents}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    order = {(str(i.get("type")), str(i.get("value"))): n for n, i in enumerate(idents)}
    for ident in idents:
        through = ident.get("found_through") if isinstance(ident.get("found_through"), Mapping) else {}
        if ident.get("found_by") == "request":
            key, how = ("", ""), "You gave us"
        elif through:
            key = (str(through.get("type") or ""), str(through.get("value") or ""))
            how = f"Found through your {_kind(kinds.get(key[0], _humanize(key[0])))} {key[1]}"
        else:
            key, how = ("~", ""), "Found in our records about you"
        group = groups.setdefault(key, {"how": how, "items": []})
        group["items"].append(
            {"type": kinds.get(str(ident.get("type")), ""), "value": str(ident.get("value", ""))}
        )
    # the request's first, then by how many lookups away from the request the identifier they were
    # found through is, then in the order of the list
    parent = {
        (str(i.get("type")), str(i.get("value"))): (str(t.get("type") or ""), str(t.get("value") or ""))
        for i in idents
        if i.get("found_by") != "request" and isinstance(t := i.get("found_through"), Mapping)
    }

    def depth(key: tuple[str, str]) -> int:
        n = 0
        while key in parent and n <= len(parent):
            key, n = parent[key], n + 1
        return n

    return [groups[k] for k in sorted(groups, key=lambda k: (k != ("", ""), k == ("~", ""), depth(k), order.get(k, 0)))]


def build_view(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Everything the report templates show, as plain strings, lists and dicts.

    ``columns`` maps a category id to the catalog's ``pdf_columns``: a category with more than
    :data:`FULL_DETAIL_ROWS` records is shown as a compact table of those fields (the full records
    are in the data files); without them, every shown record is given with all its fields."""
    columns = columns or {}
    controller = bundle.get("controller") or {}
    subject = bundle.get("subject") or {}
    request = bundle.get("request") or {}
    jurisdiction = bundle.get("jurisdiction") or {}
    deadlines = jurisdiction.get("deadlines") or {}
    summary = bundle.get("summary") or {}

    used: set[str] = set()

    def anchor(prefix: str, key: str) -> str:
        base = f"{prefix}-{_slug(key)}"
        name, i = base, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        return name

    for fixed in ("cover", "summary", "request", "data", "notices", "ccpa", "deadlines", "contents"):
        used.add(f"sec-{fixed}")

    categories = [
        _category_view(
            cat,
            samples.get(str(cat.get("id")), ()),
            schemas.get(str(cat.get("id"))),
            anchor("cat", str(cat.get("id"))),
            tuple(columns.get(str(cat.get("id"))) or ()),
            ccpa=bool(jurisdiction.get("ccpa")),
            withheld_note=jurisdiction.get("withheld"),
            locale=(jurisdiction.get("vocabulary") or {}).get("locale"),
        )
        for cat in bundle.get("categories") or ()
        if isinstance(cat, Mapping)
    ]
    raw_notices = [n for n in jurisdiction.get("notices") or () if isinstance(n, Mapping)]
    notices = [_notice_view(n, anchor("notice", str(n.get("id") or n.get("title") or "notice"))) for n in raw_notices]
    ccpa_rows = _ccpa_rows(jurisdiction.get("ccpa"))
    categories_only = (
        any(c["records_withheld_reason"] for c in categories) or summary.get("specific_pieces") is False
    )
    withheld_reasons = sorted(
        {c["records_withheld_reason"] for c in categories if c["records_withheld_reason"]}
    )

    deadline_rows = []
    confirmation = (jurisdiction.get("timeline") or {}).get("confirmation") or {}
    for key, label in (
        ("received", "Request received"),
        ("confirmation_due", "Receipt confirmation due by"),  # due, never assumed sent (11 CCR §7021(a))
        ("due", "Response due by"),
        ("extended_due", "Extended deadline"),
    ):
        if deadlines.get(key):
            deadline_rows.append({"label": label, "value": format_date(deadlines[key])})
        if key == "confirmation_due" and confirmation.get("sent"):
            deadline_rows.append({"label": "Receipt confirmed on", "value": format_date(confirmation["sent"])})

    name = subject.get("display_name") or ""
    jurisdiction_title = str(
        jurisdiction.get("title") or jurisdiction.get("name") or request.get("jurisdiction") or ""
    )
    held = [c for c in categories if c["status"] not in ("none_held", *_NOT_READ)]
    nothing_held = jurisdiction.get("nothing_held")
    not_searched = [c for c in categories if c["status"] == "not_searched"]
    failed = [c for c in categories if c["status"] == "incomplete"]
    legal_bases: dict[tuple[str, str], dict[str, str]] = {}
    for c in categories:
        for g in c["purpose_groups"]:
            if g["label"] and g["label"] != g["basis"]:
                legal_bases.setdefault(
                    (g["label"], g["cite"]), {"label": g["label"], "title": g["basis"], "cite": g["cite"]}
                )
    identifiers = _identifier_groups(subject.get("identifiers") or ())

    title = f"Your personal data held by {controller.get('name') or 'us'}"
    return {
        "lang": lang,
        "title": title,
        "doc_title": f"{title} — request {request.get('id', '')}".strip(),
        "author": str(controller.get("name") or ""),
        "created": str(bundle.get("generated_at") or ""),
        "controller": {
            "name": str(controller.get("name") or ""),
            "address": str(controller.get("address") or ""),
            "email": str(controller.get("email") or ""),
            "dpo_email": str(controller.get("dpo_email") or ""),
        },
        "subject": {"name": str(name), "identifiers": identifiers},
        "request": {
            "id": str(request.get("id") or ""),
            "received": format_date(request.get("received") or deadlines.get("received")),
            "verification": _humanize(str(request.get("verification") or ""))
            if request.get("verification")
            else "",
        },
        "due": format_date(deadlines.get("extended_due") or deadlines.get("due"))
        if (deadlines.get("extended_due") or deadlines.get("due"))
        else "",
        "deadlines": {
            "rows": deadline_rows,
            "explanation": readable_dates(str(deadlines.get("explanation") or "")),
            # the notice that explains the dates (said once, there): the Deadlines section links to it
            "notice": next(
                ({"anchor": n["anchor"], "title": n["title"]} for n, raw in zip(notices, raw_notices, strict=True)
                 if raw.get("id") == "deadlines"),
                None,
            ),
        },
        "jurisdiction": {
            "title": jurisdiction_title,
            "law": str(jurisdiction.get("law") or ""),
        },
        "generated_at": format_datetime(bundle.get("generated_at")),
        "snapshot_at": format_datetime(bundle.get("snapshot_at")) if bundle.get("snapshot_at") else "",
        "period": {
            "from": format_date((bundle.get("period") or {}).get("from")),
            "to": format_date((bundle.get("period") or {}).get("to")),
        },
        "summary": {
            "categories": len(categories),
            "held": len(held),
            "records": format_count(summary.get("records", sum(c["count"] or 0 for c in held))),
            "complete": bool(summary.get("complete", not not_searched and not failed)) and not not_searched,
            "not_searched": [{"title": c["title"], "anchor": c["anchor"]} for c in not_searched],
            "incomplete": [{"title": c["title"], "anchor": c["anchor"]} for c in failed],
        },
        "categories_only": bool(categories_only),
        "withheld_reasons": withheld_reasons,
        "categories": categories,
        "legal_bases": list(legal_bases.values()),
        "purposes_note": str((jurisdiction.get("vocabulary") or {}).get("purposes_note") or ""),
        "notices": notices,
        "ccpa_rows": ccpa_rows,
        # nothing held: the answer's own words (rules file [nothing_held]) instead of "0 of 24 kinds"
        "nothing_held": {
            "summary": str(nothing_held.get("summary") or ""),
            "package": str(nothing_held.get("package") or ""),
            "cite": str(nothing_held.get("cite") or ""),
        }
        if isinstance(nothing_held, Mapping) and not held and not categories_only
        else None,
        "format": str(bundle.get("format") or ""),
    }
