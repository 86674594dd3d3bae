"""Process-wide settings a process the exporter owns (the CLI, a queue worker) makes at start.

A library call changes nothing global: a DSAR service that embeds :func:`exporter.export` chooses
for its own process (``ARROW_DEFAULT_MEMORY_POOL=system`` in its environment does the same as
:func:`use_system_allocator`; docs/library.md).
"""

from __future__ import annotations

import os
import sys

__all__ = ["use_system_allocator"]


def use_system_allocator() -> bool:
    """Arrow's buffers from the C library's ``malloc`` instead of the bundled mimalloc, unless the
    environment already chose (``ARROW_DEFAULT_MEMORY_POOL``). mimalloc keeps freed pages for
    reuse: on the typical subject's export the CLI peaked at 151 MB with it and 119 MB with the
    system allocator, at the same CPU time (bench/run.py; heavy 1M events: 224 vs 202 MB). Before
    Arrow is imported this only sets that variable (Arrow reads it on first use, child processes
    inherit it), so a command that never reads Parquet (``--help``) does not load Arrow. True when
    it switched."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    return True
