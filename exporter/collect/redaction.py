"""Other people's data in free text: redaction by rules (GDPR / UK GDPR Art. 15(4), Recital 63).

A copy of the subject's data must not adversely affect the rights and freedoms of others (Art.
15(4), Recital 63; EDPB Guidelines 01/2022 §§170-178). Support e-mails, chat transcripts, posted
content and badge-scan notes are free text that mentions other people: colleagues, other
customers, PicoNext staff. The :class:`Redactor` replaces, in the fields the catalog lists as
``free_text`` (docs/redaction.md):

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

This module is the face: the :class:`Redactor`, the per-category :class:`CategoryRedaction`, and
every name callers import. Each question it asks is answered in :mod:`exporter.collect.redact`:
where e-mail addresses (:mod:`~.redact.emails`), phone numbers (:mod:`~.redact.phones`) and known
names (:mod:`~.redact.names`) are in a text, which names the stores know (:mod:`~.redact.stores`),
what the configuration asks for (:mod:`~.redact.settings`) and what the package says
(:mod:`~.redact.notice`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..law.catalog import Category
from .redact.emails import EMAIL_RULE, find_emails
from .redact.names import NameIndex, learnable, name_words, norm_name
from .redact.notice import KINDS, notice
from .redact.phones import e164_forms, find_phones, phone_id, phone_key, same_phone
from .redact.settings import RedactionSettings
from .redact.stores import known_names

__all__ = [
    "KINDS",
    "CategoryRedaction",
    "RedactionSettings",
    "Redactor",
    "find_emails",
    "find_phones",
    "known_names",
    "notice",
    "phone_key",
]


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
        self._own_emails = {EMAIL_RULE.key(e) for e in own_emails}
        self._own_phones: set[str] = set()
        self._own_names: set[tuple[str, ...]] = set()
        self._names = NameIndex()
        for variants in settings.staff:
            self._names.add("staff_name", variants)
        for variants in settings.people:
            self._names.add("person_name", variants)
        for name in other_people:
            if len(name_words(name)) > 1:
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
            self._own_emails.add(EMAIL_RULE.key(value))

    def learn_phone(self, value: str) -> None:
        keys = {phone_key(value), *e164_forms(value, self.settings.phone_regions)}
        with self._lock:
            self._own_phones.update(k for k in keys if k)

    def learn_name(self, value: str) -> None:
        """The subject's own name (a full name or one name field): never replaced, nor its words."""
        words = name_words(value)
        if words:
            with self._lock:
                self._own_names.add(words)
                self._own_names.update((w,) for w in words)

    def is_own_email(self, value: str) -> bool:
        key = EMAIL_RULE.key(value)
        return key in self._own_emails or key in self.settings.keep_emails

    def is_own_phone(self, value: str) -> bool:
        own = tuple(self._own_phones)
        if any(k in own for k in e164_forms(value, self.settings.phone_regions)):
            return True
        key = phone_key(value)
        return any(same_phone(key, o) for o in own if o.isdigit())

    def is_own_name(self, value: str) -> bool:
        return name_words(value) in self._own_names

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
            if who is None and learnable(name):
                who = self._names.add("staff_name", (" ".join(name.split()),))
            key = str(who) if who is not None else "unlisted:" + norm_name(name)
        return self.placeholder("staff_name", key)

    def _email_placeholder(self, value: str) -> str | None:
        """Placeholder of another person's address (None: the subject's own or a kept one)."""
        return None if self.is_own_email(value) else self.placeholder("email", EMAIL_RULE.key(value))

    def _phone_placeholder(self, value: str) -> str | None:
        """Placeholder of another person's number (None: the subject's own)."""
        if self.is_own_phone(value):
            return None
        return self.placeholder("phone", phone_id(value, self.settings.phone_regions))

    # -- text ---------------------------------------------------------------------------------
    def text(self, value: str, counts: Counter[str]) -> str:
        """``value`` with other people's details replaced; ``counts`` gets one per replacement.

        E-mail addresses first (a name inside an address must not break it up), then phone
        numbers, then names."""
        if self.settings.emails and "@" in value:
            value = _replace(value, find_emails(value), self._email_placeholder, "email", counts)
        if self.settings.phones:
            value = _replace(value, find_phones(value, self.settings.phone_regions), self._phone_placeholder,
                             "phone", counts)
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
