"""``exporter export`` (one subject's access package, from the options to the printed outcome) and
``exporter demo`` (the same against the demo store). Exit codes: see :mod:`exporter.cli`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ExporterError
from . import values
from .app import app
from .output import crash, echo_json, fail, finding_line, setup_logging

if TYPE_CHECKING:
    from ..api import AccessRequest, ExportOptions
    from ..result import ExportResult

__all__ = ["EXPORT_EXAMPLE", "ExportArgs", "demo", "export", "pdf_renderer"]

EXPORT_EXAMPLE = """Example:

  exporter export --config exporter.toml --subject email:jane.doe@example.com --jurisdiction uk --received 2026-11-02 --request-id DSAR-2026-0042 --out packages/

  exporter export -c exporter.toml -s email:jane.doe@example.com -j eu --json   (the result as JSON)"""


@app.command(epilog=EXPORT_EXAMPLE)
def export(
    config: Annotated[Path, typer.Option("--config", "-c", metavar="FILE", help="Configuration TOML file.")],
    subject: Annotated[list[str], typer.Option("--subject", "-s", metavar="TYPE:VALUE", help="Identifier TYPE:VALUE (or a bare e-mail); repeatable.")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", metavar="CODE", help="eu | uk | ca | ut (a rules file).")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the package folder into.")] = Path("out"),
    received: Annotated[str | None, typer.Option(metavar="DATE", help="Date the request was received (YYYY-MM-DD); default today.")] = None,
    request_id: Annotated[str | None, typer.Option("--request-id", metavar="ID", help="Request reference; default derived from the request.")] = None,
    verification: Annotated[str, typer.Option(metavar="LEVEL", help="verified | reasonably_high | reasonable (11 CCR §7062).")] = "verified",
    country: Annotated[str | None, typer.Option(metavar="CC", help="Subject's country (ISO alpha-2), names the EU supervisory authority.")] = None,
    now: Annotated[str | None, typer.Option(metavar="TIME", help="Fixed generation time (RFC 3339) for reproducible packages; also SOURCE_DATE_EPOCH.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing package folder.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 5) instead of writing a 'nothing held' package for an unknown subject.")] = False,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Accept a partial package: complete it when a source fails, marking the categories it feeds incomplete, and exit 0 when some category was not searched (no configured source; otherwise exit 7).")] = False,
    sign_key: Annotated[Path | None, typer.Option("--sign-key", metavar="PEM", help="Ed25519 private key (PEM) to sign manifest.json.")] = None,
    encrypt: Annotated[bool, typer.Option("--encrypt", help="Also write <package>.zip, AES-256 encrypted, for delivery.")] = False,
    password_env: Annotated[str | None, typer.Option("--password-env", metavar="NAME", help="Environment variable holding the zip password (never pass it on the command line).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the zip password from standard input.")] = False,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Do not write report.pdf.")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write index.html.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout (schemas/cli/export.json) instead of the package path.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress; show tracebacks of internal errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors and the package path only.")] = False,
    extension: Annotated[int | None, typer.Option("--extension", metavar="N", rich_help_panel="The request's life", help="Extend the deadline by N months (EU/UK) or days (CA/UT); needs --extension-reason, told to the subject.")] = None,
    extension_reason: Annotated[str | None, typer.Option("--extension-reason", metavar="TEXT", rich_help_panel="The request's life", help="Why the deadline was extended (GDPR/UK GDPR Art. 12(3); CCPA §1798.130(a)(2)).")] = None,
    clock_stop: Annotated[list[str] | None, typer.Option("--clock-stop", metavar="FROM:TO:REASON", rich_help_panel="The request's life", help="Stop-the-clock (UK GDPR Art. 12A): paused from the day we asked to the day the answer arrived, and what we asked for; repeatable. Refused where the law has none, or when it starts after the deadline.")] = None,
    clarification: Annotated[list[str] | None, typer.Option("--clarification", metavar="ASKED:ANSWERED:REASON", rich_help_panel="The request's life", help="We asked the subject to clarify the request (ANSWERED empty: no answer yet); shown to the subject, pauses the clock where the law allows (UK); repeatable.")] = None,
    verification_method: Annotated[str | None, typer.Option("--verification-method", metavar="TEXT", rich_help_panel="The request's life", help="How the identity was checked, e.g. 'log-in to the account'. With --verification-evidence, --verified-by and --verified-on.")] = None,
    verification_evidence: Annotated[str | None, typer.Option("--verification-evidence", metavar="TYPE", rich_help_panel="The request's life", help="The type of evidence, e.g. 'passport'; never the evidence itself.")] = None,
    verified_by: Annotated[str | None, typer.Option("--verified-by", metavar="WHO", rich_help_panel="The request's life", help="Who checked the identity (a role or team).")] = None,
    verified_on: Annotated[str | None, typer.Option("--verified-on", metavar="DATE", rich_help_panel="The request's life", help="When the identity was checked (YYYY-MM-DD).")] = None,
    confirmation_sent: Annotated[str | None, typer.Option("--confirmation-sent", metavar="DATE", rich_help_panel="The request's life", help="The day receipt was confirmed to the consumer (11 CCR §7021(a)); without it the package says it is due, never that it was sent.")] = None,
    acknowledge: Annotated[list[str] | None, typer.Option("--acknowledge", metavar="CODE", help="Acknowledge a blocking finding for the operator by its code (exit 8 otherwise, no package); repeatable.")] = None,
) -> None:
    """Export the access package for one subject."""
    _export(ExportArgs(**locals()))  # every option above, by name


@dataclass(frozen=True)
class ExportArgs:
    """The options of ``exporter export``, as one value the steps below share."""

    config: Path
    subject: list[str]
    jurisdiction: str
    out: Path
    received: str | None
    request_id: str | None
    verification: str
    country: str | None
    now: str | None
    force: bool
    strict: bool
    allow_partial: bool
    sign_key: Path | None
    encrypt: bool
    password_env: str | None
    password_stdin: bool
    no_pdf: bool
    no_html: bool
    as_json: bool
    verbose: bool
    quiet: bool
    extension: int | None
    extension_reason: str | None
    clock_stop: list[str] | None
    clarification: list[str] | None
    verification_method: str | None
    verification_evidence: str | None
    verified_by: str | None
    verified_on: str | None
    confirmation_sent: str | None
    acknowledge: list[str] | None


def _export(a: ExportArgs) -> None:
    """Parse the options, build the request, run the export, print the outcome."""
    setup_logging(a.verbose, a.quiet)
    # First, before any thread starts: the helper that renders report.pdf loads WeasyPrint while
    # the sources are read (exporter/render/worker.py).
    with pdf_renderer(not a.no_pdf) as renderer:
        try:
            result, encrypted = _run(a, renderer)
        except ExporterError as exc:
            fail(exc, a.as_json)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: report it without a traceback full of subject data
            crash(exc, a.verbose, a.as_json)
    _print_outcome(a, result, encrypted)


def _request(a: ExportArgs) -> AccessRequest:
    """The access request the options describe (a bad value exits 2 naming its option)."""
    from ..api import AccessRequest
    from ..batch import request_json

    received_day = values.date(a.received, "--received")
    AccessRequest.parse(a.subject, jurisdiction=a.jurisdiction)  # identifier errors name the option, not a pointer
    return AccessRequest.from_dict(request_json(
        a.subject, jurisdiction=a.jurisdiction, received=received_day.isoformat() if received_day else None,
        request_id=a.request_id, verification=a.verification, country=a.country, extension=a.extension,
        extension_reason=a.extension_reason, clock_stops=a.clock_stop or (), clarifications=a.clarification or (),
        verification_details=(a.verification_method, a.verification_evidence, a.verified_by, a.verified_on),
        confirmation_sent=a.confirmation_sent,
        names=("--verification-method", "--verification-evidence", "--verified-by", "--verified-on")))


def _options(a: ExportArgs, renderer: Any) -> ExportOptions:
    from ..api import ExportOptions

    return ExportOptions(now=values.instant(a.now), force=a.force, strict=a.strict, allow_partial=a.allow_partial,
                         sign_key=a.sign_key, pdf=not a.no_pdf, html=not a.no_html, pdf_renderer=renderer,
                         acknowledge=frozenset(a.acknowledge or ()))


def _run(a: ExportArgs, renderer: Any) -> tuple[ExportResult, Path | None]:
    """Export the package (with a progress bar on a terminal) and, with ``--encrypt``, its zip."""
    from ..api import export as run
    from ..config import load_config
    from ..progress import reporter

    request = _request(a)
    password = values.password(a.password_env, a.password_stdin) if a.encrypt else None
    options = _options(a, renderer)
    with reporter(quiet=a.quiet) as progress:  # a bar on a terminal, plain lines otherwise (counts only)
        result = run(request, load_config(a.config), a.out, options.replace(progress=progress))
    if password is None:
        return result, None
    from ..packaging.package import encrypt_package

    encrypted = encrypt_package(result.path, password, force=a.force)
    typer.echo(f"encrypted copy: {encrypted}", err=True)
    return result, encrypted


def _print_outcome(a: ExportArgs, result: ExportResult, encrypted: Path | None) -> None:
    """Findings, counts, the package path (or the JSON result), and exit 7 for an incomplete package."""
    # the warnings were logged by the export, one line per kind (exporter.messages); findings for the
    # operator are one line each, also with --quiet (they say what to do)
    for finding in result.findings:
        typer.echo(finding_line(finding), err=True)
    if not a.quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories", err=True)
    if a.as_json:
        echo_json({"ok": True, **result.to_dict(), "encrypted": str(encrypted) if encrypted else None})
    else:
        typer.echo(str(result.path))
    if not a.allow_partial:
        try:
            result.require_complete()  # the package is written and marked incomplete; exit 7
        except ExporterError as exc:
            fail(exc)


@app.command(epilog="""Example:

  exporter demo   (then open exporter-demo/packages/<request id>/index.html or report.pdf)

  exporter demo --jurisdiction ca --dir /tmp/exporter-demo""")
def demo(
    dir: Annotated[Path, typer.Option("--dir", metavar="DIR", help="Folder for the demo store and packages.")] = Path("exporter-demo"),
    subject: Annotated[str | None, typer.Option("--subject", "-s", metavar="TYPE:VALUE", help="Demo subject identifier; default the typical customer.")] = None,
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", metavar="CODE", help="Law to answer under: eu | uk | ca | ut (a rules file).")] = "eu",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the demo store even if it exists.")] = False,
    now: Annotated[str | None, typer.Option(metavar="TIME", help="Fixed generation time (RFC 3339).")] = None,
    acknowledge: Annotated[list[str] | None, typer.Option("--acknowledge", metavar="CODE", help="Acknowledge a blocking finding for the operator by its code, as for export; repeatable.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors and the package path only.")] = False,
) -> None:
    """Build the demo store (if missing) and export a package for a demo subject."""
    setup_logging(False, quiet)
    from .. import demo as demo_store
    from ..api import AccessRequest, ExportOptions
    from ..api import export as run

    store = dir / "store"
    with pdf_renderer(True) as renderer:
        try:
            config = demo_store.demo_config_path(store)
            if rebuild or not config.is_file():
                if not quiet:
                    typer.echo(f"building the demo store in {store} …", err=True)
                config = demo_store.demo_config_path(demo_store.build_demo_store(store))
            request = AccessRequest.parse([subject or demo_store.DEFAULT_DEMO_SUBJECT], jurisdiction=jurisdiction)
            result = run(request, config, dir / "packages",
                         ExportOptions(pdf_renderer=renderer, acknowledge=frozenset(acknowledge or ())),
                         now=values.instant(now), force=True)
        except ExporterError as exc:
            fail(exc)
    if not quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories; package:", err=True)
    typer.echo(str(result.path))
    if not quiet:
        typer.echo(f"open {result.path / 'report.pdf'} (or index.html in a browser)", err=True)


def pdf_renderer(pdf: bool) -> Any:
    """A :class:`~exporter.render.worker.WarmRenderer` (a context manager) when report.pdf is
    wanted, else a context that gives ``None`` (the export then renders nothing)."""
    if not pdf:
        from contextlib import nullcontext

        return nullcontext()
    from ..render.worker import WarmRenderer

    return WarmRenderer()
