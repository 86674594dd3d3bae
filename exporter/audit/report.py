"""What the coverage audit found, per source, table and column, as data, text and JSON
(``exporter audit``, ``exporter audit --json``). Column *names* only, never values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuditReport", "ColumnAudit", "TableAudit", "report_json"]


@dataclass(frozen=True)
class ColumnAudit:
    name: str
    status: str  #: exported | withheld | excluded | not_exported
    exported_as: tuple[str, ...] = ()  #: "category.field" for every stream that exports it
    reason: str | None = None  #: excluded: withheld | not_personal; withheld: "catalog"
    note: str | None = None  #: the stated reason / legal ground
    problem: str | None = None  #: e.g. exported into a field its category schema does not define

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.exported_as:
            out["exported_as"] = list(self.exported_as)
        for k in ("reason", "note", "problem"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        return out


@dataclass(frozen=True)
class TableAudit:
    source: str
    kind: str
    table: str  #: SQL table, or the read's path / endpoint for files, parquet and http sources
    columns: tuple[ColumnAudit, ...] = ()
    inspected: bool = True
    note: str | None = None  #: why it was not inspected

    @property
    def unexplained(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.status == "not_exported")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "kind": self.kind, "table": self.table,
                               "inspected": self.inspected, "columns": [c.to_dict() for c in self.columns]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class AuditReport:
    config: str
    tables: tuple[TableAudit, ...]
    stale_exclusions: tuple[str, ...] = ()  #: exclusions naming a table/column that does not exist
    problems: tuple[str, ...] = field(default_factory=tuple)  #: exported fields the schema lacks, …

    @property
    def unexplained(self) -> list[tuple[str, str, str]]:
        """(source, table, column) of every column neither exported nor excluded with a reason."""
        return [(t.source, t.table, c) for t in self.tables for c in t.unexplained]

    @property
    def uninspected(self) -> list[tuple[str, str]]:
        return [(t.source, t.table) for t in self.tables if not t.inspected]

    @property
    def clean(self) -> bool:
        return not self.unexplained and not self.uninspected and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "clean": self.clean,
                "unexplained": [{"source": s, "table": t, "column": c} for s, t, c in self.unexplained],
                "uninspected": [{"source": s, "table": t} for s, t in self.uninspected],
                "stale_exclusions": list(self.stale_exclusions), "problems": list(self.problems),
                "tables": [t.to_dict() for t in self.tables]}

    def to_text(self) -> str:
        lines = [f"coverage audit of {self.config}"]
        for t in self.tables:
            head = f"\n{t.source} ({t.kind}) · {t.table}"
            if not t.inspected:
                lines.append(f"{head}: NOT INSPECTED — {t.note}")
                continue
            lines.append(head)
            for c in t.columns:
                if c.status == "exported":
                    what = "exported as " + ", ".join(c.exported_as)
                elif c.status == "withheld":
                    what = f"withheld (catalog; existence stated) from {', '.join(c.exported_as)}"
                elif c.status == "excluded":
                    what = f"excluded ({c.reason}): {c.note}"
                else:
                    what = "NOT EXPORTED — neither exported nor excluded with a reason"
                mark = "!!" if c.status == "not_exported" or c.problem else "  "
                lines.append(f" {mark} {c.name}: {what}" + (f" — PROBLEM: {c.problem}" if c.problem else ""))
        for s in self.stale_exclusions:
            lines.append(f"\nnote: exclusion {s} names nothing that exists")
        for p in self.problems:
            lines.append(f"\nproblem: {p}")
        n, u = len(self.unexplained), len(self.uninspected)
        lines.append("")
        lines.append("clean: every column is exported or excluded with a reason" if self.clean else
                     f"NOT CLEAN: {n} column(s) not exported and not excluded, {u} read(s) not inspected, "
                     f"{len(self.problems)} problem(s)")
        return "\n".join(lines)


def report_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)
