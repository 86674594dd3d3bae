"""Which table columns a stream exports: the result columns of its SQL query traced back to the
columns of the tables it reads, by sqlglot's column lineage (through CTEs, subqueries, aliases and
``*``), with equality joins and, where lineage cannot tell, matching by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..sqlnames import DEFAULT_DB, bare, parse, table_name, table_nodes

__all__ = ["exports_of"]

#: a table node → its key in the ``columns`` mapping (bare, lower, no default schema)
_Key = Callable[[Any], str]


def exports_of(query: str, dialect: str | None, result: list[str], columns: Mapping[str, list[str]],
               default_schema: str = "") -> dict[tuple[str, str], str]:
    """(table, column) → result column, for one query, by column lineage (sqlglot): through CTEs,
    subqueries, aliases and ``*``. ``columns``: table (bare, lower) → its columns. A result column
    whose lineage cannot be traced is matched by name in every table the query reads; a column
    joined by equality to an exported one (``ON a.x = b.x``) holds the same value and counts too."""
    from sqlglot import exp

    out: dict[tuple[str, str], str] = {}
    key = _table_key(default_schema)
    tree = parse(query, dialect)
    read: list[str] = []
    explained: set[str] = set()
    if tree is not None:
        nodes = table_nodes(tree)
        for node in nodes:
            if not node.db:
                node.set("db", exp.to_identifier(DEFAULT_DB))
        read = list(dict.fromkeys(key(n) for n in nodes))
        _trace(tree, _schema(nodes, columns, key), dialect, {r.lower(): r for r in result}, out, explained, key)
    for r in result:  # anything the lineage did not explain: by name, in every table read
        if r.lower() in explained:
            continue
        for t in read:
            if r.lower() in (c.lower() for c in columns.get(t, ())):
                out.setdefault((t, r.lower()), r)
    return out


def _table_key(default_schema: str) -> _Key:
    prefix = default_schema.lower() + "." if default_schema else None

    def key(node: Any) -> str:  # the table's key in ``columns``: bare, lower, no default schema
        name = bare(table_name(node))
        return name[len(prefix):] if prefix and name.startswith(prefix) else name

    return key


def _schema(nodes: list[Any], columns: Mapping[str, list[str]], key: _Key) -> dict[str, Any]:
    """The columns of the tables read, as sqlglot's schema mapping (db → table → column → type)."""
    schema: dict[str, Any] = {}
    for node in nodes:
        known = columns.get(key(node))
        if known is not None:
            schema.setdefault(node.db, {})[node.name] = {c: "TEXT" for c in known}
    return schema


def _trace(tree: Any, schema: dict[str, Any], dialect: str | None, lower_result: Mapping[str, str],
           out: dict[tuple[str, str], str], explained: set[str], key: _Key) -> None:
    """Every result column's lineage into ``out`` (the result columns it explains into ``explained``),
    then the equality joins; a query sqlglot cannot trace is left to matching by name."""
    from sqlglot import exp
    from sqlglot.lineage import lineage
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import build_scope

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
    except Exception:  # noqa: BLE001 - sqlglot cannot trace it (a construct it does not know): by name
        pass


def _joined(tree: Any, out: dict[tuple[str, str], str], key: _Key) -> None:
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
