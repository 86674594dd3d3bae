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
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, Read, SourceConfig, load_config
from .errors import ConfigError, SourceError

__all__ = ["JSONL_SAMPLE", "AuditReport", "ColumnAudit", "TableAudit", "audit"]

#: JSON Lines records read per file to learn its fields (keys are unioned)
JSONL_SAMPLE = 10_000
#: records of an HTTP sample read looked at
HTTP_SAMPLE = 1_000


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


# -- exclusions -------------------------------------------------------------------------------------

@dataclass
class _Exclusions:
    entries: list[dict[str, Any]]
    used: set[tuple[int, str]] = field(default_factory=set)

    def find(self, table: str, column: str) -> dict[str, Any] | None:
        for i, e in enumerate(self.entries):
            if _same_table(e["table"], table) and (column in e["columns"] or "*" in e["columns"]):
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


def _same_table(a: str, b: str) -> bool:
    return _bare(a) == _bare(b)


def _bare(name: str) -> str:
    return ".".join(p.strip('"`').lower() for p in name.split("."))


# -- the audit --------------------------------------------------------------------------------------

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
            from .request import parse_identifier
            from .collect.identity import resolve

            ids = resolve(cfg, [parse_identifier(s) for s in sample], sources)
        for sc in cfg.sources:
            excl = _Exclusions([dict(e) for e in sc.exclude])
            source = sources[sc.name]
            if sc.kind == "sql":
                found = _audit_sql(cfg, sc, source, excl)
            elif sc.kind == "files":
                found = _audit_files(cfg, sc, source, excl)
            elif sc.kind == "parquet":
                found = _audit_parquet(cfg, sc, source, excl)
            else:
                found = _audit_records(cfg, sc, source, excl, ids)
            tables.extend(found)
            stale.extend(excl.stale(sc.name))
    for t in tables:
        for c in t.columns:
            if c.problem:
                problems.append(f"{t.source} · {t.table} · {c.name}: {c.problem}")
    return AuditReport(config=str(cfg.path), tables=tuple(tables), stale_exclusions=tuple(stale),
                       problems=tuple(problems))


def _schema_fields(cfg: Config, category: str) -> set[str] | None:
    from .collect.schemas import category_schema

    try:
        schema = category_schema(category, cfg.catalog[category].schema_file)
    except Exception:  # noqa: BLE001 - a missing schema is reported by the export itself
        return None
    if schema.get("additionalProperties", True) is not False:
        return None  # open schema: any field is allowed
    return set(schema.get("properties", {}))


def _column(cfg: Config, table: str, name: str, exported: list[tuple[str, str]], excl: _Exclusions) -> ColumnAudit:
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


def _out_field(read: Read, source_field: str) -> str:
    back = {src: out for out, src in read.map.items()}
    return back.get(source_field, source_field)


# -- sql ----------------------------------------------------------------------------------------------

#: SQLAlchemy dialect name → sqlglot dialect (others: sqlglot's generic SQL)
_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
             "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake", "bigquery": "bigquery"}
#: stands for "the connection's default schema" while sqlglot resolves unqualified table names
_DEFAULT_DB = "__exporter_default__"


def _dialect(engine: Any) -> str | None:
    return _DIALECTS.get(str(getattr(getattr(engine, "dialect", None), "name", "")))


