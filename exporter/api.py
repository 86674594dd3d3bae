"""The library API: one access request in, one package (and a result object) out.

    from exporter import AccessRequest, export
    result = export(AccessRequest.parse(["email:jane@example.com"], jurisdiction="uk"),
                    config="exporter.toml", out_dir="out/")

Safe to call from several threads for different subjects: every call opens its own sources and
writes its own folder; what is shared (catalog, schemas, compiled validators, templates) is
read-only and loaded once per process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import jurisdictions
from .bundle import FORMAT, category_entry
from .config import Config, load_config
from .errors import OutputError, RequestError, SourceError, SubjectNotFound
from .identity import Identifier, resolve
from .package import staging, verify, write_manifest
from .pipeline import CategoryResult, collect_category
from .resources import schemas_dir
from .schemas import category_schema, check_against
from .writers import FileInfo, dumps, write_file

__all__ = ["AccessRequest", "Extension", "ClockStop", "ExportResult", "export", "parse_identifier"]

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


def parse_identifier(text: str) -> Identifier:
    """``type:value``, or a bare e-mail address."""
    id_type, sep, value = text.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9_]*", id_type) and value.strip():
        return Identifier(id_type, value.strip())
    if "@" in text and not sep:
        return Identifier("email", text.strip())
    raise RequestError("a subject identifier must be TYPE:VALUE (e.g. email:jane@example.com, account_id:A-1)")


@dataclass(frozen=True)
class AccessRequest:
    identifiers: tuple[Identifier, ...]
    jurisdiction: str
    received: dt.date | None = None  #: defaults to the generation date
    request_id: str | None = None  #: defaults to a stable id derived from the request
    verification: str = "verified"  #: verified | reasonably_high | reasonable (11 CCR §7062)
    country: str | None = None  #: ISO 3166 alpha-2 of the subject's residence (EU supervisory authority)
    extension: Extension | None = None
    clock_stops: tuple[ClockStop, ...] = ()

    @classmethod
    def parse(cls, identifiers: Iterable[str], **kwargs: Any) -> AccessRequest:
        return cls(identifiers=tuple(parse_identifier(i) for i in identifiers), **kwargs)

    def resolved_id(self, received: dt.date) -> str:
        if self.request_id:
            return self.request_id
        key = "\n".join(sorted(f"{i.type}:{i.value}" for i in self.identifiers))
        digest = hashlib.sha256(f"{self.jurisdiction}\n{received}\n{key}".encode()).hexdigest()[:10]
        return f"DSAR-{received:%Y%m%d}-{self.jurisdiction}-{digest}"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    request_id: str
    counts: dict[str, int]
    identifiers: int  #: how many identifiers of the subject were used
    warnings: tuple[str, ...]
    deadlines: dict[str, Any]
    manifest_sha256: str
    files: tuple[str, ...] = field(default_factory=tuple)
    incomplete: dict[str, str] = field(default_factory=dict)  #: category → reason (allow_partial)

    @property
    def complete(self) -> bool:
        return not self.incomplete

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def categories_held(self) -> int:
        return sum(1 for n in self.counts.values() if n)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        now = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    return now.astimezone(dt.timezone.utc).replace(microsecond=0)


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
    *,
    now: dt.datetime | None = None,
    force: bool = False,
    strict: bool = False,
    pdf: bool = True,
    html: bool = True,
    progress: Callable[[str, int], None] | None = None,
    env: dict[str, str] | None = None,
    allow_partial: bool = False,
    sign_key: str | Path | None = None,
) -> ExportResult:
    """Produce the access package for ``request`` in ``out_dir/<request id>/``.

    Without ``allow_partial`` any source failure aborts the export and nothing is written. With it,
    the package is completed and every category a failed source feeds is marked ``incomplete``
    (with the reason) in bundle.json, the manifest and the PDF.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    _check_request(request, cfg)
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
                stack.enter_context(src)
            except SourceError as exc:
                if not allow_partial:
                    raise
                failed[name] = exc.message
        ids = resolve(cfg, request.identifiers, sources, allow_partial=allow_partial, failed=failed)
        for label, _types, why in ids.failures:
            warnings.append(f"identity lookup {label} failed ({why}); some identifiers may be missing")
        lost_types = {t for _label, types, _why in ids.failures for t in types}
        results: list[CategoryResult] = []
        for cat in cfg.catalog:
            reads = cfg.streams_for(cat.id)
            res = collect_category(
                cat, reads, sources, ids, root=root,
                inline_limit=cfg.inline_limit, sample_size=cfg.pdf_rows,
                write_records=specific, progress=progress, allow_partial=allow_partial, failed=failed)
            missing = sorted(lost_types.intersection(t for r in reads for t in r.spec.needs))
            if missing:
                extra = f"identifiers of type {', '.join(missing)} could not be resolved"
                res.incomplete = f"{res.incomplete}; {extra}" if res.incomplete else extra
            results.append(res)
        stack.close()
        incomplete = [{"category": r.id, "reason": r.incomplete} for r in results if r.incomplete]
        for item in incomplete:
            warnings.append(f"category {item['category']} is incomplete: {item['reason']}")

        facts: dict[str, str] = {}
        for res in results:  # catalog order: the account's facts win over later categories'
            for name, value in res.facts.items():
                facts.setdefault(name, value)
        total = sum(r.count for r in results)
        if total == 0 and not incomplete:
            if strict:
                raise SubjectNotFound("no personal data matches the identifiers of this request",
                                      hint="check the identifiers; without strict mode a 'nothing held' package is written")
            warnings.append("no personal data matched the identifiers of this request; "
                            "the package confirms that nothing is held")
        bundle = _bundle(cfg, request, request_id, received, generated, ids.as_list(), results, facts,
                         specific, withheld_reason, warnings)
        files = _write_outputs(root, cfg, bundle, results, pdf=pdf, html=html)
        manifest = write_manifest(root, files, generated_at=bundle["generated_at"], request_id=request_id,
                                  incomplete=incomplete, sign_key=Path(sign_key) if sign_key else None)

    for w in warnings:
        log.warning(w)
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
    )


