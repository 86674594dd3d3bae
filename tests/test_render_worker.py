"""exporter.render.worker.WarmRenderer: report.pdf rendered in a helper process that loads
WeasyPrint while the sources are read (what the CLI uses). Real processes, real PDFs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter import AccessRequest, ExportOptions, demo, export
from exporter.errors import OutputError
from exporter.render import render_pdf
from exporter.render.worker import WarmRenderer

from test_render_pdf import COLUMNS, make_context

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def test_helper_writes_the_same_pdf_as_the_calling_process(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    render_pdf(bundle, samples, schemas, tmp_path / "here.pdf", columns=COLUMNS)
    with WarmRenderer() as renderer:
        renderer(bundle, samples, schemas, tmp_path / "helper.pdf", columns=COLUMNS)
        renderer(bundle, samples, schemas, tmp_path / "again.pdf", columns=COLUMNS)  # reusable
    here = (tmp_path / "here.pdf").read_bytes()
    assert here.startswith(b"%PDF-")
    assert (tmp_path / "helper.pdf").read_bytes() == here
    assert (tmp_path / "again.pdf").read_bytes() == here


def test_an_error_in_the_helper_reaches_the_caller_with_its_context(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    with WarmRenderer() as renderer, pytest.raises(FileNotFoundError):
        renderer(bundle, samples, schemas, tmp_path / "no-such-folder" / "report.pdf", columns=COLUMNS)
    assert not (tmp_path / "no-such-folder").exists()


def test_a_helper_that_dies_is_an_output_error(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    with WarmRenderer() as renderer:
        pid = renderer._pool.submit(os.getpid).result()
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(OutputError, match="ended unexpectedly") as info:
            renderer(bundle, samples, schemas, tmp_path / "report.pdf", columns=COLUMNS)
    assert "--no-pdf" in (info.value.hint or "")
    assert not (tmp_path / "report.pdf").exists()


def test_export_with_the_helper_equals_export_in_process(demo_store: Path, tmp_path: Path) -> None:
    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu", request_id="W1")
    config = demo.demo_config_path(demo_store)
    plain = export(request, config, tmp_path / "plain", now=NOW)
    with WarmRenderer() as renderer:
        helped = export(request, config, tmp_path / "helped", ExportOptions(pdf_renderer=renderer), now=NOW)
    for name in ("report.pdf", "bundle.json", "manifest.json"):
        assert (helped.path / name).read_bytes() == (plain.path / name).read_bytes(), name


def test_the_calling_process_never_loads_weasyprint(demo_store: Path, tmp_path: Path) -> None:
    """The point of the helper: the exporter's own process reads the sources and writes the data,
    index.html and the manifest without importing WeasyPrint (about 0.9 s)."""
    script = textwrap.dedent(f"""
        import datetime as dt, sys
        from exporter import AccessRequest, ExportOptions, demo, export
        from exporter.render.worker import WarmRenderer
        with WarmRenderer() as renderer:
            request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu")
            result = export(request, {str(demo.demo_config_path(demo_store))!r}, {str(tmp_path)!r},
                            ExportOptions(pdf_renderer=renderer))
        assert (result.path / "report.pdf").read_bytes().startswith(b"%PDF-")
        assert (result.path / "index.html").is_file()
        print("weasyprint" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "False", out.stderr