def _tree(query: str, dialect: str | None) -> Any:
    """The query parsed by sqlglot, or None when it cannot parse it (the audit then falls back to
    matching result columns by name)."""
    import sqlglot

    try:
        return sqlglot.parse_one(query, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


def _table_nodes(tree: Any) -> list[Any]:
    """The real tables a query reads (sqlglot ``Table`` nodes): CTE names and table functions left out;
    subqueries, CTE bodies, joins and schema-qualified or quoted names included."""
    from sqlglot import exp

    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out = []
    for node in tree.find_all(exp.Table):
        if not node.name or not isinstance(node.this, exp.Identifier):
            continue  # a table function (json_each(...), read_parquet(...)) or a subquery alias
        if not node.db and node.name.lower() in ctes:
            continue
        out.append(node)
    return out


def _name_of(node: Any) -> str:
    return ".".join(p for p in (node.db, node.name) if p and p != _DEFAULT_DB)


def _tables_of(query: str, dialect: str | None = None) -> list[str]:
    """Table names a query reads (``schema.table`` or ``table``, unquoted), in order, once each."""
    tree = _tree(query, dialect)
    if tree is None:
        return []
    return list(dict.fromkeys(_name_of(n) for n in _table_nodes(tree)))


def _exports_of(query: str, dialect: str | None, result: list[str], columns: Mapping[str, list[str]],
                default_schema: str = "") -> dict[tuple[str, str], str]:
    """(table, column) → result column, for one query, by column lineage (sqlglot): through CTEs,
    subqueries, aliases and ``*``. ``columns``: table (bare, lower) → its columns. A result column
    whose lineage cannot be traced is matched by name in every table the query reads; a column
    joined by equality to an exported one (``ON a.x = b.x``) holds the same value and counts too."""
    from sqlglot import exp
    from sqlglot.lineage import lineage
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import build_scope

    out: dict[tuple[str, str], str] = {}
    lower_result = {r.lower(): r for r in result}
    prefix = default_schema.lower() + "." if default_schema else None

    def key(node: Any) -> str:  # the table's key in ``columns``: bare, lower, no default schema
        name = _bare(_name_of(node))
        return name[len(prefix):] if prefix and name.startswith(prefix) else name

    tree = _tree(query, dialect)
    read: list[str] = []
    explained: set[str] = set()
    if tree is not None:
        nodes = _table_nodes(tree)
        for node in nodes:
            if not node.db:
                node.set("db", exp.to_identifier(_DEFAULT_DB))
        read = list(dict.fromkeys(key(n) for n in nodes))
        schema: dict[str, Any] = {}
        for node in nodes:
            known = columns.get(key(node))
            if known is not None:
                schema.setdefault(node.db, {})[node.name] = {c: "TEXT" for c in known}
        try:
            tree = qualify(tree, schema=schema, dialect=dialect, validate_qualify_columns=False,
                           quote_identifiers=False, identify=False)
            graphs = lineage(None, tree, schema=schema, dialect=dialect, scope=build_scope(tree), copy=False)
            if not isinstance(graphs, dict):  # one Node only when a column is named
                raise TypeError("sqlglot.lineage(None, …) returned a single node")
            for name, graph in graphs.items():  # every output column at once (one qualification)
                if name.lower() not in lower_result:
                    continue
                for step in graph.walk():
                    if isinstance(step.source, exp.Table) and step.source.name:
                        col = exp.to_column(step.name, dialect=dialect).name
                        out.setdefault((key(step.source), col.lower()), lower_result[name.lower()])
                        explained.add(name.lower())
            _joined(tree, out, key)
        except Exception:  # noqa: BLE001 - sqlglot cannot trace it (a construct it does not know): by name below
            pass
    for r in result:  # anything the lineage did not explain: by name, in every table read
        if r.lower() in explained:
            continue
        for t in read:
            if r.lower() in (c.lower() for c in columns.get(t, ())):
                out.setdefault((t, r.lower()), r)
    return out


def _joined(tree: Any, out: dict[tuple[str, str], str], key: Any) -> None:
    """``JOIN … ON a.x = b.y`` between two tables of one SELECT: both columns hold the same value, so
    when one is exported the other is too (as the same result column)."""
    from sqlglot import exp
    from sqlglot.optimizer.scope import traverse_scope

    for scope in traverse_scope(tree):
        tables = {alias.lower(): src for alias, src in scope.sources.items() if isinstance(src, exp.Table)}
        for join in scope.expression.args.get("joins") or []:
            on = join.args.get("on")
            if on is None:
                continue
            for eq in on.find_all(exp.EQ):
                sides = []
                for side in (eq.left, eq.right):
                    src = tables.get(side.table.lower()) if isinstance(side, exp.Column) and side.table else None
                    sides.append((key(src), side.name.lower()) if src is not None else None)
                a, b = sides
                if a is None or b is None:
                    continue
                if a in out:
                    out.setdefault(b, out[a])
                elif b in out:
                    out.setdefault(a, out[b])


def _audit_sql(cfg: Config, sc: SourceConfig, source: Any, excl: _Exclusions) -> list[TableAudit]:
    import sqlalchemy as sa

    engine = source.sqlalchemy_engine()
    insp = sa.inspect(engine)
    names: list[str] = list(insp.get_table_names())
    dialect = _dialect(engine)
    default_schema = str(insp.default_schema_name or "")
    for r in list(sc.streams) + list(sc.identities):
        for ref in _tables_of(str(r.spec.params.get("query", "")), dialect):
            schema, _, bare = ref.rpartition(".")
            if schema and schema.lower() == default_schema.lower():
                ref = bare  # main.members (SQLite), public.members (PostgreSQL): the inspector's members
            if not any(_same_table(ref, n) for n in names):
                names.append(ref)
    columns: dict[str, list[str]] = {}
    missing: list[str] = []
    for name in names:
        schema, _, bare = name.rpartition(".")
        try:
            columns[_bare(name)] = [str(c["name"]) for c in insp.get_columns(bare, schema=schema or None)]
        except sa.exc.NoSuchTableError:
            missing.append(name)
    # what each stream exports: its result columns (the query run with IN (NULL): matches nothing)
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
            for key, out_col in _exports_of(query, dialect, result, columns, default_schema).items():
                exported.setdefault(key, []).append((str(r.spec.category), _out_field(r, out_col)))
    out = []
    for name in names:
        if name in missing:
            out.append(TableAudit(sc.name, sc.kind, name, inspected=False, note="a query names it, but the "
                                  "inspector does not know it (a CTE or a table function?)"))
            continue
        audited = [_column(cfg, name, col, exported.get((_bare(name), col.lower()), []), excl)
                   for col in columns[_bare(name)]]
        out.append(TableAudit(sc.name, sc.kind, name, tuple(audited)))
    return out


# -- files --------------------------------------------------------------------------------------------

def _audit_files(cfg: Config, sc: SourceConfig, source: Any, excl: _Exclusions) -> list[TableAudit]:
    from .sources.files import expand_glob

    folder = source._folder()
    by_file: dict[Path, list[Read]] = {}
    for r in list(sc.streams) + list(sc.identities):
        for f in expand_glob(folder, r.spec.params.get("path"), source=sc.name, label=r.spec.label):
            by_file.setdefault(f, []).append(r)
    out = []
    for f, reads in sorted(by_file.items()):
        rel = f.relative_to(folder).as_posix()
        fields = _file_fields(source, reads[0], f, rel)
        audited = []
        for col in fields:
            exported = [(str(r.spec.category), _out_field(r, col)) for r in reads if r.spec.category]
            audited.append(_column(cfg, rel, col, exported, excl))
        out.append(TableAudit(sc.name, sc.kind, rel, tuple(audited)))
    return out


def _file_fields(source: Any, read: Read, path: Path, rel: str) -> list[str]:
    fmt = source._format(read.spec, path, rel)
    encoding = str(read.spec.params.get("encoding") or source.options.get("encoding") or "utf-8")
    if fmt == "csv":  # the header row, even of a file without records
        import csv
        import gzip

        opener: Any = gzip.open if path.suffix == ".gz" else open
        delimiter = str(read.spec.params.get("delimiter") or ("\t" if ".tsv" in path.suffixes else ","))
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        with opener(path, "rt", encoding=enc, newline="") as fh:
            return [str(h) for h in next(csv.reader(fh, delimiter=delimiter), [])]
    fields: dict[str, None] = {}
    for i, rec in enumerate(source._records(path, rel, fmt, encoding, read.spec)):
        for k in rec:
            fields.setdefault(str(k), None)
        if i + 1 >= JSONL_SAMPLE:
            break
    return list(fields)


# -- parquet ------------------------------------------------------------------------------------------

def _audit_parquet(cfg: Config, sc: SourceConfig, source: Any, excl: _Exclusions) -> list[TableAudit]:
    out = []
    by_path: dict[str, list[Read]] = {}
    for r in list(sc.streams) + list(sc.identities):
        by_path.setdefault(str(r.spec.params.get("path")), []).append(r)
    for path, reads in by_path.items():
        files, partition_keys = source._files(reads[0].spec)
        described = source.con.execute(
            "DESCRIBE SELECT * FROM read_parquet($files, hive_partitioning = true, union_by_name = true)",
            {"files": files}).fetchall()
        cols = [str(row[0]) for row in described]
        audited = []
        for col in cols:
            exported = []
            for r in reads:
                if not r.spec.category:
                    continue
                chosen = r.spec.params.get("columns") or [c for c in cols if c not in partition_keys]
                if col in chosen:
                    exported.append((str(r.spec.category), _out_field(r, col)))
            audited.append(_column(cfg, path, col, exported, excl))
        out.append(TableAudit(sc.name, sc.kind, path, tuple(audited)))
    return out


# -- http (and any other source kind): a sample read ----------------------------------------------

def _audit_records(cfg: Config, sc: SourceConfig, source: Any, excl: _Exclusions, ids: Any) -> list[TableAudit]:
    out = []
    for r in list(sc.streams) + list(sc.identities):
        table = str(r.spec.params.get("endpoint") or r.spec.params.get("path") or r.spec.label)
        if ids is None or not ids.has_any(r.spec.needs):
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False,
                                  note="a sample read needs identifiers of a test subject: pass --sample TYPE:VALUE"))
            continue
        fields: dict[str, None] = {}
        seen = 0
        try:
            for batch in source.read(r.spec, ids.probes(r.spec.needs, forms=getattr(source, "probe_forms", True))):
                for rec in batch:
                    for k in rec:
                        fields.setdefault(str(k), None)
                seen += len(batch)
                if seen >= HTTP_SAMPLE:
                    break
        except SourceError as exc:
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False, note=f"the sample read failed: {exc.message}"))
            continue
        if not seen:
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False,
                                  note="the sample read returned no record: use a sample subject who has some"))
            continue
        cat = [(str(r.spec.category), r)] if r.spec.category else []
        audited = [_column(cfg, table, k, [(c, _out_field(rr, k)) for c, rr in cat], excl) for k in fields]
        out.append(TableAudit(sc.name, sc.kind, table, tuple(audited)))
    return out


def report_json(report: AuditReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)
