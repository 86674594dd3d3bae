"""Many access requests at once: one package each, in parallel worker processes.

``exporter export-batch REQUESTS.csv --config FILE --out DIR --jobs N`` reads a CSV with the
columns ``subject`` (``TYPE:VALUE``; several separated by ``;``), ``jurisdiction``, ``received``
(YYYY-MM-DD, optional), ``request_id``, ``verification`` (optional, default ``verified``) and
``country`` (optional), and exports every row with :func:`exporter.export` in a
``ProcessPoolExecutor``. A failing request does not stop the others; the outcome of each is
reported by request id only (never a subject identifier), and the exit code is non-zero if any
failed.

The request's life has columns too: ``extension`` (N) and ``extension_reason``; ``clock_stops`` and
``clarifications`` (``FROM:TO:REASON`` / ``ASKED:ANSWERED:REASON``, several separated by ``;``);
``verification_method``, ``verification_evidence``, ``verified_by``, ``verified_on``;
``confirmation_sent``; ``acknowledge`` (finding codes separated by ``;``). A file ending in
``.jsonl`` holds one JSON object per line instead: the access request as
:meth:`exporter.AccessRequest.from_dict` reads it, plus ``"acknowledge": [...]``
(``schemas/cli/export-batch-input.json``).
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ExporterError, RequestError

__all__ = ["BatchOutcome", "BatchRequest", "read_requests", "run_batch"]

COLUMNS = ("subject", "jurisdiction", "received", "request_id", "verification", "country", "extension",
           "extension_reason", "clock_stops", "clarifications", "verification_method", "verification_evidence",
           "verified_by", "verified_on", "confirmation_sent", "acknowledge")


@dataclass(frozen=True)
class BatchRequest:
    line: int  #: line of the CSV file (header = 1)
    request_id: str
    subjects: tuple[str, ...]
    jurisdiction: str
    received: str | None = None
    verification: str = "verified"
    country: str | None = None
    #: the whole access request as AccessRequest.from_dict reads it (subjects … country included)
    request: dict[str, Any] | None = None
    acknowledge: tuple[str, ...] = ()


def _triple(value: str, what: str, pointer: str) -> tuple[str, str, str]:
    first, sep1, rest = value.partition(":")
    second, sep2, reason = rest.partition(":")
    if not (sep1 and sep2):
        raise RequestError(f"{what} must be written DATE:DATE:REASON (e.g. 2026-11-03:2026-11-10:proof of identity)",
                           pointer=pointer)
    return first.strip(), second.strip(), reason.strip()


def request_json(subject: Sequence[str], *, jurisdiction: str, received: str | None = None,
                 request_id: str | None = None, verification: str = "verified", country: str | None = None,
                 extension: int | None = None, extension_reason: str | None = None,
                 clock_stops: Sequence[str] = (), clarifications: Sequence[str] = (),
                 verification_details: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None),
                 confirmation_sent: str | None = None, names: Sequence[str] | None = None) -> dict[str, Any]:
    """The access request as AccessRequest.from_dict reads it, from flat text fields (CLI options,
    CSV columns). ``clock_stops`` are ``FROM:TO:REASON``, ``clarifications`` ``ASKED:ANSWERED:REASON``
    (ANSWERED empty: no answer yet); ``names`` are how the four identity-check fields are called to
    the user (options or columns)."""
    data: dict[str, Any] = {"identifiers": list(subject), "jurisdiction": jurisdiction, "received": received,
                            "request_id": request_id, "verification": verification, "country": country}
    if extension is not None or extension_reason:
        if extension is None:
            raise RequestError("an extension reason needs the extension's length", pointer="/extension")
        data["extension"] = {"length": extension, "reason": extension_reason or ""}
    stops = []
    for n, item in enumerate(clock_stops):
        start, end, reason = _triple(item, "a clock stop", f"/clock_stops/{n}")
        stops.append({"from": start, "to": end, "reason": reason})
    if stops:
        data["clock_stops"] = stops
    clar = []
    for n, item in enumerate(clarifications):
        asked, answered, reason = _triple(item, "a clarification", f"/clarifications/{n}")
        clar.append({"asked": asked, "answered": answered or None, "reason": reason})
    if clar:
        data["clarifications"] = clar
    if any(verification_details):
        names = names or ("verification_method", "verification_evidence", "verified_by", "verified_on")
        missing = [n for n, v in zip(names, verification_details, strict=True) if not v]
        if missing:
            raise RequestError(f"the identity-check details need {', '.join(missing)} too",
                               pointer="/verification_details",
                               hint="give all four: method, evidence type (never the evidence), who, when")
        method, evidence, by, on = verification_details
        data["verification_details"] = {"method": method, "evidence_type": evidence, "by": by, "on": on}
    if confirmation_sent:
        data["confirmation_sent"] = confirmation_sent
    return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class BatchOutcome:
    request_id: str
    ok: bool
    path: str | None = None
    records: int = 0
    seconds: float = 0.0
    error: str | None = None  #: the error message (never subject data: ExporterError messages are safe)
    exit_code: int = 0


def read_requests(path: Path) -> list[BatchRequest]:
    """The requests of the CSV file. Raises RequestError for a file that cannot be used at all."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RequestError(f"cannot read the requests file: {exc.strerror}", file=str(path)) from exc
    if path.suffix.lower() == ".jsonl":
        return _read_jsonl(path, text)
    return _read_csv(path, text)


