"""The folder of a render's ``@font-face`` fonts: made, locked and removed by the exporter.

WeasyPrint writes the fonts a render uses to a temporary folder and removes it only when the
garbage collector frees its ``FontConfiguration``; each render here gets its own folder, locked
while it lives (:func:`own_font_folder`), removed when the PDF is written
(:func:`remove_font_files`), and folders that killed renders left behind are cleared once per
process (:func:`remove_stale_font_folders`).
"""

from __future__ import annotations

import logging
import time
from functools import cache
from pathlib import Path
from typing import Any

from ..cleanup import remove_tree

__all__ = [
    "FONT_FOLDER_PREFIX",
    "own_font_folder",
    "remove_font_files",
    "remove_stale_font_folders",
    "remove_stale_font_folders_once",
]

log = logging.getLogger("exporter.render")


#: The folder of each render's ``@font-face`` fonts: ``<temp dir>/weasyprint-exporter-<random>``,
#: ``flock``-ed while the render runs (as a package's work folder is, exporter/packaging/package.py).
FONT_FOLDER_PREFIX = "weasyprint-exporter-"
#: A folder this young is never removed: between ``mkdtemp`` and ``flock`` it is not locked yet.
_FONT_FOLDER_MIN_AGE = 60.0


def own_font_folder(font_config: Any) -> int | None:
    """Give ``font_config`` a font folder of the exporter's, locked while this render lives; returns
    the lock (close it when done). WeasyPrint creates its ``weasyprint-*`` folder only when it has
    none (``_folder``, its own attribute: a test fails if it changes)."""
    import tempfile

    from ..folderlock import lock as _lock

    folder = Path(tempfile.mkdtemp(prefix=FONT_FOLDER_PREFIX))
    font_config._folder = folder
    try:
        return _lock(folder)
    except OSError:
        return None


def remove_stale_font_folders(temp_dir: Path | None = None) -> int:
    """Remove the font folders (:data:`FONT_FOLDER_PREFIX`) that killed renders left in the temp
    directory (a SIGKILLed export leaves its fonts behind, 1.5-2.5 MB); returns how many.

    A folder is left alone while its render lives (its ``flock`` is held) and during its first
    minute. Runs once per process before the first render; housekeeping may call it too. Folders
    of other WeasyPrint users (plain ``weasyprint-*``) are not touched."""
    import tempfile

    from ..folderlock import abandoned as _abandoned

    root = Path(temp_dir or tempfile.gettempdir())
    removed = 0
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(FONT_FOLDER_PREFIX) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            young = time.time() - entry.stat().st_mtime < _FONT_FOLDER_MIN_AGE
        except OSError:
            continue
        if not young and _abandoned(entry):
            if remove_tree(entry, "a font folder of an interrupted render", logger=log):
                removed += 1
    if removed:
        log.info("removed %d font folder(s) of interrupted renders from %s", removed, root)
    return removed


@cache
def remove_stale_font_folders_once() -> None:
    remove_stale_font_folders()


def remove_font_files(font_config: Any) -> None:
    """Remove the temporary folder WeasyPrint wrote the render's ``@font-face`` fonts to (1.5-2.5 MB).

    WeasyPrint removes it in ``FontConfiguration.__del__``, which runs only once the garbage
    collector frees the configuration (a cycle) — never in a process that ends with ``os._exit``,
    as multiprocessing workers do (the PDF helper, export-batch workers): each such run left a
    ``weasyprint-*`` folder behind in the temp directory. The PDF is written, so nothing reads the
    files any more. (``_folder`` is WeasyPrint's own attribute; a test fails if it changes.)"""
    folder = getattr(font_config, "_folder", None)
    if folder:
        remove_tree(folder, "the render's font folder", logger=log)
        font_config._folder = None
