"""Which work folders are in use: an exclusive ``flock`` a run holds on its folder while it works.

The package's work folder (exporter.packaging.package) and each PDF render's font folder
(exporter.render.font_folder) are locked this way, so a later run can remove what a killed run
left behind (the kernel drops the lock when a process dies, even on SIGKILL) and never a live
run's folder.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["STALE_WITHOUT_LOCKS", "abandoned", "lock", "unlock"]


def lock(path: Path) -> int | None:
    """Hold an exclusive ``flock`` on ``path`` (a folder or file) while a run works in it.

    The kernel drops the lock when the process dies (even on SIGKILL), so a later run can tell a
    leftover of a dead run (lock free) from the work folder of a live one (lock held).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def abandoned(path: Path) -> bool:
    """True when no live run holds ``path`` (its lock can be taken), so it may be removed."""
    try:
        fd = lock(path)
    except BlockingIOError:
        return False
    except OSError:
        return False
    if fd is None:  # pragma: no cover - no flock: only remove what is clearly old
        return time.time() - path.stat().st_mtime > STALE_WITHOUT_LOCKS
    unlock(fd)
    return True


#: where no flock exists: a folder this old (seconds) counts as abandoned
STALE_WITHOUT_LOCKS = 24 * 3600
