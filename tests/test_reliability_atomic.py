"""Atomic output (issue #8, part 2): the CLI killed with SIGKILL at random points of its run.

Whatever the moment, the output folder then holds either no package or a complete package that
passes ``exporter.packaging.package.verify`` — never a half-written one. A killed run may leave its hidden
work folder ``.<request id>.partial-*`` behind (nothing can run after SIGKILL); the next run for
the same package removes such leftovers when it starts, and so can housekeeping with
``exporter.packaging.package.remove_stale``. A live run's work folder is never removed (it is ``flock``-ed).
An existing package is never replaced without ``--force`` (exit code 6), and a ``--force`` run
killed half-way leaves the old package or the new one, whole.

The runs use ``--no-pdf`` (the PDF renderer is slow and writing report.pdf goes through the same
staging folder as every other file).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exporter import demo
from exporter.packaging.package import remove_stale, verify

NOW = "2026-11-25T12:00:00Z"
SEED = 20261125


def cli(store: Path, out: Path, request_id: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "exporter", "export", "--config", str(demo.demo_config_path(store)),
            "--subject", demo.DEFAULT_DEMO_SUBJECT, "--jurisdiction", "eu", "--out", str(out),
            "--request-id", request_id, "--now", NOW, "--no-pdf", "--quiet", *extra]


def run_and_kill(cmd: list[str], delay: float) -> bool:
    """Start ``cmd``, SIGKILL it after ``delay`` seconds; True when it finished before that."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return False


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def leftovers(out: Path, request_id: str) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.name.startswith(f".{request_id}."))


@pytest.fixture(scope="module")
def reference(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """One uninterrupted run: its package, and how long a run takes."""
    out = tmp_path_factory.mktemp("atomic") / "out"
    started = time.monotonic()
    done = subprocess.run(cli(demo_store, out, "REF"), capture_output=True, text=True, check=False)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert verify(out / "REF") == []
    return out, duration


def test_sigkill_at_random_points_leaves_nothing_or_a_complete_package(
        demo_store: Path, reference: tuple[Path, float], tmp_path: Path) -> None:
    _, duration = reference
    out = tmp_path / "out"
    out.mkdir()
    rng = random.Random(SEED)
    delays = sorted(rng.uniform(0.05, duration * 1.1) for _ in range(6))
    outcomes = []
    for i, delay in enumerate(delays):
        rid = f"K{i}"
        finished = run_and_kill(cli(demo_store, out, rid), delay)
        if rid in visible(out):
            assert verify(out / rid) == [], f"killed after {delay:.2f}s: a visible package must be complete"
            assert leftovers(out, rid) == [], "a finished run leaves no work folder"
            outcomes.append("complete")
        else:
            assert not finished, "a run that was not killed must have produced its package"
            assert all(p.name.startswith(f".{rid}.partial-") for p in leftovers(out, rid))
            outcomes.append("nothing")
        assert set(visible(out)) <= {f"K{j}" for j in range(i + 1)}
    assert "nothing" in outcomes, f"no kill landed inside a run (delays {delays}, run {duration:.2f}s)"

    # leftovers of killed runs: the next run for that package removes them when it starts …
    killed = [f"K{i}" for i, o in enumerate(outcomes) if o == "nothing"]
    with_leftover = [rid for rid in killed if leftovers(out, rid)]
    if with_leftover:
        rid = with_leftover[0]
        done = subprocess.run(cli(demo_store, out, rid), capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert verify(out / rid) == [] and leftovers(out, rid) == []
    # … and housekeeping can remove the rest (their runs are dead: their locks are free)
    for rid in killed:
        remove_stale(out / rid)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_live_runs_work_folder_is_never_removed(tmp_path: Path) -> None:
    final = tmp_path / "out" / "LIVE"
    final.parent.mkdir()
    code = ("import sys, time\nfrom pathlib import Path\nfrom exporter.packaging.package import staging\n"
            "with staging(Path(sys.argv[1])) as root:\n    print(root, flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(final)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        work = Path(proc.stdout.readline().strip())
        assert work.is_dir() and work.name.startswith(".LIVE.partial-")
        assert remove_stale(final) == 0 and work.is_dir()  # its run is alive: kept
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert work.is_dir()  # nothing runs after SIGKILL …
        assert remove_stale(final) == 1 and not work.exists()  # … but the next run cleans up
        assert not final.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_existing_package_is_not_replaced_without_force(demo_store: Path, reference: tuple[Path, float]) -> None:
    out, _ = reference
    manifest = (out / "REF" / "manifest.json").read_bytes()
    done = subprocess.run(cli(demo_store, out, "REF"), capture_output=True, text=True, check=False)
    assert done.returncode == 6
    assert "already exists" in done.stderr and "--force" in done.stderr
    assert (out / "REF" / "manifest.json").read_bytes() == manifest
    assert verify(out / "REF") == []
    assert leftovers(out, "REF") == []


def test_force_replacement_killed_at_random_points_keeps_a_whole_package(
        demo_store: Path, reference: tuple[Path, float], tmp_path: Path) -> None:
    ref_out, duration = reference
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(cli(demo_store, out, "F"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rng = random.Random(SEED + 1)
    for delay in sorted(rng.uniform(duration * 0.4, duration * 1.1) for _ in range(2)):
        run_and_kill(cli(demo_store, out, "F", "--force"), delay)
        assert visible(out) == ["F"], "the old package or the new one is always there"
        assert verify(out / "F") == []
    done = subprocess.run(cli(demo_store, out, "F", "--force"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert verify(out / "F") == [] and visible(out) == ["F"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the forced run cleaned up
    assert os.listdir(ref_out / "REF")  # the module's reference package is untouched


def _package(final: Path, *, force: bool = False) -> None:
    from exporter.packaging.package import staging, write_manifest
    from exporter.collect.writers import write_file

    with staging(final, force=force) as root:
        files = [write_file(root / "data" / "a.jsonl", root, b"{}\n")]
        write_manifest(root, files, generated_at="2026-11-25T00:00:00Z", request_id=final.name)


def test_leftovers_of_an_interrupted_replacement_are_put_back_or_removed(tmp_path: Path) -> None:
    final = tmp_path / "P"
    _package(final)
    old = tmp_path / ".P.old-0001"
    final.rename(old)  # a --force run died between moving the old package aside and renaming the new one
    assert remove_stale(final) == 1
    assert final.is_dir() and not old.exists() and verify(final, schemas=False) == []
    (tmp_path / ".P.old-0002").mkdir()  # the replacement had finished: the old copy is just removed
    (tmp_path / ".P.zip.partial-0003").write_bytes(b"half an archive")
    (tmp_path / ".Q.partial-0004").mkdir()  # another package's leftovers are not ours to judge here
    assert remove_stale(final) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".Q.partial-0004", "P"]


def test_a_failed_run_removes_the_output_folders_it_created(tmp_path: Path) -> None:
    from exporter.packaging.package import staging

    final = tmp_path / "new" / "deeper" / "R"
    with pytest.raises(RuntimeError), staging(final):
        raise RuntimeError("a source failed")
    assert list(tmp_path.iterdir()) == []
    _package(final)  # and a successful one keeps them
    assert verify(final, schemas=False) == []
