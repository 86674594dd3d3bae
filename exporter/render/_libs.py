"""Import WeasyPrint without its slow search for C libraries (about 0.45 s per process on Linux).

WeasyPrint loads GObject, Pango, HarfBuzz, Fontconfig and PangoFT2 with ``cffi``'s ``dlopen``,
trying a list of names per library (Windows and macOS names first, the Linux soname fourth). For each
name the dynamic loader cannot open directly, cffi asks :func:`ctypes.util.find_library`, which on
Linux runs ``ldconfig -p``, then ``gcc`` and then ``ld`` as subprocesses; for a name that is nowhere
(``libgobject-2.0-0``, or HarfBuzz-vector where it is not installed) all three run. That is 22 lookups
and about 0.45 s, paid by every process that renders a PDF: the CLI's helper, each ``export-batch``
worker, a fresh DSAR-service process (WeasyPrint issue #1125).

:func:`import_weasyprint` imports WeasyPrint while ``find_library`` — for this thread only — consults
the ``ldconfig`` cache alone, which is what the dynamic loader itself uses. The libraries loaded are
the same: a library that only ``gcc`` or ``ld`` would find still has to be opened by its soname, and
WeasyPrint's list holds each library's Linux soname, which ``dlopen`` opens directly (honouring
``LD_LIBRARY_PATH``). tests/test_render_libs.py compares the shared objects a plain import maps with
the ones this import maps. Should the import fail anyway, it is retried the normal way.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["import_weasyprint"]

_lock = threading.Lock()


def _ldconfig_lookup() -> Callable[[str], str | None] | None:
    """``ctypes.util``'s ldconfig-cache lookup, where there is one (Linux, CPython ≥ 3.6)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes.util

    lookup = getattr(ctypes.util, "_findSoname_ldconfig", None)
    return lookup if callable(lookup) else None


@contextmanager
def _quick_find_library(lookup: Callable[[str], str | None]) -> Iterator[None]:
    """Within the block, :func:`ctypes.util.find_library` called from this thread uses ``lookup``;
    other threads keep the standard search."""
    import ctypes.util

    original = ctypes.util.find_library
    owner = threading.get_ident()

    def find_library(name: str) -> str | None:
        if threading.get_ident() == owner:
            return lookup(name)
        return original(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _forget_weasyprint() -> None:
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        del sys.modules[name]


def import_weasyprint() -> None:
    """Import WeasyPrint (once per process; later calls return at once)."""
    if "weasyprint" in sys.modules:
        return
    with _lock:
        if "weasyprint" in sys.modules:
            return
        lookup = _ldconfig_lookup()
        if lookup is not None:
            try:
                with _quick_find_library(lookup):
                    import weasyprint
                return
            except OSError:
                _forget_weasyprint()  # a library the quick lookup missed: search the normal way
        import weasyprint  # noqa: F401
