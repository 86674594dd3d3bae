"""Which tables an SQL query reads (sqlglot's parser): in CTEs, subqueries and joins, quoted and
schema-qualified names, CTE names and table functions left out.

The configuration asks it which stream reads a table a ``withheld`` exclusion names (so that the
subject's page names the withheld column: 11 CCR §7024(d)); the coverage audit asks it which tables
to inspect and traces columns through the same parse trees (:mod:`exporter.audit.lineage`).
sqlglot is imported only when a query is parsed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_DB", "bare", "names_table", "parse", "same_table", "table_name", "table_nodes", "tables_of"]

#: stands for "the connection's default schema" while sqlglot resolves unqualified table names
DEFAULT_DB = "__exporter_default__"


def bare(name: str) -> str:
    """``"Main"."Orders"`` → ``main.orders``: unquoted, lower case, schema kept."""
    return ".".join(p.strip('"`').lower() for p in name.split("."))


def same_table(a: str, b: str) -> bool:
    return bare(a) == bare(b)


def parse(query: str, dialect: str | None) -> Any:
    """The query parsed by sqlglot, or None when it cannot parse it (callers then fall back to
    matching by name)."""
    import sqlglot

    try:
        return sqlglot.parse_one(query, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


def table_nodes(tree: Any) -> list[Any]:
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


def table_name(node: Any) -> str:
    """``schema.table`` or ``table`` of a ``Table`` node (the stand-in default schema left out)."""
    return ".".join(p for p in (node.db, node.name) if p and p != DEFAULT_DB)


def tables_of(query: str, dialect: str | None = None) -> list[str]:
    """Table names a query reads (``schema.table`` or ``table``, unquoted), in order, once each."""
    tree = parse(query, dialect)
    if tree is None:
        return []
    return list(dict.fromkeys(table_name(n) for n in table_nodes(tree)))


def names_table(query: str, table: str) -> bool:
    """Does ``query`` read ``table``? An unqualified name on either side matches any schema's table
    of that name ("orders" read is "main.orders" named, and back)."""
    if table.rpartition(".")[2].strip('"`').lower() not in query.lower():
        return False  # not even named: no need to parse (sqlglot is imported only when it is)
    want = bare(table)
    for name in map(bare, tables_of(query)):
        if name == want or ("." not in name or "." not in want) and \
                name.rpartition(".")[2] == want.rpartition(".")[2]:
            return True
    return False
