"""Command line: a thin typer layer over :mod:`exporter.api`.

Errors of the exporter are printed as one line (``error: …``, never a traceback, never subject
data) and end the command with the error's ``exit_code``: 2 configuration/request, 3 source,
4 invalid record, 5 subject not found (``--strict``), 6 output, 7 incomplete (``export``: the
package was written, but some category was not searched — ``--allow-partial`` accepts it;
``audit --strict``: some column is neither exported nor excluded); 1 for an unexpected failure.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .errors import ExporterError

app = typer.Typer(
    name="exporter",
    help="PicoNext right-of-access exporter: machine-readable JSON bundle + readable PDF (GDPR Art. 15, UK GDPR, CCPA).",
    epilog="Start with:  exporter demo   (builds a demo store, prints the package folder: open its index.html "
           "or report.pdf).  Shell completion:  exporter --install-completion",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("exporter")


def _flags_without_type() -> None:
    """typer ≥ 0.20 prints a ``<bool>`` type beside every flag (``--force <bool>``), which reads as
    if the flag took a value; a flag's help shows none (options with values show their METAVAR)."""
    try:
        from typer.core import TyperOption
    except ImportError:  # pragma: no cover - an older typer shows no types at all
        return
    shown = TyperOption.display_type_rich
    if getattr(shown, "_exporter_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich._exporter_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_without_type()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"exporter {_package_version()}")
        raise typer.Exit()


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("piconext-exporter")
    except PackageNotFoundError:  # run from a source tree that is not installed
        from . import __version__

        return __version__


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """PicoNext right-of-access exporter: machine-readable JSON bundle + readable PDF (GDPR Art. 15, UK GDPR, CCPA)."""


def _echo_json(data: Any) -> None:
    """One JSON document on stdout (``--json``)."""
    from .collect.writers import dumps

    typer.echo(dumps(data, indent=True).decode())


def _fail(exc: ExporterError, as_json: bool = False) -> NoReturn:
    """The error as one line on stderr (and, with ``--json``, as ``{"ok": false, "error": …}`` on
    stdout), then exit with its exit code."""
    typer.echo(f"error: {exc}", err=True)
    if as_json:
        _echo_json({"ok": False, "error": exc.to_dict()})
    raise typer.Exit(exc.exit_code)


def _crash(exc: Exception, verbose: bool, as_json: bool = False) -> NoReturn:
    """An unexpected exception: one line without its message (it might hold subject data)."""
    if verbose:
        raise exc
    typer.echo(f"error: unexpected internal error ({type(exc).__name__}); run again with --verbose for the "
               "traceback and report it", err=True)
    if as_json:
        _echo_json({"ok": False, "error": {"error": type(exc).__name__, "code": "internal", "message":
                                           "unexpected internal error", "hint": "run again with --verbose",
                                           "retriable": False, "exit_code": 1, "context": {}}})
    raise typer.Exit(1)


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        typer.echo(f"error: {name} must be a date like 2026-11-02", err=True)
        raise typer.Exit(2) from None


def _finding_line(f: Any) -> str:
    """One stderr line per finding for the operator: code, category, count, message, action."""
    return (f"finding {f.code}{' (blocking)' if f.blocking else ''}: category {f.category or '-'}, "
            f"{f.count} record{'s' if f.count != 1 else ''}: {f.message} — {f.action}")


def _instant(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        typer.echo("error: --now must be an RFC 3339 time like 2026-11-25T10:00:00Z", err=True)
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class _Lowercase(logging.Formatter):
    """``warning: …`` / ``error: …``, like the CLI's own lines."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _Once(logging.Filter):
    """A warning or error printed already in this process is not printed again (a library may
    repeat the same warning once per font, file or batch)."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.getMessage())
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def _setup_logging(verbose: bool, quiet: bool) -> None:
    """Log lines on stderr. The export's warnings reach the terminal this way only (grouped, one
    line per kind: exporter.messages), each once; ``--quiet`` keeps errors only."""
    level = logging.ERROR if quiet else (logging.INFO if verbose else logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Lowercase())
    handler.addFilter(_Once())
    logging.basicConfig(level=level, handlers=[handler], force=True)


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
    _setup_logging(verbose, quiet)
    # First, before any thread starts: the helper that renders report.pdf loads WeasyPrint while
    # the sources are read (exporter/render/worker.py).
    encrypted: Path | None = None
    with _pdf_renderer(not no_pdf) as renderer:
        from .api import AccessRequest, ExportOptions
        from .api import export as run
        from .config import load_config

        try:
            received_day = _date(received, "--received")
            from .batch import request_json

            AccessRequest.parse(subject, jurisdiction=jurisdiction)  # identifier errors name the option, not a pointer
            request = AccessRequest.from_dict(request_json(
                subject, jurisdiction=jurisdiction, received=received_day.isoformat() if received_day else None,
                request_id=request_id, verification=verification, country=country, extension=extension,
                extension_reason=extension_reason, clock_stops=clock_stop or (), clarifications=clarification or (),
                verification_details=(verification_method, verification_evidence, verified_by, verified_on),
                confirmation_sent=confirmation_sent,
                names=("--verification-method", "--verification-evidence", "--verified-by", "--verified-on")))
            password = _password(password_env, password_stdin) if encrypt else None
            options = ExportOptions(now=_instant(now), force=force, strict=strict, allow_partial=allow_partial,
                                    sign_key=sign_key, pdf=not no_pdf, html=not no_html, pdf_renderer=renderer,
                                    acknowledge=frozenset(acknowledge or ()))
            from .progress import reporter

            with reporter(quiet=quiet) as progress:  # a bar on a terminal, plain lines otherwise (counts only)
                result = run(request, load_config(config), out, options.replace(progress=progress))
            if password is not None:
                from .packaging.package import encrypt_package

                encrypted = encrypt_package(result.path, password, force=force)
                typer.echo(f"encrypted copy: {encrypted}", err=True)
        except ExporterError as exc:
            _fail(exc, as_json)
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: report it without a traceback full of subject data
            _crash(exc, verbose, as_json)
    # the warnings were logged by the export, one line per kind (exporter.messages); findings for the
    # operator are one line each, also with --quiet (they say what to do)
    for finding in result.findings:
        typer.echo(_finding_line(finding), err=True)
    if not quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories", err=True)
    if as_json:
        _echo_json({"ok": True, **result.to_dict(), "encrypted": str(encrypted) if encrypted else None})
    else:
        typer.echo(str(result.path))
    if not allow_partial:
        try:
            result.require_complete()  # the package is written and marked incomplete; exit 7
        except ExporterError as exc:
            _fail(exc)


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
    _setup_logging(False, quiet)
    from . import demo as demo_store
    from .api import AccessRequest, ExportOptions
    from .api import export as run

    store = dir / "store"
    with _pdf_renderer(True) as renderer:
        try:
            config = demo_store.demo_config_path(store)
            if rebuild or not config.is_file():
                if not quiet:
                    typer.echo(f"building the demo store in {store} …", err=True)
                config = demo_store.demo_config_path(demo_store.build_demo_store(store))
            request = AccessRequest.parse([subject or demo_store.DEFAULT_DEMO_SUBJECT], jurisdiction=jurisdiction)
            result = run(request, config, dir / "packages",
                         ExportOptions(pdf_renderer=renderer, acknowledge=frozenset(acknowledge or ())),
                         now=_instant(now), force=True)
        except ExporterError as exc:
            _fail(exc)
    if not quiet:
        typer.echo(f"{result.records} records in {result.categories_held} categories; package:", err=True)
    typer.echo(str(result.path))
    if not quiet:
        typer.echo(f"open {result.path / 'report.pdf'} (or index.html in a browser)", err=True)


def _pdf_renderer(pdf: bool) -> Any:
    """A :class:`~exporter.render.worker.WarmRenderer` (a context manager) when report.pdf is
    wanted, else a context that gives ``None`` (the export then renders nothing)."""
    if not pdf:
        from contextlib import nullcontext

        return nullcontext()
    from .render.worker import WarmRenderer

    return WarmRenderer()


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

    from .packaging.package import verify as check

    if not (package / "manifest.json").is_file() and not package.is_dir():
        message = f"no package folder at {package}"
        typer.echo(f"error: {message}", err=True)
        if as_json:
            _echo_json({"ok": False, "package": str(package), "files": 0, "signature": "not_checked",
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
        _echo_json({"ok": not problems, "package": str(package), "files": files, "signature": signature,
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
    _setup_logging(False, True)
    from .audit import audit as run_audit
    from .audit.report import report_json

    try:
        report = run_audit(config, sample=sample or ())
    except ExporterError as exc:
        _fail(exc)
    typer.echo(report_json(report) if as_json else report.to_text())
    if strict and not report.clean:
        raise typer.Exit(7)


@app.command(epilog="""Example:

  exporter schemas --out schemas-copy/""")
def schemas(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the JSON Schemas to.")],
    config: Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", help="Write the category schemas of this configuration's catalog (its overlay merged).")] = None,
) -> None:
    """Write the JSON Schemas (categories, bundle, manifest, config, the CLI's --json output)."""
    import shutil

    from .collect.schemas import category_schema_bytes
    from .config import load_config
    from .resources import schemas_dir

    try:
        cfg = load_config(config) if config is not None else None
    except ExporterError as exc:
        _fail(exc)
    src = schemas_dir()
    for path in sorted(src.rglob("*.json")):
        if cfg is not None and path.parent.name == "categories":
            continue
        target = out / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    if cfg is not None:
        (out / "categories").mkdir(parents=True, exist_ok=True)
        for cat in cfg.catalog:
            (out / "categories" / f"{cat.id}.json").write_bytes(category_schema_bytes(cat.id, cat.schema_file))
    typer.echo(str(out))


@app.command(epilog="""Example:

  exporter catalog

  exporter catalog --json --config exporter.toml""")
def catalog(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per category) instead of a table.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", help="Also show the recipient names this configuration adds.")] = None,
) -> None:
    """Show the category catalog: what is held, why (purpose, legal basis), retention, recipients."""
    from .packaging.bundle import category_meta
    from .law.catalog import load_catalog
    from .config import load_config

    try:
        cfg = load_config(config) if config is not None else None
    except ExporterError as exc:
        _fail(exc)
    cat = cfg.catalog if cfg is not None else load_catalog()
    names = cfg.recipient_names if cfg is not None else {}
    entries = []
    for c in cat:
        meta = category_meta(cat, c, names)
        meta["retention"] = {"policy": c.retention.get("policy"), "text": c.retention.get("text")}
        entries.append(meta)
    if as_json:
        from .collect.writers import dumps

        typer.echo(dumps({"catalog": {k: str(v) for k, v in cat.table("meta").items()},
                          "controller": dict(cat.controller), "categories": entries}, indent=True).decode())
        return

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    info = cat.table("meta")
    table = Table(title=f"{cat.controller.get('name', 'Categories')} — categories of personal data",
                  caption=f"{info.get('policy', '')} (updated {info.get('policy_updated', '?')}); "
                          f"catalog version {info.get('catalog_version', '?')}",
                  show_lines=True, expand=True)
    table.add_column("Category", ratio=2, overflow="fold")
    table.add_column("What", ratio=4, overflow="fold")
    table.add_column("Why: purpose — legal basis", ratio=4, overflow="fold")
    table.add_column("Retention", ratio=3, overflow="fold")
    table.add_column("Recipients", ratio=3, overflow="fold")
    for e in entries:
        # the catalog holds the article; this table is no one law's report, so it names both laws
        why = "\n".join(f"• {p['title']} — " + (f"GDPR / UK GDPR {p['basis_cite']}" if p.get("basis_cite")
                                                 else p["basis_title"]) for p in e["purposes"])
        recipients = "\n".join(f"• {r.get('title', r['id'])}" + (f" ({', '.join(r['names'])})" if r.get("names") else "")
                               for r in e["recipients"])
        retention = f"{e['retention']['text'] or ''} ({e['retention']['policy'] or e['policy_section'] or ''})"
        table.add_row(f"{escape(e['title'])}\n[dim]{escape(e['id'])}[/dim]", escape(str(e["description"])),
                      escape(why), escape(retention), escape(recipients))
    Console(soft_wrap=False).print(table)


@app.command(epilog="""Example:

  exporter samples --out examples/

  exporter samples --out /tmp/samples --no-pdf --jobs 2""")
def samples(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write samples/ into (replaced as a whole).")] = Path("examples"),
    now: Annotated[str | None, typer.Option(metavar="TIME", help="Generation time (RFC 3339); default SOURCE_DATE_EPOCH, else the fixed sample time.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Include report.pdf (slow).")] = True,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Include index.html.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, metavar="N", help="Worker processes.")] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors and the samples folder only.")] = False,
) -> None:
    """Regenerate the sample packages for legal review (EU, UK, California) from the demo store."""
    import os
    import time

    from . import samples as sample_set

    _setup_logging(False, True)  # the expected warnings (e.g. "nothing held") are in the index
    when = _instant(now)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if when is None and epoch:
        if not epoch.isdigit():
            typer.echo("error: SOURCE_DATE_EPOCH must be a number of seconds", err=True)
            raise typer.Exit(2)
        when = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    started = time.perf_counter()

    def done(sample: sample_set.Sample) -> None:
        if not quiet:
            typer.echo(f"  {sample.id} ({time.perf_counter() - started:.0f} s)", err=True)

    if not quiet:
        typer.echo(f"exporting {len(sample_set.SAMPLES)} sample packages …", err=True)
    try:
        target = sample_set.generate_samples(out, now=when, pdf=pdf, html=html, jobs=jobs, progress=done)
    except ExporterError as exc:
        _fail(exc)
    typer.echo(str(target))


@app.command("export-batch", epilog="""Example:

  exporter export-batch requests.csv --config exporter.toml --out packages/ --jobs 2

  requests.csv:  subject,jurisdiction,received,request_id,verification,country
                 email:jane@example.com;account_id:A-1,eu,2026-11-02,DSAR-1,verified,DE""")
def export_batch(
    requests: Annotated[Path, typer.Argument(metavar="REQUESTS.csv", help="CSV: subject (TYPE:VALUE, several separated by ';'), jurisdiction, received, request_id, verification, country, and optionally extension, extension_reason, clock_stops, clarifications (FROM:TO:REASON; …), verification_method, verification_evidence, verified_by, verified_on, confirmation_sent, acknowledge (codes; …). Or a .jsonl file: one access request per line (schemas/cli/export-batch-input.json).")],
    config: Annotated[Path, typer.Option("--config", "-c", metavar="FILE", help="Configuration TOML file.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the package folders into.")] = Path("out"),
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, metavar="N", help="Requests exported in parallel (worker processes).")] = 2,
    now: Annotated[str | None, typer.Option(metavar="TIME", help="Fixed generation time (RFC 3339).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing package folders.")] = False,
    allow_partial: Annotated[bool, typer.Option("--allow-partial", help="Complete packages when a source fails.")] = False,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Do not write report.pdf.")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write index.html.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcomes as JSON on stdout (schemas/cli/export-batch.json) instead of the package paths.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors and the summary only.")] = False,
) -> None:
    """Export many requests, one package each, in parallel; a summary says which failed and why."""
    _setup_logging(False, True)
    from dataclasses import asdict

    from rich.console import Console

    from .batch import BatchOutcome, read_requests, run_batch, summary_table

    try:
        batch = read_requests(requests)
    except ExporterError as exc:
        _fail(exc, as_json)
    options = {"now": _instant(now), "force": force, "allow_partial": allow_partial, "pdf": not no_pdf,
               "html": not no_html}

    def done(outcome: BatchOutcome) -> None:
        if not quiet:
            typer.echo(f"{'done' if outcome.ok else 'FAILED'}: {outcome.request_id}", err=True)

    outcomes = run_batch(batch, config, out, jobs=jobs, options=options, on_done=done)
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        _echo_json({"ok": not failed, "requests": len(outcomes), "exported": len(outcomes) - len(failed),
                    "failed": len(failed), "outcomes": [asdict(o) for o in outcomes]})
    else:
        Console(stderr=True, soft_wrap=False).print(summary_table(outcomes))
        for o in outcomes:
            if o.ok:
                typer.echo(o.path)
    if failed:
        raise typer.Exit(max(o.exit_code for o in failed) or 1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
