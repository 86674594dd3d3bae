"""Atomic output (issue #8, part 2): the CLI killed with SIGKILL at every stage of its run.

Whatever the moment, the output folder then holds either no package or a complete package that
passes ``exporter.packaging.package.verify`` — never a half-written one. A killed run may leave its hidden
work folder ``.<request id>.partial-*`` behind (nothing can run after SIGKILL); the next run for
the same package removes such leftovers when it starts, and so can housekeeping with
``exporter.packaging.package.remove_stale``. A live run's work folder is never removed (it is ``flock``-ed).
An existing package is never replaced without ``--force`` (exit code 6), and a ``--force`` run
killed half-way leaves the old package or the new one, whole.

Where a run is killed is chosen by stage, not by time: the test-only hook ``EXPORTER_TEST_KILL_AT``
(:mod:`exporter.testhooks`) makes the exporter SIGKILL itself when it reaches the named stage, so
every run of this file kills at every stage (a run that ends with any other status than SIGKILL
did not reach its stage, and fails the test). ``EXPORTER_TEST_NO_RENAMEAT2`` runs the
``--force`` fallback of platforms without ``renameat2``.

The runs use ``--no-pdf`` (the PDF renderer is slow and writing report.pdf goes through the same
staging folder as every other file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from exporter import demo, testhooks
from exporter.packaging.package import remove_stale, verify

NOW = "2026-11-25T12:00:00Z"

#: where a new package's run is killed: before anything is written, after the first and the third
#: data file, before the manifest, and with the complete package just before the rename
NEW_PACKAGE_STAGES = ("staging", "data", "data:3", "manifest", "publish")
#: where a --force replacement is killed, with renameat2 (exchange) and without (two renames)
FORCE_STAGES = ("staging", "data", "manifest", "publish", "exchanged")
FORCE_FALLBACK_STAGES = ("publish", "moved", "replaced")


def cli(store: Path, out: Path, request_id: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "exporter", "export", "--config", str(demo.demo_config_path(store)),
            "--subject", demo.DEFAULT_DEMO_SUBJECT, "--jurisdiction", "eu", "--out", str(out),
            "--request-id", request_id, "--now", NOW, "--no-pdf", "--quiet", *extra]


def run_killed_at(cmd: list[str], stage: str, *, fallback: bool = False) -> None:
    """Run ``cmd`` with the exporter told to SIGKILL itself at ``stage``; it must die there."""
    env = {k: v for k, v in os.environ.items() if k not in (testhooks.KILL_AT, testhooks.NO_RENAMEAT2)}
    env[testhooks.KILL_AT] = stage
    if fallback:
        env[testhooks.NO_RENAMEAT2] = "1"
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == -signal.SIGKILL, f"the run did not reach stage {stage!r}: {done.stderr}"


def visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def leftovers(out: Path, request_id: str) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.name.startswith(f".{request_id}."))


@pytest.fixture(scope="module")
def reference(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uninterrupted run: its output folder (holding package REF)."""
    out = tmp_path_factory.mktemp("atomic") / "out"
    done = subprocess.run(cli(demo_store, out, "REF"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert verify(out / "REF") == []
    return out


def test_sigkill_at_every_stage_leaves_nothing_or_a_complete_package(demo_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for i, stage in enumerate(NEW_PACKAGE_STAGES):
        rid = f"K{i}"
        run_killed_at(cli(demo_store, out, rid), stage)
        assert visible(out) == [], f"killed at {stage}: no package may be visible"
        work = leftovers(out, rid)
        assert len(work) == 1 and work[0].name.startswith(f".{rid}.partial-"), stage  # the dead run's work folder
    # the next run for a package removes its leftovers when it starts …
    done = subprocess.run(cli(demo_store, out, "K0"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert verify(out / "K0") == [] and leftovers(out, "K0") == []
    # … and housekeeping can remove the rest (their runs are dead: their locks are free)
    for i in range(1, len(NEW_PACKAGE_STAGES)):
        assert remove_stale(out / f"K{i}") == 1
    assert [p.name for p in out.iterdir()] == ["K0"]


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


def test_existing_package_is_not_replaced_without_force(demo_store: Path, reference: Path) -> None:
    out = reference
    manifest = (out / "REF" / "manifest.json").read_bytes()
    done = subprocess.run(cli(demo_store, out, "REF"), capture_output=True, text=True, check=False)
    assert done.returncode == 6
    assert "already exists" in done.stderr and "--force" in done.stderr
    assert (out / "REF" / "manifest.json").read_bytes() == manifest
    assert verify(out / "REF") == []
    assert leftovers(out, "REF") == []


def test_force_replacement_killed_at_every_stage_keeps_a_whole_package(
        demo_store: Path, reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(cli(demo_store, out, "F"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for stage in FORCE_STAGES:
        run_killed_at(cli(demo_store, out, "F", "--force"), stage)
        assert visible(out) == ["F"], f"killed at {stage}: the old package or the new one is always there"
        assert verify(out / "F") == []
    for stage in FORCE_FALLBACK_STAGES:
        run_killed_at(cli(demo_store, out, "F", "--force"), stage, fallback=True)
        if stage == "moved":  # between the fallback's two renames: the old package is whole beside it
            assert visible(out) == []
            (old,) = [p for p in leftovers(out, "F") if p.name.startswith(".F.old-")]
            assert verify(old) == []
            remove_stale(out / "F")  # what the next run does first: it is put back
        assert visible(out) == ["F"], f"killed at {stage} (fallback)"
        assert verify(out / "F") == []
    done = subprocess.run(cli(demo_store, out, "F", "--force"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert verify(out / "F") == [] and visible(out) == ["F"]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the forced run cleaned up
    assert os.listdir(reference / "REF")  # the module's reference package is untouched


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
