"""Other people's data in free text: redaction by rules (GDPR / UK GDPR Art. 15(4)).

A copy of the subject's data must not adversely affect the rights and freedoms of others (Art.
15(4); EDPB Guidelines 01/2022 §§170-178). Support e-mails, chat transcripts, posted content and
badge-scan notes are free text that mentions other people: colleagues, other customers, PicoNext
staff. This module replaces, in the fields the catalog lists as ``free_text`` (docs/redaction.md):

* e-mail addresses that are not the subject's own (compared by the catalog's e-mail rule, the same
  as identity matching) nor a configured role address → ``[email N]``;
* plausible phone numbers (libphonenumber; never a digit-run pattern) that are not the subject's
  → ``[phone N]``;
* staff members' names (staff list, ``staff_fields`` values) and their single name words →
  ``[staff member N]``;
* other people's names (configured list; names the stores know, ``names_from``) → ``[person N]``.

The subject's own details — identifiers found by the identity graph, the catalog's ``own_contact``
and ``own_name`` fields of their records — are never touched. Placeholders are consistent within one
package: the same address / number / person always gets the same ``N`` (numbered in order of first
appearance). Nothing else is changed. The bundle states per category how many items were replaced
(``redactions``) and says so in a sentence (``redaction_notice``).

What is *not* caught, by design, is listed in docs/redaction.md.

Configuration: ``[redaction]`` in the exporter TOML (docs/redaction.md, schemas/config.json).
"""

from __future__ import annotations

import functools
import re
import threading
import tomllib
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from ..law.catalog import Catalog, Category
from ..config import Config
from ..errors import ConfigError
from ..identifiers import rule_named
from ..sources.base import ReadSpec

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

# Phone numbers are found by Google's libphonenumber (the ``phonenumbers`` package), never by a
# digit-run pattern: a cheap pattern only marks stretches of text with 7+ digits, the library parses
# each stretch for every configured region, and a number counts only when it is *plausible*:
#
# * written internationally (``+CC``, ``00CC``, ``(+CC)``) and of a possible length for CC, or
# * right after a cue word ("phone", "tel.", "call me on" …) and of a possible length, or
# * a *valid* national number (the region's numbering plan) written as people write one at home:
#   with the trunk prefix ``0`` where the region has one (030 5550 1234, (0161) 4960066), in
#   North-American grouping for NANP regions ((212) 555-0187, 212-555-0187), with separators
#   elsewhere.
#
# Amounts (``1 000 000.00``), HTML character references (``&#0000106``), dates, versions, card and
# IBAN digits are none of these, so they stay as written.

_EMAIL_RULE = rule_named("email")  # own and role addresses are compared by the catalog's e-mail rule

_CANDIDATE = re.compile(
    r"(?=[+(\d])(?:\(?\+|\(|\b)\d(?:[ .\-/()]{0,3}\d){6,17}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?", re.IGNORECASE)
_CUE = re.compile(
    r"(?i:\b(?:phone|tel(?:ephone)?|mobile|cell(?:phone)?|fax|handy|call(?: me| us| him| her)?|"
    r"ring(?: me)?|whatsapp|sms|reach (?:me|him|her|us)|τηλ|тел)\b\.?:?[ ]{0,3}(?:(?:on|at|is|under)[ ]{1,3})?)$")
_MORE_DIGITS_AFTER = re.compile(r"[.,]\d|[ .\-/()]{1,3}\d")
_MORE_DIGITS_BEFORE = re.compile(r"\d[ .\-/()]{1,3}$")
_DATE_LIKE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_NANP = re.compile(r"(?:\+?1[ .\-]?)?(?:\(\d{3}\)|\d{3})[ .\-]?\d{3}[ .\-]\d{4}(?:\D.*)?$")
_TRUNK = re.compile(r"\(0\)")
#: regions whose national numbering plans are tried for numbers written without a country code
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("DE", "GB", "US", "FR")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _international(raw: str) -> bool:
    head = raw.lstrip("( ")
    return head.startswith("+") or head.startswith("00") or head.startswith("011")


