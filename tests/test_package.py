"""Atomic package folders and manifest verification."""

from __future__ import annotations

import pytest

from exporter.errors import OutputError
from exporter.packaging.package import staging, verify, write_manifest
from exporter.collect.writers import write_file


def _make(final, *, force=False):
    with staging(final, force=force) as root:
        files = [write_file(root / "bundle.json", root, b"{}\n"), write_file(root / "data" / "a.jsonl", root, b"{}\n")]
        write_manifest(root, files, generated_at="2026-11-25T00:00:00Z", request_id="R1")


def test_success_renames_into_place(tmp_path) -> None:
    final = tmp_path / "R1"
    _make(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1"]
    assert verify(final, schemas=False) == []


def test_failure_leaves_nothing(tmp_path) -> None:
    final = tmp_path / "R1"
    with pytest.raises(RuntimeError), staging(final) as root:
        write_file(root / "bundle.json", root, b"{}")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_package_needs_force(tmp_path) -> None:
    final = tmp_path / "R1"
    _make(final)
    with pytest.raises(OutputError, match="already exists"):
        _make(final)
    (final / "bundle.json").write_bytes(b"changed")
    _make(final, force=True)
    assert verify(final, schemas=False) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1"]


def test_verify_reports_changed_missing_extra(tmp_path) -> None:
    final = tmp_path / "R1"
    _make(final)
    (final / "bundle.json").write_bytes(b"[]\n")
    (final / "data" / "a.jsonl").unlink()
    (final / "extra.txt").write_text("x")
    assert verify(final, schemas=False) == [
        "missing file: data/a.jsonl",
        "extra file not in the manifest: extra.txt",
        "changed file: bundle.json",
    ]


# ---------------------------------------------------------------------------------------------
# the publish primitive (exporter.packaging.package._publish) tested directly: a package is moved
# into place by renaming the work folder (never by copying it), an existing one is never replaced
# without force, and with force it is swapped (RENAME_EXCHANGE) or, on a platform without that,
# moved aside and put back if anything goes wrong — never deleted first.
# ---------------------------------------------------------------------------------------------

import errno  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402

from exporter import testhooks  # noqa: E402
from exporter.packaging import package as pkg  # noqa: E402


@pytest.fixture(params=["renameat2", "fallback"])
def rename_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every publish test runs with the kernel's renameat2 and with the two-rename fallback."""
    if request.param == "fallback":
        monkeypatch.setenv(testhooks.NO_RENAMEAT2, "1")
    else:
        monkeypatch.delenv(testhooks.NO_RENAMEAT2, raising=False)
    return str(request.param)


def _package(final: Path, marker: str, *, force: bool = False) -> None:
    with staging(final, force=force) as root:
        files = [write_file(root / "bundle.json", root, orjson.dumps({"run": marker})),
                 write_file(root / "data" / "a.jsonl", root, b"{}\n")]
        write_manifest(root, files, generated_at="2026-11-25T00:00:00Z", request_id=marker)


def _whole(final: Path) -> str:
    """The run marker of the whole package at ``final`` (fails when it is missing or half)."""
    assert final.is_dir(), "no package at the final path"
    assert verify(final, schemas=False) == []
    return orjson.loads((final / "bundle.json").read_bytes())["run"]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_published_folder_is_the_staged_folder_renamed_not_copied(tmp_path: Path, rename_mode: str) -> None:
    final = tmp_path / "R1"
    with staging(final) as root:
        write_file(root / "bundle.json", root, b"{}\n")
        staged = (root.stat().st_ino, (root / "bundle.json").stat().st_ino)
    assert (final.stat().st_ino, (final / "bundle.json").stat().st_ino) == staged  # same inodes: a rename
    assert _hidden(tmp_path) == []


def test_force_replacement_is_a_rename_too(tmp_path: Path, rename_mode: str) -> None:
    final = tmp_path / "R1"
    _package(final, "old")
    with staging(final, force=True) as root:
        write_file(root / "bundle.json", root, orjson.dumps({"run": "new"}))
        staged = root.stat().st_ino
    assert final.stat().st_ino == staged and (final / "bundle.json").read_bytes() == b'{"run":"new"}'
    assert _hidden(tmp_path) == []


def test_no_replace_when_another_run_published_meanwhile(tmp_path: Path, rename_mode: str) -> None:
    """Without force, a package that appeared after the run started is never replaced."""
    final = tmp_path / "R1"
    with pytest.raises(OutputError, match="another run wrote it meanwhile"), staging(final) as root:
        write_file(root / "bundle.json", root, orjson.dumps({"run": "late"}))
        _package(final, "first")  # the other run wins the race
    assert _whole(final) == "first"
    assert _hidden(tmp_path) == []


def test_publish_primitive_refuses_an_existing_target_without_force(tmp_path: Path, rename_mode: str) -> None:
    final, tmp = tmp_path / "R1", tmp_path / ".R1.partial-test"
    _package(final, "old")
    tmp.mkdir()
    (tmp / "x").write_bytes(b"new")
    with pytest.raises(OutputError, match="already exists"):
        pkg._publish(tmp, final)
    assert _whole(final) == "old" and (tmp / "x").read_bytes() == b"new"


class _FailAt:
    """Make the ``n``-th rename step (os.rename or renameat2, whichever the primitive uses) fail,
    as a full disk, a permission change or a dying filesystem would between two steps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
        self.n, self.calls = n, 0
        real_rename, real_renameat2 = os.rename, pkg._renameat2

        def rename(src: object, dst: object, *a: object, **kw: object) -> None:
            self._step()
            real_rename(src, dst, *a, **kw)  # type: ignore[arg-type]

        def renameat2(src: Path, dst: Path, flags: int) -> bool:
            if testhooks.renameat2_disabled():
                return False  # not a step: the platform has none
            self._step()
            return real_renameat2(src, dst, flags)

        monkeypatch.setattr(pkg.os, "rename", rename)
        monkeypatch.setattr(pkg, "_renameat2", renameat2)

    def _step(self) -> None:
        self.calls += 1
        if self.calls == self.n:
            raise OSError(errno.EIO, "injected failure")


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_force_replacement_failing_at_any_step_keeps_a_whole_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rename_mode: str, fail_at: int) -> None:
    """Old complete package or new complete package at the final path, never none or half
    (a delete-then-rename replacement leaves none when the rename fails)."""
    final = tmp_path / "R1"
    _package(final, "old")
    failing = _FailAt(monkeypatch, fail_at)
    try:
        _package(final, "new", force=True)
    except OutputError:
        assert _whole(final) == "old"  # the failure is reported, the previous package is kept
    else:
        assert failing.calls < fail_at, "a step failed but the run reported success"
        assert _whole(final) == "new"
    monkeypatch.undo()
    assert _hidden(tmp_path) == []  # no work folder or moved-aside copy is left behind


def test_at_every_stage_of_a_force_replacement_a_whole_package_is_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rename_mode: str) -> None:
    """What the crash tests kill at: at each named stage the final path holds a whole package,
    except between the fallback's two renames, where the moved-aside copy is whole."""
    final = tmp_path / "R1"
    _package(final, "old")
    seen: dict[str, str] = {}

    def reached(stage: str) -> None:
        if stage == "moved":
            (old,) = [p for p in tmp_path.iterdir() if p.name.startswith(".R1.old-")]
            seen[stage] = _whole(old)
        else:
            seen[stage] = _whole(final)

    monkeypatch.setattr(testhooks, "reached", reached)
    _package(final, "new", force=True)
    if rename_mode == "renameat2":
        assert seen == {"staging": "old", "manifest": "old", "publish": "old", "exchanged": "new"}
    else:
        assert seen == {"staging": "old", "manifest": "old", "publish": "old", "moved": "old", "replaced": "new"}
    assert _whole(final) == "new"


def test_a_crash_between_the_fallback_renames_is_repaired_by_the_next_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(testhooks.NO_RENAMEAT2, "1")
    final = tmp_path / "R1"
    _package(final, "old")

    def die(stage: str) -> None:
        if stage == "moved":
            raise KeyboardInterrupt  # the process is interrupted between the two renames

    monkeypatch.setattr(testhooks, "reached", die)
    with pytest.raises(KeyboardInterrupt):
        _package(final, "new", force=True)
    assert not final.exists() and [p.name[:8] for p in tmp_path.iterdir()] == [".R1.old-"]
    monkeypatch.undo()
    assert pkg.remove_stale(final) == 1  # the next run (or housekeeping) puts the old one back
    assert _whole(final) == "old" and _hidden(tmp_path) == []
