"""Identity graph: from the identifiers in a request to every identifier of the subject.

Each ``identities`` read declares the identifier types it needs and the types it yields. Reads run
in dependency order (a topological order of identifier types), so one pass reaches the fixpoint.
A cycle between identifier types, or a type needed by a read that no read yields and a request
cannot give, is a configuration error found before anything is read.
Every identifier found is recorded with the read that produced it (provenance).

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from .catalog import Catalog
from .config import Config, Read
from .errors import ConfigError, SourceError
from .sources import Source

__all__ = ["Identifier", "IdentitySet", "person_types", "plan", "resolve", "shared_types"]


@dataclass(frozen=True, order=True)
class Identifier:
    type: str
    value: str


@dataclass
class IdentitySet:
    """The subject's identifiers: type → value → provenance (read label or "request")."""

    found: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    #: shared identifier type → how many of the subject's values of it were NOT expanded through
    #: because they also belong to somebody else (counts only; never the values)
    shared_skipped: Counter[str] = field(default_factory=Counter)

    def notes(self) -> list[str]:
        """Warnings for the package about shared identifiers that were not followed (no values)."""
        return [
            f"{n} {id_type} value(s) of the subject are shared with other people (e.g. a shared "
            f"device); they were not used to find further identifiers, so no other person's data is "
            f"included through them"
            for id_type, n in sorted(self.shared_skipped.items())
        ]

    def add(self, id_type: str, value: str, by: str) -> bool:
        bucket = self.found.setdefault(id_type, {})
        if value in bucket:
            return False
        bucket[value] = by
        return True

    def values(self, types: Iterable[str]) -> dict[str, tuple[str, ...]]:
        return {t: tuple(sorted(self.found.get(t, {}))) for t in types}

    def has_any(self, types: Iterable[str]) -> bool:
        return any(self.found.get(t) for t in types)

    def as_list(self) -> list[dict[str, str]]:
        return [
            {"type": t, "value": v, "found_by": by}
            for t in sorted(self.found)
            for v, by in sorted(self.found[t].items())
        ]

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
    """Identity reads in dependency order; raises ConfigError on cycles, unresolvable needs or
    reads that would hop through shared identifiers (docs/isolation.md)."""
    reads = config.identity_reads()
    _check_shared(config, reads)
    yielded: dict[str, list[str]] = {}
    graph: dict[str, set[str]] = {}
    for r in reads:
        for t in r.yields:
            yielded.setdefault(t, []).append(r.spec.label)
            graph.setdefault(t, set()).update(r.spec.needs)
            if t in r.spec.needs:
                raise ConfigError(f"identities read {r.spec.label} yields {t!r}, which it also needs",
                                  file=str(config.path), key=r.spec.label)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " → ".join(exc.args[1]) if len(exc.args) > 1 else "?"
        raise ConfigError(f"identifier types form a cycle: {cycle}", file=str(config.path),
                          key="sources.*.identities", hint="each identifier type must be derived in one direction") from exc
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
    ids = IdentitySet()
    failed = failed or {}
    catalog = config.catalog
    shared, persons = shared_types(catalog), person_types(catalog)
    for ident in given:
        ids.add(ident.type, catalog.normalize_identifier(ident.type, ident.value), "request")
    for r in plan(config) if reads is None else reads:
        if not ids.has_any(r.spec.needs):
            continue
        if r.source in failed:
            ids.failures.append((r.spec.label, tuple(r.yields), failed[r.source]))
            continue
        try:
            pivot = [t for t in r.spec.needs if t in shared]
            if pivot:
                _pivot(catalog, ids, sources[r.source], r, pivot[0], persons)
                continue
            for batch in sources[r.source].read(r.spec, ids.values(r.spec.needs)):
                for row in batch:
                    for id_type, value in _yielded(catalog, r, row):
                        ids.add(id_type, value, r.spec.label)
        except SourceError as exc:
            if not allow_partial:
                raise
            ids.failures.append((r.spec.label, tuple(r.yields), exc.message))
    return ids


def _yielded(catalog: Catalog, r: Read, row: Mapping[str, object]) -> Iterable[tuple[str, str]]:
    for id_type, fieldname in r.yields.items():
        raw = row.get(fieldname)
        for v in raw if isinstance(raw, list) else [raw]:
            if v is None or v == "":
                continue
            yield id_type, catalog.normalize_identifier(id_type, str(v))


def _pivot(catalog: Catalog, ids: IdentitySet, source: Source, r: Read, id_type: str,
           persons: frozenset[str]) -> None:
    """Run a read that needs a shared type once per value; follow a value only when it belongs
    to one person, who is not somebody other than the subject as known so far."""
    known = {t: set(ids.found.get(t, {})) for t in persons}
    for value in ids.values([id_type])[id_type]:
        found = [pair for batch in source.read(r.spec, {id_type: (value,)}) for row in batch
                 for pair in _yielded(catalog, r, row)]
        owners: dict[str, set[str]] = {}
        for t, v in found:
            if t in persons:
                owners.setdefault(t, set()).add(v)
        if not found:
            continue
        if not owners or any(len(vs) > 1 or (known[t] and not vs <= known[t]) for t, vs in owners.items()):
            ids.shared_skipped[id_type] += 1  # several people, somebody else, or nobody we can tell
            continue
        for t, v in found:
            ids.add(t, v, r.spec.label)