def _plausible(match: phonenumbers.PhoneNumberMatch, region: str, cued: bool) -> bool:
    raw, number = match.raw_string, match.number
    if not phonenumbers.is_possible_number(number):
        return False
    if _international(raw) or cued:
        return True
    if _DATE_LIKE.fullmatch(raw.strip("() ")) or not phonenumbers.is_valid_number(number):
        return False
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = meta.national_prefix if meta is not None else None
    if prefix == "0":
        return raw.lstrip("( ").startswith("0")
    if prefix == "1":
        return bool(_NANP.match(raw))
    return bool(re.search(r"\d[ .\-/]\d", raw))


def find_emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in ``text``."""
    return [m.span() for m in _EMAIL.finditer(text)]


def find_phones(text: str, regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[tuple[int, int]]:
    """Spans of plausible phone numbers in ``text`` (see the comment above for the rule)."""
    spans: list[tuple[int, int]] = []
    regions = tuple(regions)
    for cand in _CANDIDATE.finditer(text):
        start, end = cand.span()
        raw = cand.group(0)
        before, after = text[max(0, start - 4):start], text[end:end + 4]
        if (before[-1:].isalnum() or before.endswith(("#", "&", "/", "_", "-", ".")) or after[:1].isalnum()
                or after[:1] in ("_", "/") or _MORE_DIGITS_AFTER.match(after)
                or (_MORE_DIGITS_BEFORE.search(before) and not raw.startswith(("+", "(+")))):
            continue  # part of a word, an amount, a character reference, a path or a longer number
        cued = _CUE.search(text[max(0, start - 40):start]) is not None
        if not cued and not _international(raw) and _DATE_LIKE.fullmatch(raw):
            continue  # a date written nationally is never a phone number: no need to parse it
        found = _phone_in(raw, cued, regions)
        if found is not None:
            spans.append((start + found[0], start + found[1]))
    return spans


@functools.lru_cache(maxsize=4096)
def _phone_in(candidate: str, cued: bool, regions: tuple[str, ...]) -> tuple[int, int] | None:
    """The longest plausible number in ``candidate`` (offsets within it), or None. Cached: free text
    repeats the same numbers (signatures, quoted replies), and parsing is the costly part."""
    best: tuple[int, int] | None = None
    for region in regions:
        for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.POSSIBLE):
            if _plausible(m, region, cued and m.start == 0) and (best is None or m.end - m.start > best[1] - best[0]):
                best = (m.start, m.end)
    return best


def phone_key(text: str) -> str:
    """Digits of a phone number without a trunk ``(0)``, ``+``/``00`` or leading zeros; two numbers
    are the same when one key ends with the other (country code written or not)."""
    digits = _digits(_TRUNK.sub("", text))
    return digits.lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) >= 7 and long.endswith(short)


# -- names --------------------------------------------------------------------------------------
# Names are matched word by word (no giant alternation pattern, so a directory of many thousand
# names costs a dictionary lookup per word): a name is a sequence of words, compared without regard
# to case; a word is letters with inner apostrophes or hyphens. A person's single name words
# (first name, last name; two letters or more) are matched too, but only when written with a
# capital, so that "this is Priya." and "Kind regards, Raman" are caught while "may" or "will" in
# running text are not names. The subject's own name words are never replaced.

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")
_GAP = re.compile(r"\.?\s{1,3}")  # between the words of one name: spaces, a line break, an initial's dot
_POSSESSIVE = ("'s", "’s")


def _words(name: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD.findall(name))


def _norm_name(name: str) -> str:
    return " ".join(_words(name))


def _learnable(name: str) -> bool:
    words = name.split()
    return 2 <= len(words) <= 6 and len(name) <= 80 and len(_words(name)) == len(words)


def _parse_names(lines: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    people = []
    for line in lines:
        line = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        variants = tuple(v for v in (" ".join(part.split()) for part in line.split("|")) if v)
        if variants:
            people.append(variants)
    return tuple(people)


@dataclass(frozen=True)
class _Hit:
    kind: str
    person: int
    part: bool  #: a single name word of a longer name (matched only when capitalised)


class _NameIndex:
    """People's names (each a tuple of variants) → who they are, for word-by-word matching."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, ...], _Hit] = {}
        self.latent: dict[tuple[str, int], list[tuple[str, ...]]] = {}  #: parts switched on once the full name is met
        self.count: dict[str, int] = {}
        self.firsts: set[str] = set()  #: first words of every key (most words of a text are none)
        self.longest = 0
        self._lock = threading.RLock()

    def add(self, kind: str, variants: Sequence[str], *, parts: str = "active") -> int:
        """Add a person (or return the one already holding a full variant); returns their number
        within ``kind``. ``parts``: "active" (single words matched from the start), "latent"
        (matched once the full name was replaced in this package) or "none"."""
        full = [k for k in (_words(v) for v in variants) if k]
        with self._lock:
            for k in full:
                hit = self.keys.get(k)
                if hit is not None and hit.kind == kind and not hit.part:
                    return hit.person
            person = self.count.get(kind, 0)
            self.count[kind] = person + 1
            for k in full:
                self.keys.setdefault(k, _Hit(kind, person, part=False))
                self.firsts.add(k[0])
                self.longest = max(self.longest, len(k))
            words: list[tuple[str, ...]] = [(w,) for k in full if len(k) > 1 for w in k if len(w) > 1]
            if parts == "active":
                for w in words:
                    self.keys.setdefault(w, _Hit(kind, person, part=True))
                    self.firsts.add(w[0])
            elif parts == "latent" and words:
                self.latent[(kind, person)] = words
            return person

    def activate(self, hit: _Hit) -> None:
        words = self.latent.pop((hit.kind, hit.person), None)
        if words:
            with self._lock:
                for w in words:
                    self.keys.setdefault(w, _Hit(hit.kind, hit.person, part=True))
                    self.firsts.add(w[0])

    def who(self, kind: str, name: str) -> int | None:
        hit = self.keys.get(_words(name))
        return hit.person if hit is not None and hit.kind == kind and not hit.part else None

    def scan(self, text: str, own: Callable[[tuple[str, ...]], bool]) -> list[tuple[int, int, _Hit]]:
        """Spans of names in ``text``: the longest name at each word wins; own names are left.
        One set lookup per word of the text; only a word that starts some name looks further."""
        out: list[tuple[int, int, _Hit]] = []
        firsts, skip_until = self.firsts, 0
        for m in _WORD.finditer(text):
            if m.start() < skip_until:
                continue
            first = m.group().casefold()
            if first not in firsts and not (first.endswith(_POSSESSIVE) and first[:-2] in firsts):
                continue
            spans, pos = [m.span()], m.end()
            while len(spans) < self.longest:
                gap = _GAP.match(text, pos)
                nxt = _WORD.match(text, gap.end()) if gap else None
                if nxt is None:
                    break
                spans.append(nxt.span())
                pos = nxt.end()
            for n in range(len(spans), 0, -1):
                words = [text[a:b] for a, b in spans[:n]]
                start, end = spans[0][0], spans[n - 1][1]
                key = tuple(w.casefold() for w in words)
                hit = self.keys.get(key)
                if hit is None and words[-1].endswith(_POSSESSIVE):
                    key = (*key[:-1], key[-1][:-2])
                    hit = self.keys.get(key)
                    end -= 2
                if hit is None or (hit.part and not words[0][:1].isupper()):
                    continue
                if len(words[-1]) == 1 and text[end:end + 1] == ".":
                    end += 1  # "Priya R." ends with the initial's dot
                skip_until = end
                if not own(key):
                    out.append((start, end, hit))
                    if not hit.part:
                        self.activate(hit)
                break
        return out


