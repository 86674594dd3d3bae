"""The library API: one access request in, one package (and a result object) out.

    from exporter import AccessRequest, ExportOptions, export, load_config
    config = load_config("exporter.toml")                      # once, at start-up
    result = export(AccessRequest.parse(["email:jane@example.com"], jurisdiction="uk"),
                    config, "out/", ExportOptions(pdf=True))
    result.path, result.counts, result.coverage, result.deadlines, result.manifest_sha256

Safe to call from several threads for different subjects: every call opens its own sources and
writes its own folder; what is shared (catalog, schemas, compiled validators, templates) is
read-only and loaded once per process. Reference: docs/library.md.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import hashlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .law import disclosures, jurisdictions
from .law.findings import Finding, unacknowledged
from .packaging.bundle import FORMAT, NOT_SEARCHED, category_entry, category_status
from .law.catalog import Category
from .config import Config, Read, load_config
from .errors import (IncompletePackage, OutputError, RequestError, SourceError, SubjectNotFound,
                     UnacknowledgedFinding)
from .collect.identity import Identifier, resolve
from .logsafety import install_log_filters
from .messages import group as group_messages
from .packaging.package import staging, verify, write_manifest
from .collect.pipeline import CategoryResult, collect_category
from .progress import CountOnce, StageClock
from .collect.redaction import RedactionSettings, Redactor, known_names
from .reliability import RetryPolicy, collect_with_retries, open_source, resolve_with_retries
from .resources import schemas_dir
from .collect.schemas import category_schema, check_against
from .collect.writers import FileInfo, dumps, write_file

__all__ = [
    "VERIFICATION_LEVELS",
    "AccessRequest",
    "CategoryCoverage",
    "ClockStop",
    "Coverage",
    "ExportOptions",
    "ExportResult",
    "Extension",
    "ReadCoverage",
    "export",
    "parse_identifier",
    "verify_package",
]

log = logging.getLogger("exporter")
VERIFICATION_LEVELS = ("verified", "reasonably_high", "reasonable")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class Extension:
    """An extension of the response deadline (GDPR Art. 12(3); CCPA §1798.130(a)(2))."""

    length: int  #: months (EU/UK) or days (CA/UT), as the jurisdiction's rules count
    reason: str


@dataclass(frozen=True)
class ClockStop:
    """A period the deadline was paused (UK: waiting for clarification or identity, DUAA 2025)."""

    start: dt.date
    end: dt.date
    reason: str


def known_identifier_types() -> tuple[str, ...]:
    """The identifier types of the shipped catalog (``identifier_types``), sorted."""
    from .law.catalog import load_catalog

    return tuple(sorted(load_catalog().identifier_types))


def parse_identifier(text: str, types: Iterable[str] | None = None) -> Identifier:
    """``type:value``, or a bare e-mail address. ``type`` must be one of ``types`` (default: the
    shipped catalog's identifier types; pass a custom catalog's own); the error names them, never
    the value."""
    id_type, sep, value = text.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9_]*", id_type) and value.strip():
        known = tuple(types) if types is not None else known_identifier_types()
        if id_type not in known:
            raise RequestError(f"unknown identifier type {id_type!r}",
                               hint=f"known types: {', '.join(sorted(known))} (written TYPE:VALUE)")
        return Identifier(id_type, value.strip())
    if "@" in text and not sep:
        return Identifier("email", text.strip())
    raise RequestError("a subject identifier must be TYPE:VALUE (e.g. email:jane@example.com, account_id:A-1)")


@dataclass(frozen=True)
class AccessRequest:
    """One right-of-access request: who (identifiers), under which law, when, and how well verified.

    Build it with :meth:`parse` (``TYPE:VALUE`` strings) or :meth:`from_dict` (JSON); it is
    immutable. ``jurisdiction`` names a rules file (``eu``, ``uk``, ``ca``, ``ut``).
    """

    identifiers: tuple[Identifier, ...]
    jurisdiction: str
    received: dt.date | None = None  #: defaults to the generation date
    request_id: str | None = None  #: defaults to a stable id derived from the request
    verification: str = "verified"  #: verified | reasonably_high | reasonable (11 CCR §7062)
    country: str | None = None  #: ISO 3166 alpha-2 of the subject's residence (EU supervisory authority)
    extension: Extension | None = None
    clock_stops: tuple[ClockStop, ...] = ()

    @classmethod
    def parse(cls, identifiers: Iterable[str], *, types: Iterable[str] | None = None, **kwargs: Any) -> AccessRequest:
        """``identifiers`` as ``TYPE:VALUE`` strings (or bare e-mail addresses); the rest as fields.

        An identifier type the catalog does not know (``phone:…``) raises :class:`RequestError`
        here, naming the known types; ``types`` replaces the shipped catalog's list (a
        configuration with its own catalog: ``types=config.catalog.identifier_types``)."""
        known = tuple(types) if types is not None else known_identifier_types()
        return cls(identifiers=tuple(parse_identifier(i, known) for i in identifiers), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, types: Iterable[str] | None = None) -> AccessRequest:
        """Build a request from JSON (a DSAR service's request body)::

            {"identifiers": ["email:jane@example.com", {"type": "account_id", "value": "A-1"}],
             "jurisdiction": "uk", "received": "2026-11-02", "request_id": "DSAR-2026-0042",
             "verification": "verified", "country": "GB",
             "extension": {"length": 2, "reason": "…"},
             "clock_stops": [{"from": "2026-11-03", "to": "2026-11-10", "reason": "…"}]}

        Only ``identifiers`` and ``jurisdiction`` are required. Raises :class:`RequestError` whose
        context names the offending member by JSON pointer (``pointer``); the message never
        repeats the value (it may be subject data). Identifier types must be known to the catalog
        (``types`` as for :meth:`parse`); the jurisdiction, and which types may name a subject,
        are checked against the rules and configuration by :func:`export`.
        """
        known = tuple(types) if types is not None else known_identifier_types()
        if not isinstance(data, Mapping):
            raise RequestError("the access request must be a JSON object", pointer="")
        unknown = sorted(set(data) - _REQUEST_KEYS)
        if unknown:
            raise RequestError(f"unknown member {unknown[0]!r} in the access request", pointer=f"/{unknown[0]}",
                               hint=f"allowed: {', '.join(sorted(_REQUEST_KEYS))}")
        raw_ids = data.get("identifiers")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise RequestError("identifiers must be a non-empty list", pointer="/identifiers")
        identifiers = []
        for n, item in enumerate(raw_ids):
            where = f"/identifiers/{n}"
            if isinstance(item, str):
                try:
                    identifiers.append(parse_identifier(item, known))
                except RequestError as exc:
                    exc.context["pointer"] = where
                    raise
            elif (isinstance(item, Mapping) and set(item) == {"type", "value"}
                  and all(isinstance(item[k], str) and item[k].strip() for k in ("type", "value"))):
                try:
                    identifiers.append(parse_identifier(f"{item['type']}:{item['value']}", known))
                except RequestError as exc:
                    exc.context["pointer"] = f"{where}/type"
                    raise
            else:
                raise RequestError("an identifier must be \"TYPE:VALUE\" or {\"type\": …, \"value\": …}",
                                   pointer=where)
        kwargs: dict[str, Any] = {"identifiers": tuple(identifiers)}
        for key in ("jurisdiction", "request_id", "verification", "country"):
            value = data.get(key)
            if value is None:
                if key == "jurisdiction":
                    raise RequestError("the jurisdiction is missing", pointer="/jurisdiction",
                                       hint=f"use one of: {', '.join(jurisdictions.available())}")
                continue
            if not isinstance(value, str):
                raise RequestError(f"{key} must be a string", pointer=f"/{key}")
            kwargs[key] = value
        if data.get("received") is not None:
            kwargs["received"] = _parse_date(data["received"], "/received")
        ext = data.get("extension")
        if ext is not None:
            if (not isinstance(ext, Mapping) or isinstance(ext.get("length"), bool)
                    or not isinstance(ext.get("length"), int) or not isinstance(ext.get("reason", ""), str)):
                raise RequestError("extension must be {\"length\": <whole number>, \"reason\": <text>}",
                                   pointer="/extension")
            kwargs["extension"] = Extension(length=ext["length"], reason=ext.get("reason", ""))
        stops = data.get("clock_stops")
        if stops is not None:
            if not isinstance(stops, list):
                raise RequestError("clock_stops must be a list", pointer="/clock_stops")
            parsed = []
            for n, stop in enumerate(stops):
                if not isinstance(stop, Mapping) or not isinstance(stop.get("reason", ""), str):
                    raise RequestError("a clock stop must be {\"from\", \"to\", \"reason\"}",
                                       pointer=f"/clock_stops/{n}")
                parsed.append(ClockStop(start=_parse_date(stop.get("from"), f"/clock_stops/{n}/from"),
                                        end=_parse_date(stop.get("to"), f"/clock_stops/{n}/to"),
                                        reason=stop.get("reason", "")))
            kwargs["clock_stops"] = tuple(parsed)
        request = cls(**kwargs)
        if request.request_id is not None and not _REQUEST_ID.match(request.request_id):
            raise RequestError("a request id may hold letters, digits, '.', '_' and '-' only (max 80)",
                               pointer="/request_id")
        if request.verification not in VERIFICATION_LEVELS:
            raise RequestError(f"unknown verification level {request.verification!r}", pointer="/verification",
                               hint=f"use one of: {', '.join(VERIFICATION_LEVELS)}")
        return request

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :meth:`from_dict` reads (``received`` and ``request_id`` may be null)."""
        return {
            "identifiers": [f"{i.type}:{i.value}" for i in self.identifiers],
            "jurisdiction": self.jurisdiction,
            "received": self.received.isoformat() if self.received else None,
            "request_id": self.request_id,
            "verification": self.verification,
            "country": self.country,
            "extension": {"length": self.extension.length, "reason": self.extension.reason}
            if self.extension else None,
            "clock_stops": [{"from": c.start.isoformat(), "to": c.end.isoformat(), "reason": c.reason}
                            for c in self.clock_stops],
        }

    def resolved_id(self, received: dt.date) -> str:
        if self.request_id:
            return self.request_id
        key = "\n".join(sorted(f"{i.type}:{i.value}" for i in self.identifiers))
        digest = hashlib.sha256(f"{self.jurisdiction}\n{received}\n{key}".encode()).hexdigest()[:10]
        return f"DSAR-{received:%Y%m%d}-{self.jurisdiction}-{digest}"


_REQUEST_KEYS = frozenset({"identifiers", "jurisdiction", "received", "request_id", "verification", "country",
                           "extension", "clock_stops"})


def _parse_date(value: Any, pointer: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RequestError("a date must be written YYYY-MM-DD", pointer=pointer)


@dataclass(frozen=True)
class ExportOptions:
    """How to produce a package (as opposed to *what* is requested: :class:`AccessRequest`).

    Every field has the default a production export wants, so ``ExportOptions()`` is valid;
    derive variants with :meth:`replace`. Instances are immutable and may be shared between
    threads.
    """

    now: dt.datetime | None = None  #: fixed generation time (reproducible packages); else SOURCE_DATE_EPOCH, else now
    force: bool = False  #: replace an existing package folder of the same request id
    strict: bool = False  #: raise SubjectNotFound instead of writing a "nothing held" package
    pdf: bool = True  #: write report.pdf
    html: bool = True  #: write index.html
    allow_partial: bool = False  #: finish despite failing sources, marking what they feed incomplete
    sign_key: str | Path | None = None  #: Ed25519 private key (PEM) to sign manifest.json
    env: Mapping[str, str] | None = None  #: environment for ``*_env`` source secrets (default os.environ)
    #: called (category, records) per batch, in the caller's thread; a category read again after a
    #: retry first gets minus what its failed try reported, so the sum counts every row once
    progress: Callable[[str, int], None] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)  #: retries of unavailable sources (exporter.reliability)
    #: writes report.pdf; called like :func:`exporter.render.render_pdf`. Default: in this process.
    #: :class:`exporter.render.worker.WarmRenderer` renders in a helper process that loads WeasyPrint
    #: (and renders a throw-away report) while the sources are read, then renders report.pdf while
    #: this process writes index.html: a renderer with a ``submit`` method (same arguments) is used
    #: that way. The CLI uses it.
    pdf_renderer: Callable[..., None] | None = None
    #: codes of blocking findings (exporter.law.findings) the operator has looked at and accepts for
    #: this export, e.g. ``frozenset({"sale_after_opt_out"})``; an unacknowledged one fails the
    #: export with UnacknowledgedFinding and no package is published
    acknowledge: frozenset[str] = frozenset()

    def replace(self, **changes: Any) -> ExportOptions:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


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
    #: for the operator, never in the package (exporter.law.findings); blocking ones were acknowledged
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


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_memory() -> None:
    """Hand the memory the collection freed (Arrow batches, DuckDB's buffers) back to the operating
    system before the PDF stage, so that the renderer's peak does not stack on top of it."""
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except Exception:  # noqa: BLE001, S110 - only an optimisation
        pass
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        now = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(dt.UTC).replace(microsecond=0)


def _check_request(request: AccessRequest, config: Config) -> None:
    if not request.identifiers:
        raise RequestError("the request names no subject identifier")
    if request.jurisdiction not in jurisdictions.available():
        raise RequestError(f"unknown jurisdiction {request.jurisdiction!r}",
                           hint=f"use one of: {', '.join(jurisdictions.available())}")
    if request.verification not in VERIFICATION_LEVELS:
        raise RequestError(f"unknown verification level {request.verification!r}",
                           hint=f"use one of: {', '.join(VERIFICATION_LEVELS)}")
    for ident in request.identifiers:
        if ident.type not in config.given:
            raise RequestError(f"identifier type {ident.type!r} cannot be used to name a subject",
                               hint=f"use one of: {', '.join(config.given)}")
    if request.request_id is not None and not _REQUEST_ID.match(request.request_id):
        raise RequestError("a request id may hold letters, digits, '.', '_' and '-' only (max 80)")


def export(
    request: AccessRequest,
    config: Config | str | Path,
    out_dir: str | Path,
    options: ExportOptions | None = None,
    *,
    now: dt.datetime | None = None,
    force: bool | None = None,
    strict: bool | None = None,
    pdf: bool | None = None,
    html: bool | None = None,
    progress: Callable[[str, int], None] | None = None,
    env: Mapping[str, str] | None = None,
    allow_partial: bool | None = None,
    sign_key: str | Path | None = None,
    acknowledge: Iterable[str] | None = None,
) -> ExportResult:
    """Produce the access package for ``request`` in ``out_dir/<request id>/``.

    ``config`` is a loaded :class:`~exporter.config.Config` (load it once with
    :func:`~exporter.config.load_config` and share it between calls and threads) or the path of
    the TOML file. ``options`` says how to produce the package (:class:`ExportOptions`); the
    keyword arguments are shorthands that override single options (``export(r, c, o, pdf=False)``).

    Without ``allow_partial`` any source failure aborts the export and nothing is written. With it,
    the package is completed and every category a failed source feeds is marked ``incomplete``
    (with the reason) in bundle.json, the manifest and the PDF.

    Raises only :class:`~exporter.errors.ExporterError` subclasses for problems of the request,
    configuration, sources, data or output (see docs/library.md).
    """
    overrides = {k: v for k, v in {"now": now, "force": force, "strict": strict, "pdf": pdf, "html": html,
                                   "progress": progress, "env": env, "allow_partial": allow_partial,
                                   "sign_key": sign_key,
                                   "acknowledge": frozenset(acknowledge) if acknowledge is not None else None,
                                   }.items() if v is not None}
    opts = (options or ExportOptions()).replace(**overrides)
    now, force, strict, pdf, html = opts.now, opts.force, opts.strict, opts.pdf, opts.html
    progress, env, allow_partial, sign_key = opts.progress, opts.env, opts.allow_partial, opts.sign_key
    clock = StageClock()  # stage timings on the exporter.timing logger (DEBUG); bench/run.py reads them
    cfg = config if isinstance(config, Config) else load_config(config)
    _check_request(request, cfg)
    install_log_filters()
    redaction = RedactionSettings.from_config(cfg)
    generated = _now(now)
    received = request.received or generated.date()
    request_id = request.resolved_id(received)
    final = Path(out_dir).resolve() / request_id
    specific, withheld_reason = jurisdictions.specific_pieces_allowed(request.jurisdiction, request.verification)
    warnings: list[str] = []

    with staging(final, force=force) as root, ExitStack() as stack:
        sources = cfg.open_sources(env)
        failed: dict[str, str] = {}
        for name, src in sources.items():
            try:
                open_source(stack, src, opts.retry)
            except SourceError as exc:
                if not allow_partial:
                    raise
                failed[name] = exc.located()
        ids = resolve_with_retries(
            lambda partial: resolve(cfg, request.identifiers, sources, allow_partial=partial, failed=failed),
            opts.retry, allow_partial=allow_partial)
        warnings.extend(ids.notes())
        clock.lap("resolve")
        # other people's names known to the stores ([redaction] names_from) are read only when the
        # package carries specific pieces (a categories-only answer has no free text to redact)
        redactor = Redactor(redaction, own_emails=ids.own_values("email"),
                            own_phones=ids.own_values("phone") if "phone" in ids.rules else (),
                            other_people=known_names(redaction, sources) if specific else ())
        for label, _types, why in ids.failures:
            warnings.append(f"identity lookup {label} failed ({why}); some identifiers may be missing")
        lost_types = {t for _label, types, _why in ids.failures for t in types}
        results: list[CategoryResult] = []

        def collector(cat: Category, reads: list[Read]) -> Callable[[bool], CategoryResult]:
            # one collection attempt; redactor.wrap gives each attempt fresh redaction counts, and
            # CountOnce withdraws a failed attempt's progress so that re-read rows count once
            counted = CountOnce(progress, cat.id) if progress is not None else None

            def attempt(partial: bool) -> CategoryResult:
                if counted is not None:
                    counted.restart()
                return collect_category(
                    redactor.wrap(cat), reads, sources, ids, root=root,
                    inline_limit=cfg.inline_limit, sample_size=cfg.pdf_rows,
                    write_records=specific, progress=counted, allow_partial=partial, failed=failed,
                    observer=disclosures.observer_for(cfg.catalog.data, cat.id))

            return attempt

        for cat in cfg.catalog:
            reads = cfg.streams_for(cat.id)
            res = collect_with_retries(
                collector(cat, reads), category=cat.id, root=root, policy=opts.retry, allow_partial=allow_partial,
                failed=failed, sources=[r.source for r in reads])
            missing = sorted(lost_types.intersection(t for r in reads for t in r.spec.needs))
            if missing:
                extra = f"identifiers of type {', '.join(missing)} could not be resolved"
                res.incomplete = f"{res.incomplete}; {extra}" if res.incomplete else extra
            results.append(res)
        stack.close()
        _release_memory()
        clock.lap("collect", records=sum(r.count for r in results))
        failed_reads = [{"category": r.id, "reason": r.incomplete} for r in results if r.incomplete]
        for item in failed_reads:
            warnings.append(f"category {item['category']} is incomplete: {item['reason']}")
        not_searched = cfg.not_searched()
        for cat_id in not_searched:
            warnings.append(f"category {cat_id} was not searched: {NOT_SEARCHED}")
        incomplete = [{"category": cat.id, "reason": NOT_SEARCHED if cat.id in not_searched else str(res.incomplete)}
                      for cat, res in zip(cfg.catalog, results, strict=True)
                      if cat.id in not_searched or res.incomplete]

        facts: dict[str, str] = {}
        for res in results:  # catalog order: the account's facts win over later categories'
            for name, value in res.facts.items():
                facts.setdefault(name, value)
        total = sum(r.count for r in results)
        if total == 0 and not failed_reads:
            if strict:
                raise SubjectNotFound("no personal data matches the identifiers of this request",
                                      hint="check the identifiers; without strict mode a 'nothing held' package is written")
            warnings.append("no personal data matched the identifiers of this request; "
                            "the package confirms that nothing is held")
        logs = disclosures.Logs(cfg.catalog.data, {r.id: r.log for r in results if r.log},
                                {cat.id: category_status(cfg, cat, res) for cat, res in zip(cfg.catalog, results, strict=True)})
        bundle = _bundle(cfg, request, request_id, received, generated, ids.as_list(), results, facts,
                         specific, withheld_reason, warnings, logs)
        findings = tuple(disclosures.findings(logs, ccpa=bundle["jurisdiction"].get("ccpa") is not None))
        blocked = unacknowledged(findings, opts.acknowledge)
        if blocked:  # raised inside staging: the temp folder is discarded, nothing is published
            for f in findings:
                log.warning("finding: %s", f.line())
            raise UnacknowledgedFinding(
                f"{len(blocked)} blocking finding(s) for the operator: {', '.join(f.code for f in blocked)}; "
                "no package was written", hint="look at each finding (printed above), act on it, then export "
                "again acknowledging it (--acknowledge CODE, ExportOptions(acknowledge=...), batch \"acknowledge\")",
                findings=", ".join(f.code for f in blocked), request=request_id)
        if specific:
            # what was redacted, per category, citing the law's own rule (GDPR Art. 15(4), CCPA §1798.145(k))
            redactor.annotate(bundle["categories"], cite=bundle["jurisdiction"]["vocabulary"]["others_cite"])
        clock.lap("bundle")
        files = _write_outputs(root, cfg, bundle, results, pdf=pdf, html=html, pdf_renderer=opts.pdf_renderer)
        clock.lap("outputs")
        manifest = write_manifest(root, files, generated_at=bundle["generated_at"], request_id=request_id,
                                  incomplete=incomplete, sign_key=Path(sign_key) if sign_key else None)
        clock.lap("manifest")

    review = tuple(ids.screening.notes())
    coverage = _coverage(cfg, results, ids.failures)
    # one line per kind of warning, with a count and the names (exporter.messages); the categories
    # no source feeds are among the warnings ("was not searched", also in the package itself)
    for line in group_messages([*warnings, *(f"review: {note}" for note in review)]):
        log.warning("%s", line)
    for f in findings:
        log.warning("finding: %s", f.line())
    return ExportResult(
        path=final,
        request_id=request_id,
        counts={r.id: r.count for r in results},
        identifiers=len(ids),
        warnings=tuple(warnings),
        deadlines=bundle["jurisdiction"].get("deadlines", {}),
        manifest_sha256=manifest["sha256"],
        files=tuple(sorted(f["path"] for f in files)) + ("manifest.json",),
        incomplete={i["category"]: i["reason"] for i in incomplete},
        coverage=coverage,
        jurisdiction=request.jurisdiction,
        generated_at=bundle["generated_at"],
        specific_pieces=specific,
        review=review,
        screening=ids.screening.to_dict(),
        findings=findings,
    )


def _coverage(cfg: Config, results: Sequence[CategoryResult],
              lookup_failures: Sequence[tuple[str, tuple[str, ...], str]]) -> Coverage:
    categories = []
    for cat, res in zip(cfg.catalog, results, strict=True):
        configured = cfg.streams_for(cat.id)
        status = category_status(cfg, cat, res)
        reason = (NOT_SEARCHED if status == "not_searched" else cfg.not_applicable[cat.id]
                  if status == "not_applicable" else res.incomplete)
        source_of = {r.spec.label: r.source for r in configured}
        reads = []
        for p in res.provenance:
            label = str(p.get("read", ""))
            read_status = "failed" if "failed" in p else "skipped" if "skipped" in p else "searched"
            why = p.get("failed") or p.get("skipped")
            reads.append(ReadCoverage(read=label, source=source_of.get(label, label.partition("/")[0]),
                                      status=read_status, count=int(p.get("count") or 0),
                                      reason=str(why) if why else None))
        categories.append(CategoryCoverage(id=cat.id, status=status, count=res.count, reads=tuple(reads),
                                           reason=reason))
    return Coverage(categories=tuple(categories),
                    failed_lookups={label: why for label, _types, why in lookup_failures})


def _bundle(cfg: Config, request: AccessRequest, request_id: str, received: dt.date, generated: dt.datetime,
            identifiers: list[dict[str, str]], results: Sequence[CategoryResult], facts: dict[str, str],
            specific: bool, withheld_reason: str | None, warnings: list[str],
            logs: disclosures.Logs | None = None) -> dict[str, Any]:
    today = generated.date()
    entries = [
        category_entry(cfg, cat, res, facts=facts, today=today, specific=specific, withheld_reason=withheld_reason)
        for cat, res in zip(cfg.catalog, results, strict=True)
    ]
    jurisdictions.localise_purposes(entries, cfg.catalog.data, request.jurisdiction)
    if logs is not None:  # actual recipients from the person's disclosure log (CJEU C-154/21)
        disclosures.annotate([e for e in entries if e["count"]], logs, specific=specific)
    req = {
        "id": request_id,
        "received": received.isoformat(),
        "jurisdiction": request.jurisdiction,
        "verification": request.verification,
        "country": request.country or (facts.get("country") if specific else None),
        # a categories-only answer repeats no identifier, not even the one the request gave
        "identifiers_given": [{"type": i.type, "value": i.value} for i in request.identifiers] if specific else [],
        **({} if specific else {"identifier_types_given": sorted({i.type for i in request.identifiers})}),
        "extension": {"length": request.extension.length, "reason": request.extension.reason}
        if request.extension else None,
        "clock_stops": [{"from": c.start.isoformat(), "to": c.end.isoformat(), "reason": c.reason}
                        for c in request.clock_stops],
    }
    generated_at = generated.isoformat().replace("+00:00", "Z")
    held = [e for e in entries if e["count"]]
    not_searched = [e["id"] for e in entries if e["status"] == "not_searched"]
    return {
        "format": FORMAT,
        "request": req,
        "generated_at": generated_at,
        "snapshot_at": generated_at,
        "controller": dict(cfg.catalog.controller),
        "catalog": {k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in cfg.catalog.table("meta").items()},
        # categories only: no name, no identifier, no fact (log-in dates, country) of the person
        "subject": {"display_name": facts.get("display_name") if specific else None,
                    "identifiers": identifiers if specific else []},
        "period": jurisdictions.period(request.jurisdiction, now=today, first=min(
            (e["first"] for e in held if e.get("first")), default=None)),
        "facts": dict(sorted(facts.items())) if specific else {},
        "summary": {"categories": len(entries), "categories_held": len(held),
                    "records": sum(e["count"] for e in entries), "specific_pieces": specific,
                    "complete": not any(r.incomplete for r in results) and not not_searched,
                    "not_searched": not_searched,
                    "not_applicable": [e["id"] for e in entries if e["status"] == "not_applicable"]},
        "categories": entries,
        "jurisdiction": jurisdictions.evaluate(
            request.jurisdiction, catalog=cfg.catalog.data, request=req, facts=facts if specific else {},
            categories=entries, now=generated, logs=logs),
        "warnings": warnings,
    }


def _write_outputs(root: Path, cfg: Config, bundle: dict[str, Any], results: Sequence[CategoryResult], *,
                   pdf: bool, html: bool, pdf_renderer: Callable[..., None] | None = None) -> list[FileInfo]:
    stage = StageClock()
    files: list[FileInfo] = [f for r in results for f in r.files.values()]
    # the package's schemas are closed under $ref: bundle.json refers to jurisdiction.json by a
    # relative reference, so a validator holding only the package needs nothing else
    for name in ("bundle.json", "jurisdiction.json", "manifest.json"):
        files.append(write_file(root / "schemas" / name, root, (schemas_dir() / name).read_bytes()))
    for cat in cfg.catalog:
        files.append(write_file(root / "schemas" / f"{cat.id}.json", root,
                                (cat.schema_file or schemas_dir() / "categories" / f"{cat.id}.json").read_bytes()))
    check_against("bundle.json", bundle, error=OutputError)
    bundle_info = write_file(root / "bundle.json", root, dumps(bundle, indent=True) + b"\n")
    files.append(bundle_info)
    stage.lap("bundle.json")
    if pdf or html:
        summary = {**bundle, "categories": [{k: v for k, v in e.items() if k != "records"}
                                            for e in bundle["categories"]]}
        samples = {r.id: r.sample for r in results}
        schemas = {c.id: category_schema(c.id, c.schema_file) for c in cfg.catalog}
        columns = {c.id: tuple(c.raw.get("pdf_columns", ())) for c in cfg.catalog}
        pending = None
        if pdf:
            if pdf_renderer is None:
                from .render import render_pdf  # WeasyPrint is slow to import; only when needed

                pdf_renderer = render_pdf
            args = (summary, samples, schemas, root / "report.pdf")
            submit = getattr(pdf_renderer, "submit", None)
            if submit is not None:  # a helper process renders it while index.html is written here
                pending = submit(*args, bundle_json=root / "bundle.json", columns=columns)
            else:
                pdf_renderer(*args, bundle_json=root / "bundle.json", columns=columns)
                files.append(_info(root, "report.pdf"))
                stage.lap("pdf")
        if html:
            from .render.html import render_html

            try:
                render_html(summary, samples, schemas, root / "index.html", columns=columns)
            except BaseException:
                if pending is not None:
                    pending.settle()
                raise
            files.append(_info(root, "index.html"))
            stage.lap("html")
        if pending is not None:
            pending.result()
            files.append(_info(root, "report.pdf"))
            stage.lap("pdf")
    return files


def _info(root: Path, rel: str) -> FileInfo:
    path = root / rel
    h = hashlib.sha256(path.read_bytes()).hexdigest()
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
    return {"path": rel, "bytes": path.stat().st_size, "sha256": h}


def verify_package(path: str | Path) -> list[str]:
    """Problems with a package on disk (empty = intact)."""
    return verify(Path(path))
