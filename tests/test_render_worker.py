"""exporter.render.worker.WarmRenderer: report.pdf rendered in a helper process that loads
WeasyPrint while the sources are read (what the CLI uses). Real processes, real PDFs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exporter import AccessRequest, ExportOptions, demo, export
from exporter.errors import OutputError
from exporter.render import render_pdf, worker
from exporter.render.worker import PendingReport, WarmRenderer

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


def test_warm_up_renders_a_report_and_leaves_the_fonts_decompressed(caplog: pytest.LogCaptureFixture) -> None:
    """The helper's throw-away report must render cleanly: a failure is only logged (the real
    report is then rendered cold), so this test is what notices a warm-up that broke."""
    from exporter.render import fetcher

    fetcher._cache.clear()
    with caplog.at_level("DEBUG", logger="exporter"):
        worker._warm_up()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or "warm-up" in r.getMessage()]
    faces = {Path(k).name for k in fetcher._cache}
    assert {"NotoSans-Regular.woff2", "NotoSans-Bold.woff2", "NotoSansMono-Regular.woff2"} <= faces


def test_a_failing_warm_up_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("warm-up broke")

    monkeypatch.setattr(worker, "_warm_up_render", broken)  # inherited by the forked helper
    bundle, samples, schemas = make_context()
    with WarmRenderer() as renderer:
        renderer(bundle, samples, schemas, tmp_path / "report.pdf", columns=COLUMNS)
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_submit_returns_before_the_report_is_written(tmp_path: Path) -> None:
    bundle, samples, schemas = make_context()
    out = tmp_path / "report.pdf"
    with WarmRenderer() as renderer:
        renderer._started.result()  # the helper is up and warm
        pending = renderer.submit(bundle, samples, schemas, out, columns=COLUMNS)
        assert isinstance(pending, PendingReport)
        pending.result()
        assert out.read_bytes().startswith(b"%PDF-")
        with pytest.raises(FileNotFoundError):
            renderer.submit(bundle, samples, schemas, tmp_path / "missing" / "r.pdf", columns=COLUMNS).result()


def test_index_html_failing_while_the_helper_renders_leaves_no_package(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """index.html is written while the helper renders report.pdf; if it fails, the export reports
    the html error, the helper lives on, and no package (nor half-written folder) is left."""
    from exporter.render import html as html_module

    def broken(*args: object, **kwargs: object) -> None:
        raise OutputError("index.html could not be written")

    request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu", request_id="W2")
    with WarmRenderer() as renderer:
        monkeypatch.setattr(html_module, "render_html", broken)  # after the fork: the parent only
        with pytest.raises(OutputError, match="index.html"):
            export(request, demo.demo_config_path(demo_store), tmp_path, ExportOptions(pdf_renderer=renderer), now=NOW)
        assert renderer._pool.submit(os.getpid).result() != os.getpid()  # the helper lives on
    assert list(tmp_path.iterdir()) == []


def test_the_helper_leaves_no_font_files_in_the_temp_directory(demo_store: Path, tmp_path: Path) -> None:
    """The helper ends with os._exit (a multiprocessing worker), so WeasyPrint's own clean-up in
    FontConfiguration.__del__ never runs there; each CLI run used to leave a 1.5-2.5 MB
    weasyprint-* folder behind."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    script = textwrap.dedent(f"""
        from exporter import AccessRequest, ExportOptions, demo, export
        from exporter.render.worker import WarmRenderer
        with WarmRenderer() as renderer:
            request = AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu")
            export(request, {str(demo.demo_config_path(demo_store))!r}, {str(tmp_path / "out")!r},
                   ExportOptions(pdf_renderer=renderer))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300, env={**os.environ, "TMPDIR": str(temp)})
    assert (tmp_path / "out").is_dir()
    assert [p.name for p in temp.iterdir()] == []


def _tracked_objects() -> int:
    import gc

    return len(gc.get_objects())


def _collects_after_render() -> bool:
    from exporter.render import pdf

    return pdf._collect_after_render


def test_a_helper_rendering_report_after_report_does_not_grow(tmp_path: Path) -> None:
    """The helper collects a report's cyclic garbage before the next report (not after it, which
    would delay the report), so it holds at most one report's garbage at a time."""
    bundle, samples, schemas = make_context()
    counts = []
    with WarmRenderer() as renderer:
        for i in range(4):
            renderer(bundle, samples, schemas, tmp_path / f"{i}.pdf", columns=COLUMNS)
            counts.append(renderer._pool.submit(_tracked_objects).result())
        assert renderer._pool.submit(_collects_after_render).result() is False
    assert counts[-1] - counts[1] < 2_000, counts
