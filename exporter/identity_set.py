"""The subject's identifiers as found so far: what the identity graph builds and every check reads.

An :class:`IdentitySet` holds each identifier of the data subject (GDPR / UK GDPR Art. 15(1): the
data *of the subject*, and no one else's, docs/isolation.md) by its comparison key under the
catalog's one rule for its type (:mod:`exporter.identifiers`), with its provenance (the read that
found it, or the request), the spelling to show, and what was *not* followed: shared values and
further values that name somebody else too (``shared_skipped``, ``unfollowed``; see
:mod:`exporter.collect.identity`). It also carries the export's :class:`Screening` of the rows the
re-checks left out (:mod:`exporter.matching`).

It sits below both the identity graph (:mod:`exporter.collect.identity`, which fills it) and the
row checks (:mod:`exporter.matching`, which read it), next to the rules it compares by, so neither
imports the other for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .identifiers import RULES, Rule
from .screening import Screening

__all__ = ["Identifier", "IdentitySet"]


@dataclass(frozen=True, order=True)
class Identifier:
    type: str
    value: str


@dataclass
class IdentitySet:
    """The subject's identifiers: type → key → provenance (read label or "request").

    ``shown`` keeps each value as it was written (the request's identifier as given); ``found``
    holds the comparison keys of :mod:`exporter.identifiers`."""

    found: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    #: shared identifier type → how many of the subject's values of it were NOT expanded through
    #: because they also belong to somebody else (counts only; never the values)
    shared_skipped: Counter[str] = field(default_factory=Counter)
    rules: Mapping[str, Rule] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()
    shown: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (type, key) of values that are the subject's but were not followed (see the module docstring)
    unfollowed: set[tuple[str, str]] = field(default_factory=set)
    screening: Screening = field(default_factory=Screening)
    #: (type, key) of values found when their type already had one (an alternative e-mail address)
    further: set[tuple[str, str]] = field(default_factory=set)
    #: (type, key) found by a read → (type, key) of the subject's identifier the read found it through
    via: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def rule(self, id_type: str) -> Rule:
        return self.rules.get(id_type) or RULES["trim"]

    def notes(self) -> list[str]:
        """Warnings for the package about shared identifiers that were not followed (no values)."""
        return [
            f"{n} {id_type} value(s) of the subject are shared with other people (e.g. a shared "
            f"device or inbox); they were not used to find further identifiers, so no other person's data is "
            f"included through them"
            for id_type, n in sorted(self.shared_skipped.items())
        ]

    def add(self, id_type: str, value: str, by: str, via: tuple[str, str] | None = None) -> bool:
        key = self.rule(id_type).key(value)
        if not key:
            return False
        bucket = self.found.setdefault(id_type, {})
        if key in bucket:
            return False
        if by != "request" and bucket:
            self.further.add((id_type, key))  # a second value of its type: checked before it is followed
        bucket[key] = by
        self.shown[(id_type, key)] = value.strip()
        if via is not None and via != (id_type, key):
            self.via[(id_type, key)] = via
        return True

    def keys(self, id_type: str, *, followed_only: bool = True) -> frozenset[str]:
        return frozenset(k for k in self.found.get(id_type, {})
                         if not (followed_only and (id_type, k) in self.unfollowed))

    def values(self, types: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Keys per type, sorted (values that were not followed are left out)."""
        return {t: tuple(sorted(self.keys(t))) for t in types}

    def own_values(self, id_type: str) -> tuple[str, ...]:
        """Every value of the subject of ``id_type`` as written (for redaction: never redact these)."""
        return tuple(sorted(self.shown[(id_type, k)] for k in self.found.get(id_type, {})))

    def probes(self, types: Iterable[str], *, forms: bool = True) -> dict[str, tuple[str, ...]]:
        """What a source binds in its filter: the keys and, with ``forms``, every spelling a
        database may need to find them (a superset; see :meth:`exporter.identifiers.Rule.probes`)."""
        out = {}
        for t in types:
            keys = sorted(self.keys(t))
            rule = self.rule(t)
            out[t] = tuple(dict.fromkeys(p for k in keys for p in (rule.probes(k) if forms else rule.spellings(k))))
        return out

    def has_any(self, types: Iterable[str]) -> bool:
        return any(self.keys(t) for t in types)

    def as_list(self) -> list[dict[str, Any]]:
        """Every identifier with its provenance: ``found_by`` (the read, or "request") and, for a read,
        ``found_through`` (the subject's identifier the read was given), so that a report can say
        "found through your email address …" rather than name a read."""
        out: list[dict[str, Any]] = []
        for t in sorted(self.found):
            for k, by in sorted(self.found[t].items(), key=lambda kv: (self.shown.get((t, kv[0]), kv[0]), kv[0])):
                item: dict[str, Any] = {"type": t, "value": self.shown.get((t, k), k), "found_by": by}
                through = self.via.get((t, k))
                if through is not None:
                    item["found_through"] = {"type": through[0], "value": self.shown.get(through, through[1])}
                out.append(item)
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self.found.values())
