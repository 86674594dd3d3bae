"""One access request's export, stage by stage (in the manner of dlt's extract → normalize → load).

:class:`ExportRun` holds what the stages of one request share and runs them in order:

1. :meth:`~ExportRun.open_sources` — every configured source, retried while unavailable;
2. :meth:`~ExportRun.resolve_identities` — the subject's identifiers to a fixpoint (exporter.collect.identity);
3. :meth:`~ExportRun.collect` — each catalog category, one :meth:`~ExportRun.collect_once` attempt
   retried from scratch while a source is unavailable (exporter.reliability wraps the step);
4. :meth:`~ExportRun.check_subject` — nothing matched: :class:`~exporter.errors.SubjectNotFound`
   in strict mode, else a "nothing held" package;
5. :meth:`~ExportRun.apply_law` — bundle.json's content (exporter.packaging.assemble): per
   category, the catalog's and the jurisdiction's answers (exporter.law) and the Art. 15(4)
   redaction notes;
6. :meth:`~ExportRun.write_outputs` — bundle.json, the package's schemas, report.pdf and index.html
   (exporter.packaging.outputs);
7. :meth:`~ExportRun.write_manifest` — manifest.json (sizes, SHA-256, signature);

inside :func:`~exporter.packaging.package.staging`, which publishes the folder by an atomic rename
when every stage succeeded and discards it otherwise. :meth:`~ExportRun.result` is what
:func:`exporter.api.export` returns. Each stage logs its time on the ``exporter.timing`` logger
(bench/run.py reads it).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .collect.chain import chain_for
from .collect.identity import resolve
from .collect.pipeline import CategoryResult, collect_category
from .collect.redaction import RedactionSettings, Redactor, known_names
from .collect.writers import FileInfo
from .config import Config, Read
from .errors import SourceError, SubjectNotFound, UnacknowledgedFinding
from .law import deadlines as _deadlines
from .law import jurisdictions
from .law import overdue as _overdue
from .law import timeline as _timeline
from .law import disclosures
from .law.findings import Finding
from .law.catalog import Category
from .logsafety import install_log_filters
from .messages import group as group_messages
from .packaging.assemble import build_bundle, titled
from .packaging.bundle import NOT_SEARCHED, category_status
from .packaging.manifest import write_manifest
from .packaging.outputs import write_outputs
from .packaging.package import staging
from .progress import CountOnce, StageClock
from .reliability import collect_with_retries, open_source, resolve_with_retries
from .result import CategoryCoverage, Coverage, ExportResult, ReadCoverage
from .sources import Source

if TYPE_CHECKING:
    from .collect.identity import IdentitySet
    from .request import AccessRequest, ExportOptions

__all__ = ["ExportRun"]

log = logging.getLogger("exporter")


class ExportRun:
    """The export of one access request: the stages and what they share (see the module docstring).

    One instance per request and call; not shared between threads."""

    def __init__(self, request: AccessRequest, cfg: Config, out_dir: str | Path, opts: ExportOptions) -> None:
        self.request, self.cfg, self.opts = request, cfg, opts
        self.generated = now_utc(opts.now)
        self.received = request.received or self.generated.date()
        # the request's life (exporter.law.timeline): dates that cannot be true on the generation date,
        # and a deadline the rules refuse (a stop where the law has none or after the due date), fail
        # here, before any source is read
        _timeline.check_dates(received=self.received, today=self.generated.date(), clock_stops=request.clock_stops,
                              clarifications=request.clarifications, confirmation_sent=request.confirmation_sent,
                              verification=request.verification_details)
        _timeline.precheck(jurisdictions.load(request.jurisdiction, overlay=cfg.catalog.jurisdictions), self.received,
                           extension=request.extension,
                           clock_stops=[_deadlines.ClockStop(start=c.start, end=c.end, reason=c.reason)
                                        for c in request.clock_stops],
                           clarifications=request.clarifications, country=request.country)
        self.request_id = request.resolved_id(self.received)
        self.final = Path(out_dir).resolve() / self.request_id
        # categories only (e.g. CCPA, verified to a reasonable degree, 11 CCR §7062): no specific piece
        self.specific, self.withheld_reason = jurisdictions.specific_pieces_allowed(
            request.jurisdiction, request.verification, overlay=cfg.catalog.jurisdictions)
        self.warnings: list[str] = []
        self.failed: dict[str, str] = {}  # source → reason, shared by every stage (allow_partial)
        self.sources: dict[str, Source] = {}
        self.results: list[CategoryResult] = []
        self.incomplete: list[dict[str, str]] = []
        self.facts: dict[str, str] = {}
        self.bundle: dict[str, Any] = {}
        self.files: list[FileInfo] = []
        self.manifest: dict[str, Any] = {}
        self.findings: tuple[Finding, ...] = ()  # for the operator, never in the package
        self.root = self.final
        self.clock = StageClock()  # stage timings on the exporter.timing logger (DEBUG)

    def execute(self) -> ExportResult:
        """Run every stage; the package is published only when all of them succeeded."""
        install_log_filters()
        with staging(self.final, force=self.opts.force) as root, ExitStack() as stack:
            self.root = root
            self.open_sources(stack)
            self.resolve_identities()
            self.collect()
            stack.close()  # sources are not needed beyond this point
            release_memory()
            self.check_subject()
            self.apply_law()
            self.write_outputs()
            self.write_manifest()
        return self.result()

    # -- stages -------------------------------------------------------------------------------

    def open_sources(self, stack: ExitStack) -> None:
        self.sources = self.cfg.open_sources(self.opts.env)
        for name, src in self.sources.items():
            try:
                open_source(stack, src, self.opts.retry)
            except SourceError as exc:
                if not self.opts.allow_partial:
                    raise
                self.failed[name] = exc.located()

    def resolve_identities(self) -> None:
        self.ids: IdentitySet = resolve_with_retries(self.resolve_once, self.opts.retry,
                                                    allow_partial=self.opts.allow_partial)
        self.warnings.extend(self.ids.notes())
        for label, _types, why in self.ids.failures:
            self.warnings.append(f"identity lookup {label} failed ({why}); some identifiers may be missing")
        self.clock.lap("resolve")
        # other people's names known to the stores ([redaction] names_from) are read only when the
        # package carries specific pieces (a categories-only answer has no free text to redact)
        settings = RedactionSettings.from_config(self.cfg)
        self.redactor = Redactor(
            settings, own_emails=self.ids.own_values("email"),
            own_phones=self.ids.own_values("phone") if "phone" in self.ids.rules else (),
            other_people=known_names(settings, self.sources) if self.specific else ())

    def resolve_once(self, partial: bool) -> IdentitySet:
        """One attempt at the identity lookups (``partial``: record a failed lookup, do not raise)."""
        return resolve(self.cfg, self.request.identifiers, self.sources, allow_partial=partial, failed=self.failed)

    def collect(self) -> None:
        lost_types = {t for _label, types, _why in self.ids.failures for t in types}
        for cat in self.cfg.catalog:
            reads = self.cfg.streams_for(cat.id)
            counted = CountOnce(self.opts.progress, cat.id) if self.opts.progress is not None else None
            res = collect_with_retries(
                functools.partial(self.collect_once, cat, reads, counted), category=cat.id, root=self.root,
                policy=self.opts.retry, allow_partial=self.opts.allow_partial, failed=self.failed,
                sources=[r.source for r in reads])
            missing = sorted(lost_types.intersection(t for r in reads for t in r.spec.needs))
            if missing:
                extra = f"identifiers of type {', '.join(missing)} could not be resolved"
                res.incomplete = f"{res.incomplete}; {extra}" if res.incomplete else extra
            self.results.append(res)
        self.clock.lap("collect", records=sum(r.count for r in self.results))
        for res in self.results:
            if res.incomplete:
                self.warnings.append(f"category {res.id} is incomplete: {res.incomplete}")
        not_searched = self.cfg.not_searched()
        for cat_id in not_searched:
            self.warnings.append(f"category {cat_id} was not searched: {NOT_SEARCHED}")
        self.incomplete = [
            {"category": cat.id, "reason": NOT_SEARCHED if cat.id in not_searched else str(res.incomplete)}
            for cat, res in zip(self.cfg.catalog, self.results, strict=True)
            if cat.id in not_searched or res.incomplete]
        for res in self.results:  # catalog order: the account's facts win over later categories'
            for name, value in res.facts.items():
                self.facts.setdefault(name, value)

    def collect_once(self, cat: Category, reads: list[Read], counted: CountOnce | None,
                     partial: bool) -> CategoryResult:
        """One attempt at one category. ``redactor.rule`` gives each attempt fresh redaction counts,
        and :class:`CountOnce` withdraws a failed attempt's progress, so re-read rows count once."""
        if counted is not None:
            counted.restart()
        return collect_category(
            cat, reads, self.sources, self.ids, root=self.root,
            inline_limit=self.cfg.inline_limit, sample_size=self.cfg.pdf_rows,
            write_records=self.specific, progress=counted, allow_partial=partial, failed=self.failed,
            chain=chain_for(cat, redaction=self.redactor.rule(cat)),
            observer=disclosures.observer_for(self.cfg.catalog.data, cat.id))

    def check_subject(self) -> None:
        if sum(r.count for r in self.results) or any(r.incomplete for r in self.results):
            return
        if self.opts.strict:
            raise SubjectNotFound("no personal data matches the identifiers of this request",
                                  hint="check the identifiers; without strict mode a 'nothing held' package is written")
        self.warnings.append("no personal data matched the identifiers of this request; "
                             "the package confirms that nothing is held")

    def apply_law(self) -> None:
        # what the person's own disclosure and opt-out logs say (exporter.law.disclosures)
        self.logs = disclosures.Logs(self.cfg.catalog.data, {r.id: r.log for r in self.results if r.log},
                                     {cat.id: category_status(self.cfg, cat, res)
                                      for cat, res in zip(self.cfg.catalog, self.results, strict=True)})
        self.bundle = build_bundle(self.cfg, self.request, self.request_id, self.received, self.generated,
                                   titled(self.ids.as_list(), self.cfg), self.results, self.facts, self.specific,
                                   self.withheld_reason, self.warnings, self.logs)
        if self.specific:
            # what was redacted, per category, citing the law's own rule (GDPR Art. 15(4), CCPA §1798.145(k))
            self.redactor.annotate(self.bundle["categories"],
                                   cite=self.bundle["jurisdiction"]["vocabulary"]["others_cite"])
        self.check_findings()
        self.clock.lap("bundle")

    def check_findings(self) -> None:
        """Findings for the operator (exporter.law.findings): records past their retention date, a
        late response, a receipt confirmation not recorded. A blocking one that is not acknowledged
        raises :class:`UnacknowledgedFinding` here, inside the staging: nothing is published."""
        blocking = bool(self.cfg.catalog.table("retention_overdue").get("blocking", False))
        self.findings = (
            *_overdue.findings(self.bundle["categories"], cite=storage_cite(self.request.jurisdiction, self.cfg.catalog.jurisdictions),
                               blocking=blocking),
            *_timeline.findings(self.bundle["jurisdiction"].get("timeline") or {}),
            # a sale after an opt-out (CCPA), a disclosure another record shows but the log does not
            *disclosures.findings(self.logs, ccpa=self.bundle["jurisdiction"].get("ccpa") is not None))
        unacknowledged = [f for f in self.findings if f.blocking and f.code not in self.opts.acknowledge]
        if unacknowledged:
            codes = sorted({f.code for f in unacknowledged})
            raise UnacknowledgedFinding(
                f"{len(unacknowledged)} blocking finding(s) for the operator: " + "; ".join(
                    f"{f.code} ({f.category or '-'}, {f.count}): {f.message}" for f in unacknowledged),
                hint="deal with each, then export again with " + " ".join(f"--acknowledge {c}" for c in codes),
                codes=codes)

    def write_outputs(self) -> None:
        self.files = write_outputs(self.root, self.cfg, self.bundle, self.results, pdf=self.opts.pdf,
                                   html=self.opts.html, pdf_renderer=self.opts.pdf_renderer)
        self.clock.lap("outputs")

    def write_manifest(self) -> None:
        sign_key = self.opts.sign_key
        self.manifest = write_manifest(self.root, self.files, generated_at=self.bundle["generated_at"],
                                       request_id=self.request_id, incomplete=self.incomplete,
                                       sign_key=Path(sign_key) if sign_key else None,
                                       acknowledged=[f.code for f in self.findings if f.blocking])
        self.clock.lap("manifest")

    # -- the result ---------------------------------------------------------------------------

    def result(self) -> ExportResult:
        review = tuple(self.ids.screening.notes())
        # one line per kind of warning, with a count and the names (exporter.messages); the categories
        # no source feeds are among the warnings ("was not searched", also in the package itself)
        for line in group_messages([*self.warnings, *(f"review: {note}" for note in review)]):
            log.warning("%s", line)
        return ExportResult(
            path=self.final,
            request_id=self.request_id,
            counts={r.id: r.count for r in self.results},
            identifiers=len(self.ids),
            warnings=tuple(self.warnings),
            deadlines=self.bundle["jurisdiction"].get("deadlines", {}),
            manifest_sha256=self.manifest["sha256"],
            files=tuple(sorted(f["path"] for f in self.files)) + ("manifest.json",),
            incomplete={i["category"]: i["reason"] for i in self.incomplete},
            coverage=coverage(self.cfg, self.results, self.ids.failures),
            jurisdiction=self.request.jurisdiction,
            generated_at=self.bundle["generated_at"],
            specific_pieces=self.specific,
            review=review,
            screening=self.ids.screening.to_dict(),
            findings=self.findings,
        )


def storage_cite(jid: str, overlay: Path | None = None) -> str:
    """The storage-limitation rule of a law (its rules file's ``[storage_limitation]``, a catalog
    overlay's ``jurisdictions/`` merged), cited in the past_retention finding."""
    return str((jurisdictions.load(jid, overlay=overlay).get("storage_limitation") or {}).get("cite") or "")


def now_utc(now: dt.datetime | None) -> dt.datetime:
    """The package's generation time: ``now``, else ``SOURCE_DATE_EPOCH``, else the clock (UTC, whole seconds)."""
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        now = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(dt.UTC).replace(microsecond=0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Hand the memory the collection freed (Arrow batches, DuckDB's buffers) back to the operating
    system before the PDF stage, so that the renderer's peak does not stack on top of it."""
    if "pyarrow" in sys.modules:  # only a columnar read allocates from Arrow's pool
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def coverage(cfg: Config, results: Sequence[CategoryResult],
             lookup_failures: Sequence[tuple[str, tuple[str, ...], str]]) -> Coverage:
    """What was searched, per category and read (:class:`exporter.result.Coverage`)."""
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
