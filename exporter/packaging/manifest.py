"""The package's manifest (``manifest.json``, ``schemas/manifest.json``): the size and SHA-256 of
every other file, whether the export was complete, the acknowledged blocking findings and an
optional Ed25519 signature; and ``verify``, which checks a package against it (changed, missing or
extra files, documents that break their schema, a bad or missing signature).
"""

from __future__ import annotations

import base64
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from .. import testhooks
from ..schemas import check_against
from ..collect.writers import FileInfo, dumps, sha256_file, write_file
from ..errors import OutputError

__all__ = ["MANIFEST", "MANIFEST_FORMAT", "verify", "write_manifest"]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "piconext-access-manifest/1"


def write_manifest(root: Path, files: list[FileInfo], *, generated_at: str, request_id: str,
                   incomplete: list[dict[str, Any]] | None = None, sign_key: Path | None = None,
                   acknowledged: list[str] | None = None) -> FileInfo:
    testhooks.reached("manifest")
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
    from ..schemas import RecordValidator

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
