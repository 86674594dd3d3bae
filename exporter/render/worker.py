"""``report.pdf`` rendered in a helper process that starts loading WeasyPrint at once.

A process that renders one report (the CLI: one request per run) pays about 0.6 s to import
WeasyPrint (cffi parsing Pango's C declarations, fontTools; :mod:`exporter.render._libs` already
spares it a 0.45 s library search) and to load the templates, and its
first report costs 0.2-0.4 s more than the next (fonts decompressed, HarfBuzz's subsetter and
cffi types used for the first time). :class:`WarmRenderer` starts a helper process when it is
created, and the helper does all that while the exporter reads the sources, ending with a small
throw-away report. When the package's data is written, the exporter hands the render context to
the helper (about 100-500 kB, pickled) with :meth:`WarmRenderer.submit`, writes ``index.html``
while the helper renders, then waits for ``report.pdf``. The file is the same, byte for byte, as
:func:`~exporter.render.pdf.render_pdf` in the calling process writes (tests/test_render_worker.py).

A long-running DSAR service gains little from this (WeasyPrint stays loaded after its first
export; only index.html overlaps) and may keep the default, rendering in its own process.

Errors raised in the helper (:class:`~exporter.errors.OutputError` …) reach the caller with their
context; a helper that dies is an ``OutputError`` saying so. The helper is forked where the
platform allows, so create the renderer before starting threads.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import OutputError

__all__ = ["PendingReport", "WarmRenderer"]

log = logging.getLogger(__name__)


#: A small report (one record card, a five-record listing) the helper renders and throws away
#: while it waits for the real one. The first report a process renders costs 0.2-0.4 s more than
#: the next: cffi parses Pango's types on first use, the fonts are decompressed, HarfBuzz's
#: subsetter and WeasyPrint's stylesheet code run for the first time. This report uses what every report does (the Latin faces regular, bold and
#: italic, the mono listing and card, tables, links, tags, PDF/A with an attachment).
_WARM_UP_CATEGORY: dict[str, Any] = {
    "status": "held", "description": "Warm-up.", "policy_section": "§1",
    "purposes": [{"title": "Warm up", "basis": "contract", "basis_title": "Contract", "basis_cite": "Art. 6"}],
    "recipients": [{"title": "Nobody", "names": ["Nobody"]}], "origins": [{"title": "Here"}],
    "retention": {"until": "2026-01-01", "explanation": "Thrown away."},
}
_WARM_UP_SCHEMA: dict[str, Any] = {
    "properties": {"at": {"title": "Time", "type": "string"}, "text": {"title": "Text", "type": "string"}}
}


def _warm_up_render() -> None:
    from .pdf import render_pdf_bytes

    rows = [{"at": f"2026-01-01T00:00:{i:02d}Z", "text": "warm-up"} for i in range(5)]
    bundle = {
        "controller": {"name": "Warm-up"},
        "request": {"id": "WARM-UP", "received": "2026-01-01"},
        "subject": {"display_name": "Warm-up", "identifiers": [{"type": "email", "value": "w@example.org"}]},
        "generated_at": "2026-01-01T00:00:00+00:00",
        "summary": {"categories": 2, "categories_held": 2, "records": 6},
        "jurisdiction": {"id": "eu", "title": "Warm-up", "notices": [{"title": "Warm-up", "paragraphs": ["Text."]}]},
        "categories": [
            {**_WARM_UP_CATEGORY, "id": "one", "title": "One", "count": 1},
            {**_WARM_UP_CATEGORY, "id": "many", "title": "Many", "count": len(rows)},
        ],
    }
    render_pdf_bytes(bundle, {"one": rows[:1], "many": rows}, {"one": _WARM_UP_SCHEMA, "many": _WARM_UP_SCHEMA},
                     bundle_json=b"{}", columns={"many": ("at", "text")})


#: In the helper: whether a report's cyclic garbage still waits for a full collection. The helper
#: collects before a report rather than after it (``pdf._collect_after_render`` is off here), so that
#: the pass does not delay the report it follows; a CLI run's helper exits after one report.
_garbage_pending = False


def _exit_with_parent() -> None:
    """In the helper: end when the process that started it dies, even by SIGKILL (the pool's
    queues never tell the helper then, and it would wait forever): a thread waits on the
    parent's sentinel."""
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - always set in a pool process
        return

    def watch() -> None:
        from multiprocessing.connection import wait as wait_for

        wait_for([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _warm_up() -> None:
    """In the helper: import WeasyPrint, load what every report needs, render a throw-away one."""
    _exit_with_parent()
    from . import pdf
    from ._env import environment

    pdf._collect_after_render = False
    environment().get_template("report.html.j2")
    pdf._ua_stylesheet()
    pdf._report_html_class()
    try:
        _warm_up_render()
    except Exception as exc:  # noqa: BLE001 - a failed warm-up only costs time; the real render reports
        log.debug("warm-up render failed (%s); report.pdf is rendered cold", type(exc).__name__)
    gc.collect()  # the throw-away report's garbage, while the exporter still reads the sources


def _ready() -> bool:
    return True


def _render(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    out: Path,
    kwargs: dict[str, Any],
) -> None:
    """In the helper: :func:`~exporter.render.pdf.render_pdf` (imported here, so that pickling the
    job does not make the calling process import WeasyPrint)."""
    global _garbage_pending
    from .pdf import render_pdf

    if _garbage_pending:
        gc.collect()  # the previous report's (see _garbage_pending)
    _garbage_pending = True
    render_pdf(bundle, samples, schemas, out, **kwargs)


def _helper_lost() -> OutputError:
    return OutputError(
        "the process rendering report.pdf could not start or ended unexpectedly",
        hint="it may have run out of memory, or WeasyPrint cannot load (see the log above); "
        "run again, or export with --no-pdf",
    )


class PendingReport:
    """A ``report.pdf`` being rendered by a :class:`WarmRenderer`."""

    def __init__(self, future: Future[None]) -> None:
        self._future = future

    def result(self) -> None:
        """Wait until ``report.pdf`` is written; raise the render's error, if any."""
        try:
            self._future.result()
        except BrokenProcessPool as exc:
            raise _helper_lost() from exc

    def settle(self) -> None:
        """Wait for the render to end, whatever its outcome (the caller is failing already and
        must not remove the package folder while the helper still writes into it)."""
        wait([self._future])  # its outcome is not raised: the caller's own error is the one to report


class WarmRenderer:
    """Renders ``report.pdf`` in a helper process started (and warming up) on creation.

    Called like :func:`~exporter.render.pdf.render_pdf`; pass it as
    :attr:`exporter.ExportOptions.pdf_renderer`. Use it as a context manager (or call
    :meth:`close`) so the helper ends with the caller::

        with WarmRenderer() as renderer:
            export(request, config, out, ExportOptions(pdf_renderer=renderer))
    """

    def __init__(self) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else methods[0])
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_warm_up)
        self._started: Future[bool] = self._pool.submit(_ready)  # starts the helper now

    def __call__(
        self,
        bundle: Mapping[str, Any],
        samples: Mapping[str, Sequence[Mapping[str, Any]]],
        schemas: Mapping[str, Mapping[str, Any]],
        out: Path,
        **kwargs: Any,
    ) -> None:
        self.submit(bundle, samples, schemas, out, **kwargs).result()

    def submit(
        self,
        bundle: Mapping[str, Any],
        samples: Mapping[str, Sequence[Mapping[str, Any]]],
        schemas: Mapping[str, Mapping[str, Any]],
        out: Path,
        **kwargs: Any,
    ) -> PendingReport:
        """Start rendering and return at once (the exporter writes ``index.html`` meanwhile);
        :meth:`PendingReport.result` waits for ``report.pdf``."""
        try:
            future = self._pool.submit(_render, bundle, samples, schemas, Path(out), kwargs)
        except BrokenProcessPool as exc:
            raise _helper_lost() from exc
        return PendingReport(future)

    def close(self) -> None:
        """End the helper (waiting for a render in progress, dropping queued ones)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WarmRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
