"""Test-only hooks at the named stages of writing a package (off unless the environment asks).

The crash tests (tests/test_reliability_atomic.py) must kill an export at every stage that
matters, every run, instead of at random moments drawn from a measured run time. The code that
writes a package calls :func:`reached` at each stage; with ``EXPORTER_TEST_KILL_AT`` set to that
stage's name the process sends itself SIGKILL there (nothing runs after it: no ``finally``, no
clean-up, as with a power loss). ``name:N`` kills at the N-th time the stage is reached (1-based;
``data:2`` = when the second data file has been written).

``EXPORTER_TEST_NO_RENAMEAT2=1`` makes :mod:`exporter.packaging.package` behave as on a platform
without ``renameat2`` (the two-rename fallback of a ``--force`` replacement), so that the fallback
is exercised on Linux too.

The stages, in the order an export reaches them:

=============  ==================================================================================
``staging``    the hidden work folder ``.<id>.partial-*`` exists and is locked; nothing written yet
``data``       a category's data file (JSONL) has been written and closed
``manifest``   every file but ``manifest.json`` is written; the manifest is next
``publish``    the package is complete in the work folder; the rename into place is next
``exchanged``  ``--force`` with ``renameat2``: new and old package swapped; the old one (now in the
               work folder) is removed next
``moved``      ``--force`` without ``renameat2``: the old package is moved aside to ``.<id>.old-*``;
               the new one is renamed into place next (a run killed here leaves no package; the
               next run for it, or :func:`~exporter.packaging.package.remove_stale`, puts the old one back)
``replaced``   ``--force`` without ``renameat2``: the new package is in place; the old copy is
               removed next
=============  ==================================================================================

Nothing here is read in normal operation but two environment variables; no subject data is involved.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["KILL_AT", "NO_RENAMEAT2", "STAGES", "reached", "renameat2_disabled"]

KILL_AT = "EXPORTER_TEST_KILL_AT"
NO_RENAMEAT2 = "EXPORTER_TEST_NO_RENAMEAT2"
STAGES = ("staging", "data", "manifest", "publish", "exchanged", "moved", "replaced")

_seen: Counter[str] = Counter()


def reached(stage: str) -> None:
    """Mark ``stage`` as reached; SIGKILL this process when ``EXPORTER_TEST_KILL_AT`` names it."""
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != stage:
        return
    _seen[stage] += 1
    if _seen[stage] >= (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)


def renameat2_disabled() -> bool:
    return os.environ.get(NO_RENAMEAT2) == "1"
