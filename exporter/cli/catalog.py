"""``exporter schemas`` (the JSON Schemas, a catalog overlay's merged in) and ``exporter catalog``
(what is held, why, how long, and who receives it: a table or JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ExporterError
from .app import app
from .output import fail

if TYPE_CHECKING:
    from ..law.catalog import Catalog

__all__ = ["catalog", "schemas"]


@app.command(epilog="""Example:

  exporter schemas --out schemas-copy/""")
def schemas(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Folder to write the JSON Schemas to.")],
    config: Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", help="Write the category schemas of this configuration's catalog (its overlay merged).")] = None,
) -> None:
    """Write the JSON Schemas (categories, bundle, manifest, config, the CLI's --json output)."""
    import shutil

    from ..schemas import category_schema_bytes
    from ..config import load_config
    from ..resources import schemas_dir

    try:
        cfg = load_config(config) if config is not None else None
    except ExporterError as exc:
        fail(exc)
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
    from ..packaging.bundle import category_meta
    from ..law.catalog import load_catalog
    from ..config import load_config

    try:
        cfg = load_config(config) if config is not None else None
    except ExporterError as exc:
        fail(exc)
    cat = cfg.catalog if cfg is not None else load_catalog()
    names = cfg.recipient_names if cfg is not None else {}
    entries = []
    for c in cat:
        meta = category_meta(cat, c, names)
        meta["retention"] = {"policy": c.retention.get("policy"), "text": c.retention.get("text")}
        entries.append(meta)
    if as_json:
        from ..collect.writers import dumps

        typer.echo(dumps({"catalog": {k: str(v) for k, v in cat.table("meta").items()},
                          "controller": dict(cat.controller), "categories": entries}, indent=True).decode())
        return
    _print_table(cat, entries)


def _print_table(cat: Catalog, entries: list[dict[str, Any]]) -> None:
    """The catalog as a rich table: one row per category (what, why, how long, recipients)."""
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
