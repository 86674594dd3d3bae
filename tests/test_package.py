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
