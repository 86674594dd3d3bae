"""Process-wide settings a process the exporter owns (the CLI, a queue worker) makes at start.

A library call changes nothing global: a DSAR service that embeds :func:`exporter.export` chooses
for its own process (``ARROW_DEFAULT_MEMORY_POOL=system`` in its environment does the same as
:func:`use_system_allocator`; docs/library.md).
"""

from __future__ import annotations

import os

__all__ = ["use_system_allocator"]


def use_system_allocator() -> bool:
    """Arrow's buffers from the C library's ``malloc`` instead of the bundled mimalloc, unless the
    environment already chose (``ARROW_DEFAULT_MEMORY_POOL``). mimalloc keeps freed pages for
    reuse: on the typical subject's export the CLI peaked at 151 MB with it and 119 MB with the
    system allocator, at the same CPU time (bench/run.py; heavy 1M events: 224 vs 202 MB). True
    when it switched."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True
