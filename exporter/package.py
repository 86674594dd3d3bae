"""Package directory life cycle: temp dir → files → manifest → fsync → atomic rename; verify.

A package is never visible half-written: everything is written into ``.<name>.partial-*`` beside
the final folder (same filesystem) and renamed into place as the last step. An existing package is
replaced only when asked (``force``), and then also without a moment where neither exists whole.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from .errors import OutputError
from .schemas import check_against
from .writers import FileInfo, dumps, write_file

__all__ = ["staging", "write_manifest", "verify", "MANIFEST", "MANIFEST_FORMAT"]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "piconext-access-manifest/1"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def staging(final: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temp folder; on success rename it to ``final``; on error remove it."""
    if final.exists() and not force:
        raise OutputError("the package folder already exists", path=str(final),
                          hint="choose another --out or request id, or pass --force to replace it")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".{final.name}.partial-{secrets.token_hex(4)}"
        tmp.mkdir()
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", path=str(final.parent)) from exc
    try:
        yield tmp
        _fsync_dir(tmp)
        old = None
        if final.exists():
            old = final.parent / f".{final.name}.old-{secrets.token_hex(4)}"
            os.rename(final, old)
        os.rename(tmp, final)
        _fsync_dir(final.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_manifest(root: Path, files: list[FileInfo], *, generated_at: str, request_id: str) -> FileInfo:
    manifest = {
        "format": MANIFEST_FORMAT,
        "request_id": request_id,
        "generated_at": generated_at,
        "algorithm": "sha256",
        "files": sorted(files, key=lambda f: f["path"]),
    }
    check_against("manifest.json", manifest, error=OutputError)
    return write_file(root / MANIFEST, root, dumps(manifest, indent=True) + b"\n")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(package: Path) -> list[str]:
    """Problems found in a package (empty list = intact): changed, missing or extra files."""
    problems: list[str] = []
    try:
        manifest: dict[str, Any] = orjson.loads((package / MANIFEST).read_bytes())
    except FileNotFoundError:
        return [f"{MANIFEST} is missing"]
    except orjson.JSONDecodeError as exc:
        return [f"{MANIFEST} is not valid JSON: {exc}"]
    listed = {f["path"]: f for f in manifest.get("files", [])}
    present = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} - {MANIFEST}
    for rel in sorted(set(listed) - present):
        problems.append(f"missing file: {rel}")
    for rel in sorted(present - set(listed)):
        problems.append(f"extra file not in the manifest: {rel}")
    for rel in sorted(set(listed) & present):
        entry, path = listed[rel], package / rel
        if path.stat().st_size != entry["bytes"] or _sha256(path) != entry["sha256"]:
            problems.append(f"changed file: {rel}")
    return problems
