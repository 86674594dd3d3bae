"""Field-level coverage audit: is every column of every configured source either exported or
excluded with a stated reason? (``exporter audit --config …``; what a privacy officer runs before
trusting a configuration.)

For every source of the configuration it lists every *table* and its columns:

* ``sql`` — every table of the database (SQLAlchemy's inspector), plus every table or view a
  configured query reads (parsed with sqlglot: in CTEs, subqueries and joins, quoted and
  schema-qualified names); a stream exports the columns its query returns (the query is run with
  empty identifier lists, which matches nothing, to learn its result columns), traced back to the
  table columns they come from by sqlglot's column lineage, under its ``map``;
* ``files`` — every file a read's glob matches: the CSV header, or the keys of the first
  :data:`JSONL_SAMPLE` records of a JSON Lines file (a stream exports every field of a record);
* ``parquet`` — the schema of the files a read's glob matches (DuckDB ``DESCRIBE``, hive partition
  keys included); a stream exports its ``columns`` (default every column except partition keys);
* ``http`` — the fields of the records a sample read returns; a read whose endpoint needs
  identifiers is read only for the ``sample`` identifiers (``--sample TYPE:VALUE``), and reported
  ``not inspected`` without them.

Each column is ``exported`` (category and field), ``withheld`` by the catalog (selected, removed
from the package, its existence stated: 11 CCR §7024(d)), ``excluded`` by the configuration
(``[[sources.<name>.exclude]]`` with ``reason = "withheld"`` and its legal ground, or
``reason = "not_personal"``, and a ``note``) or ``not_exported`` — the finding. Column *names*
only, never values: the audit reads no subject data into its output.

The package: :mod:`.report` (what was found), :mod:`.verdict` (one column's verdict), one module
per source kind (:mod:`.sql` with :mod:`.lineage`, :mod:`.files`, :mod:`.records`); the tables a
query reads are :mod:`exporter.sqlnames`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from ..config import Config, load_config
from .files import JSONL_SAMPLE, audit_files, audit_parquet
from .records import audit_records
from .report import AuditReport, ColumnAudit, TableAudit
from .sql import audit_sql
from .verdict import Exclusions

__all__ = ["JSONL_SAMPLE", "AuditReport", "ColumnAudit", "TableAudit", "audit"]


def audit(config: Config | str | Path, *, sample: Sequence[str] = (), env: Mapping[str, str] | None = None) -> AuditReport:
    """Audit every configured source of ``config`` (see the module docstring).

    ``sample`` holds ``TYPE:VALUE`` identifiers of a test subject: HTTP reads whose endpoints need
    identifiers are read for that subject (after identity resolution). Raises only
    :class:`~exporter.errors.ExporterError` (a source that cannot be opened, a bad configuration).
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    tables: list[TableAudit] = []
    stale: list[str] = []
    problems: list[str] = []
    with ExitStack() as stack:
        sources = cfg.open_sources(env)
        for src in sources.values():
            stack.enter_context(src)
        ids = None
        if sample:
            from ..request import parse_identifier
            from ..collect.identity import resolve

            ids = resolve(cfg, [parse_identifier(s) for s in sample], sources)
        for sc in cfg.sources:
            excl = Exclusions([dict(e) for e in sc.exclude])
            source = sources[sc.name]
            if sc.kind == "sql":
                found = audit_sql(cfg, sc, source, excl)
            elif sc.kind == "files":
                found = audit_files(cfg, sc, source, excl)
            elif sc.kind == "parquet":
                found = audit_parquet(cfg, sc, source, excl)
            else:
                found = audit_records(cfg, sc, source, excl, ids)
            tables.extend(found)
            stale.extend(excl.stale(sc.name))
    for t in tables:
        for c in t.columns:
            if c.problem:
                problems.append(f"{t.source} · {t.table} · {c.name}: {c.problem}")
    return AuditReport(config=str(cfg.path), tables=tuple(tables), stale_exclusions=tuple(stale),
                       problems=tuple(problems))
