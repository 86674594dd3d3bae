"""``exporter verify PACKAGE`` end to end (issue #8, part 3): tampering is found and named;
signatures made with a key generated here verify with the right public key only."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from ministore import ANN, MiniStore
from typer.testing import CliRunner

from exporter import AccessRequest, export
from exporter.api import ExportOptions
from exporter.cli import app

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def keypair(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    return {"right": keypair(folder, "right"), "wrong": keypair(folder, "wrong")}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, tuple[Path, Path]]) -> Path:
    root = tmp_path_factory.mktemp("verify")
    store = MiniStore(root / "store")
    request = AccessRequest.parse([ANN["email"]], jurisdiction="eu", request_id="SIGNED")
    result = export(request, store.config, root / "out",
                    ExportOptions(now=NOW, pdf=False, html=False, sign_key=keys["right"][0]))
    return result.path


@pytest.fixture()
def package(signed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / signed.name
    shutil.copytree(signed, copy)
    return copy


def verify_cli(package: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", str(package), *extra])
    return result.exit_code, result.output


def test_intact_package_verifies(package: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    code, output = verify_cli(package)
    assert code == 0 and "ok" in output
    code, output = verify_cli(package, "--public-key", str(keys["right"][1]))
    assert code == 0 and "ok" in output


def test_changed_data_file(package: Path) -> None:
    data = package / "data" / "personalisation.jsonl"
    data.write_bytes(data.read_bytes().replace(b'"dark"', b'"lite"', 1))
    code, output = verify_cli(package)
    assert code == 6
    assert "changed file: data/personalisation.jsonl" in output


def test_changed_bundle(package: Path) -> None:
    bundle = orjson.loads((package / "bundle.json").read_bytes())
    bundle["summary"]["records"] += 1
    (package / "bundle.json").write_bytes(orjson.dumps(bundle))
    code, output = verify_cli(package)
    assert code == 6 and "changed file: bundle.json" in output
    del bundle["format"]
    (package / "bundle.json").write_bytes(orjson.dumps(bundle))
    code, output = verify_cli(package)
    assert code == 6 and "changed file: bundle.json" in output and "bundle.json breaks its schema" in output


def test_removed_and_added_files(package: Path) -> None:
    (package / "data" / "account.csv").unlink()
    (package / "notes.txt").write_text("added later")
    (package / "data" / "unknown.jsonl").write_text("{}\n")
    code, output = verify_cli(package)
    assert code == 6
    assert "missing file: data/account.csv" in output
    assert "extra file not in the manifest: notes.txt" in output
    assert "extra file not in the manifest: data/unknown.jsonl" in output


def test_missing_manifest_and_not_a_package(package: Path, tmp_path: Path) -> None:
    (package / "manifest.json").unlink()
    code, output = verify_cli(package)
    assert code == 6 and "manifest.json is missing" in output
    code, output = verify_cli(tmp_path / "nothing-here")
    assert code == 6 and "no package folder" in output


def _change_data_and_rewrite_manifest(package: Path) -> None:
    """Change a data file and rewrite manifest.json to match it: consistent again, so only a
    signature can tell."""
    data = package / "data" / "personalisation.jsonl"
    data.write_bytes(data.read_bytes().replace(b'"dark"', b'"lite"', 1))
    manifest = orjson.loads((package / "manifest.json").read_bytes())
    for f in manifest["files"]:
        if f["path"] == "data/personalisation.jsonl":
            f["bytes"], f["sha256"] = data.stat().st_size, hashlib.sha256(data.read_bytes()).hexdigest()
    (package / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def test_manifest_rewritten_to_match_is_caught_only_by_the_signature(
        package: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    _change_data_and_rewrite_manifest(package)
    code, _ = verify_cli(package)
    assert code == 0  # consistent again: only a signature can tell
    code, output = verify_cli(package, "--public-key", str(keys["right"][1]))
    assert code == 6 and "signature does not verify" in output


def test_wrong_key_unsigned_package_and_bad_key_file(
        package: Path, keys: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    code, output = verify_cli(package, "--public-key", str(keys["wrong"][1]))
    assert code == 6 and "signature does not verify" in output
    bad = tmp_path / "garbage.pem"
    bad.write_text("not a key")
    code, output = verify_cli(package, "--public-key", str(bad))
    assert code == 6 and "cannot read the public key" in output
    manifest = orjson.loads((package / "manifest.json").read_bytes())
    del manifest["signature"]
    (package / "manifest.json").write_bytes(orjson.dumps(manifest))
    code, output = verify_cli(package, "--public-key", str(keys["right"][1]))
    assert code == 6 and "not signed" in output


def test_manifest_pointing_outside_the_package(package: Path) -> None:
    manifest = orjson.loads((package / "manifest.json").read_bytes())
    manifest["files"].append({"path": "../../etc/passwd", "bytes": 1, "sha256": "0" * 64})
    manifest["files"].append({"path": "data/x", "bytes": "many"})
    (package / "manifest.json").write_bytes(orjson.dumps(manifest))
    code, output = verify_cli(package)
    assert code == 6
    assert "lists a path outside the package: '../../etc/passwd'" in output
    assert "malformed file entry" in output


def test_the_library_checks_the_signature_with_a_public_key(
        package: Path, keys: dict[str, tuple[Path, Path]]) -> None:
    from exporter import verify_package

    assert verify_package(package, public_key=keys["right"][1]) == []
    assert any("signature does not verify" in p for p in verify_package(package, public_key=keys["wrong"][1]))
    _change_data_and_rewrite_manifest(package)
    assert verify_package(package) == []  # consistent again: only the signature tells
    assert any("signature does not verify" in p for p in verify_package(str(package), public_key=str(keys["right"][1])))
