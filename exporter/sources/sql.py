"""``kind = "sql"``: any SQLAlchemy database (SQLite, PostgreSQL, Trino, …).

Options: ``url`` *or* ``url_env`` (name of an environment variable holding the URL — use it whenever
the URL carries a password), ``batch_size`` (rows per batch, default 1000), ``connect_timeout``
(seconds, default 10, for dialects that take one). Read params: ``query`` — SQL text in which every
identifier type of ``needs`` appears as an expanding ``IN :type`` placeholder — an optional
``batch_size`` override, and ``match = { type = "column" }`` when the result column holding a needed
identifier is not named like its type.

Identifier matching (:mod:`exporter.identifiers`): the source binds every spelling of the subject's
values that the database's ``lower()`` may need (a superset), and every row is re-checked in Python
with the catalog's rule, whatever the database's collation does. For a type whose rule ignores
ASCII case (``email``, ``ascii_ci``) the query must compare ``lower(column) IN :type``; a query
that does not is a configuration error (it would miss ``Jane.Doe@`` for ``jane.doe@``).

Subject values are bound (``bindparam(type, expanding=True)``), never formatted into the query.
Results are streamed (``stream_results`` + ``yield_per``: a server-side cursor on PostgreSQL).

SQLite files (``sqlite:///path`` or ``sqlite+pysqlite:///path``, no URL query) are read with the
standard library's :mod:`sqlite3` directly, the way SQLAlchemy's pysqlite dialect would (the same
``IN (?, ?, …)`` expansion of each placeholder, rows fetched ``batch_size`` at a time, the same
error classes): importing SQLAlchemy costs a one-request CLI run about half a second of CPU and
20 MB, for a file it would hand to :mod:`sqlite3` anyway. Every other URL (PostgreSQL, Trino,
in-memory SQLite, ``file:`` URIs, URL options) goes through SQLAlchemy, imported only then;
:meth:`SqlSource.sqlalchemy_engine` gives the audit an engine for any URL.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ConfigError, SourceError, SourceUnavailable
from .base import Batch, Identities, ReadSpec, Source

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.engine import URL, Engine

__all__ = ["SqlSource"]

#: Same rule SQLAlchemy's ``text()`` uses to find ``:name`` bind parameters.
_BIND_RE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)", re.UNICODE)
#: SQLSTATE classes meaning "the database is not (currently) usable": connection exception,
#: insufficient resources, operator intervention (shutdown), system error, transaction rollback.
_TRANSIENT_SQLSTATE = ("08", "53", "57", "58", "40")
#: SQLite error texts that are transient rather than a mistake in the query.
_SQLITE_TRANSIENT = ("database is locked", "unable to open", "disk i/o", "busy", "database or disk is full")
#: A URL the stdlib path reads: a SQLite file, no driver other than pysqlite, no URL query.
_SQLITE_FILE_URL = re.compile(r"^sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)$")
#: SQLAlchemy's escaped colon in text() (``\:name`` is the literal ``:name``), as its compiler undoes it.
_BIND_ESC_RE = re.compile(r"\\(:[\w$]*)(?![:\w$])", re.UNICODE)


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines() if exc is not None else []
    return text[0] if text else type(exc).__name__


class SqlSource(Source):
    kind: ClassVar[str] = "sql"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "url": {"type": "string", "minLength": 1},
            "url_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            "batch_size": {"type": "integer", "minimum": 1},
            "connect_timeout": {"type": "number", "exclusiveMinimum": 0},
        },
        "oneOf": [{"required": ["url"]}, {"required": ["url_env"]}],
        "additionalProperties": False,
    }
    read_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "batch_size": {"type": "integer", "minimum": 1},
            "match": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    engine: Engine | None = None

    # -- set-up -------------------------------------------------------------------------------------

    #: The SQLite file read with :mod:`sqlite3` (set by :meth:`open`), or None when SQLAlchemy reads.
    sqlite_path: Path | None = None

    def _raw_url(self) -> tuple[str, str]:
        """The configured URL (from ``url`` or the ``url_env`` variable) and the key it came from."""
        raw: Any = self.options.get("url")
        where = f"sources.{self.name}.url"
        if raw is None:
            var = self.options.get("url_env")
            if not var:
                raise ConfigError("sql source needs `url` or `url_env`", source=self.name,
                                  key=f"sources.{self.name}")
            raw = self.env.get(str(var))
            where = f"sources.{self.name}.url_env"
            if not raw:
                raise ConfigError(f"environment variable {var} (url_env) is not set", source=self.name,
                                  key=where, hint=f"export {var}=<database URL>")
        return str(raw), where

    def _sqlite_file(self, database: str, where: str) -> Path:
        path = Path(database)
        if not path.is_absolute():
            path = (self.base_dir / path).resolve()
        if not path.is_file():
            # SQLite would silently create an empty database and we would report "nothing held"
            raise ConfigError("SQLite database file does not exist", source=self.name, key=where,
                              file=str(path), hint="check the path (relative to the config file's folder)")
        return path

    def _url(self) -> URL:
        import sqlalchemy as sa
        from sqlalchemy import exc as sa_exc

        raw, where = self._raw_url()
        try:
            url = sa.engine.make_url(raw)
        except sa_exc.ArgumentError as exc:
            # never echo the raw value: it may carry a password
            raise ConfigError("the database URL cannot be parsed", source=self.name, key=where,
                              hint="expected dialect[+driver]://user@host/db, e.g. "
                                   "postgresql+psycopg://app@db/app or sqlite:///store/app.sqlite") from exc
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not url.database.startswith("file:"):
            url = url.set(database=str(self._sqlite_file(url.database, where)))
        return url

    def open(self) -> None:
        raw, where = self._raw_url()
        plain = _SQLITE_FILE_URL.match(raw)
        if plain and plain["path"] != ":memory:" and not plain["path"].startswith("file:"):
            path = self._sqlite_file(plain["path"], where)
            try:
                conn = sqlite3.connect(path, check_same_thread=False)
                try:
                    conn.execute("SELECT 1").fetchone()
                finally:
                    conn.close()
            except sqlite3.Error as exc:
                raise SourceUnavailable(f"cannot connect to sqlite:///{path}: {_first_line(exc)}", source=self.name,
                                        hint="check that the database is running and reachable") from exc
            self.sqlite_path = path
            return
        self.engine = self._engine()
        self._check_connection()

    def sqlalchemy_engine(self) -> Engine:
        """A SQLAlchemy engine for the configured URL (the audit inspects tables with it), made on
        first use when the stdlib reads a SQLite file; :meth:`close` disposes of it."""
        if self.engine is None:
            self.engine = self._engine()
        return self.engine

    def _engine(self) -> Engine:
        import sqlalchemy as sa
        from sqlalchemy import exc as sa_exc

        url = self._url()
        shown = url.render_as_string(hide_password=True)
        connect_args: dict[str, Any] = {}
        timeout = self.options.get("connect_timeout", 10)
        if url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = max(1, int(timeout))
        try:
            return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        except sa_exc.NoSuchModuleError as exc:
            raise ConfigError(f"unknown SQLAlchemy dialect in URL {shown}", source=self.name,
                              hint="install the dialect package (e.g. `pip install trino` for trino://)") from exc
        except ImportError as exc:
            raise ConfigError(f"the database driver for {shown} is not installed ({exc.name or exc})",
                              source=self.name,
                              hint="install it, e.g. `pip install 'psycopg[binary]'` and use "
                                   "postgresql+psycopg://") from exc
        except sa_exc.ArgumentError as exc:
            raise ConfigError(f"invalid database URL {shown}: {_first_line(exc)}", source=self.name) from exc

    def _check_connection(self) -> None:
        import sqlalchemy as sa
        from sqlalchemy import exc as sa_exc

        assert self.engine is not None
        shown = self.engine.url.render_as_string(hide_password=True)
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1")).scalar()
        except sa_exc.DBAPIError as exc:
            self.close()
            raise SourceUnavailable(f"cannot connect to {shown}: {_first_line(exc.orig)}", source=self.name,
                                    hint="check that the database is running and reachable") from exc
        except sa_exc.SQLAlchemyError as exc:
            self.close()
            raise SourceUnavailable(f"cannot connect to {shown}: {type(exc).__name__}",
                                    source=self.name) from exc

    def close(self) -> None:
        self.sqlite_path = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    # -- reads --------------------------------------------------------------------------------------

    def _query(self, spec: ReadSpec) -> str:
        """The read's query, checked: its placeholders are exactly ``needs``, and case-insensitive
        identifier types are compared as ``lower(column) IN :type``."""
        query = spec.params.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ConfigError("sql read needs a `query`", source=self.name, stream=spec.label)
        referenced = set(_BIND_RE.findall(query))
        unknown = sorted(referenced - set(spec.needs))
        if unknown:
            raise ConfigError(f"query uses :{', :'.join(unknown)} which is not in `needs`", source=self.name,
                              stream=spec.label, hint="add the identifier type to needs or remove the placeholder")
        unused = sorted(set(spec.needs) - referenced)
        if unused:
            raise ConfigError(f"`needs` lists {', '.join(unused)} but the query has no :{unused[0]} placeholder",
                              source=self.name, stream=spec.label,
                              hint=f"filter with `... IN :{unused[0]}`")
        for t in spec.needs:
            rule = self.match_rules.get(t)
            if rule is not None and rule.case_insensitive and not re.search(
                    rf"lower\s*\([^()]+\)\s+in\s+:{t}\b", query, re.IGNORECASE):
                raise ConfigError(f"the query must compare lower(column) IN :{t}: identifiers of type {t} "
                                  "are matched without regard to ASCII case", source=self.name, stream=spec.label,
                                  hint=f"write e.g. `WHERE lower(email) IN :{t}`; every row is re-checked exactly")
        return query

    def _statement(self, spec: ReadSpec) -> sa.TextClause:
        """The checked query as SQLAlchemy ``text()`` with expanding binds (the audit runs it)."""
        import sqlalchemy as sa

        return sa.text(self._query(spec)).bindparams(*(sa.bindparam(t, expanding=True) for t in spec.needs))

    def _translate(self, exc: sa_exc.DBAPIError, spec: ReadSpec) -> Exception:
        from sqlalchemy import exc as sa_exc

        backend = self.engine.dialect.name if self.engine is not None else ""
        return self._translate_driver(exc.orig, spec, backend=backend, invalidated=exc.connection_invalidated,
                                      operational=isinstance(exc, sa_exc.OperationalError),
                                      programming=isinstance(exc, sa_exc.ProgrammingError))

    def _translate_driver(self, orig: BaseException | None, spec: ReadSpec, *, backend: str, invalidated: bool,
                          operational: bool, programming: bool) -> Exception:
        """The error to raise for the driver's exception ``orig`` (SQLAlchemy's ``.orig``, or
        :mod:`sqlite3`'s own): transient → retriable, the query's fault → ConfigError, else SourceError."""
        state = str(getattr(orig, "sqlstate", "") or "")
        transient = invalidated or state.startswith(_TRANSIENT_SQLSTATE)
        if not state and operational:
            text = str(orig).lower()
            transient = backend != "sqlite" or any(t in text for t in _SQLITE_TRANSIENT)
        if transient:
            return SourceUnavailable(f"database connection failed during the read ({type(orig).__name__})",
                                     source=self.name, stream=spec.label, sqlstate=state or None,
                                     hint="the read can be retried once the database is reachable")
        if programming or operational or state.startswith("42"):
            # the query itself is wrong (unknown column/table, syntax): its text is the config's,
            # and the driver's first line names the column/table — never a bound value
            return ConfigError(f"query failed: {_first_line(orig)}", source=self.name, stream=spec.label,
                               sqlstate=state or None, hint="fix the query in the config file")
        # data errors etc.: the driver message may quote subject values, so only name the class
        return SourceError(f"query failed with {type(orig).__name__}", source=self.name, stream=spec.label,
                           sqlstate=state or None)

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        query = self._query(spec)  # a wrong query is a ConfigError before any connection is tried
        if self.engine is None and self.sqlite_path is None:
            self.open()
        if self.sqlite_path is not None:
            yield from self._read_sqlite(self.sqlite_path, query, spec, ids)
            return
        import sqlalchemy as sa
        from sqlalchemy import exc as sa_exc

        stmt = sa.text(query).bindparams(*(sa.bindparam(t, expanding=True) for t in spec.needs))
        assert self.engine is not None
        params = {t: list(ids.get(t, ())) for t in spec.needs}
        if any(not v for v in params.values()):
            return  # nothing to match for a needed type: an empty IN () is not portable SQL
        size = int(spec.params.get("batch_size") or self.options.get("batch_size") or 1000)
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(stream_results=True, yield_per=size)
                result = conn.execute(stmt, params)
                for part in result.partitions(size):
                    yield [dict(row._mapping) for row in part]
        except sa_exc.DBAPIError as exc:
            raise self._translate(exc, spec) from exc
        except sa_exc.SQLAlchemyError as exc:
            raise ConfigError(f"query cannot be run: {type(exc).__name__}: {_first_line(exc)}",
                              source=self.name, stream=spec.label) from exc

    def _read_sqlite(self, path: Path, query: str, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        """:meth:`read` with :mod:`sqlite3`: each ``:type`` placeholder becomes ``(?, ?, …)`` with
        one bound value per identifier (what SQLAlchemy's expanding bind renders for pysqlite)."""
        params = {t: list(ids.get(t, ())) for t in spec.needs}
        if any(not v for v in params.values()):
            return  # nothing to match for a needed type: an empty IN () is not portable SQL
        size = int(spec.params.get("batch_size") or self.options.get("batch_size") or 1000)
        bound: list[Any] = []

        def expand(match: re.Match[str]) -> str:
            values = params[match.group(1)]
            bound.extend(values)
            return "(" + ", ".join("?" * len(values)) + ")"

        sql = _BIND_ESC_RE.sub(lambda m: m.group(1), _BIND_RE.sub(expand, query))
        try:
            conn = sqlite3.connect(path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._translate_sqlite(exc, spec) from exc
        try:
            cursor = conn.execute(sql, bound)
            names = [d[0] for d in cursor.description or ()]
            while part := cursor.fetchmany(size):
                yield [dict(zip(names, row, strict=True)) for row in part]
        except sqlite3.Error as exc:
            raise self._translate_sqlite(exc, spec) from exc
        finally:
            conn.close()

    def _translate_sqlite(self, exc: sqlite3.Error, spec: ReadSpec) -> Exception:
        if isinstance(exc, sqlite3.Warning | sqlite3.InterfaceError):  # e.g. two statements in one query
            return ConfigError(f"query cannot be run: {type(exc).__name__}: {_first_line(exc)}",
                               source=self.name, stream=spec.label)
        return self._translate_driver(exc, spec, backend="sqlite", invalidated=False,
                                      operational=isinstance(exc, sqlite3.OperationalError),
                                      programming=isinstance(exc, sqlite3.ProgrammingError))
