"""The verdict on one column of a source: exported (category and field), withheld by the catalog
(its existence stated: 11 CCR §7024(d)), excluded by the configuration with its reason, or not
exported — and which exclusions named nothing that exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config, Read
from ..sqlnames import same_table
from .report import ColumnAudit

__all__ = ["Exclusions", "column", "out_field"]


@dataclass
class Exclusions:
    """A source's ``[[sources.<name>.exclude]]`` entries, and which of their columns were used."""

    entries: list[dict[str, Any]]
    used: set[tuple[int, str]] = field(default_factory=set)

    def find(self, table: str, column: str) -> dict[str, Any] | None:
        for i, e in enumerate(self.entries):
            if same_table(e["table"], table) and (column in e["columns"] or "*" in e["columns"]):
                self.used.add((i, column if column in e["columns"] else "*"))
                return e
        return None

    def stale(self, source: str) -> list[str]:
        out = []
        for i, e in enumerate(self.entries):
            for c in e["columns"]:
                if (i, c) not in self.used:
                    out.append(f"sources.{source}.exclude[{i}] {e['table']}.{c}")
        return out


def _schema_fields(cfg: Config, category: str) -> set[str] | None:
    from ..schemas import category_schema

    try:
        schema = category_schema(category, cfg.catalog[category].schema_file)
    except Exception:  # noqa: BLE001 - a missing schema is reported by the export itself
        return None
    if schema.get("additionalProperties", True) is not False:
        return None  # open schema: any field is allowed
    return set(schema.get("properties", {}))


def column(cfg: Config, table: str, name: str, exported: list[tuple[str, str]], excl: Exclusions) -> ColumnAudit:
    """The verdict on one column. ``exported``: (category, field) pairs of the streams that read it."""
    if exported:
        as_ = tuple(sorted({f"{c}.{f}" for c, f in exported}))
        withheld = [(c, f) for c, f in exported if f in cfg.catalog[c].withheld]
        problem = None
        for c, f in exported:
            if f in cfg.catalog[c].withheld:
                continue  # removed before validation
            allowed = _schema_fields(cfg, c)
            if allowed is not None and f not in allowed:
                problem = f"exported into {c}.{f}, which the {c} schema does not define (the export would reject it)"
        if withheld and len(withheld) == len(exported):
            return ColumnAudit(name, "withheld", as_, reason="catalog", note="withheld by the catalog; the package "
                               "states that it is held (11 CCR §7024(d))", problem=problem)
        return ColumnAudit(name, "exported", as_, problem=problem)
    entry = excl.find(table, name)
    if entry is not None:
        return ColumnAudit(name, "excluded", reason=entry["reason"], note=entry["note"])
    return ColumnAudit(name, "not_exported")


def out_field(read: Read, source_field: str) -> str:
    back = {src: out for out, src in read.map.items()}
    return back.get(source_field, source_field)
