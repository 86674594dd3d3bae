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
    assert cli["cpus"] == [cli["cpu"]] and 0 < cli["cpu"] and "peer" not in cli
    assert {"bundle.json", "manifest.json", "report.pdf", "index.html"} <= set(cli["files"])


def test_naive_pdf_child_is_stopped_at_its_time_limit(bench: ModuleType, demo_store: Path, tmp_path: Path) -> None:
    assert bench.run_child("naive-pdf", demo_store, tmp_path / "naive-pdf", timeout=0.5) == {"timed_out": 0.5}


def _scenarios(*, peer: bool) -> dict:
    run = {"wall": 4.0, "cpu": 3.6, "peak_rss_mb": 200.0, "stages": [{"stage": "pdf", "seconds": 3.0}]}
    cli = {"wall": 3.5, "cpu": 2.8, "peak_rss_mb": 140.0}
    if peer:
        cli["peer"] = {"wall": 7.0, "cpu": 5.0, "warm": {"wall": 2.5, "cpu": 2.4}}
    return {
        "typical-25k": {"package": {**run, "warm": {**run, "wall": 3.0, "cpu": 2.5}, "warm_walls": [3.2, 3.0, 2.9]},
                        "package_helper": {**run, "warm": {**run, "wall": 2.8}, "warm_walls": [2.8, 2.7, 3.1]},
                        "cli": cli,
                        "naive": {"with_pdf": {"seconds": 900.0, "lower_bound": True}},
                        "validation": {"records": 10, "a": 400_000.0, "b": None}},
        "heavy-100k": {"export": {**run}},
        "heavy-1M": {"export": {**run, "peak_rss_mb": 220.0}, "package": {**run, "warm": {**run, "wall": 12.0}},
                     "json_only": {"warm": {"wall": 9.0}}, "floor": {"wall": 3.0}},
    }


def test_targets_table(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    rows = {what.strip(): (target, got, met) for what, target, got, met in bench.print_targets(_scenarios(peer=True))}
    out = capsys.readouterr().out
    assert rows["typical full package, CLI / peer HTML report (wall)"] == (
        "<= 0.6x", "0.50x (3.50 s / peer 7.00 s wall / 5.00 s CPU)", "met")
    assert rows["typical full package, CLI / peer HTML report (CPU)"][1:] == ("0.56x (2.80 s CPU / 5.00 s CPU)", "met")
    assert rows["typical full package, CLI peak RSS (CLI or its PDF helper)"] == ("<= 150 MB", "140 MB", "met")
    assert rows["typical full package, warm library / peer (wall)"] == (
        "<= 0.4x", "0.43x (3.00 s, median of 3: 2.90-3.20 s)", "NOT MET")
    assert rows["typical full package, warm library / peer (CPU)"][2] == "NOT MET"  # 2.5 / 5.0 = 0.50
    assert rows["heavy-1M JSON part / floor"] == ("<= 2x", "3.00x (9.00 s / 3.00 s)", "NOT MET")
    assert rows["heavy-1M full package / JSON part (warm)"] == ("<= 1.5x", "1.33x (12.00 s / 9.00 s)", "met")
    assert rows["peak RSS 1M / 100k events (export): flat"] == ("<= 1.2", "1.10", "met")
    assert rows["naive baseline / ours (full package, fresh processes; issue 7)"][1:] == (
        "> 225x (> 900 s / 4.00 s)", "met")
    assert rows["validation throughput, one core (issue 7)"][1:] == ("400,000/s", "met")
    assert "targets (issue 20" in out and "NOT MET" in out and "2.80 s" in out


def test_targets_without_the_peer_use_the_issues_figure(bench: ModuleType) -> None:
    rows = {what.strip(): (target, got, met) for what, target, got, met in bench.print_targets(_scenarios(peer=False))}
    assert rows["typical full package, CLI (peer not measured: issue's 5.0 s)"] == (
        "<= 3.0 s", "3.50 s wall (2.80 s CPU)", "NOT MET")
    assert rows["typical full package, warm library (peer not measured: issue's 5.0 s)"][2] == "NOT MET"


def test_peer_not_measured_says_why(tmp_path: Path) -> None:
    import subprocess

    script = ROOT / "bench" / "peer.py"
    out = subprocess.run([sys.executable, str(script), "--package", str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("peer: not measured (no --peer-python given")
    # this venv has no Fides: the report builder does not import
    out = subprocess.run([sys.executable, str(script), "--package", str(tmp_path), "--peer-python", sys.executable],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("peer: not measured (the report builder does not import") and "fides" in out


def test_wrapper_reports_cpu_and_rss_of_the_command(bench: ModuleType) -> None:
    peer = bench._load_peer()
    res = peer.run_wrapped([sys.executable, "-c", "x = bytearray(60 * 2**20); sum(range(3_000_000)); print('ok')"])
    assert res["code"] == 0 and res["stdout"].strip() == "ok"
    assert res["peak_rss_mb"] > 60 and res["cpu"] > 0 and res["wall"] >= res["cpu"] * 0.5


def test_helper_child_renders_the_same_package(bench: ModuleType, demo_store: Path, tmp_path: Path) -> None:
    helper = bench.run_child("package-helper", demo_store, tmp_path / "helper", "--warm-runs", "1")
    in_process = bench.run_child("package", demo_store, tmp_path / "package", "--warm-runs", "1")
    assert helper["records"] == in_process["records"] > 2000
    assert len(helper["warm_walls"]) == 1 and "pdf" in {s["stage"] for s in helper["warm"]["stages"]}
    for name in ("report.pdf", "index.html", "bundle.json"):
        assert (Path(helper["path"]) / name).read_bytes() == (Path(in_process["path"]) / name).read_bytes()


def test_a_child_reports_its_own_peak_not_its_parents() -> None:
    """A parent holding 300 MB starts a child (fork + exec): the child's peak_mb() is its own
    (ru_maxrss would have carried the parent's 300 MB into every measurement child)."""
    import subprocess

    child = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('b', sys.argv[1]); "
             "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); print(m.peak_mb())")
    parent = ("import subprocess, sys; big = bytearray(300 * 2**20); big[::4096] = b'x' * len(big[::4096]); "
              f"print(subprocess.run([sys.executable, '-c', {child!r}, sys.argv[1]], capture_output=True, text=True, "
              "check=True).stdout)")
    out = subprocess.run([sys.executable, "-c", parent, str(ROOT / "bench" / "run.py")], capture_output=True,
                         text=True, check=True).stdout
    assert 5 < float(out.strip()) < 150
