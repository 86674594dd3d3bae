"""The result side of the library API: what :func:`exporter.api.export` produced
(:class:`ExportResult`) and how completely each category and source was searched
(:class:`Coverage`; the DSAR audit trail behind a complete answer under GDPR Art. 15(1) and
CCPA §1798.110/.130). Reference: docs/library.md. Re-exported by :mod:`exporter.api`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IncompletePackage
from .law.findings import Finding

__all__ = ["CategoryCoverage", "Coverage", "ExportResult", "ReadCoverage"]


@dataclass(frozen=True)
class ReadCoverage:
    """One configured read of a source for a category and what came of it."""

    read: str  #: the read's label, ``<source>/<stream name or category>``
    source: str
    status: str  #: ``searched`` | ``skipped`` (no identifier of the types it needs) | ``failed``
    count: int
    reason: str | None = None  #: why it was skipped or failed

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "source": self.source, "status": self.status, "count": self.count,
                "reason": self.reason}


@dataclass(frozen=True)
class CategoryCoverage:
    """How completely one catalog category was searched."""

    id: str
    #: ``held`` | ``none_held`` (searched, nothing found) | ``incomplete`` (a read failed) |
    #: ``not_searched`` (no configured source feeds it) | ``not_applicable`` (the config says so)
    status: str
    count: int
    reads: tuple[ReadCoverage, ...] = ()
    reason: str | None = None  #: why it is incomplete, not searched or not applicable

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "count": self.count, "reason": self.reason,
                "reads": [r.to_dict() for r in self.reads]}


@dataclass(frozen=True)
class Coverage:
    """Which categories and sources were searched, and what could not be (the DSAR audit trail)."""

    categories: tuple[CategoryCoverage, ...]
    failed_lookups: Mapping[str, str] = field(default_factory=dict)  #: identity read label → reason

    @property
    def searched(self) -> tuple[str, ...]:
        """Categories for which at least one read ran."""
        return tuple(c.id for c in self.categories if any(r.status == "searched" for r in c.reads))

    @property
    def sources(self) -> tuple[str, ...]:
        """Sources that were searched for at least one category (sorted)."""
        return tuple(sorted({r.source for c in self.categories for r in c.reads if r.status == "searched"}))

    @property
    def failed_sources(self) -> tuple[str, ...]:
        return tuple(sorted({r.source for c in self.categories for r in c.reads if r.status == "failed"}))

    @property
    def incomplete(self) -> dict[str, str]:
        """Category → reason, for categories that could not be searched completely."""
        return {c.id: c.reason or "incomplete" for c in self.categories if c.status == "incomplete"}

    @property
    def not_searched(self) -> tuple[str, ...]:
        """Catalog categories no configured source feeds (never searched: the package is incomplete)."""
        return tuple(c.id for c in self.categories if c.status == "not_searched")

    @property
    def not_configured(self) -> tuple[str, ...]:
        """Former name of :attr:`not_searched`."""
        return self.not_searched

    @property
    def not_applicable(self) -> dict[str, str]:
        """Category → reason, for categories the configuration declares not applicable."""
        return {c.id: c.reason or "" for c in self.categories if c.status == "not_applicable"}

    @property
    def complete(self) -> bool:
        return not self.incomplete and not self.not_searched and not self.failed_lookups

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "sources": list(self.sources), "failed_sources": list(self.failed_sources),
                "incomplete": self.incomplete, "not_searched": list(self.not_searched),
                "not_applicable": self.not_applicable,
                "failed_lookups": dict(self.failed_lookups),
                "categories": [c.to_dict() for c in self.categories]}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` produced. ``to_dict()`` gives it as JSON for a service response."""

    path: Path  #: the package folder
    request_id: str
    counts: dict[str, int]  #: category → records, for every catalog category
    identifiers: int  #: how many identifiers of the subject were used
    warnings: tuple[str, ...]
    deadlines: dict[str, Any]  #: received, due, extended_due, final_due, … (ISO dates; jurisdiction rules)
    manifest_sha256: str  #: SHA-256 of manifest.json, which lists the SHA-256 of every other file
    files: tuple[str, ...] = field(default_factory=tuple)
    #: category → reason: categories a failed source feeds (allow_partial) and categories not searched
    incomplete: dict[str, str] = field(default_factory=dict)
    coverage: Coverage = field(default_factory=lambda: Coverage(categories=()))
    jurisdiction: str = ""
    generated_at: str = ""  #: RFC 3339, UTC
    specific_pieces: bool = True  #: False when only categories are disclosed (e.g. CCPA, verified to a reasonable degree)
    #: for the operator, never in the package: records that look like the subject's identifiers but
    #: are not the same under the catalog's rule ("possible same person, not included, review"),
    #: counts per read and type (exporter.matching); never values
    review: tuple[str, ...] = ()
    screening: dict[str, Any] = field(default_factory=dict)
    #: for the operator, never in the package: past retention, a late response, … (exporter.law.findings)
    findings: tuple[Finding, ...] = ()

    @property
    def complete(self) -> bool:
        """True only when every category was searched completely (or declared not applicable)."""
        return not self.incomplete and self.coverage.complete

    def require_complete(self) -> ExportResult:
        """``self``, or :class:`~exporter.errors.IncompletePackage` naming the categories that were
        not searched or not read completely (the package stays on disk, marked incomplete)."""
        if self.complete:
            return self
        cats = sorted(set(self.incomplete) | set(self.coverage.not_searched) | set(self.coverage.incomplete))
        not_searched = [c for c in cats if c in self.coverage.not_searched]
        parts = []
        if not_searched:
            parts.append(f"not searched (no configured source): {', '.join(not_searched)}")
        rest = [c for c in cats if c not in not_searched]
        if rest:
            parts.append(f"incomplete: {', '.join(rest)}")
        if self.coverage.failed_lookups and not rest:
            parts.append(f"identity lookups failed: {', '.join(sorted(self.coverage.failed_lookups))}")
        raise IncompletePackage(
            f"the package at {self.path.name} does not answer the request completely; " + "; ".join(parts),
            hint="add a stream for each category, declare it under [not_applicable] with a reason, or pass "
                 "--allow-partial to accept a package marked incomplete", categories=cats)

    @property
    def due(self) -> dt.date | None:
        """The date the response is due (after any extension)."""
        value = self.deadlines.get("final_due") or self.deadlines.get("due")
        return dt.date.fromisoformat(value) if isinstance(value, str) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no subject data beyond counts)."""
        return {
            "request_id": self.request_id,
            "path": str(self.path),
            "jurisdiction": self.jurisdiction,
            "generated_at": self.generated_at,
            "complete": self.complete,
            "specific_pieces": self.specific_pieces,
            "records": self.records,
            "categories_held": self.categories_held,
            "counts": dict(self.counts),
            "identifiers": self.identifiers,
            "warnings": list(self.warnings),
            "due": self.due.isoformat() if self.due else None,
            "deadlines": self.deadlines,
            "manifest_sha256": self.manifest_sha256,
            "files": list(self.files),
            "incomplete": dict(self.incomplete),
            "coverage": self.coverage.to_dict(),
            "review": list(self.review),
            "screening": dict(self.screening),
            "findings": [f.to_dict() for f in self.findings],
        }

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def categories_held(self) -> int:
        return sum(1 for n in self.counts.values() if n)

