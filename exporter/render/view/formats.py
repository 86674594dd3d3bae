"""How one value reads: dates with their time zone, counts, cut text, readable names.

Formatting only, no schema: the report shows every date one way ("2 Nov 2026") and every over-long
value cut with a pointer to the data file, so the copy stays intelligible (GDPR Art. 12(1), 15(3)).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from .limits import MAX_CELL_CHARS, MAX_COMPACT_CHARS

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


class Line(NamedTuple):
    """One line of a displayed value: optional ``label`` (nested field), ``text``, optional ``note``
    (the explanation of a coded value)."""

    label: str
    text: str
    note: str


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


def _humanize(key: str) -> str:
    text = key.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else key


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
