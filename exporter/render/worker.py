"""``report.pdf`` rendered in a helper process that starts loading WeasyPrint at once.

A process that renders one report (the CLI: one request per run) pays about 0.9 s to import
WeasyPrint (most of it cffi parsing Pango's C declarations) and to load the templates before the
first page is laid out. :class:`WarmRenderer` starts a helper process when it is created, and the
helper does that work while the exporter reads the sources; when the package's data is written,
the exporter hands the render context to the helper (about 100-500 kB, pickled) and waits for
``report.pdf``. The file is the same, byte for byte, as :func:`~exporter.render.pdf.render_pdf`
in the calling process writes (tests/test_render_worker.py).

A long-running DSAR service gains nothing from this (WeasyPrint stays loaded after its first
export) and should keep the default, rendering in its own process.

Errors raised in the helper (:class:`~exporter.errors.OutputError` …) reach the caller with their
context; a helper that dies is an ``OutputError`` saying so. The helper is forked where the
platform allows, so create the renderer before starting threads.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import OutputError

__all__ = ["WarmRenderer"]


def _warm_up() -> None:
    """In the helper: import WeasyPrint and load what every report needs."""
    from . import pdf
    from ._env import environment

    environment().get_template("report.html.j2")
    pdf._ua_stylesheet()
    pdf._report_html_class()


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
    from .pdf import render_pdf

    render_pdf(bundle, samples, schemas, out, **kwargs)


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
        try:
            self._pool.submit(_render, bundle, samples, schemas, Path(out), kwargs).result()
        except BrokenProcessPool as exc:
            raise OutputError(
                "the process rendering report.pdf could not start or ended unexpectedly",
                hint="it may have run out of memory, or WeasyPrint cannot load (see the log above); "
                "run again, or export with --no-pdf",
            ) from exc

    def close(self) -> None:
        """End the helper (waiting for a render in progress, dropping queued ones)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WarmRenderer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
