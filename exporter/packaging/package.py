"""Package directory life cycle: temp dir → files → manifest → fsync → atomic rename; verify.

A package is never visible half-written: everything is written into ``.<name>.partial-*`` beside
the final folder (same filesystem) and renamed into place as the last step. An existing package is
replaced only when asked (``force``), and then also without a moment where neither exists whole.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from ..errors import OutputError
from ..collect.schemas import check_against
from ..collect.writers import FileInfo, dumps, sha256_file, write_file

__all__ = [
    "MANIFEST",
    "MANIFEST_FORMAT",
    "encrypt_package",
    "remove_stale",
    "staging",
    "verify",
    "write_manifest",
]

log = logging.getLogger("exporter.packaging.package")

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "piconext-access-manifest/1"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: ``renameat2`` flags (Linux): swap two paths atomically / fail when the target exists.
_RENAME_EXCHANGE = 2
_RENAME_NOREPLACE = 1


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(2)`` when the platform has it; False when it does not (caller falls back)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL):  # kernel or filesystem without renameat2 / this flag
        return False
    raise OSError(err, os.strerror(err), str(dst))


def _lock(path: Path) -> int | None:
    """Hold an exclusive ``flock`` on ``path`` (a folder or file) while a run works in it.

    The kernel drops the lock when the process dies (even on SIGKILL), so a later run can tell a
    leftover of a dead run (lock free) from the work folder of a live one (lock held).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def _abandoned(path: Path) -> bool:
    """True when no live run holds ``path`` (its lock can be taken), so it may be removed."""
    try:
        fd = _lock(path)
    except BlockingIOError:
        return False
    except OSError:
        return False
    if fd is None:  # pragma: no cover - no flock: only remove what is clearly old
        return time.time() - path.stat().st_mtime > _STALE_WITHOUT_LOCKS
    _unlock(fd)
    return True


_STALE_WITHOUT_LOCKS = 24 * 3600


def remove_stale(final: Path) -> int:
    """Remove what killed runs left beside ``final``; returns how many entries were removed.

    * ``.<name>.partial-*`` work folders (and ``.<name>.zip.partial-*`` archives) whose run is no
      longer alive (its ``flock`` is free): a run that is still writing keeps its folder;
    * ``.<name>.old-*`` — the previous package, moved aside by a ``force`` replacement that died
      before the new one was renamed into place: it is put back when ``final`` is missing,
      otherwise removed.
    """
    parent, name = final.parent, final.name
    removed = 0
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(f".{name}."):
            continue
        rest = entry.name[len(name) + 2:]
        if rest.startswith(("partial-", "zip.partial-")) and _abandoned(entry):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
        elif rest.startswith("old-") and entry.is_dir() and _abandoned(entry):
            if not final.exists():
                os.rename(entry, final)
            else:
                shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d leftover(s) of interrupted runs beside the package folder", removed)
    return removed


