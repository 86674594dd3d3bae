"""Other people's data in free text: redaction by rules (GDPR / UK GDPR Art. 15(4)).

A copy of the subject's data must not adversely affect the rights and freedoms of others. Support
e-mails, chat transcripts, posted content and badge-scan notes are free text that mentions other
people: colleagues, other customers, PicoNext staff. This module replaces, in the fields the
catalog lists as ``free_text`` (docs/redaction.md):

* e-mail addresses that are not the subject's own (nor a configured role address such as
  ``support@piconext.com``) → ``[email N]``;
* phone numbers that are not the subject's own → ``[phone N]``;
* names of staff members from the configured staff list (and names met in ``staff_fields``, e.g.
  a ticket's ``agent_name``) → ``[staff member N]``;
* names from a configured list of other people → ``[person N]``.

Placeholders are consistent within one package: the same address / number / person always gets
the same ``N`` (numbered in order of first appearance). Nothing else is changed. The bundle states
per category how many items were replaced (``redactions``) and says so in a sentence
(``redaction_notice``).

What is *not* caught, by design (documented in docs/redaction.md): names that are in no configured
list (there is no name-guessing heuristic), phone numbers written without ``+``/``00``, a trunk
``0``, North-American grouping or a cue word such as "phone", e-mail addresses written with
" at " / " dot ", postal addresses, and anything in fields not listed as free text.

Configuration (``[redaction]`` in the exporter TOML, all optional)::

    [redaction]
    emails = true                      # replace other people's e-mail addresses
    phones = true                      # replace phone numbers that are not the subject's
    staff_names_file = "staff.txt"     # one staff member per line, variants separated by "|":
                                       #   Priya Raman | Priya R.
    staff_names = ["Tomasz Nowak"]     # more staff members, same syntax
    names_file = "people.txt"          # other people's names (same syntax) → [person N]
    names = []
    keep_emails = ["sales@piconext.com"]   # role addresses shown as they are (the controller's
                                           # e-mail and DPO e-mail from the catalog always are)
"""

from __future__ import annotations

import re
import threading
import tomllib
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Catalog, Category
from .config import Config
from .errors import ConfigError
from .transforms import WithheldFields

__all__ = [
    "KINDS",
    "CategoryRedaction",
    "RedactionSettings",
    "Redactor",
    "find_emails",
    "find_phones",
    "phone_key",
]

#: kind → (placeholder word, singular noun, plural noun) for the notice sentence
KINDS: dict[str, tuple[str, str, str]] = {
    "email": ("email", "e-mail address", "e-mail addresses"),
    "phone": ("phone", "phone number", "phone numbers"),
    "staff_name": ("staff member", "name of a staff member", "names of staff members"),
    "person_name": ("person", "name of another person", "names of other people"),
}

# -- patterns -----------------------------------------------------------------------------------
# Every quantifier is bounded and every pattern starts only at a token boundary, so the time is
# linear in the text length (10 MB fields are fine; no catastrophic backtracking).

_EMAIL = re.compile(
    r"(?<![\w.+%-])"
    r"[\w.+%-]{1,64}@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,63}"
    r"(?![\w-]|\.[^\W_])"
)

