"""The command line: help, catalog, schemas, samples wiring, and export errors as exit codes and
one-line messages (never a traceback, never subject data)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from exporter import demo
from exporter.law.catalog import load_catalog
from exporter.cli import app
from exporter.resources import schemas_dir

COMMANDS = ["export", "demo", "verify", "audit", "schemas", "catalog", "samples", "export-batch"]
NOW = "2026-11-25T10:00:00Z"
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=WIDE, input=input)


def flat(text: str) -> str:
    """Help text without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def assert_clean_error(result: Result, code: int, *phrases: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    err = result.stderr
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for phrase in phrases:
        assert phrase in err, err
    assert result.stdout == ""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = demo.build_demo_store(tmp_path_factory.mktemp("cli") / "store", heavy_events=100)
    return demo.demo_config_path(store)


# ------------------------------------------------------------------------------------------------
# help


def test_help_lists_every_command_with_one_line_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    for name in COMMANDS:
        command = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == name)  # type: ignore[union-attr]
        doc = (command.callback.__doc__ or "").strip()  # type: ignore[union-attr]
        first = doc.splitlines()[0]
        assert first.endswith("."), name  # one line of help per command
        assert f"{name} {first}" in text, name
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}  # type: ignore[union-attr]
    assert registered == set(COMMANDS), "a new command must be added to COMMANDS (and documented)"


def test_no_arguments_shows_help() -> None:
    result = run()
    assert "Usage" in result.output and "export" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name: str) -> None:
    result = run(name, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_console_script_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "exporter", "--help"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0 and "samples" in done.stdout


# ------------------------------------------------------------------------------------------------
# catalog and schemas


def test_catalog_table_shows_what_why_retention_recipients() -> None:
    result = run("catalog")
    assert result.exit_code == 0
    text = flat(result.stdout)
    for head in ("Category", "What", "Why: purpose — legal basis", "Retention", "Recipients"):
        assert head in text
    for cat in load_catalog():
        assert cat.id in text
    assert "GDPR Art. 6(1)(b)" in text and "§4A" in text


def test_catalog_json(config: Path) -> None:
    result = run("catalog", "--json", "--config", str(config))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["categories"]] == [c.id for c in load_catalog()]
    cards = next(c for c in data["categories"] if c["id"] == "payment_cards")
    assert cards["purposes"] and cards["purposes"][0]["basis_cite"]
    assert cards["retention"]["text"] and cards["retention"]["policy"]
    assert all("title" in r and "names" in r for r in cards["recipients"])
    assert data["controller"]["name"] == "PicoNext"


def test_catalog_with_a_bad_config_fails_cleanly(tmp_path: Path) -> None:
    assert_clean_error(run("catalog", "--config", str(tmp_path / "missing.toml")), 2, "configuration file not found")


def test_schemas_writes_every_schema(tmp_path: Path) -> None:
    result = run("schemas", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0 and result.stdout.strip() == str(tmp_path / "s")
    want = sorted(p.relative_to(schemas_dir()).as_posix() for p in schemas_dir().rglob("*.json"))
    got = sorted(p.relative_to(tmp_path / "s").as_posix() for p in (tmp_path / "s").rglob("*.json"))
    assert got == want and "bundle.json" in got and "categories/orders.json" in got
    for rel in got:
        assert (tmp_path / "s" / rel).read_bytes() == (schemas_dir() / rel).read_bytes()


# ------------------------------------------------------------------------------------------------
# export


def export_args(config: Path, out: Path, *extra: str, subject: str = demo.DEMO_SUBJECTS["sparse"]) -> list[str]:
    return ["export", "--config", str(config), "--subject", subject, "--jurisdiction", "eu",
            "--out", str(out), "--now", NOW, "--received", "2026-11-02", "--no-pdf", "--no-html", *extra]


def test_export_prints_the_package_path(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(config, tmp_path, "--request-id", "R-1"))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path.resolve() / 'R-1'}\n"
    assert "records in" in result.stderr and "warning" not in result.stderr
    assert (tmp_path / "R-1" / "bundle.json").is_file() and not (tmp_path / "R-1" / "report.pdf").exists()


def test_bad_config_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert_clean_error(run(*export_args(missing, tmp_path)), 2, "configuration file not found", str(missing))


def test_config_that_is_not_toml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sources\n", encoding="utf-8")
    assert_clean_error(run(*export_args(bad, tmp_path)), 2, "not valid TOML", str(bad))


