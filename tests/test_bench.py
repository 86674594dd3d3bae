"""bench/run.py keeps working: its measurement children run on a small store and report figures.

Only the shape and sanity of the results are checked (the benchmark measures; tests never assert
timings)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def test_children_measure_export_floor_and_naive(bench: ModuleType, demo_store: Path, tmp_path: Path) -> None:
    export = bench.run_child("export", demo_store, tmp_path / "export", "--warm-runs", "3")
    assert export["records"] > 2000 and export["wall"] > 0 and export["peak_rss_mb"] > 50
    walls = export["warm_walls"]
    assert len(walls) == 3 and export["warm"]["wall"] == sorted(walls)[1]  # the median warm run
    stages = {s["stage"] for s in export["warm"]["stages"]}
    assert {"resolve", "collect", "bundle.json", "manifest"} <= stages
    package = Path(export["path"])
    assert (package / "data" / "access_logs.jsonl").is_file()

    floor = bench.run_child("floor", package, tmp_path / "floor")
    lines = sum(len(p.read_bytes().splitlines()) for p in (package / "data").glob("*.jsonl"))
    assert floor["records"] == lines and floor["wall"] > 0
    # The floor writes the same bytes the export wrote (orjson, sorted keys, one record per line).
    for src in (package / "data").glob("*.jsonl"):
        assert (tmp_path / "floor" / src.name).read_bytes() == src.read_bytes()

    naive = bench.run_child("naive", demo_store, tmp_path / "naive")
    assert naive["records"] == export["records"]
    assert set(naive["naive_stages"]) == {"read", "validate", "write", "manifest"}


def test_cli_measurement_runs_the_real_command(bench: ModuleType, demo_store: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter import demo

    monkeypatch.setattr(bench, "SUBJECT", demo.DEFAULT_DEMO_SUBJECT)
    (tmp_path / "cli").mkdir()
    cli = bench.measure_cli(demo_store, tmp_path / "cli", runs=1)
    assert len(cli["walls"]) == 1 and cli["wall"] > 0 and cli["peak_rss_mb"] > 30
    assert {"bundle.json", "manifest.json", "report.pdf", "index.html"} <= set(cli["files"])


def test_naive_pdf_child_is_stopped_at_its_time_limit(bench: ModuleType, demo_store: Path, tmp_path: Path) -> None:
    assert bench.run_child("naive-pdf", demo_store, tmp_path / "naive-pdf", timeout=0.5) == {"timed_out": 0.5}


def test_targets_table(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    run = {"wall": 4.0, "peak_rss_mb": 200.0, "stages": [{"stage": "pdf", "seconds": 3.0}]}
    sc = {
        "typical-25k": {"package": {**run, "warm": {**run, "wall": 3.0}, "warm_walls": [3.2, 3.0, 2.9]},
                        "package_helper": {**run, "warm": {**run, "wall": 2.8}, "warm_walls": [2.8, 2.7, 3.1]},
                        "cli": {"wall": 3.5},
                        "naive": {"with_pdf": {"seconds": 900.0, "lower_bound": True}},
                        "validation": {"records": 10, "a": 400_000.0, "b": None}},
        "heavy-100k": {"export": {**run}},
        "heavy-1M": {"export": {**run, "peak_rss_mb": 220.0}, "package": run,
                     "json_only": {"warm": {"wall": 9.0}}, "floor": {"wall": 3.0}},
    }
    bench.print_targets(sc)
    out = capsys.readouterr().out
    assert "> 225x (> 900 s / 4.00 s)" in out and "CLI (fresh interpreter)" in out and "3.50 s" in out
    assert "3.00x" in out and "400,000/s" in out and "1.10" in out
    assert "3.00 s (median of 3: 2.90-3.20)" in out
    assert "WarmRenderer helper" in out and "2.80 s (median of 3: 2.70-3.10)" in out


def test_helper_child_renders_the_same_package(bench: ModuleType, demo_store: Path, tmp_path: Path) -> None:
    helper = bench.run_child("package-helper", demo_store, tmp_path / "helper", "--warm-runs", "1")
    in_process = bench.run_child("package", demo_store, tmp_path / "package", "--warm-runs", "1")
    assert helper["records"] == in_process["records"] > 2000
    assert len(helper["warm_walls"]) == 1 and "pdf" in {s["stage"] for s in helper["warm"]["stages"]}
    for name in ("report.pdf", "index.html", "bundle.json"):
        assert (Path(helper["path"]) / name).read_bytes() == (Path(in_process["path"]) / name).read_bytes()
