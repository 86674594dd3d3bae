"""The wheel ships schemas/, templates/ and catalog/ and finds them from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_data_and_runs_from_elsewhere(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("exporter/py.typed", "exporter/_data/schemas/bundle.json",
                     "exporter/_data/schemas/manifest.json", "exporter/_data/catalog/categories.toml"):
        assert required in names, required
    assert any(n.startswith("exporter/_data/schemas/categories/") for n in names)
    assert any(n.startswith("exporter/_data/templates/") for n in names)
    assert any(n.startswith("exporter/_data/catalog/jurisdictions/") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import exporter.resources as r, exporter.law.catalog as c; "
            "print(r.schemas_dir()); print(len(c.load_catalog().categories))")
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(target)}).stdout.split()
    assert out[0].startswith(str(target)), out  # the packaged copy, not the checkout
    assert int(out[1]) >= 24
