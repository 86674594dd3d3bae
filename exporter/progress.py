"""Progress reporting and stage timing. Never prints subject data: category ids and counts only.

* :func:`reporter` gives the ``progress(category, records)`` callback for :func:`exporter.export`:
  a rich progress display (one line per category, records/s) on a terminal, plain log lines
  (``progress: <category> <n> records``) otherwise, nothing when quiet.
* :class:`StageClock` logs how long each export stage took (``exporter.timing`` logger, DEBUG,
  with ``stage``/``seconds``/``peak_rss_mb`` attributes on the record): ``bench/run.py`` and
  ``--verbose`` read it. Off (one ``isEnabledFor`` check) unless that logger is enabled.
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TextIO

__all__ = ["CountOnce", "PlainProgress", "RichProgress", "StageClock", "peak_rss_mb", "reporter"]

timing_log = logging.getLogger("exporter.timing")
Progress = Callable[[str, int], None]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: ru_maxrss is in KiB)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


class StageClock:
    """``lap(stage)`` logs the time since the previous lap (or creation) under ``stage``."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self, stage: str, **extra: Any) -> float:
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        if timing_log.isEnabledFor(logging.DEBUG):
            timing_log.debug("%s: %.3f s", stage, elapsed,
                             extra={"stage": stage, "seconds": elapsed, "peak_rss_mb": peak_rss_mb(), **extra})
        return elapsed


class CountOnce:
    """The progress callback of one category across its tries: a category whose read failed half-way
    is read again from the start (exporter.reliability), so before each new try the records the
    failed one reported are withdrawn (one call with a negative count) and the running total counts
    every exported row once (500,006 rows shown as 500,006, not 696,006)."""

    def __init__(self, progress: Progress, category: str) -> None:
        self.progress = progress
        self.category = category
        self.reported = 0

    def restart(self) -> None:
        """A new try begins: withdraw what the previous one reported."""
        if self.reported:
            self.progress(self.category, -self.reported)
            self.reported = 0

    def __call__(self, category: str, records: int) -> None:
        self.reported += records
        self.progress(category, records)


class PlainProgress:
    """Log lines for a non-terminal: one when a category is done, and every ``every`` seconds."""

    def __init__(self, stream: TextIO, *, every: float = 5.0) -> None:
        self.stream = stream
        self.every = every
        self.current: str | None = None
        self.count = 0
        self._last = time.monotonic()

    def _line(self, text: str) -> None:
        self.stream.write(f"progress: {text}\n")
        self.stream.flush()

    def __call__(self, category: str, records: int) -> None:
        if category != self.current:
            self.done()
            self.current, self.count = category, 0
        self.count += records
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._line(f"{category} {self.count} records so far")

    def done(self) -> None:
        if self.current is not None:
            self._line(f"{self.current} {self.count} records")
            self.current = None


class RichProgress:
    """A rich live display: one row per category with its running count and rate."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(),
                                  TextColumn("records"), TimeElapsedColumn(),
                                  console=Console(file=stream), transient=False)
        self._tasks: dict[str, Any] = {}
        self._current: str | None = None

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __call__(self, category: str, records: int) -> None:
        task = self._tasks.get(category)
        if task is None:
            self.done()
            task = self._tasks[category] = self._progress.add_task(category, total=None)
        self._current = category
        self._progress.advance(task, records)

    def done(self) -> None:
        if self._current is not None:
            task = self._tasks[self._current]
            completed = self._progress.tasks[task].completed
            self._progress.update(task, total=completed)
            self._current = None

    def __exit__(self, *exc: object) -> None:
        self.done()
        self._progress.stop()


@contextmanager
def reporter(*, quiet: bool = False, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """The progress callback for one export (None when quiet)."""
    stream = stream if stream is not None else sys.stderr
    if quiet:
        yield None
        return
    if stream.isatty():
        with RichProgress(stream) as rich:
            yield rich
        return
    plain = PlainProgress(stream)
    try:
        yield plain
    finally:
        plain.done()
