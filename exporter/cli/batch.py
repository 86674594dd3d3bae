"""``exporter export-batch``: many requests (CSV or JSON Lines), one package each, in parallel, and
a summary of which failed and why (:mod:`exporter.batch`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExporterError
from . import values
from .app import app
from .output import echo_json, fail, setup_logging

__all__ = ["export_batch"]


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
    setup_logging(False, True)
    from dataclasses import asdict

    from rich.console import Console

    from ..batch import BatchOutcome, read_requests, run_batch, summary_table

    try:
        batch = read_requests(requests)
    except ExporterError as exc:
        fail(exc, as_json)
    options = {"now": values.instant(now), "force": force, "allow_partial": allow_partial, "pdf": not no_pdf,
               "html": not no_html}

    def done(outcome: BatchOutcome) -> None:
        if not quiet:
            typer.echo(f"{'done' if outcome.ok else 'FAILED'}: {outcome.request_id}", err=True)

    outcomes = run_batch(batch, config, out, jobs=jobs, options=options, on_done=done)
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        echo_json({"ok": not failed, "requests": len(outcomes), "exported": len(outcomes) - len(failed),
                    "failed": len(failed), "outcomes": [asdict(o) for o in outcomes]})
    else:
        Console(stderr=True, soft_wrap=False).print(summary_table(outcomes))
        for o in outcomes:
            if o.ok:
                typer.echo(o.path)
    if failed:
        raise typer.Exit(max(o.exit_code for o in failed) or 1)
