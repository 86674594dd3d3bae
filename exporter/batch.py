"""Many access requests at once: one package each, in parallel worker processes.

``exporter export-batch REQUESTS.csv --config FILE --out DIR --jobs N`` reads a CSV with the
columns ``subject`` (``TYPE:VALUE``; several separated by ``;``), ``jurisdiction``, ``received``
(YYYY-MM-DD, optional), ``request_id``, ``verification`` (optional, default ``verified``) and
``country`` (optional) and ``acknowledge`` (optional: codes of blocking findings the operator
accepts for this request, separated by ``;``, e.g. ``sale_after_opt_out``; docs/cli.md), and exports every row with :func:`exporter.export` in a
``ProcessPoolExecutor``. A failing request does not stop the others; the outcome of each is
reported by request id only (never a subject identifier), and the exit code is non-zero if any
failed.
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

from .errors import ExporterError

__all__ = ["BatchOutcome", "BatchRequest", "read_requests", "run_batch"]

COLUMNS = ("subject", "jurisdiction", "received", "request_id", "verification", "country", "acknowledge")


@dataclass(frozen=True)
class BatchRequest:
    line: int  #: line of the CSV file (header = 1)
    request_id: str
    subjects: tuple[str, ...]
    jurisdiction: str
    received: str | None = None
    verification: str = "verified"
    country: str | None = None
    acknowledge: tuple[str, ...] = ()  #: codes of blocking findings accepted for this request (exporter.law.findings)


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
    from .errors import RequestError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RequestError(f"cannot read the requests file: {exc.strerror}", file=str(path)) from exc
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
        out.append(BatchRequest(
            line=i, request_id=rid,
            subjects=tuple(s.strip() for s in (row.get("subject") or "").split(";") if s.strip()),
            jurisdiction=(row.get("jurisdiction") or "").strip(),
            received=(row.get("received") or "").strip() or None,
            verification=(row.get("verification") or "").strip() or "verified",
            country=(row.get("country") or "").strip() or None,
            acknowledge=tuple(sorted({a.strip() for a in (row.get("acknowledge") or "").split(";") if a.strip()})),
        ))
    return out


def _one(req: BatchRequest, config: str, out_dir: str, options: dict[str, Any]) -> BatchOutcome:
    """Run one request (in a worker process). Every failure becomes an outcome, never an exception."""
    from .api import AccessRequest, export

    started = time.perf_counter()
    try:
        if req.received is not None:
            try:
                received: dt.date | None = dt.date.fromisoformat(req.received)
            except ValueError:
                from .errors import RequestError

                raise RequestError("received must be a date like 2026-11-02") from None
        else:
            received = None
        request = AccessRequest.parse(req.subjects, jurisdiction=req.jurisdiction, received=received,
                                      request_id=req.request_id, verification=req.verification,
                                      country=req.country)
        result = export(request, config, out_dir, **options, acknowledge=req.acknowledge)
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
