"""Command line: a thin typer layer over :mod:`exporter.api`."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from .errors import ExporterError

app = typer.Typer(
    name="exporter",
    help="PicoNext right-of-access exporter: machine-readable JSON bundle + readable PDF (GDPR Art. 15, UK GDPR, CCPA).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("exporter")


def _fail(exc: ExporterError) -> NoReturn:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(exc.exit_code)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: {name} must be a date like 2026-11-02", err=True)
        raise typer.Exit(2) from None


def _instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        typer.echo("error: --now must be an RFC 3339 time like 2026-11-25T10:00:00Z", err=True)
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr, force=True)


@app.command()
def export(
    config: Annotated[Path, typer.Option("--config", "-c", help="Configuration TOML file.")],
    subject: Annotated[list[str], typer.Option("--subject", "-s", help="Identifier TYPE:VALUE (or a bare e-mail); repeatable.")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", help="eu | uk | ca | ut (a rules file).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the package folder into.")] = Path("out"),
    received: Annotated[Optional[str], typer.Option(help="Date the request was received (YYYY-MM-DD); default today.")] = None,
    request_id: Annotated[Optional[str], typer.Option("--request-id", help="Request reference; default derived from the request.")] = None,
    verification: Annotated[str, typer.Option(help="verified | reasonably_high | reasonable (11 CCR §7062).")] = "verified",
    country: Annotated[Optional[str], typer.Option(help="Subject's country (ISO alpha-2), names the EU supervisory authority.")] = None,
    now: Annotated[Optional[str], typer.Option(help="Fixed generation time (RFC 3339) for reproducible packages; also SOURCE_DATE_EPOCH.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing package folder.")] = False,
    strict: Annotated[bool, typer.Option(help="Fail (exit 5) instead of writing a 'nothing held' package for an unknown subject.")] = False,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Complete the package when a source fails, marking the categories it feeds incomplete.")] = False,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="Ed25519 private key (PEM) to sign manifest.json.")] = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Also write <package>.zip, AES-256 encrypted, for delivery.")] = False,
    password_env: Annotated[Optional[str], typer.Option("--password-env", help="Environment variable holding the zip password (never pass it on the command line).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the zip password from standard input.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Export the access package for one subject."""
    _setup_logging(verbose, quiet)
    from .api import AccessRequest
    from .api import export as run

    try:
        request = AccessRequest.parse(
            subject, jurisdiction=jurisdiction, received=_date(received, "--received"),
            request_id=request_id, verification=verification, country=country)
        password = _password(password_env, password_stdin) if encrypt else None
        result = run(request, config, out, now=_instant(now), force=force, strict=strict,
                     allow_partial=allow_partial, sign_key=sign_key)
        if password is not None:
            from .package import encrypt_package

            typer.echo(f"encrypted copy: {encrypt_package(result.path, password, force=force)}", err=True)
    except ExporterError as exc:
        _fail(exc)
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)
    if not quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories", err=True)
    typer.echo(str(result.path))


@app.command()
def demo(
    dir: Annotated[Path, typer.Option("--dir", help="Folder for the demo store and packages.")] = Path("exporter-demo"),
    subject: Annotated[Optional[str], typer.Option("--subject", "-s", help="Demo subject identifier; default the typical customer.")] = None,
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j")] = "eu",
    rebuild: Annotated[bool, typer.Option(help="Rebuild the demo store even if it exists.")] = False,
    now: Annotated[Optional[str], typer.Option(help="Fixed generation time (RFC 3339).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Build the demo store (if missing) and export a package for a demo subject."""
    _setup_logging(False, quiet)
    from . import demo as demo_store
    from .api import AccessRequest
    from .api import export as run

    store = dir / "store"
    try:
        config = demo_store.demo_config_path(store)
        if rebuild or not config.is_file():
            if not quiet:
                typer.echo(f"building the demo store in {store} …", err=True)
            config = demo_store.demo_config_path(demo_store.build_demo_store(store))
        request = AccessRequest.parse([subject or demo_store.DEFAULT_DEMO_SUBJECT], jurisdiction=jurisdiction)
        result = run(request, config, dir / "packages", now=_instant(now), force=True)
    except ExporterError as exc:
        _fail(exc)
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)
    if not quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories; package:", err=True)
    typer.echo(str(result.path))


def _password(env_name: str | None, stdin: bool) -> str:
    import os

    from .errors import RequestError

    if stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif env_name:
        value = os.environ.get(env_name, "")
        if not value:
            raise RequestError(f"environment variable {env_name} holding the zip password is not set")
    else:
        raise RequestError("--encrypt needs --password-env NAME or --password-stdin")
    return value


@app.command()
def verify(
    package: Annotated[Path, typer.Argument(help="Package folder.")],
    public_key: Annotated[Optional[Path], typer.Option("--public-key", help="Ed25519 public key (PEM): also check the manifest signature.")] = None,
) -> None:
    """Check a package: every file against the manifest, documents against their schemas, the signature."""
    from .package import verify as check

    if not (package / "manifest.json").is_file() and not package.is_dir():
        typer.echo(f"error: no package folder at {package}", err=True)
        raise typer.Exit(6)
    problems = check(package, public_key=public_key)
    for p in problems:
        typer.echo(p, err=True)
    if problems:
        raise typer.Exit(6)
    typer.echo("ok: every file matches the manifest")


@app.command()
def schemas(out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the JSON Schemas to.")]) -> None:
    """Write the JSON Schemas (categories, bundle, manifest, config)."""
    import shutil

    from .resources import schemas_dir

    src = schemas_dir()
    for path in sorted(src.rglob("*.json")):
        target = out / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    typer.echo(str(out))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