# -- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedactionSettings:
    """What to redact; from ``[redaction]`` in the configuration (all keys optional)."""

    emails: bool = True
    phones: bool = True
    staff: tuple[tuple[str, ...], ...] = ()  #: staff members, each a tuple of name variants
    people: tuple[tuple[str, ...], ...] = ()  #: other people's names, each a tuple of variants
    keep_emails: frozenset[str] = frozenset()  #: addresses never redacted (keys of the e-mail rule)
    #: regions whose national numbering plans are tried for numbers without a country code
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    #: reads of other people's names from the stores: ``{"source": name, <read params>}`` each
    names_from: tuple[Mapping[str, Any], ...] = ()

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

        keep = {_EMAIL_RULE.key(str(v)) for v in table.get("keep_emails", [])}
        for key in ("email", "dpo_email"):
            value = catalog.controller.get(key)
            if isinstance(value, str) and value:
                keep.add(_EMAIL_RULE.key(value))
        regions = tuple(str(r).upper() for r in table.get("phone_regions", DEFAULT_PHONE_REGIONS))
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ConfigError(f"unknown phone region {unknown[0]!r}", file=file, key="redaction.phone_regions",
                              hint="ISO 3166-1 alpha-2 codes of countries whose national numbers appear "
                                   "in free text, e.g. [\"DE\", \"GB\", \"US\"]")
        reads = tuple(dict(r) for r in table.get("names_from", ()))
        return cls(emails=bool(table.get("emails", True)), phones=bool(table.get("phones", True)),
                   staff=names("staff_names", "staff_names_file"), people=names("names", "names_file"),
                   keep_emails=frozenset(keep), phone_regions=regions, names_from=reads)

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

    ``own_emails``/``own_phones``/``own_names`` are the subject's own details (never redacted);
    more are learned from the catalog's ``own_contact`` and ``own_name`` fields of the subject's
    records as they stream by. ``other_people`` are names of other people read from the stores
    (``[redaction] names_from``): their full names are replaced, and once a full name was replaced,
    their single name words too. Safe to use from several threads.
    """

    def __init__(self, settings: RedactionSettings, *, own_emails: Iterable[str] = (),
                 own_phones: Iterable[str] = (), own_names: Iterable[str] = (),
                 other_people: Iterable[str] = ()) -> None:
        self.settings = settings
        self._own_emails = {_EMAIL_RULE.key(e) for e in own_emails}
        self._own_phones: set[str] = set()
        self._own_names: set[tuple[str, ...]] = set()
        self._names = _NameIndex()
        for variants in settings.staff:
            self._names.add("staff_name", variants)
        for variants in settings.people:
            self._names.add("person_name", variants)
        for name in other_people:
            if len(_words(name)) > 1:
                self._names.add("person_name", (name,), parts="latent")
        self._numbers: dict[str, dict[str, int]] = {k: {} for k in KINDS}
        self._lock = threading.RLock()
        self.counts: dict[str, Counter[str]] = {}
        for p in own_phones:
            self.learn_phone(p)
        for n in own_names:
            self.learn_name(n)

    # -- own details --------------------------------------------------------------------------
    def learn_email(self, value: str) -> None:
        with self._lock:
            self._own_emails.add(_EMAIL_RULE.key(value))

    def learn_phone(self, value: str) -> None:
        keys = {phone_key(value), *self._e164(value)}
        with self._lock:
            self._own_phones.update(k for k in keys if k)

    def learn_name(self, value: str) -> None:
        """The subject's own name (a full name or one name field): never replaced, nor its words."""
        words = _words(value)
        if words:
            with self._lock:
                self._own_names.add(words)
                self._own_names.update((w,) for w in words)

    def is_own_email(self, value: str) -> bool:
        key = _EMAIL_RULE.key(value)
        return key in self._own_emails or key in self.settings.keep_emails

    def is_own_phone(self, value: str) -> bool:
        own = tuple(self._own_phones)
        if any(k in own for k in self._e164(value)):
            return True
        key = phone_key(value)
        return any(_same_phone(key, o) for o in own if o.isdigit())

    def is_own_name(self, value: str) -> bool:
        return _words(value) in self._own_names

    def _e164(self, value: str) -> list[str]:
        out = []
        for region in self.settings.phone_regions:
            try:
                number = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number(number):
                out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        return out

    def _phone_id(self, value: str) -> str:
        valid = [e for e in self._e164(value) if phonenumbers.is_valid_number(phonenumbers.parse(e))]
        return valid[0] if valid else phone_key(value)

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
        looks like a full name (2–6 words of letters) is learned with its single words, so the
        free text of this and later records uses the same placeholder for "Tomasz" too."""
        with self._lock:
            who = self._names.who("staff_name", name)
            if who is None and _learnable(name):
                who = self._names.add("staff_name", (" ".join(name.split()),))
            key = str(who) if who is not None else "unlisted:" + _norm_name(name)
        return self.placeholder("staff_name", key)

    # -- text ---------------------------------------------------------------------------------
    def text(self, value: str, counts: Counter[str]) -> str:
        """``value`` with other people's details replaced; ``counts`` gets one per replacement.

        E-mail addresses first (a name inside an address must not break it up), then phone
        numbers, then names."""
        if self.settings.emails and "@" in value:
            value = _replace(value, find_emails(value), lambda s: None if self.is_own_email(s)
                             else self.placeholder("email", _EMAIL_RULE.key(s)), "email", counts)
        if self.settings.phones:
            value = _replace(value, find_phones(value, self.settings.phone_regions),
                             lambda s: None if self.is_own_phone(s)
                             else self.placeholder("phone", self._phone_id(s)), "phone", counts)
        hits = self._names.scan(value, self._own_names.__contains__)
        if not hits:
            return value
        out, last = [], 0
        for start, end, hit in hits:
            out += [value[last:start], self.placeholder(hit.kind, str(hit.person))]
            counts[hit.kind] += 1
            last = end
        out.append(value[last:])
        return "".join(out)

    # -- per category -------------------------------------------------------------------------
    def rule(self, category: Category) -> CategoryRedaction | None:
        """The redaction for ``category`` (None when the catalog gives it no text/staff/own fields).
        Creating it (again, e.g. when a category is re-read after a source failure) resets the
        category's counts."""
        raw = category.raw
        free = tuple(str(f) for f in raw.get("free_text", ()))
        staff = tuple(str(f) for f in raw.get("staff_fields", ()))
        own = tuple(str(f) for f in raw.get("own_contact", ()))
        own_name = tuple(str(f) for f in raw.get("own_name", ()))
        if not (free or staff or own or own_name):
            return None
        counts: Counter[str] = Counter()
        with self._lock:
            self.counts[category.id] = counts
        return CategoryRedaction(self, free_text=free, staff_fields=staff, own_contact=own, own_name=own_name,
                                 counts=counts)

    def annotate(self, entries: Iterable[dict[str, Any]], *, cite: str = "GDPR Art. 15(4)") -> None:
        """Add ``redactions`` (kind → count) and ``redaction_notice`` to bundle category entries;
        ``cite`` is the jurisdiction's rule protecting others (its rules file's [vocabulary])."""
        for entry in entries:
            counts = self.counts.get(str(entry.get("id")))
            if not counts or not sum(counts.values()):
                continue
            entry["redactions"] = {k: counts[k] for k in KINDS if counts[k]}
            entry["redaction_notice"] = notice(entry["redactions"], cite=cite)


