"""Names of other people in free text, for third-party redaction (GDPR / UK GDPR Art. 15(4), Recital 63).

A :class:`NameIndex` holds the people whose names are replaced — staff members and other people
(the configured lists, names learned from ``staff_fields``, names the stores know) — and finds
their names in a text (:meth:`NameIndex.scan`), leaving the subject's own names alone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Hit", "NameIndex", "learnable", "name_words", "norm_name", "parse_names"]

# Names are matched word by word (no giant alternation pattern, so a directory of many thousand
# names costs a dictionary lookup per word): a name is a sequence of words, compared without regard
# to case; a word is letters with inner apostrophes or hyphens. A person's single name words
# (first name, last name; two letters or more) are matched too, but only when written with a
# capital, so that "this is Priya." and "Kind regards, Raman" are caught while "may" or "will" in
# running text are not names. The subject's own name words are never replaced.

_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W\d_])?")
_GAP = re.compile(r"\.?\s{1,3}")  # between the words of one name: spaces, a line break, an initial's dot
_POSSESSIVE = ("'s", "’s")


def name_words(name: str) -> tuple[str, ...]:
    """The words of ``name``, case-folded: the key it is matched by."""
    return tuple(w.casefold() for w in _WORD.findall(name))


def norm_name(name: str) -> str:
    """``name`` as its case-folded words joined by single spaces."""
    return " ".join(name_words(name))


def learnable(name: str) -> bool:
    """Whether an unlisted staff name looks like a full name (2–6 words of letters, ≤ 80 characters)."""
    words = name.split()
    return 2 <= len(words) <= 6 and len(name) <= 80 and len(name_words(name)) == len(words)


def parse_names(lines: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """People from a names list: one per line, variants separated by ``|``, ``#`` lines are comments."""
    people = []
    for line in lines:
        line = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        variants = tuple(v for v in (" ".join(part.split()) for part in line.split("|")) if v)
        if variants:
            people.append(variants)
    return tuple(people)


@dataclass(frozen=True)
class Hit:
    """A name found in the index: which kind of person, and which one of that kind."""

    kind: str
    person: int
    part: bool  #: a single name word of a longer name (matched only when capitalised)


class NameIndex:
    """People's names (each a tuple of variants) → who they are, for word-by-word matching."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, ...], Hit] = {}
        self.latent: dict[tuple[str, int], list[tuple[str, ...]]] = {}  #: parts switched on once the full name is met
        self.count: dict[str, int] = {}
        self.firsts: set[str] = set()  #: first words of every key (most words of a text are none)
        self.longest = 0
        self._lock = threading.RLock()

    def add(self, kind: str, variants: Sequence[str], *, parts: str = "active") -> int:
        """Add a person (or return the one already holding a full variant); returns their number
        within ``kind``. ``parts``: "active" (single words matched from the start), "latent"
        (matched once the full name was replaced in this package) or "none"."""
        full = [k for k in (name_words(v) for v in variants) if k]
        with self._lock:
            for k in full:
                hit = self.keys.get(k)
                if hit is not None and hit.kind == kind and not hit.part:
                    return hit.person
            person = self.count.get(kind, 0)
            self.count[kind] = person + 1
            for k in full:
                self.keys.setdefault(k, Hit(kind, person, part=False))
                self.firsts.add(k[0])
                self.longest = max(self.longest, len(k))
            words: list[tuple[str, ...]] = [(w,) for k in full if len(k) > 1 for w in k if len(w) > 1]
            if parts == "active":
                for w in words:
                    self.keys.setdefault(w, Hit(kind, person, part=True))
                    self.firsts.add(w[0])
            elif parts == "latent" and words:
                self.latent[(kind, person)] = words
            return person

    def activate(self, hit: Hit) -> None:
        """Switch on the latent single name words of the person ``hit`` names (their full name was met)."""
        words = self.latent.pop((hit.kind, hit.person), None)
        if words:
            with self._lock:
                for w in words:
                    self.keys.setdefault(w, Hit(hit.kind, hit.person, part=True))
                    self.firsts.add(w[0])

    def who(self, kind: str, name: str) -> int | None:
        """The number of the ``kind`` person whose full name is ``name`` (None when not known)."""
        hit = self.keys.get(name_words(name))
        return hit.person if hit is not None and hit.kind == kind and not hit.part else None

    def scan(self, text: str, own: Callable[[tuple[str, ...]], bool]) -> list[tuple[int, int, Hit]]:
        """Spans of names in ``text``: the longest name at each word wins; own names are left.
        One set lookup per word of the text; only a word that starts some name looks further."""
        out: list[tuple[int, int, Hit]] = []
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