def _read_csv(path: Path, text: str) -> list[BatchRequest]:
    """One access request per row (:data:`COLUMNS`; several values separated by ';')."""
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("subject", "jurisdiction", "request_id") if c not in (reader.fieldnames or ())]
    if missing:
        raise RequestError(f"the requests file lacks the column(s) {', '.join(missing)}", file=str(path),
                           hint=f"columns: {', '.join(COLUMNS)}")
    out: list[BatchRequest] = []
    seen: set[str] = set()
    for i, row in enumerate(reader, start=2):
        rid = (row.get("request_id") or "").strip()
        if not rid:
            raise RequestError("a request has no request_id", file=str(path), key=f"line {i}")
        if rid in seen:
            raise RequestError(f"request id {rid!r} appears twice", file=str(path), key=f"line {i}")
        seen.add(rid)
        out.append(_csv_request(path, i, rid, row))
    return out


def _csv_request(path: Path, i: int, rid: str, row: dict[str, Any]) -> BatchRequest:
    """The request of row ``i`` (its errors name the file and line)."""
    def col(name: str) -> str | None:
        return (row.get(name) or "").strip() or None

    def many(name: str) -> list[str]:
        return [v.strip() for v in (row.get(name) or "").split(";") if v.strip()]

    ext = col("extension")
    if ext is not None and not ext.isdigit():
        raise RequestError("extension must be a whole number", file=str(path), key=f"line {i}")
    try:
        request = request_json(
            [s.strip() for s in (row.get("subject") or "").split(";") if s.strip()],
            jurisdiction=col("jurisdiction") or "", received=col("received"), request_id=rid,
            verification=col("verification") or "verified", country=col("country"),
            extension=int(ext) if ext else None, extension_reason=col("extension_reason"),
            clock_stops=many("clock_stops"), clarifications=many("clarifications"),
            verification_details=(col("verification_method"), col("verification_evidence"),
                                  col("verified_by"), col("verified_on")),
            confirmation_sent=col("confirmation_sent"))
    except RequestError as exc:
        exc.context.update(file=str(path), key=f"line {i}")
        raise
    return BatchRequest(
        line=i, request_id=rid,
        subjects=tuple(request["identifiers"]),
        jurisdiction=request["jurisdiction"],
        received=request.get("received"),
        verification=request.get("verification", "verified"),
        country=request.get("country"),
        request=request, acknowledge=tuple(many("acknowledge")),
    )


