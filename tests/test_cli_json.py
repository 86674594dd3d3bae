"""The CLI as people expect from a typer/rich tool: --version, --json machine output on export,
verify and export-batch (validated against the shipped schemas/cli/*.json), a one-line verify
summary, shell completion, an example in every command's help, clean flag display. Everything runs
the real CLI (typer's CliRunner, or a subprocess for the console script) against the demo store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from typer.testing import CliRunner

from exporter import __version__, demo
from exporter.cli import app
from exporter.resources import schemas_dir

from test_cli import COMMANDS, NOW, WIDE, flat

CLI_SCHEMAS = ("error", "export", "verify", "export-batch")


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=WIDE)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = demo.build_demo_store(tmp_path_factory.mktemp("clijson") / "store", heavy_events=100)
    return demo.demo_config_path(store)


def validator(name: str) -> Draft202012Validator:
    schemas = {n: json.loads((schemas_dir() / "cli" / f"{n}.json").read_text(encoding="utf-8")) for n in CLI_SCHEMAS}
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return Draft202012Validator(schemas[name], registry=registry, format_checker=FormatChecker())


def valid(name: str, stdout: str) -> dict[str, Any]:
    data = json.loads(stdout)  # the whole of stdout is one JSON document
    errors = sorted(validator(name).iter_errors(data), key=str)
    assert not errors, [e.message for e in errors]
    return data  # type: ignore[no-any-return]


def export_args(config: Path, out: Path, *extra: str, subject: str = demo.DEMO_SUBJECTS["sparse"]) -> list[str]:
    return ["export", "--config", str(config), "--subject", subject, "--jurisdiction", "eu", "--out", str(out),
            "--now", NOW, "--received", "2026-11-02", "--no-pdf", "--no-html", *extra]


# ------------------------------------------------------------------------------------------------
# the schemas themselves


@pytest.mark.parametrize("name", CLI_SCHEMAS)
def test_cli_schemas_are_valid_2020_12(name: str) -> None:
    schema = json.loads((schemas_dir() / "cli" / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(f"/cli/{name}.json")


def test_schemas_reject_what_they_should() -> None:
    assert list(validator("verify").iter_errors({"ok": True, "package": "p", "files": 3, "signature": "not_checked",
                                                 "problems": ["changed file: bundle.json"]}))
    assert list(validator("export").iter_errors({"ok": True}))
    assert list(validator("export-batch").iter_errors({"ok": False}))


# ------------------------------------------------------------------------------------------------
# --version, completion, help


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"exporter {__version__}\n"


def test_version_of_the_console_script() -> None:
    done = subprocess.run([sys.executable, "-m", "exporter", "--version"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.startswith("exporter ") and __version__ in done.stdout


def test_shell_completion_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    text = flat(run("--help").stdout)
    assert "--install-completion" in text and "--show-completion" in text
    # typer's own switch: --show-completion takes the shell as a value instead of detecting the
    # parent process's shell (which depends on how the tests were started)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = run("--show-completion", "bash")
    assert shown.exit_code == 0 and "complete" in shown.stdout and "_EXPORTER_COMPLETE" in shown.stdout, (
        shown.exit_code, shown.output, repr(shown.exception))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_help_has_an_example_and_no_type_markers(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    assert "Example:" in text and f"exporter {name}" in text.split("Example:", 1)[1]
    assert "<bool>" not in text and "<str>" not in text and "<list[str]>" not in text
    assert "--no-force" not in text and "--no-strict" not in text and "--no-rebuild" not in text


def test_options_with_values_show_a_metavar() -> None:
    text = flat(run("export", "--help").stdout)
    for shown in ("-c FILE", "-s TYPE:VALUE", "-j CODE", "-o DIR", "--received DATE", "--now TIME"):
        assert re.search(re.escape(shown).replace(r"\ ", r"\s+"), text), shown


def test_demo_jurisdiction_has_help() -> None:
    text = flat(run("demo", "--help").stdout)
    assert re.search(r"--jurisdiction\s+-j\s+CODE\s+Law to answer under: eu \| uk \| ca \| ut", text), text


# ------------------------------------------------------------------------------------------------
# export --json


def test_export_json_is_the_result(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(config, tmp_path, "--request-id", "J-1", "--json"))
    assert result.exit_code == 0, result.output
    data = valid("export", result.stdout)
    assert data["ok"] is True and data["request_id"] == "J-1" and data["path"] == str(tmp_path.resolve() / "J-1")
    assert data["records"] == sum(data["counts"].values()) > 0
    assert data["complete"] is data["coverage"]["complete"]
    assert "manifest.json" in data["files"] and data["encrypted"] is None
    assert demo.DEMO_SUBJECTS["sparse"].split(":")[-1] not in result.stdout  # no subject data


def test_export_json_of_an_unknown_subject_carries_the_warning(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(config, tmp_path, "--request-id", "J-2", "--json", subject="email:nobody@example.org"))
    assert result.exit_code == 0, result.output
    data = valid("export", result.stdout)
    assert data["records"] == 0 and any("no personal data matched" in w for w in data["warnings"])
    assert result.stderr.count("no personal data matched") == 1  # printed once


def test_export_json_error(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(tmp_path / "missing.toml", tmp_path, "--json"))
    assert result.exit_code == 2
    data = valid("export", result.stdout)
    assert data == {"ok": False, "error": data["error"]}
    assert data["error"]["code"] == "config" and data["error"]["exit_code"] == 2
    assert data["error"]["context"]["file"] == str(tmp_path / "missing.toml")
    assert result.stderr.startswith("error: configuration file not found")


# ------------------------------------------------------------------------------------------------
# verify: one-line summary and --json


def test_verify_summary_and_json(config: Path, tmp_path: Path) -> None:
    assert run(*export_args(config, tmp_path, "--request-id", "V-1")).exit_code == 0
    pkg = tmp_path / "V-1"
    files = len(json.loads((pkg / "manifest.json").read_text(encoding="utf-8"))["files"]) + 1
    ok = run("verify", str(pkg))
    assert ok.exit_code == 0 and ok.stdout.count("\n") == 1
    assert ok.stdout.startswith(f"ok: {files} files match the manifest") and "signature not checked" in ok.stdout

    data = valid("verify", run("verify", str(pkg), "--json").stdout)
    assert data == {"ok": True, "package": str(pkg), "files": files, "signature": "not_checked", "problems": []}

    (pkg / "bundle.json").write_text("{}", encoding="utf-8")
    bad = run("verify", str(pkg))
    assert bad.exit_code == 6 and bad.stdout == ""
    assert bad.stderr.splitlines()[-1].startswith("FAILED: ") and "changed file: bundle.json" in bad.stderr
    bad_json = run("verify", str(pkg), "--json")
    assert bad_json.exit_code == 6
    data = valid("verify", bad_json.stdout)
    assert data["ok"] is False and "changed file: bundle.json" in data["problems"]

    missing = run("verify", str(tmp_path / "nope"), "--json")
    assert missing.exit_code == 6 and valid("verify", missing.stdout)["ok"] is False


def test_verify_reports_the_signature(config: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (tmp_path / "k.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    out = tmp_path / "out"
    assert run(*export_args(config, out, "--request-id", "S-1", "--sign-key", str(tmp_path / "k.pem"))).exit_code == 0
    ok = run("verify", str(out / "S-1"), "--public-key", str(tmp_path / "k.pub"))
    assert ok.exit_code == 0 and "signature valid" in ok.stdout
    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "other.pub").write_bytes(other.public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    bad = run("verify", str(out / "S-1"), "--public-key", str(tmp_path / "other.pub"), "--json")
    assert bad.exit_code == 6 and valid("verify", bad.stdout)["signature"] == "invalid"


# ------------------------------------------------------------------------------------------------
# export-batch --json


def test_export_batch_json(config: Path, tmp_path: Path) -> None:
    csv = tmp_path / "requests.csv"
    csv.write_text("subject,jurisdiction,received,request_id\n"
                   f"{demo.DEMO_SUBJECTS['sparse']},eu,2026-11-02,B-1\n"
                   f"{demo.DEMO_SUBJECTS['sparse']},mars,2026-11-02,B-2\n", encoding="utf-8")
    result = run("export-batch", str(csv), "--config", str(config), "--out", str(tmp_path / "out"), "--jobs", "1",
                 "--now", NOW, "--no-pdf", "--no-html", "--json", "--quiet")
    assert result.exit_code == 2, result.output  # B-2's unknown jurisdiction
    data = valid("export-batch", result.stdout)
    assert (data["ok"], data["requests"], data["exported"], data["failed"]) == (False, 2, 1, 1)
    first, second = data["outcomes"]
    assert first["request_id"] == "B-1" and first["ok"] and first["path"] == str((tmp_path / "out" / "B-1").resolve())
    assert first["records"] > 0 and first["error"] is None and first["exit_code"] == 0
    assert second["request_id"] == "B-2" and not second["ok"] and "unknown jurisdiction" in second["error"]
    assert demo.DEMO_SUBJECTS["sparse"].split(":")[-1] not in result.stdout


def test_export_batch_json_bad_requests_file(config: Path, tmp_path: Path) -> None:
    csv = tmp_path / "requests.csv"
    csv.write_text("who,when\n", encoding="utf-8")
    result = run("export-batch", str(csv), "--config", str(config), "--json")
    assert result.exit_code == 2
    data = valid("export-batch", result.stdout)
    assert data["ok"] is False and "lacks the column" in data["error"]["message"]
