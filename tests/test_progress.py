"""Progress output: plain lines when not on a terminal, nothing with --quiet; never subject data."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporter import demo
from exporter.cli import app
from exporter.progress import PlainProgress, reporter


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.build_demo_store(tmp_path_factory.mktemp("progress") / "store", heavy_events=2000)


def _export(store: Path, out: Path, *extra: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--config", str(demo.demo_config_path(store)), "--subject",
                                 demo.DEMO_SUBJECTS["heavy_logs"], "--jurisdiction", "eu", "--out", str(out),
                                 "--request-id", "R-PROGRESS", "--no-pdf", "--no-html", "--force", *extra])
    err = result.stderr if result.stderr_bytes is not None else ""
    assert result.exit_code == 0, result.output + err
    return result.exit_code, err


def test_plain_progress_lines_when_not_a_terminal(store: Path, tmp_path: Path) -> None:
    _, err = _export(store, tmp_path)
    lines = [line for line in err.splitlines() if line.startswith("progress: ")]
    assert "progress: access_logs 2000 records" in lines
    assert "progress: screen_interactions 1000 records" in lines
    for subject in demo.DEMO_SUBJECTS.values():
        assert subject not in err
    assert "ACC-000105" not in err  # counts and category ids only


def test_quiet_prints_no_progress(store: Path, tmp_path: Path) -> None:
    _, err = _export(store, tmp_path, "--quiet")
    assert "progress" not in err


def test_reporter_modes() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    with reporter(quiet=True, stream=io.StringIO()) as cb:
        assert cb is None
    plain = io.StringIO()
    with reporter(stream=plain) as cb:
        assert isinstance(cb, PlainProgress)
        cb("orders", 3)
        cb("orders", 2)
        cb("devices", 1)
    assert plain.getvalue().splitlines() == ["progress: orders 5 records", "progress: devices 1 records"]
    tty = Tty()
    with reporter(stream=tty) as cb:
        assert cb is not None and not isinstance(cb, PlainProgress)
        cb("orders", 5)
    assert "orders" in tty.getvalue()
