"""`exporter demo` (the README's first command) names the package and the files to open in it."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporter.cli import app


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """The CLI configures the root logger (basicConfig, force=True); put it back for later tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_demo_prints_the_package_and_the_report_to_open(demo_store: Path, tmp_path: Path) -> None:
    shutil.copytree(demo_store, tmp_path / "store")  # the session's store: no rebuild
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--now", "2026-11-25T10:00:00Z"],
                                env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    package = Path(result.stdout.strip())
    assert result.stdout.count("\n") == 1 and package.parent == tmp_path / "packages"
    assert (package / "report.pdf").is_file() and (package / "index.html").is_file()
    assert f"open {package / 'report.pdf'} (or index.html in a browser)" in result.stderr
    assert "building the demo store" not in result.stderr

    quiet = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--now", "2026-11-25T10:00:00Z", "--quiet"],
                               env={"NO_COLOR": "1"})
    assert quiet.exit_code == 0 and quiet.stdout.strip() == str(package) and "open " not in quiet.stderr