_SEP = r"[ .\-/]"
_EXT = r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?"
_PHONE = re.compile(
    r"(?<![\w+./-])(?:"
    # international: +CC or 00CC, optional (0) trunk, optional (area)
    rf"(?:\+|\(\+|00)[1-9]\d{{0,3}}\)?{_SEP}?(?:\(0\){_SEP}?)?(?:\(\d{{1,5}}\){_SEP}?)?\d(?:{_SEP}?\d){{4,13}}"
    # national with a trunk prefix 0: 030 5550 1234, (0161) 4960066, 0711-123456
    rf"|\(0\d{{1,5}}\)(?:{_SEP}|-)?\d(?:{_SEP}?\d){{3,11}}"
    rf"|0\d{{1,5}}(?:{_SEP}\d(?:{_SEP}?\d){{3,11}}|\d{{5,11}})"
    # North American grouping: (555) 123-4567, 555-123-4567, 555.123.4567
    r"|\(\d{3}\) ?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}"
    rf"){_EXT}(?![\w/-]|[.,]\d)",
    re.IGNORECASE,
)
# A number right after a cue word ("phone", "tel.", "call me on" …) counts whatever its format.
_CUED_PHONE = re.compile(
    r"(?i:\b(?:phone|tel(?:ephone)?|mobile|cell(?:phone)?|fax|handy|call(?: me| us)?|"
    r"ring(?: me)?|whatsapp|sms|τηλ|тел)\b\.?:?[ ]{0,3}(?:(?:on|at|is)[ ]{1,3})?)"
    rf"(?P<number>\d(?:{_SEP}?\d){{6,14}})(?![\w/-]|[.,]\d)"
)
_DATE_LIKE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_TRUNK = re.compile(r"\(0\)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_ok(candidate: str) -> bool:
    body = re.split(r"(?i)[ ]?(?:x|ext\.?|extension)", candidate, maxsplit=1)[0]
    n = len(_digits(body))
    if not 7 <= n <= 15:
        return False
    return not _DATE_LIKE.fullmatch(body.strip("()+ "))


def find_emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in ``text``."""
    return [m.span() for m in _EMAIL.finditer(text)]


def find_phones(text: str) -> list[tuple[int, int]]:
    """Spans of phone numbers in ``text`` (see the module docstring for what is recognised)."""
    spans = [m.span() for m in _PHONE.finditer(text) if _phone_ok(m.group(0))]
    for m in _CUED_PHONE.finditer(text):
        start, end = m.span("number")
        if not any(s < end and start < e for s, e in spans) and _phone_ok(m.group("number")):
            spans.append((start, end))
    return sorted(spans)


def phone_key(text: str) -> str:
    """Digits of a phone number without a trunk ``(0)``, ``+``/``00`` or leading zeros; two numbers
    are the same when one key ends with the other (country code written or not)."""
    digits = _digits(_TRUNK.sub("", text))
    return digits.lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 7 and long.endswith(short)


# -- names --------------------------------------------------------------------------------------

def _norm_name(name: str) -> str:
    return " ".join(name.split()).casefold()


_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")


def _learnable(name: str) -> bool:
    words = name.split()
    return 2 <= len(words) <= 6 and len(name) <= 80 and all(_NAME_WORD.match(w) for w in words)


def _parse_names(lines: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    people = []
    for line in lines:
        line = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        variants = tuple(v for v in (" ".join(part.split()) for part in line.split("|")) if v)
        if variants:
            people.append(variants)
    return tuple(people)


class _NameMatcher:
    """Whole-word, case-insensitive matching of a list of people's name variants."""

    def __init__(self, people: Sequence[Sequence[str]]) -> None:
        self.people: list[tuple[str, ...]] = []
        self.index: dict[str, int] = {}
        self.pattern: re.Pattern[str] | None = None
        for variants in people:
            self.add(variants, rebuild=False)
        self._build()

    def add(self, variants: Sequence[str], *, rebuild: bool = True) -> int:
        """Add a person (or return the existing one sharing a variant); returns their index."""
        keys = [_norm_name(v) for v in variants if v.strip()]
        for k in keys:
            if k in self.index:
                return self.index[k]
        n = len(self.people)
        self.people.append(tuple(variants))
        for k in keys:
            self.index[k] = n
        if rebuild:
            self._build()
        return n

    def _build(self) -> None:
        keys = sorted(self.index, key=len, reverse=True)  # longest first: "Priya Raman" before "Priya"
        if not keys:
            self.pattern = None
            return
        alts = "|".join(r"\s+".join(re.escape(w) for w in k.split(" ")) for k in keys)
        self.pattern = re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)

    def who(self, text: str) -> int | None:
        return self.index.get(_norm_name(text))


# -- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedactionSettings:
    """What to redact; from ``[redaction]`` in the configuration (all keys optional)."""

    emails: bool = True
    phones: bool = True
    staff: tuple[tuple[str, ...], ...] = ()  #: staff members, each a tuple of name variants
    people: tuple[tuple[str, ...], ...] = ()  #: other people's names, each a tuple of variants
    keep_emails: frozenset[str] = frozenset()  #: casefolded addresses never redacted

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], *, base_dir: Path, catalog: Catalog,
                     file: str = "") -> RedactionSettings:
        def names(list_key: str, file_key: str) -> tuple[tuple[str, ...], ...]:
            lines = [str(v) for v in table.get(list_key, [])]
            if table.get(file_key):
                path = (base_dir / str(table[file_key])).resolve()
                try:
                    lines += path.read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"cannot read the names file: {getattr(exc, 'strerror', None) or exc}",
                                      file=file, key=f"redaction.{file_key}",
                                      hint="a UTF-8 text file, one person per line, variants separated by '|'"
                                      ) from None
            return _parse_names(lines)

        keep = {str(v).casefold() for v in table.get("keep_emails", [])}
        for key in ("email", "dpo_email"):
            value = catalog.controller.get(key)
            if isinstance(value, str) and value:
                keep.add(value.casefold())
        return cls(emails=bool(table.get("emails", True)), phones=bool(table.get("phones", True)),
                   staff=names("staff_names", "staff_names_file"), people=names("names", "names_file"),
                   keep_emails=frozenset(keep))

    @classmethod
    def from_config(cls, config: Config) -> RedactionSettings:
        """``[redaction]`` of the configuration (read once per loaded :class:`Config`; thread-safe)."""
        key = id(config)
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None and hit[0]() is config:
                return hit[1]
        settings = cls._read(config)
        def forget(_ref: weakref.ref[Config]) -> None:
            with _CACHE_LOCK:
                _CACHE.pop(key, None)

        with _CACHE_LOCK:
            _CACHE[key] = (weakref.ref(config, forget), settings)
        return settings

    @classmethod
    def _read(cls, config: Config) -> RedactionSettings:
        table: Mapping[str, Any] = {}
        try:
            with config.path.open("rb") as fh:
                table = tomllib.load(fh).get("redaction", {})
        except FileNotFoundError:
            table = {}  # a Config built in code, without a file: defaults
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read [redaction] from the configuration: {exc}",
                              file=str(config.path)) from None
        return cls.from_mapping(table, base_dir=config.base_dir, catalog=config.catalog, file=str(config.path))


