"""``exporter samples``: regenerate the sample packages for legal review (:mod:`exporter.samples`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ExporterError
from . import values
from .app import app
from .output import fail, setup_logging

__all__ = ["samples"]


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

    from .. import samples as sample_set

    setup_logging(False, True)  # the expected warnings (e.g. "nothing held") are in the index
    when = values.instant(now)
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
        fail(exc)
    typer.echo(str(target))
