"""The package's documents beside its data files: ``bundle.json``, the package's own schemas (closed
under ``$ref``), ``report.pdf`` and ``index.html`` (exporter.render), each with its
:data:`~exporter.collect.writers.FileInfo` for the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..collect.pipeline import CategoryResult
from ..schemas import category_schema, category_schema_bytes, check_against
from ..collect.writers import FileInfo, dumps, file_info, write_file
from ..config import Config
from ..errors import OutputError
from ..progress import StageClock
from ..resources import schemas_dir

__all__ = ["write_outputs"]


def write_outputs(root: Path, cfg: Config, bundle: dict[str, Any], results: Sequence[CategoryResult], *,
                  pdf: bool, html: bool, pdf_renderer: Callable[..., None] | None = None) -> list[FileInfo]:
    """bundle.json, the package's own schemas, report.pdf and index.html; their :data:`FileInfo`
    after the data files the collection wrote."""
    stage = StageClock()
    files: list[FileInfo] = [f for r in results for f in r.files.values()]
    files += _write_documents(root, cfg, bundle)
    stage.lap("bundle.json")
    if pdf or html:
        files += _render(root, cfg, bundle, results, pdf=pdf, html=html, pdf_renderer=pdf_renderer, stage=stage)
    return files


def _write_documents(root: Path, cfg: Config, bundle: dict[str, Any]) -> list[FileInfo]:
    """The package's schemas, then bundle.json, checked against its schema first."""
    files: list[FileInfo] = []
    # the package's schemas are closed under $ref: bundle.json refers to jurisdiction.json by a
    # relative reference, so a validator holding only the package needs nothing else
    for name in ("bundle.json", "jurisdiction.json", "manifest.json"):
        files.append(write_file(root / "schemas" / name, root, (schemas_dir() / name).read_bytes()))
    for cat in cfg.catalog:
        files.append(write_file(root / "schemas" / f"{cat.id}.json", root, category_schema_bytes(cat.id, cat.schema_file)))
    check_against("bundle.json", bundle, error=OutputError)
    files.append(write_file(root / "bundle.json", root, dumps(bundle, indent=True) + b"\n"))
    return files


def _render(root: Path, cfg: Config, bundle: dict[str, Any], results: Sequence[CategoryResult], *, pdf: bool,
            html: bool, pdf_renderer: Callable[..., None] | None, stage: StageClock) -> list[FileInfo]:
    """report.pdf and index.html from the bundle summary and the bounded samples; a renderer with
    ``submit`` renders the PDF in a helper process while index.html is written here."""
    files: list[FileInfo] = []
    summary = {**bundle, "categories": [{k: v for k, v in e.items() if k != "records"}
                                        for e in bundle["categories"]]}
    samples = {r.id: r.sample for r in results}
    schemas = {c.id: category_schema(c.id, c.schema_file) for c in cfg.catalog}
    columns = {c.id: tuple(c.raw.get("pdf_columns", ())) for c in cfg.catalog}
    pending = None
    if pdf:
        if pdf_renderer is None:
            from ..render import render_pdf  # WeasyPrint is slow to import; only when needed

            pdf_renderer = render_pdf
        args = (summary, samples, schemas, root / "report.pdf")
        submit = getattr(pdf_renderer, "submit", None)
        if submit is not None:  # a helper process renders it while index.html is written here
            pending = submit(*args, bundle_json=root / "bundle.json", columns=columns)
        else:
            pdf_renderer(*args, bundle_json=root / "bundle.json", columns=columns)
            files.append(file_info(root, "report.pdf"))
            stage.lap("pdf")
    if html:
        from ..render.html import render_html

        try:
            render_html(summary, samples, schemas, root / "index.html", columns=columns)
        except BaseException:
            if pending is not None:
                pending.settle()
            raise
        files.append(file_info(root, "index.html"))
        stage.lap("html")
    if pending is not None:
        pending.result()
        files.append(file_info(root, "report.pdf"))
        stage.lap("pdf")
    return files