def _bundle(cfg: Config, request: AccessRequest, request_id: str, received: dt.date, generated: dt.datetime,
            identifiers: list[dict[str, str]], results: Sequence[CategoryResult], facts: dict[str, str],
            specific: bool, withheld_reason: str | None, warnings: list[str]) -> dict[str, Any]:
    today = generated.date()
    entries = [
        category_entry(cfg, cat, res, facts=facts, today=today, specific=specific, withheld_reason=withheld_reason)
        for cat, res in zip(cfg.catalog, results, strict=True)
    ]
    req = {
        "id": request_id,
        "received": received.isoformat(),
        "jurisdiction": request.jurisdiction,
        "verification": request.verification,
        "country": request.country or facts.get("country"),
        "identifiers_given": [{"type": i.type, "value": i.value} for i in request.identifiers],
        "extension": {"length": request.extension.length, "reason": request.extension.reason}
        if request.extension else None,
        "clock_stops": [{"from": c.start.isoformat(), "to": c.end.isoformat(), "reason": c.reason}
                        for c in request.clock_stops],
    }
    generated_at = generated.isoformat().replace("+00:00", "Z")
    held = [e for e in entries if e["count"]]
    return {
        "format": FORMAT,
        "request": req,
        "generated_at": generated_at,
        "snapshot_at": generated_at,
        "controller": dict(cfg.catalog.controller),
        "catalog": {k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in cfg.catalog.table("meta").items()},
        "subject": {"display_name": facts.get("display_name"), "identifiers": identifiers},
        "period": jurisdictions.period(request.jurisdiction, now=today, first=min(
            (e["first"] for e in held if e.get("first")), default=None)),
        "facts": dict(sorted(facts.items())),
        "summary": {"categories": len(entries), "categories_held": len(held),
                    "records": sum(e["count"] for e in entries), "specific_pieces": specific,
                    "complete": not any(r.incomplete for r in results)},
        "categories": entries,
        "jurisdiction": jurisdictions.evaluate(
            request.jurisdiction, catalog=cfg.catalog.data, request=req, facts=facts,
            categories=entries, now=generated),
        "warnings": warnings,
    }


def _write_outputs(root: Path, cfg: Config, bundle: dict[str, Any], results: Sequence[CategoryResult], *,
                   pdf: bool, html: bool) -> list[FileInfo]:
    files: list[FileInfo] = [f for r in results for f in r.files.values()]
    for name in ("bundle.json", "manifest.json"):
        files.append(write_file(root / "schemas" / name, root, (schemas_dir() / name).read_bytes()))
    for cat in cfg.catalog:
        files.append(write_file(root / "schemas" / f"{cat.id}.json", root,
                                (schemas_dir() / "categories" / f"{cat.id}.json").read_bytes()))
    check_against("bundle.json", bundle, error=OutputError)
    bundle_info = write_file(root / "bundle.json", root, dumps(bundle, indent=True) + b"\n")
    files.append(bundle_info)
    if pdf or html:
        summary = {**bundle, "categories": [{k: v for k, v in e.items() if k != "records"}
                                            for e in bundle["categories"]]}
        samples = {r.id: r.sample for r in results}
        schemas = {c.id: category_schema(c.id) for c in cfg.catalog}
        from .render import render_html, render_pdf  # WeasyPrint is slow to import; only when needed

        if pdf:
            render_pdf(summary, samples, schemas, root / "report.pdf", bundle_json=root / "bundle.json")
            files.append(_info(root, "report.pdf"))
        if html:
            render_html(summary, samples, schemas, root / "index.html")
            files.append(_info(root, "index.html"))
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