def test_unknown_jurisdiction(config: Path, tmp_path: Path) -> None:
    args = export_args(config, tmp_path)
    args[args.index("eu")] = "mars"
    assert_clean_error(run(*args), 2, "unknown jurisdiction 'mars'", "eu")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("subject", ["jane", "email:", ":x", "Email:jane@example.com"])
def test_bad_identifier_syntax(config: Path, tmp_path: Path, subject: str) -> None:
    assert_clean_error(run(*export_args(config, tmp_path, subject=subject)), 2, "TYPE:VALUE")


def test_identifier_type_not_allowed_to_name_a_subject(config: Path, tmp_path: Path) -> None:
    assert_clean_error(run(*export_args(config, tmp_path, subject="device_id:D-1")), 2, "device_id", "email")


def test_bad_dates_and_verification(config: Path, tmp_path: Path) -> None:
    args = export_args(config, tmp_path)
    args[args.index("2026-11-02")] = "02.11.2026"
    assert_clean_error(run(*args), 2, "--received")
    args = export_args(config, tmp_path)
    args[args.index(NOW)] = "yesterday"
    assert_clean_error(run(*args), 2, "--now")
    assert_clean_error(run(*export_args(config, tmp_path, "--verification", "maybe")), 2, "verification level")


def test_unknown_subject_gets_a_warning_and_a_package(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(config, tmp_path, "--request-id", "N-1", subject="email:nobody@example.org"))
    assert result.exit_code == 0, result.output
    assert "warning: no personal data matched" in result.stderr
    assert "nobody@example.org" not in result.stderr  # no subject data in messages
    bundle = json.loads((tmp_path / "N-1" / "bundle.json").read_text(encoding="utf-8"))
    assert bundle["summary"]["records"] == 0 and bundle["warnings"]


def test_unknown_subject_with_strict_exits_5(config: Path, tmp_path: Path) -> None:
    result = run(*export_args(config, tmp_path, "--strict", "--request-id", "N-2", subject="nobody@example.org"))
    assert_clean_error(result, 5, "no personal data matches")
    assert not (tmp_path / "N-2").exists()


def test_existing_package_exits_6_unless_forced(config: Path, tmp_path: Path) -> None:
    assert run(*export_args(config, tmp_path, "--request-id", "R-2")).exit_code == 0
    assert_clean_error(run(*export_args(config, tmp_path, "--request-id", "R-2")), 6, "already exists", "--force")
    assert run(*export_args(config, tmp_path, "--request-id", "R-2", "--force")).exit_code == 0


def test_unexpected_errors_are_one_line_without_details(config: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("jane.doe@example.com")  # a bug whose message holds subject data

    monkeypatch.setattr("exporter.api.export", boom)
    result = run(*export_args(config, tmp_path))
    assert_clean_error(result, 1, "unexpected internal error (KeyError)", "--verbose")
    assert "jane.doe" not in result.output
    verbose = run(*export_args(config, tmp_path, "--verbose"))
    assert verbose.exit_code == 1 and isinstance(verbose.exception, KeyError)  # --verbose: the real error


def test_verify(config: Path, tmp_path: Path) -> None:
    assert run(*export_args(config, tmp_path, "--request-id", "V-1")).exit_code == 0
    ok = run("verify", str(tmp_path / "V-1"))
    assert ok.exit_code == 0 and ok.stdout.startswith("ok")
    (tmp_path / "V-1" / "bundle.json").write_text("{}", encoding="utf-8")
    bad = run("verify", str(tmp_path / "V-1"))
    assert bad.exit_code == 6 and "changed file: bundle.json" in bad.stderr
    assert run("verify", str(tmp_path / "missing")).exit_code == 6


# ------------------------------------------------------------------------------------------------
# samples (the full regeneration is tests/test_samples.py)


def test_samples_command_passes_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from exporter import samples

    seen: dict[str, object] = {}

    def fake(out: Path, **kw: object) -> Path:
        seen.update(out=out, **kw)
        return Path(out) / "samples"

    monkeypatch.setattr(samples, "generate_samples", fake)
    result = run("samples", "--out", str(tmp_path), "--no-pdf", "--jobs", "2", "-q")
    assert result.exit_code == 0 and result.stdout == f"{tmp_path / 'samples'}\n"
    assert seen["pdf"] is False and seen["html"] is True and seen["jobs"] == 2 and seen["now"] is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    run("samples", "--out", str(tmp_path), "-q")
    assert seen["now"] == dt.datetime.fromtimestamp(1795000000, dt.UTC)
    run("samples", "--out", str(tmp_path), "-q", "--now", NOW)
    assert seen["now"] == dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)
