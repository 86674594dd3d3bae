"""Identity graph: from the identifiers in a request to every identifier of the subject.

Each ``identities`` read declares the identifier types it needs and the types it yields. Reads run
in dependency order (a topological order of identifier types where there is one) and are repeated
until no read finds a new identifier (the fixpoint; at most :data:`MAX_ROUNDS` rounds and
:data:`MAX_IDENTIFIERS` identifiers, beyond which the export stops). A read may yield the type it
needs (an e-mail address → an alternative e-mail address given in a support ticket), and types may
form cycles (e-mail → account → e-mail). A type needed by a read that no read yields and a request
cannot give is a configuration error found before anything is read.
Every identifier found is recorded with the read that produced it (provenance) and shown as the
source (or the request) wrote it; it is compared by its key under the catalog's one rule for its
type (:mod:`exporter.identifiers`). Every row a read returns is re-checked with that rule
(:mod:`exporter.matching`).

A *further* value of a person type (a second e-mail address found in a ticket) is held to the
shared-identifier rule below before it is followed: if the rows it matches name another person
than the subject's known ones (a shared team inbox on a colleague's account), it is not used to
find anything or to select records (``IdentitySet.shared_skipped``); it stays the subject's own
value for redaction.

Shared identifiers (docs/isolation.md). The catalog marks identifier types whose values may belong
to several people ``shared = true`` (a device id: a shared laptop) and the types that name exactly
one person ``person = true`` (account, customer and contact numbers, e-mail addresses). The graph
never hops through a shared value that belongs to somebody else as well:

* an identities read that needs a shared type is a *pivot*; it must need only that type and yield
  at least one person type (checked by :func:`plan`). It runs once per value, and a value is
  expanded through only when every row it matches names the same single person of each person
  type, and no other person than the subject's already known ones (rows naming no person at all
  are not followed either: whose they are cannot be told). Otherwise the value is not
  used to find anything (``IdentitySet.shared_skipped`` counts such values per type; a warning
  in the package says how many, never which);
* a stream may not select records by shared types alone, nor list a shared type in ``match``
  (files/parquet keep a record when ANY matched field holds a subject value).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from ..law.catalog import Catalog
from ..config import Config, Read
from ..errors import ConfigError, SourceDataError, SourceError
from ..identifiers import RULES, Rule
from ..matching import RowCheck, Screening
from ..sources import Source

__all__ = ["MAX_IDENTIFIERS", "MAX_ROUNDS", "Identifier", "IdentitySet", "person_types", "plan", "resolve",
           "shared_types"]

#: rounds of the identity reads before the graph must have reached its fixpoint
MAX_ROUNDS = 8
#: identifiers one subject may have; more means the graph is running into other people's data
MAX_IDENTIFIERS = 5000


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


def shared_types(catalog: Catalog) -> frozenset[str]:
    """Identifier types whose values may belong to several people (catalog ``shared = true``)."""
    return frozenset(t for t, spec in catalog.identifier_types.items() if spec.get("shared") is True)


def person_types(catalog: Catalog) -> frozenset[str]:
    """Identifier types one value of which names exactly one person (catalog ``person = true``)."""
    return frozenset(t for t, spec in catalog.identifier_types.items() if spec.get("person") is True)


def _check_shared(config: Config, reads: list[Read]) -> None:
    shared, persons = shared_types(config.catalog), person_types(config.catalog)
    if not shared:
        return
    file = str(config.path)
    for r in reads:
        used = [t for t in r.spec.needs if t in shared]
        if not used:
            continue
        if len(r.spec.needs) != 1 or not persons.intersection(r.yields):
            raise ConfigError(
                f"identities read {r.spec.label} needs the shared identifier type {used[0]!r}: such a read must "
                f"need only that type and yield a person identifier ({', '.join(sorted(persons)) or 'none declared'})",
                file=file, key=r.spec.label,
                hint="a shared value (e.g. a device several people use) is followed only when the rows it matches "
                     "name a single person; see docs/isolation.md")
    for src in config.sources:
        for r in src.streams:
            used = [t for t in r.spec.needs if t in shared]
            if not used:
                continue
            if len(used) == len(r.spec.needs):
                raise ConfigError(
                    f"stream {r.spec.label} selects records by the shared identifier type {used[0]!r} alone, "
                    "which would include other people's records", file=file, key=r.spec.label,
                    hint="also require a person identifier (e.g. account_id AND device_id); see docs/isolation.md")
            if "match" in r.spec.params:
                raise ConfigError(
                    f"stream {r.spec.label} lists the shared identifier type {used[0]!r} in `match`; a record is "
                    "kept when ANY matched field holds a subject value, so other people's records would be included",
                    file=file, key=r.spec.label,
                    hint="remove it from needs/match and select by person identifiers; see docs/isolation.md")


def plan(config: Config) -> list[Read]:
    """Identity reads in dependency order (label order inside a cycle); raises ConfigError on
    unresolvable needs or reads that would hop through shared identifiers (docs/isolation.md)."""
    reads = config.identity_reads()
    _check_shared(config, reads)
    yielded: dict[str, list[str]] = {}
    graph: dict[str, set[str]] = {}
    for r in reads:
        for t in r.yields:
            yielded.setdefault(t, []).append(r.spec.label)
            graph.setdefault(t, set()).update(n for n in r.spec.needs if n != t)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:
        order = sorted({t for t in graph} | {n for ns in graph.values() for n in ns})  # fixpoint rounds settle it
    reachable = set(config.given) | set(yielded)
    for r in reads + [s for src in config.sources for s in src.streams]:
        if not reachable.intersection(r.spec.needs):
            raise ConfigError(
                f"read {r.spec.label} needs {', '.join(r.spec.needs)}, which no identities read yields "
                f"and a request cannot give", file=str(config.path), key=r.spec.label,
                hint="add an identities read yielding it, or add the type to [identity] given")
    rank = {t: i for i, t in enumerate(order)}
    return sorted(reads, key=lambda r: (max((rank.get(t, -1) for t in r.spec.needs), default=-1), r.spec.label))


def resolve(config: Config, given: Iterable[Identifier], sources: Mapping[str, Source],
            reads: list[Read] | None = None, *, allow_partial: bool = False,
            failed: Mapping[str, str] | None = None) -> IdentitySet:
    """Resolve to the fixpoint. With ``allow_partial`` a failing read is recorded in
    ``IdentitySet.failures`` (label, types it would have yielded, reason) instead of raising."""
    catalog = config.catalog
    shared, persons = shared_types(catalog), person_types(catalog)
    ids = IdentitySet(rules=catalog.rules(), shared=shared)
    failed = failed or {}
    for ident in given:
        ids.add(ident.type, ident.value, "request")
    reads = plan(config) if reads is None else reads
    #: read label → the keys per needed type it was last run with
    done: dict[str, dict[str, frozenset[str]]] = {}
    dead: set[str] = set()
    for _round in range(MAX_ROUNDS):
        before = _state(ids)
        for r in reads:
            label = r.spec.label
            if label in dead or not ids.has_any(r.spec.needs):
                continue
            current = {t: ids.keys(t) for t in r.spec.needs}
            if done.get(label) == current:
                continue
            previous = done.get(label, {})
            done[label] = current
            if r.source in failed:
                ids.failures.append((label, tuple(r.yields), failed[r.source]))
                dead.add(label)
                continue
            try:
                _run(catalog, ids, sources[r.source], r, current, previous, shared, persons)
            except SourceError as exc:
                if not allow_partial:
                    raise
                ids.failures.append((label, tuple(r.yields), exc.message))
                dead.add(label)
            if len(ids) > MAX_IDENTIFIERS:
                raise SourceDataError(
                    f"the identity lookups found more than {MAX_IDENTIFIERS} identifiers for one subject",
                    source=r.source, stream=label,
                    hint="a lookup is probably matching other people's records (e.g. a shared value); "
                         "check the identities reads; no package was written")
        if _state(ids) == before:
            return ids
    raise SourceDataError(
        f"the identity lookups did not settle after {MAX_ROUNDS} rounds",
        hint="the identities reads keep finding new identifiers; check them for a lookup that runs into "
             "other people's records; no package was written")


def _state(ids: IdentitySet) -> tuple[int, int]:
    return len(ids), len(ids.unfollowed)


def _run(catalog: Catalog, ids: IdentitySet, source: Source, r: Read, current: Mapping[str, frozenset[str]],
         previous: Mapping[str, frozenset[str]], shared: frozenset[str], persons: frozenset[str]) -> None:
    pivot = [t for t in r.spec.needs if t in shared]
    if pivot:
        _pivot(ids, source, r, pivot[0], persons, current[pivot[0]] - previous.get(pivot[0], frozenset()))
        return
    if len(r.spec.needs) == 1:
        (t,) = r.spec.needs
        new = current[t] - previous.get(t, frozenset())
        # a further value of a person type (not the first of its type): checked before it is followed
        further = sorted(k for k in new if t in persons and (t, k) in ids.further)
        plain = sorted(new - set(further))
        if plain:
            _lookup(ids, source, r, {t: tuple(plain)})
        for k in further:
            _checked(ids, source, r, t, k, persons)
        return
    _lookup(ids, source, r, {t: tuple(sorted(v)) for t, v in current.items()})


def _rows(ids: IdentitySet, source: Source, r: Read, keys: Mapping[str, tuple[str, ...]]
          ) -> Iterator[tuple[dict[str, Any], tuple[str, str] | None]]:
    """The read's rows that are the subject's, each with the subject identifier it holds."""
    forms = getattr(source, "probe_forms", True)
    probes = {t: tuple(dict.fromkeys(p for k in ks for p in (ids.rule(t).probes(k) if forms
                                                            else ids.rule(t).spellings(k)))) for t, ks in keys.items()}
    check = RowCheck(r.spec, ids, source=r.source, values=keys)
    for batch in source.read(r.spec, probes):
        for row in batch:
            if check.owns(row):
                yield row, check.matched(row)


def _lookup(ids: IdentitySet, source: Source, r: Read, keys: Mapping[str, tuple[str, ...]]) -> None:
    for row, through in _rows(ids, source, r, keys):
        for id_type, value in _yielded(r, row):
            ids.add(id_type, value, r.spec.label, through)


def _checked(ids: IdentitySet, source: Source, r: Read, id_type: str, key: str, persons: frozenset[str]) -> None:
    """Follow a further person-type value only when its rows name no other person than known."""
    found = [pair for row, _through in _rows(ids, source, r, {id_type: (key,)}) for pair in _yielded(r, row)]
    if _foreign(ids, found, persons):
        ids.shared_skipped[id_type] += 1
        ids.unfollowed.add((id_type, key))
        return
    for t, v in found:
        ids.add(t, v, r.spec.label, (id_type, key))


def _foreign(ids: IdentitySet, found: list[tuple[str, str]], persons: frozenset[str]) -> bool:
    owners: dict[str, set[str]] = {}
    for t, v in found:
        if t in persons:
            owners.setdefault(t, set()).add(ids.rule(t).key(v))
    known = {t: ids.keys(t, followed_only=False) for t in owners}
    return any(known[t] and not vs <= known[t] for t, vs in owners.items())


def _yielded(r: Read, row: Mapping[str, object]) -> Iterable[tuple[str, str]]:
    for id_type, fieldname in r.yields.items():
        raw = row.get(fieldname)
        for v in raw if isinstance(raw, list) else [raw]:
            if v is None or v == "":
                continue
            yield id_type, str(v)


def _pivot(ids: IdentitySet, source: Source, r: Read, id_type: str, persons: frozenset[str],
           values: Iterable[str]) -> None:
    """Run a read that needs a shared type once per value; follow a value only when it belongs
    to one person, who is not somebody other than the subject as known so far."""
    known = {t: set(ids.keys(t, followed_only=False)) for t in persons}
    for value in sorted(values):
        found = list(pair for row, _through in _rows(ids, source, r, {id_type: (value,)})
                     for pair in _yielded(r, row))
        owners: dict[str, set[str]] = {}
        for t, v in found:
            if t in persons:
                owners.setdefault(t, set()).add(ids.rule(t).key(v))
        if not found:
            continue
        if not owners or any(len(vs) > 1 or (known[t] and not vs <= known[t]) for t, vs in owners.items()):
            ids.shared_skipped[id_type] += 1  # several people, somebody else, or nobody we can tell
            continue
        for t, v in found:
            ids.add(t, v, r.spec.label, (id_type, value))
