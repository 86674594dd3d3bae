"""The coverage audit of an ``sql`` source: every table of the database (SQLAlchemy's inspector),
plus every table or view a configured query reads (:mod:`exporter.sqlnames`); a stream exports the
columns its query returns (the query run with empty identifier lists, which matches nothing, to
learn its result columns), traced back to table columns by :mod:`exporter.audit.lineage`.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, SourceConfig
from ..errors import ConfigError
from ..sqlnames import bare, same_table, tables_of
from .lineage import exports_of
from .report import TableAudit
from .verdict import Exclusions, column, out_field

__all__ = ["audit_sql"]

#: SQLAlchemy dialect name → sqlglot dialect (others: sqlglot's generic SQL)
_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
             "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake", "bigquery": "bigquery"}


def _dialect(engine: Any) -> str | None:
    return _DIALECTS.get(str(getattr(getattr(engine, "dialect", None), "name", "")))


def audit_sql(cfg: Config, sc: SourceConfig, source: Any, excl: Exclusions) -> list[TableAudit]:
    import sqlalchemy as sa

    engine = source.sqlalchemy_engine()
    insp = sa.inspect(engine)
    dialect = _dialect(engine)
    default_schema = str(insp.default_schema_name or "")
    names = _table_names(sc, list(insp.get_table_names()), dialect, default_schema)
    columns, missing = _columns(insp, names)
    exported = _exported(sc, source, engine, dialect, columns, default_schema)
    out = []
    for name in names:
        if name in missing:
            out.append(TableAudit(sc.name, sc.kind, name, inspected=False, note="a query names it, but the "
                                  "inspector does not know it (a CTE or a table function?)"))
            continue
        audited = [column(cfg, name, col, exported.get((bare(name), col.lower()), []), excl)
                   for col in columns[bare(name)]]
        out.append(TableAudit(sc.name, sc.kind, name, tuple(audited)))
    return out


def _table_names(sc: SourceConfig, names: list[str], dialect: str | None, default_schema: str) -> list[str]:
    """The inspector's tables, then every other table a read's query names."""
    for r in list(sc.streams) + list(sc.identities):
        for ref in tables_of(str(r.spec.params.get("query", "")), dialect):
            schema, _, unqualified = ref.rpartition(".")
            if schema and schema.lower() == default_schema.lower():
                ref = unqualified  # main.members (SQLite), public.members (PostgreSQL): the inspector's members
            if not any(same_table(ref, n) for n in names):
                names.append(ref)
    return names


def _columns(insp: Any, names: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Table (bare, lower) → its columns, and the names the inspector does not know."""
    import sqlalchemy as sa

    columns: dict[str, list[str]] = {}
    missing: list[str] = []
    for name in names:
        schema, _, unqualified = name.rpartition(".")
        try:
            columns[bare(name)] = [str(c["name"]) for c in insp.get_columns(unqualified, schema=schema or None)]
        except sa.exc.NoSuchTableError:
            missing.append(name)
    return columns, missing


def _exported(sc: SourceConfig, source: Any, engine: Any, dialect: str | None, columns: dict[str, list[str]],
              default_schema: str) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """What each stream exports: (table, column) → (category, field) pairs, from its result columns
    (the query run with IN (NULL): matches nothing)."""
    import sqlalchemy as sa

    exported: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with engine.connect() as conn:
        for r in sc.streams:
            stmt = source._statement(r.spec)
            try:
                res = conn.execute(stmt, {t: [None] for t in r.spec.needs})
                result = [str(k) for k in res.keys()]
                res.close()
            except sa.exc.SQLAlchemyError as exc:
                raise ConfigError(f"query cannot be run for the audit: {str(exc).splitlines()[0]}", source=sc.name,
                                  stream=r.spec.label) from exc
            query = str(r.spec.params.get("query", ""))
            for key, out_col in exports_of(query, dialect, result, columns, default_schema).items():
                exported.setdefault(key, []).append((str(r.spec.category), out_field(r, out_col)))
    return exported