def known_names(settings: RedactionSettings, sources: Mapping[str, Any]) -> Iterator[str]:
    """Other people's names read from the stores (``[redaction] names_from``): each read is an
    ordinary read of a configured source without identifiers (for SQL, a ``query``); the string
    values of each row, joined by a space, are one name. The subject's own name may be among them:
    own names are never replaced (:meth:`Redactor.learn_name`)."""
    for n, read in enumerate(settings.names_from):
        params = {k: v for k, v in read.items() if k != "source"}
        name = str(read.get("source", ""))
        source = sources.get(name)
        if source is None:
            raise ConfigError(f"names_from reads from source {name!r}, which is not configured",
                              key=f"redaction.names_from[{n}]", hint=f"one of: {', '.join(sorted(sources))}")
        spec = ReadSpec(label=f"{name}/redaction.names_from[{n}]", needs=(), params=params)
        for batch in source.read(spec, {}):
            for row in batch:
                text = " ".join(str(v).strip() for v in row.values() if isinstance(v, str) and v.strip())
                if text:
                    yield text


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


def notice(counts: Mapping[str, int], *, cite: str = "GDPR Art. 15(4)") -> str:
    """The sentence the package shows for a category's redactions."""
    parts = [f"{n} {KINDS[k][1] if n == 1 else KINDS[k][2]}" for k, n in counts.items() if n]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    example = f"[{KINDS[next(k for k, n in counts.items() if n)][0]} 1]"
    why = f"To protect other people ({cite})" if cite else "To protect other people"
    return (f"{why}, {listed} in the free text of this category "
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
    own_name: tuple[str, ...] = ()
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
        for name in self.own_name:
            value = record.get(name)
            if isinstance(value, str) and value.strip():
                red.learn_name(value)
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