def _read_jsonl(path: Path, text: str) -> list[BatchRequest]:
    """One access request per line (AccessRequest.from_dict's JSON, plus "acknowledge")."""
    import json

    out: list[BatchRequest] = []
    seen: set[str] = set()
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RequestError(f"line {i} is not JSON ({exc.msg})", file=str(path), key=f"line {i}") from None
        if not isinstance(data, dict):
            raise RequestError("each line must be a JSON object", file=str(path), key=f"line {i}", pointer="")
        ack = data.pop("acknowledge", [])
        if not isinstance(ack, list) or not all(isinstance(a, str) for a in ack):
            raise RequestError("acknowledge must be a list of finding codes", file=str(path), key=f"line {i}",
                               pointer="/acknowledge")
        rid = data.get("request_id")
        if not isinstance(rid, str) or not rid.strip():
            raise RequestError("a request has no request_id", file=str(path), key=f"line {i}", pointer="/request_id")
        if rid in seen:
            raise RequestError(f"request id {rid!r} appears twice", file=str(path), key=f"line {i}")
        seen.add(rid)
        out.append(BatchRequest(line=i, request_id=rid, subjects=(), jurisdiction=str(data.get("jurisdiction") or ""),
                                request=data, acknowledge=tuple(ack)))
    return out


def _one(req: BatchRequest, config: str, out_dir: str, options: dict[str, Any]) -> BatchOutcome:
    """Run one request (in a worker process). Every failure becomes an outcome, never an exception."""
    from .api import AccessRequest, export

    started = time.perf_counter()
    try:
        if req.request is not None:
            request = AccessRequest.from_dict(req.request)
        else:
            if req.received is not None:
                try:
                    received: dt.date | None = dt.date.fromisoformat(req.received)
                except ValueError:
                    raise RequestError("received must be a date like 2026-11-02") from None
            else:
                received = None
            request = AccessRequest.parse(req.subjects, jurisdiction=req.jurisdiction, received=received,
                                          request_id=req.request_id, verification=req.verification,
                                          country=req.country)
        from .api import ExportOptions

        result = export(request, config, out_dir, ExportOptions(acknowledge=frozenset(req.acknowledge)), **options)
        if not options.get("allow_partial"):
            result.require_complete()  # IncompletePackage (exit 7): some category was not searched
    except ExporterError as exc:
        return BatchOutcome(req.request_id, False, seconds=time.perf_counter() - started, error=str(exc),
                            exit_code=exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - one broken request must not stop the batch
        return BatchOutcome(req.request_id, False, seconds=time.perf_counter() - started,
                            error=f"internal error ({type(exc).__name__})", exit_code=1)
    return BatchOutcome(req.request_id, True, path=str(result.path), records=result.records,
                        seconds=time.perf_counter() - started)


def run_batch(requests: Sequence[BatchRequest], config: str | Path, out_dir: str | Path, *, jobs: int = 2,
              options: dict[str, Any] | None = None,
              on_done: Callable[[BatchOutcome], None] | None = None) -> list[BatchOutcome]:
    """Export every request, ``jobs`` at a time in worker processes; outcomes in request order.

    ``options`` are keyword arguments of :func:`exporter.export` (picklable values only: ``now``,
    ``force``, ``strict``, ``pdf``, ``html``, ``allow_partial``, ``sign_key``).
    """
    opts = dict(options or {})
    cfg, out = str(Path(config).resolve()), str(Path(out_dir).resolve())
    outcomes: dict[str, BatchOutcome] = {}
    if jobs <= 1:
        for req in requests:
            outcomes[req.request_id] = done = _one(req, cfg, out, opts)
            if on_done:
                on_done(done)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_one, req, cfg, out, opts): req for req in requests}
            for fut in as_completed(futures):
                req = futures[fut]
                try:
                    done = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died (e.g. killed) is one failure
                    done = BatchOutcome(req.request_id, False, error=f"worker failed ({type(exc).__name__})",
                                        exit_code=1)
                outcomes[req.request_id] = done
                if on_done:
                    on_done(done)
    return [outcomes[r.request_id] for r in requests]


def summary_table(outcomes: Sequence[BatchOutcome]) -> Any:
    """A rich Table of the outcomes: request id, status, records, seconds, error."""
    from rich.table import Table

    table = Table(title=f"{sum(o.ok for o in outcomes)} of {len(outcomes)} requests exported")
    for col in ("request", "status", "records", "seconds", "error"):
        table.add_column(col, justify="right" if col in ("records", "seconds") else "left")
    for o in outcomes:
        table.add_row(o.request_id, "ok" if o.ok else "FAILED", str(o.records) if o.ok else "",
                      f"{o.seconds:.1f}", o.error or "")
    return table
