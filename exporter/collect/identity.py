"""Identity graph: from the identifiers in a request to every identifier of the subject.

Each ``identities`` read declares the identifier types it needs and the types it yields. Reads run
in dependency order (a topological order of identifier types where there is one) and are repeated
until no read finds a new identifier (the fixpoint; at most :data:`MAX_ROUNDS` rounds and
:data:`MAX_IDENTIFIERS` identifiers, beyond which the export stops). A read may yield the type it
needs (an e-mail address → an alternative e-mail address given in a support ticket), and types may
form cycles (e-mail → account → e-mail). A type needed by a read that no read yields and a request
cannot give is a configuration error found before anything is read.
Every identifier found is recorded in the subject's :class:`~exporter.identity_set.IdentitySet`
with the read that produced it (provenance) and shown as the source (or the request) wrote it; it
is compared by its key under the catalog's one rule for its type (:mod:`exporter.identifiers`).
Every row a read returns is re-checked with that rule (:mod:`exporter.matching`).

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
  type, and no other person than the subject's already known ones (pivots run only once the
  other reads have reached their fixpoint, so that the subject's own identifiers are known) (rows naming no person at all
  are not followed either: whose they are cannot be told). Otherwise the value is not
  used to find anything (``IdentitySet.shared_skipped`` counts such values per type; a warning
  in the package says how many, never which);
* a stream may not select records by shared types alone, nor list a shared type in ``match``
  (files/parquet keep a record when ANY matched field holds a subject value).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from ..law.catalog import Catalog
from ..config import Config, Read
from ..errors import ConfigError, SourceDataError, SourceError
from ..identity_set import Identifier, IdentitySet
from ..matching import RowCheck
from ..sources import Source

__all__ = ["MAX_IDENTIFIERS", "MAX_ROUNDS", "Identifier", "IdentitySet", "person_types", "plan", "resolve",
           "shared_types"]

#: rounds of the identity reads before the graph must have reached its fixpoint
MAX_ROUNDS = 8
#: identifiers one subject may have; more means the graph is running into other people's data
MAX_IDENTIFIERS = 5000


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
    ids = IdentitySet(rules=catalog.rules(), shared=shared_types(catalog))
    for ident in given:
        ids.add(ident.type, ident.value, "request")
    walk = _Walk(ids, sources, person_types(catalog), allow_partial=allow_partial, failed=failed or {})
    walk.to_fixpoint(plan(config) if reads is None else reads)
    return ids


@dataclass
class _Walk:
    """One resolution in progress: which read ran with which keys, and which reads failed."""

    ids: IdentitySet
    sources: Mapping[str, Source]
    persons: frozenset[str]
    allow_partial: bool = False
    #: source name → why it cannot be read (its reads are recorded as failed, not run)
    failed: Mapping[str, str] = field(default_factory=dict)
    #: read label → the keys per needed type it was last run with
    done: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    dead: set[str] = field(default_factory=set)

    def to_fixpoint(self, reads: list[Read]) -> None:
        """Run the reads round by round until a round finds nothing new."""
        # Pivots through shared values wait until the other reads have settled: whether a device's one
        # owner is "somebody other than the subject" can only be told once the subject's own person
        # identifiers are known (run first, a pivot would take a stranger's device for the subject's).
        shared = self.ids.shared
        pivots = [r for r in reads if shared.intersection(r.spec.needs)]
        plain = [r for r in reads if not shared.intersection(r.spec.needs)]
        for _round in range(MAX_ROUNDS):
            before = _state(self.ids)
            for r in plain:
                self.step(r)
            if _state(self.ids) != before:
                continue
            for r in pivots:
                self.step(r)
            if _state(self.ids) == before:
                return
        raise SourceDataError(
            f"the identity lookups did not settle after {MAX_ROUNDS} rounds",
            hint="the identities reads keep finding new identifiers; check them for a lookup that runs into "
                 "other people's records; no package was written")

    def step(self, r: Read) -> None:
        """Run ``r`` with the keys found since its last run (none new: nothing to do)."""
        label = r.spec.label
        if label in self.dead or not self.ids.has_any(r.spec.needs):
            return
        current = {t: self.ids.keys(t) for t in r.spec.needs}
        previous = self.done.get(label)
        if previous == current:
            return
        self.done[label] = current
        if r.source in self.failed:
            self._fail(r, self.failed[r.source])
            return
        try:
            _run(self.ids, self.sources[r.source], r, current, previous or {}, self.persons)
        except SourceError as exc:
            if not self.allow_partial:
                raise
            self._fail(r, exc.message)
        self._check_size(r)

    def _fail(self, r: Read, reason: str) -> None:
        self.ids.failures.append((r.spec.label, tuple(r.yields), reason))
        self.dead.add(r.spec.label)

    def _check_size(self, r: Read) -> None:
        if len(self.ids) > MAX_IDENTIFIERS:
            raise SourceDataError(
                f"the identity lookups found more than {MAX_IDENTIFIERS} identifiers for one subject",
                source=r.source, stream=r.spec.label,
                hint="a lookup is probably matching other people's records (e.g. a shared value); "
                     "check the identities reads; no package was written")


def _state(ids: IdentitySet) -> tuple[int, int]:
    return len(ids), len(ids.unfollowed)


def _run(ids: IdentitySet, source: Source, r: Read, current: Mapping[str, frozenset[str]],
         previous: Mapping[str, frozenset[str]], persons: frozenset[str]) -> None:
    """One run of ``r`` for the keys new since ``previous`` (a pivot, a further value or a lookup)."""
    pivot = [t for t in r.spec.needs if t in ids.shared]
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
