"""exporter.render._libs: WeasyPrint imported without gcc/ld library searches, same libraries loaded.

Each case runs in a fresh interpreter (WeasyPrint loads its libraries once per process) and reports
the shared objects of GObject, Pango, HarfBuzz and Fontconfig that the process has mapped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps (Linux)")

_REPORT = """
import json, re
libs = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        m = re.search(r"/(lib(?:gobject|pango|pangoft2|harfbuzz|harfbuzz-subset|fontconfig)[^/]*\\.so[^/]*)$", line.strip())
        if m:
            libs.add(m.group(1))
import ctypes.util, weasyprint
print(json.dumps({"libs": sorted(libs), "restored": ctypes.util.find_library is ORIGINAL_FIND,
                  "searches": SEARCHES, "html": hasattr(weasyprint, "HTML")}))
"""

_COUNT_SEARCHES = """
import ctypes.util
ORIGINAL_FIND = ctypes.util.find_library
SEARCHES = []
for _name in ("_findLib_gcc", "_findLib_ld"):
    _real = getattr(ctypes.util, _name)
    def _counted(name, _real=_real, _name=_name):
        SEARCHES.append(_name)
        return _real(name)
    setattr(ctypes.util, _name, _counted)
"""


def _run(body: str) -> dict:
    code = _COUNT_SEARCHES + textwrap.dedent(body) + _REPORT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def plain() -> dict:
    result = _run("import weasyprint\n")
    assert result["searches"], "a plain import is expected to search with gcc/ld (WeasyPrint #1125)"
    for soname in ("libgobject-2.0.so", "libpango-1.0.so", "libharfbuzz.so", "libfontconfig.so"):
        assert any(lib.startswith(soname) for lib in result["libs"]), (soname, result["libs"])
    return result


def test_quick_import_loads_the_same_libraries_without_gcc_or_ld(plain: dict) -> None:
    result = _run("from exporter.render._libs import import_weasyprint\nimport_weasyprint()\nimport_weasyprint()\n")
    assert result["libs"] == plain["libs"]
    assert result["searches"] == []
    assert result["restored"] and result["html"]


def test_without_an_ldconfig_cache_the_sonames_are_opened_directly(plain: dict) -> None:
    result = _run("""
        import ctypes.util
        ctypes.util._findSoname_ldconfig = lambda name: None  # as on a system without ldconfig
        from exporter.render._libs import import_weasyprint
        import_weasyprint()
    """)
    assert result["libs"] == plain["libs"]
    assert result["searches"] == []
    assert result["restored"]


def test_an_import_that_fails_with_the_quick_lookup_is_retried_the_normal_way(plain: dict) -> None:
    result = _run("""
        import cffi.api, ctypes.util
        _load = cffi.api._load_backend_lib
        def _fail_while_quick(backend, name, flags):
            if ctypes.util.find_library is not ORIGINAL_FIND:
                raise OSError("simulated: not found while the quick lookup is active")
            return _load(backend, name, flags)
        cffi.api._load_backend_lib = _fail_while_quick
        from exporter.render._libs import import_weasyprint
        import_weasyprint()
    """)
    assert result["libs"] == plain["libs"]
    assert result["searches"], "the retry uses the standard search"
    assert result["restored"] and result["html"]


def test_other_threads_keep_the_standard_search() -> None:
    result = _run("""
        import threading, ctypes.util
        from exporter.render import _libs
        seen = {}
        def other():
            seen["other"] = ctypes.util.find_library("libgobject-2.0-0")
        with _libs._quick_find_library(lambda name: "quick"):
            seen["own"] = ctypes.util.find_library("anything")
            t = threading.Thread(target=other)
            t.start(); t.join()
        assert seen == {"own": "quick", "other": None}, seen
        import weasyprint
    """)
    assert "_findLib_gcc" in result["searches"]  # the other thread's lookup ran the full search
    assert result["restored"]


def test_the_pdf_renderer_imports_weasyprint_the_quick_way(plain: dict) -> None:
    result = _run("import exporter.render.pdf\n")
    assert result["libs"] == plain["libs"]
    assert result["searches"] == []