def _missing_ancestors(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first."""
    out = []
    while not folder.exists() and folder != folder.parent:
        out.append(folder)
        folder = folder.parent
    return out


@contextmanager
def staging(final: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temp folder; on success rename it to ``final``; on error remove it.

    The temp folder ``.<name>.partial-<random>`` lies beside ``final`` (same filesystem, so the
    rename is atomic) and is ``flock``-ed while the run lives. A run killed outright (SIGKILL,
    power loss) leaves it behind, hidden and never mistaken for a package; the next run for the
    same package removes such leftovers when it starts (:func:`remove_stale`; housekeeping may
    call it too). Folders the run had to create for ``final`` are removed again
    when it fails, so a failed export leaves the output folder as it found it.
    """
    created = _missing_ancestors(final.parent)
    if not created:
        remove_stale(final)
    if final.exists() and not force:
        raise OutputError("the package folder already exists", path=str(final),
                          hint="choose another --out or request id, or pass --force to replace it")
    lock: int | None = None
    tmp = final.parent / f".{final.name}.partial-{secrets.token_hex(4)}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        lock = _lock(tmp)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise OutputError(f"cannot create the output folder: {exc.strerror}", path=str(final.parent)) from exc
    try:
        yield tmp
        _fsync_dir(tmp)
        _publish(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise
    finally:
        _unlock(lock)


def _publish(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an existing ``final`` is swapped out atomically, then removed."""
    if final.exists():
        if _renameat2(tmp, final, _RENAME_EXCHANGE):  # one step: never a moment without a package
            shutil.rmtree(tmp, ignore_errors=True)  # now the previous package
            return
        old = final.parent / f".{final.name}.old-{secrets.token_hex(4)}"
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
        return
    try:
        if not _renameat2(tmp, final, _RENAME_NOREPLACE):
            os.rename(tmp, final)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise OutputError("the package folder already exists (another run wrote it meanwhile)",
                              path=str(final), hint="pass --force to replace it") from None
        raise OutputError(f"cannot move the package into place: {exc.strerror}", path=str(final)) from exc


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


def write_manifest(root: Path, files: list[FileInfo], *, generated_at: str, request_id: str,
                   incomplete: list[dict[str, Any]] | None = None, sign_key: Path | None = None,
                   acknowledged: list[str] | None = None) -> FileInfo:
    manifest: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "request_id": request_id,
        "generated_at": generated_at,
        "complete": not incomplete,
        "incomplete": incomplete or [],
        "algorithm": "sha256",
        "files": sorted(files, key=lambda f: f["path"]),
    }
    if acknowledged:  # codes of blocking findings the operator acknowledged (exporter.law.findings), no subject data
        manifest["acknowledged_findings"] = sorted(set(acknowledged))
    if sign_key is not None:
        manifest["signature"] = _sign(dumps(manifest, indent=True), sign_key)
    check_against("manifest.json", manifest, error=OutputError)
    return write_file(root / MANIFEST, root, dumps(manifest, indent=True) + b"\n")


def _sign(payload: bytes, key_path: Path) -> dict[str, str]:
    """Ed25519 signature of the manifest serialised without its ``signature`` field."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise OutputError(f"cannot read the signing key: {exc}", path=str(key_path),
                          hint="pass an unencrypted Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise OutputError("the signing key is not an Ed25519 key", path=str(key_path))
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"algorithm": "ed25519", "public_key": base64.b64encode(public).decode(),
            "value": base64.b64encode(key.sign(payload)).decode()}


def _check_signature(manifest: dict[str, Any], public_key: Path) -> list[str]:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig = manifest.pop("signature", None)
    if not isinstance(sig, dict):
        return ["the manifest is not signed"]
    try:
        key = serialization.load_pem_public_key(public_key.read_bytes())
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return [f"cannot read the public key {public_key}: {getattr(exc, 'strerror', None) or type(exc).__name__}"]
    if not isinstance(key, Ed25519PublicKey):
        return ["the public key is not an Ed25519 key"]
    try:
        key.verify(base64.b64decode(str(sig.get("value", ""))), dumps(manifest, indent=True))
    except (InvalidSignature, ValueError):
        return ["the manifest signature does not verify with this public key"]
    return []


def verify(package: Path, *, public_key: Path | None = None, schemas: bool = True) -> list[str]:
    """Problems found in a package (empty list = intact): changed, missing or extra files,
    documents that break their schema, and (with ``public_key``) a bad or missing signature."""
    problems: list[str] = []
    try:
        manifest: dict[str, Any] = orjson.loads((package / MANIFEST).read_bytes())
    except FileNotFoundError:
        return [f"{MANIFEST} is missing"]
    except orjson.JSONDecodeError as exc:
        return [f"{MANIFEST} is not valid JSON: {exc}"]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return [f"{MANIFEST} is not a package manifest (no list of files)"]
    listed: dict[str, dict[str, Any]] = {}
    for f in manifest["files"]:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("bytes"), int)
                and isinstance(f.get("sha256"), str)):
            problems.append(f"{MANIFEST} has a malformed file entry")
            continue
        listed_path = PurePosixPath(f["path"])
        if listed_path.is_absolute() or ".." in listed_path.parts or "\\" in f["path"] or not listed_path.parts:
            problems.append(f"{MANIFEST} lists a path outside the package: {f['path']!r}")
            continue
        listed[f["path"]] = f
    present = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} - {MANIFEST}
    for rel in sorted(set(listed) - present):
        problems.append(f"missing file: {rel}")
    for rel in sorted(present - set(listed)):
        problems.append(f"extra file not in the manifest: {rel}")
    for rel in sorted(set(listed) & present):
        entry, path = listed[rel], package / rel
        if path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            problems.append(f"changed file: {rel}")
    if schemas:
        problems += _check_documents(package, manifest)
    if public_key is not None:
        problems += _check_signature(dict(manifest), public_key)
    return problems


def _check_documents(package: Path, manifest: dict[str, Any]) -> list[str]:
    """bundle.json, the manifest and every data file against the shipped schemas."""
    from ..errors import ExporterError
    from ..collect.schemas import RecordValidator

    problems: list[str] = []
    try:
        check_against("manifest.json", manifest, error=OutputError)
    except ExporterError as exc:
        problems.append(f"manifest.json breaks its schema: {exc}")
    bundle_path = package / "bundle.json"
    if bundle_path.is_file():
        try:
            check_against("bundle.json", orjson.loads(bundle_path.read_bytes()), error=OutputError)
        except (ExporterError, orjson.JSONDecodeError) as exc:
            problems.append(f"bundle.json breaks its schema: {exc}")
    for data in sorted((package / "data").glob("*.jsonl")):
        try:
            own = package / "schemas" / f"{data.stem}.json"  # the schema the package ships (an overlay's too)
            validator = (RecordValidator(data.stem, orjson.loads(own.read_bytes())) if own.is_file()
                         else RecordValidator.for_category(data.stem))
        except (ExporterError, orjson.JSONDecodeError):
            problems.append(f"data/{data.name}: no schema for this category")
            continue
        with data.open("rb") as fh:
            for n, line in enumerate(fh, 1):
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    problems.append(f"data/{data.name}:{n}: not valid JSON")
                    break
                if not validator.is_valid(record):
                    pointer, why = validator.first_error(record) or ("", "")
                    problems.append(f"data/{data.name}:{n}: {pointer or '/'} {why}")
                    break
    return problems


def encrypt_package(package: Path, password: str, *, force: bool = False) -> Path:
    """AES-256 zip of the package (WinZip AES: 7-Zip, macOS Archive Utility and others open it)."""
    import pyzipper

    if len(password) < 12:
        raise OutputError("the delivery password is too short", hint="use at least 12 characters")
    target = package.with_name(package.name + ".zip")
    if target.exists() and not force:
        raise OutputError("the encrypted archive already exists", path=str(target), hint="pass --force to replace it")
    remove_stale(package)  # archives of killed runs
    tmp = package.with_name(f".{package.name}.zip.partial-{secrets.token_hex(4)}")
    lock: int | None = None
    try:
        with tmp.open("xb") as fh:
            lock = _lock(tmp)
            with pyzipper.AESZipFile(fh, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
                zf.setpassword(password.encode("utf-8"))
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
                for path in sorted(p for p in package.rglob("*") if p.is_file()):
                    zf.write(path, (Path(package.name) / path.relative_to(package)).as_posix())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _unlock(lock)
    return target
