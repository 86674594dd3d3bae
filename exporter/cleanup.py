"""Removing the folders the exporter made (work folders, moved-aside packages, font and server
folders): one helper, so that no removal fails silently.

A removal that fails is logged — what the folder was, its name and why — and otherwise ignored:
clean-up never turns a finished export into a failed one, and what is left is removed later
(:func:`exporter.packaging.package.remove_stale`, the font-folder sweep, housekeeping). Folder
names hold request ids and random suffixes, never subject data; file contents are never logged.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

__all__ = ["remove_tree"]

log = logging.getLogger("exporter.cleanup")


def remove_tree(path: str | Path, what: str, *, missing_ok: bool = True, logger: logging.Logger | None = None) -> bool:
    """Remove the folder ``path`` (``what`` says what it is, for the log); True when it is gone."""
    path = Path(path)
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        if not missing_ok:
            (logger or log).warning("could not remove %s (%s): it is gone already", what, path.name)
        return True
    except OSError as exc:
        (logger or log).warning("could not remove %s (%s): %s; it is left for a later clean-up", what, path.name,
                                exc.strerror or type(exc).__name__)
        return False
    return True
