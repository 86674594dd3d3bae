"""Identity graph: from the identifiers in a request to every identifier of the subject.

Each ``identities`` read declares the identifier types it needs and the types it yields. Reads run
in dependency order (a topological order of identifier types), so one pass reaches the fixpoint.
A cycle between identifier types, or a type needed by a read that no read yields and a request
cannot give, is a configuration error found before anything is read.
Every identifier found is recorded with the read that produced it (provenance).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from .config import Config, Read
from .errors import ConfigError, SourceError
from .sources import Source

__all__ = ["Identifier", "IdentitySet", "plan", "resolve"]


@dataclass(frozen=True, order=True)
class Identifier:
    type: str
    value: str


@dataclass
class IdentitySet:
    """The subject's identifiers: type → value → provenance (read label or "request")."""

    found: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)

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


def plan(config: Config) -> list[Read]:
    """Identity reads in dependency order; raises ConfigError on cycles or unresolvable needs."""
    reads = config.identity_reads()
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
    for ident in given:
        ids.add(ident.type, catalog.normalize_identifier(ident.type, ident.value), "request")
    for r in plan(config) if reads is None else reads:
        if not ids.has_any(r.spec.needs):
            continue
        if r.source in failed:
            ids.failures.append((r.spec.label, tuple(r.yields), failed[r.source]))
            continue
        try:
            for batch in sources[r.source].read(r.spec, ids.values(r.spec.needs)):
                for row in batch:
                    for id_type, fieldname in r.yields.items():
                        raw = row.get(fieldname)
                        for v in raw if isinstance(raw, list) else [raw]:
                            if v is None or v == "":
                                continue
                            ids.add(id_type, catalog.normalize_identifier(id_type, str(v)), r.spec.label)
        except SourceError as exc:
            if not allow_partial:
                raise
            ids.failures.append((r.spec.label, tuple(r.yields), exc.message))
    return ids
