"""``exporter verify`` (a package against its manifest, schemas and signature) and ``exporter audit``
(the configuration's coverage: every column exported or excluded with a reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExporterError
from .app import app
from .output import echo_json, fail, setup_logging

__all__ = ["audit", "verify"]


@app.command(epilog="""Example:

  exporter verify packages/DSAR-2026-0042

  exporter verify packages/DSAR-2026-0042 --public-key signing.pub.pem --json""")
def verify(
    package: Annotated[Path, typer.Argument(metavar="PACKAGE", help="Package folder.")],
    public_key: Annotated[Path | None, typer.Option("--public-key", metavar="PEM", help="Ed25519 public key (PEM): also check the manifest signature.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON on stdout (schemas/cli/verify.json).")] = False,
) -> None:
    """Check a package: every file against the manifest, documents against their schemas, the signature."""
    import orjson

    from ..packaging.package import verify as check

    if not (package / "manifest.json").is_file() and not package.is_dir():
        message = f"no package folder at {package}"
        typer.echo(f"error: {message}", err=True)
        if as_json:
            echo_json({"ok": False, "package": str(package), "files": 0, "signature": "not_checked",
                        "problems": [message]})
        raise typer.Exit(6)
    problems = check(package, public_key=public_key)
    try:
        listed = orjson.loads((package / "manifest.json").read_bytes()).get("files")
        files = len(listed) + 1 if isinstance(listed, list) else 0  # + the manifest itself
    except (OSError, orjson.JSONDecodeError, AttributeError):
        files = 0
    signature = ("not_checked" if public_key is None
                 else "invalid" if any("signed" in p or "signature" in p or "public key" in p for p in problems)
                 else "valid")
    if as_json:
        echo_json({"ok": not problems, "package": str(package), "files": files, "signature": signature,
                    "problems": problems})
    else:
        for p in problems:
            typer.echo(p, err=True)
    if problems:
        typer.echo(f"FAILED: {len(problems)} problem(s) in {package} ({files} files)", err=True)
        raise typer.Exit(6)
    if not as_json:
        signed = {"valid": "; signature valid", "not_checked": "; signature not checked (no --public-key)"}
        typer.echo(f"ok: {files} files match the manifest, documents match their schemas{signed[signature]} "
                   f"({package})")


@app.command(epilog="""Example:

  exporter audit --config exporter.toml --strict""")
def audit(
    config: Annotated[Path, typer.Option("--config", "-c", metavar="FILE", help="Configuration TOML file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the audit as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 7 when a column is neither exported nor excluded with a reason, or a read could not be inspected.")] = False,
    sample: Annotated[list[str] | None, typer.Option("--sample", "-s", metavar="TYPE:VALUE", help="Identifier TYPE:VALUE of a test subject, for sample reads of HTTP sources; repeatable.")] = None,
) -> None:
    """Coverage audit: every column of every configured source — exported (where to), excluded (why) or NOT exported."""
    setup_logging(False, True)
    from ..audit import audit as run_audit
    from ..audit.report import report_json

    try:
        report = run_audit(config, sample=sample or ())
    except ExporterError as exc:
        fail(exc)
    typer.echo(report_json(report) if as_json else report.to_text())
    if strict and not report.clean:
        raise typer.Exit(7)
