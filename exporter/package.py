"""Package directory life cycle: temp dir → files → manifest → fsync → atomic rename; verify.

A package is never visible half-written: everything is written into ``.<name>.partial-*`` beside
the final folder (same filesystem) and renamed into place as the last step. An existing package is
replaced only when asked (``force``), and then also without a moment where neither exists whole.
"""

from __future__ import annotations

import base64
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

__all__ = ["staging", "write_manifest", "verify", "encrypt_package", "MANIFEST", "MANIFEST_FORMAT"]

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


def write_manifest(root: Path, files: list[FileInfo], *, generated_at: str, request_id: str,
                   incomplete: list[dict[str, Any]] | None = None, sign_key: Path | None = None) -> FileInfo:
    manifest = {
        "format": MANIFEST_FORMAT,
        "request_id": request_id,
        "generated_at": generated_at,
        "complete": not incomplete,
        "incomplete": incomplete or [],
        "algorithm": "sha256",
        "files": sorted(files, key=lambda f: f["path"]),
    }
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
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig = manifest.pop("signature", None)
    if not isinstance(sig, dict):
        return ["the manifest is not signed"]
    key = serialization.load_pem_public_key(public_key.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        return ["the public key is not an Ed25519 key"]
    try:
        key.verify(base64.b64decode(sig.get("value", "")), dumps(manifest, indent=True))
    except (InvalidSignature, ValueError):
        return ["the manifest signature does not verify with this public key"]
    return []


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    if schemas:
        problems += _check_documents(package, manifest)
    if public_key is not None:
        problems += _check_signature(dict(manifest), public_key)
    return problems


def _check_documents(package: Path, manifest: dict[str, Any]) -> list[str]:
    """bundle.json, the manifest and every data file against the shipped schemas."""
    from .errors import ExporterError
    from .schemas import RecordValidator

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
            validator = RecordValidator.for_category(data.stem)
        except ExporterError:
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
    tmp = package.with_name(f".{package.name}.zip.partial-{secrets.token_hex(4)}")
    try:
        with pyzipper.AESZipFile(tmp, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES) as zf:
            zf.setpassword(password.encode("utf-8"))
            zf.setencryption(pyzipper.WZ_AES, nbits=256)
            for path in sorted(p for p in package.rglob("*") if p.is_file()):
                zf.write(path, (Path(package.name) / path.relative_to(package)).as_posix())
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
