"""Process-wide, thread-safe caches shared by the PDF and HTML renderers.

* one Jinja2 :class:`~jinja2.Environment` (autoescape on for every template, strict undefined),
  loaded from :func:`exporter.resources.templates_dir` — never from the current directory;
* the text of the CSS files;
* a capture of the ``weasyprint`` logger's warnings, per thread, so a render can tell which
  warnings it caused even when other threads render at the same time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache

import jinja2

from ..resources import templates_dir

__all__ = ["capture_weasyprint_warnings", "environment", "read_text"]

_lock = threading.Lock()
_env: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    """The shared template environment (created on first use)."""
    global _env
    if _env is None:
        with _lock:
            if _env is None:
                _env = jinja2.Environment(
                    loader=jinja2.FileSystemLoader(str(templates_dir())),
                    autoescape=True,
                    undefined=jinja2.StrictUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                    keep_trailing_newline=False,
                    auto_reload=False,
                    cache_size=-1,
                )
                # Parse every template now, once, under the lock.
                for name in ("report.html.j2", "index.html.j2", "_macros.html.j2"):
                    _env.get_template(name)
    return _env


@cache
def _read_text_cached(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")


def read_text(name: str) -> str:
    """Text of a file in the templates folder, read once per process."""
    with _lock:
        return _read_text_cached(name)


class _ThreadCapture(logging.Handler):
    """Collects WARNING+ records of the ``weasyprint`` loggers for the threads that ask for it."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        sink = getattr(self._local, "sink", None)
        if sink is not None:
            sink.append(record)

    @contextmanager
    def capture(self) -> Iterator[list[logging.LogRecord]]:
        previous = getattr(self._local, "sink", None)
        sink: list[logging.LogRecord] = []
        self._local.sink = sink
        try:
            yield sink
        finally:
            self._local.sink = previous
            if previous is not None:
                previous.extend(sink)


_capture: _ThreadCapture | None = None


def capture_weasyprint_warnings() -> AbstractContextManager[list[logging.LogRecord]]:
    """``with capture_weasyprint_warnings() as records: …`` — WeasyPrint warnings of this thread."""
    global _capture
    if _capture is None:
        with _lock:
            if _capture is None:
                handler = _ThreadCapture()
                logging.getLogger("weasyprint").addHandler(handler)
                _capture = handler
    return _capture.capture()
