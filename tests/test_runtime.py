"""exporter.runtime: what a process the exporter owns sets at start (the CLI, queue workers)."""

from __future__ import annotations

import os
import subprocess
import sys


def _pool(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**base, **env})
    return done.stdout.strip()


def test_the_system_allocator_is_chosen_unless_the_environment_chose() -> None:
    code = ("import pyarrow as pa; from exporter.runtime import use_system_allocator\n"
            "before = pa.default_memory_pool().backend_name\n"
            "print(before, use_system_allocator(), pa.default_memory_pool().backend_name)")
    before, switched, after = _pool(code).split()
    assert (switched, after) == ("True", "system") and before != "system"
    assert _pool(code, ARROW_DEFAULT_MEMORY_POOL="jemalloc").split()[1:] == ["False", "jemalloc"]


def test_importing_the_library_changes_no_allocator() -> None:
    code = "import pyarrow as pa; before = pa.default_memory_pool().backend_name; import exporter.api\n" \
           "print(before == pa.default_memory_pool().backend_name)"
    assert _pool(code) == "True"


def test_the_cli_switches_before_its_commands_run() -> None:
    code = ("import sys, pyarrow as pa\n"
            "import exporter.cli as cli\n"
            "cli.app = lambda: print(pa.default_memory_pool().backend_name)\n"
            "cli.main()")
    assert _pool(code) == "system"


def test_before_arrow_is_imported_only_the_environment_is_set() -> None:
    code = ("import os, sys; from exporter.runtime import use_system_allocator\n"
            "switched = use_system_allocator(); loaded = 'pyarrow' in sys.modules\n"
            "import pyarrow as pa\n"
            "print(switched, loaded, os.environ['ARROW_DEFAULT_MEMORY_POOL'], pa.default_memory_pool().backend_name)")
    assert _pool(code).split() == ["True", "False", "system", "system"]