_CACHE: dict[int, tuple[weakref.ref[Config], RedactionSettings]] = {}
_CACHE_LOCK = threading.RLock()  # re-entrant: the weakref callback may run inside a locked section (GC)


# -- the per-export redactor --------------------------------------------------------------------


class Redactor:
    """One per export: consistent placeholders across the package, counts per category.

    ``own_emails``/``own_phones`` are the subject's own contact details (never redacted); more are
    learned from the catalog's ``own_contact`` fields of the subject's records as they stream by.
    Safe to use from several threads.
    """

    def __init__(self, settings: RedactionSettings, *, own_emails: Iterable[str] = (),
                 own_phones: Iterable[str] = ()) -> None:
        self.settings = settings
        self._own_emails = {e.casefold() for e in own_emails}
        self._own_phones = {k for k in (phone_key(p) for p in own_phones) if k}
        self._staff = _NameMatcher(settings.staff)
        self._people = _NameMatcher(settings.people)
        self._numbers: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self._lock = threading.RLock()
        self.counts: dict[str, Counter[str]] = {}

    # -- own details --------------------------------------------------------------------------
    def learn_email(self, value: str) -> None:
        self._own_emails.add(value.strip().casefold())

    def learn_phone(self, value: str) -> None:
        key = phone_key(value)
        if key:
            with self._lock:
                self._own_phones.add(key)

    def is_own_email(self, value: str) -> bool:
        v = value.casefold()
        return v in self._own_emails or v in self.settings.keep_emails

    def is_own_phone(self, value: str) -> bool:
        key = phone_key(value)
        return any(_same_phone(key, own) for own in tuple(self._own_phones))

    # -- placeholders -------------------------------------------------------------------------
    def placeholder(self, kind: str, key: str) -> str:
        with self._lock:
            table = self._numbers[kind]
            n = table.get(key)
            if n is None:
                n = table[key] = len(table) + 1
        return f"[{KINDS[kind][0]} {n}]"

    def staff_placeholder(self, name: str) -> str:
        """Placeholder of a staff member named in a ``staff_fields`` value. An unlisted name that
        looks like a full name (2–6 words of letters) is learned, so the free text of this and
        later records uses the same placeholder for it."""
        with self._lock:
            who = self._staff.who(name)
            if who is None and _learnable(name):
                who = self._staff.add((" ".join(name.split()),))
            key = str(who) if who is not None else "unlisted:" + _norm_name(name)
        return self.placeholder("staff_name", key)

    # -- text ---------------------------------------------------------------------------------
    def text(self, value: str, counts: Counter[str]) -> str:
        """``value`` with other people's details replaced; ``counts`` gets one per replacement.

        E-mail addresses first (a name inside an address must not break it up), then phone
        numbers, then listed names."""
        if self.settings.emails and "@" in value:
            value = _replace(value, find_emails(value), lambda s: None if self.is_own_email(s)
                             else self.placeholder("email", s.casefold()), "email", counts)
        if self.settings.phones:
            value = _replace(value, find_phones(value), lambda s: None if self.is_own_phone(s)
                             else self.placeholder("phone", phone_key(s)), "phone", counts)
        for kind, matcher in (("staff_name", self._staff), ("person_name", self._people)):
            pattern = matcher.pattern
            if pattern is not None:
                value = pattern.sub(self._name_sub(kind, matcher, counts), value)
        return value

    def _name_sub(self, kind: str, matcher: _NameMatcher, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
        def sub(m: re.Match[str]) -> str:
            who = matcher.who(m.group(0))
            counts[kind] += 1
            return self.placeholder(kind, str(who))
        return sub

    # -- per category -------------------------------------------------------------------------
    def rule(self, category: Category) -> CategoryRedaction | None:
        """The redaction for ``category`` (None when the catalog gives it no text/staff/own fields).
        Creating it (again, e.g. when a category is re-read after a source failure) resets the
        category's counts."""
        raw = category.raw
        free = tuple(str(f) for f in raw.get("free_text", ()))
        staff = tuple(str(f) for f in raw.get("staff_fields", ()))
        own = tuple(str(f) for f in raw.get("own_contact", ()))
        if not (free or staff or own):
            return None
        counts: Counter[str] = Counter()
        with self._lock:
            self.counts[category.id] = counts
        return CategoryRedaction(self, free_text=free, staff_fields=staff, own_contact=own, counts=counts)

    def wrap(self, category: Category) -> Category:
        """``category`` as the pipeline should see it: its ``withheld`` carries a fresh redaction
        (:class:`~exporter.transforms.WithheldFields`), which the record transformer applies.
        Call once per collection attempt of the category (counts start again at zero)."""
        rule = self.rule(category)
        if rule is None:
            return category
        return _RedactedCategory(id=category.id, title=category.title, raw=category.raw, rule=rule)

    def annotate(self, entries: Iterable[dict[str, Any]]) -> None:
        """Add ``redactions`` (kind → count) and ``redaction_notice`` to bundle category entries."""
        for entry in entries:
            counts = self.counts.get(str(entry.get("id")))
            if not counts or not sum(counts.values()):
                continue
            entry["redactions"] = {k: counts[k] for k in KINDS if counts[k]}
            entry["redaction_notice"] = notice(entry["redactions"])


def _replace(value: str, spans: Sequence[tuple[int, int]], make: Callable[[str], str | None], kind: str,
             counts: Counter[str]) -> str:
    if not spans:
        return value
    out, last = [], 0
    for start, end in spans:
        new = make(value[start:end])
        if new is None:
            continue
        out.append(value[last:start])
        out.append(new)
        last = end
        counts[kind] += 1
    if not out:
        return value
    out.append(value[last:])
    return "".join(out)


def notice(counts: Mapping[str, int]) -> str:
    """The sentence the package shows for a category's redactions."""
    parts = [f"{n} {KINDS[k][1] if n == 1 else KINDS[k][2]}" for k, n in counts.items() if n]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    example = f"[{KINDS[next(k for k, n in counts.items() if n)][0]} 1]"
    return (f"To protect other people (GDPR Art. 15(4)), {listed} in the free text of this category "
            f"{'was' if sum(counts.values()) == 1 else 'were'} replaced by placeholders such as "
            f"“{example}”. The same placeholder stands for the same address, number or person "
            f"throughout this package. Your own e-mail addresses and phone numbers are shown as they are.")


@dataclass
class CategoryRedaction:
    """Applies the catalog's redaction fields of one category to its records (in place)."""

    redactor: Redactor
    free_text: tuple[str, ...] = ()
    staff_fields: tuple[str, ...] = ()
    own_contact: tuple[str, ...] = ()
    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        red = self.redactor
        for name in self.own_contact:
            value = record.get(name)
            if isinstance(value, str) and value:
                if "@" in value:
                    red.learn_email(value)
                else:
                    red.learn_phone(value)
        for path in self.staff_fields:
            _apply(record, path.split("."), self._staff)
        for path in self.free_text:
            _apply(record, path.split("."), self._text)
        return record

    def _staff(self, value: str) -> str:
        if not value.strip():
            return value
        self.counts["staff_name"] += 1
        return self.redactor.staff_placeholder(value)

    def _text(self, value: str) -> str:
        return self.redactor.text(value, self.counts)


def _apply(node: Any, path: Sequence[str], fn: Callable[[str], str]) -> None:
    """Replace the strings at ``path`` (dotted; lists are entered element by element)."""
    if isinstance(node, list):
        for item in node:
            _apply(item, path, fn)
        return
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    if head not in node:
        return
    value = node[head]
    if rest:
        _apply(value, rest, fn)
    elif isinstance(value, str):
        node[head] = fn(value)
    elif isinstance(value, list):
        node[head] = [fn(v) if isinstance(v, str) else v for v in value]


@dataclass(frozen=True)
class _RedactedCategory(Category):
    rule: CategoryRedaction | None = None

    @property
    def withheld(self) -> tuple[str, ...]:
        return WithheldFields(super().withheld, self.rule)
