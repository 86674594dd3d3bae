"""Regular expressions the fast path may hand to Arrow: the subset on which RE2 and Python agree.

A schema ``pattern`` is matched by the compiled validator (Python's ``re``); the columnar check
matches it with Arrow's RE2. :func:`re2_pattern` lets through only patterns both engines read the
same way — literals, escaped punctuation, classes, groups, ``|`` and quantifiers — and
:func:`parse` tells what such a pattern can match (its characters, its first character, whether
it is anchored), which :mod:`exporter.collect.card_screens` uses to rule out card numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .columns import Unsupported

__all__ = ["Pattern", "parse", "re2_pattern"]

_SPECIAL = set(".^$*+?()[]{}|\\")
_ESCAPABLE = set(".^$*+?()[]{}|\\-/")
_QUANT = re.compile(r"\*|\+|\?|\{[0-9]+(?:,[0-9]*)?\}")


@dataclass
class Pattern:
    """What a parsed pattern can match."""

    anchored: bool = False  # ^ … $
    chars: set[str] = field(default_factory=set)  # every character a match can contain
    negated: bool = False  # a negated class: "any character but …"
    negated_excludes: set[str] = field(default_factory=set)  # intersection of what negated classes exclude
    first: set[str] | None = None  # what the first character can be (None: unknown)
    alternation: bool = False


def _class(p: str, i: int) -> tuple[set[str], bool, int]:
    """Parse ``[...]`` at ``p[i] == '['``; return (characters, negated, index after ``]``)."""
    i += 1
    negated = i < len(p) and p[i] == "^"
    if negated:
        i += 1
    chars: set[str] = set()
    while i < len(p) and p[i] != "]":
        c = p[i]
        if c == "\\":
            if i + 1 >= len(p) or p[i + 1] not in _ESCAPABLE:
                raise Unsupported("escape in class")
            c = p[i + 1]
            i += 2
        elif c == "[":
            raise Unsupported("nested class")
        else:
            i += 1
        if i + 1 < len(p) and p[i] == "-" and p[i + 1] != "]":
            hi = p[i + 1]
            if hi == "\\" or hi == "[":
                raise Unsupported("range end")
            if ord(hi) < ord(c):
                raise Unsupported("bad range")
            chars.update(chr(x) for x in range(ord(c), ord(hi) + 1))
            i += 2
        else:
            chars.add(c)
    if i >= len(p) or not chars:
        raise Unsupported("class")
    return chars, negated, i + 1



def _anchors(p: str) -> tuple[int, int, bool]:
    """(start, end, anchored): the pattern between a leading ``^`` and a trailing ``$``."""
    start = 1 if p.startswith("^") else 0
    if p.endswith("$") and not p.endswith("\\$"):
        return start, len(p) - 1, start == 1
    return start, len(p), False


class _Scan:
    """One left-to-right pass over a pattern, token by token."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.info = Pattern()
        self.i, self.end, self.info.anchored = _anchors(pattern)
        self.depth = 0
        self.first_done = False

    def run(self) -> Pattern:
        while self.i < self.end:
            atom, negated, quantifiable = self._token()
            optional = self._quantifier() if quantifiable else False
            if atom is not None:
                self._add(atom, negated, optional)
        if self.depth != 0:
            raise Unsupported("parenthesis")
        return self.info

    def _token(self) -> tuple[set[str] | None, bool, bool]:
        """(characters, negated, may take a quantifier) of the token at ``i``; moves past it."""
        p, i = self.p, self.i
        c = p[i]
        if c == "\\":
            if i + 1 >= self.end or p[i + 1] not in _ESCAPABLE:
                raise Unsupported("escape")
            self.i = i + 2
            return {p[i + 1]}, False, True
        if c == "[":
            chars, negated, self.i = _class(p, i)
            return chars, negated, True
        if c == "(":
            if p.startswith("(?", i) and not p.startswith("(?:", i):
                raise Unsupported("group kind")
            self.i = i + (3 if p.startswith("(?:", i) else 1)
            self.depth += 1
            self.first_done = True
            return None, False, False
        if c == ")":
            self.depth -= 1
            if self.depth < 0:
                raise Unsupported("parenthesis")
            self.i = i + 1
            return None, False, True
        if c == "|":
            self.info.alternation = True
            self.i = i + 1
            return None, False, False
        if c in _SPECIAL:
            raise Unsupported(f"metacharacter {c!r}")
        self.i = i + 1
        return {c}, False, True

    def _quantifier(self) -> bool:
        """Skip a quantifier at ``i``; True when it makes the token optional."""
        m = _QUANT.match(self.p, self.i)
        if not m:
            return False
        q = m.group(0)
        self.i = m.end()
        if self.i < self.end and self.p[self.i] == "?":
            self.i += 1  # lazy: same set of matches
        if self.i < self.end and self.p[self.i] in "*+?{":
            raise Unsupported("stacked quantifiers")
        return q in ("*", "?") or q.startswith("{0")

    def _add(self, atom: set[str], negated: bool, optional: bool) -> None:
        info = self.info
        if negated:
            info.negated = True
            info.negated_excludes = atom if not info.negated_excludes else info.negated_excludes & atom
        else:
            info.chars |= atom
        if not self.first_done:
            info.first = None if negated or optional else set(atom)
            self.first_done = True


def parse(pattern: str) -> Pattern:
    """Accept only literals, escaped punctuation, classes, groups, ``|`` and quantifiers."""
    return _Scan(pattern).run()


def re2_pattern(pattern: str) -> str:
    """``pattern`` unchanged if RE2 and the validator's engine give it the same meaning, else raise."""
    parse(pattern)
    return pattern
