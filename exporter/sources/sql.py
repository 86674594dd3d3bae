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
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine

from ..errors import ConfigError, SourceError, SourceUnavailable
from .base import Batch, Identities, ReadSpec, Source

__all__ = ["SqlSource"]

#: Same rule SQLAlchemy's ``text()`` uses to find ``:name`` bind parameters.
_BIND_RE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)", re.UNICODE)
#: SQLSTATE classes meaning "the database is not (currently) usable": connection exception,
#: insufficient resources, operator intervention (shutdown), system error, transaction rollback.
_TRANSIENT_SQLSTATE = ("08", "53", "57", "58", "40")
#: SQLite error texts that are transient rather than a mistake in the query.
_SQLITE_TRANSIENT = ("database is locked", "unable to open", "disk i/o", "busy", "database or disk is full")


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

    def _url(self) -> URL:
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
        try:
            url = sa.engine.make_url(str(raw))
        except sa_exc.ArgumentError as exc:
            # never echo the raw value: it may carry a password
            raise ConfigError("the database URL cannot be parsed", source=self.name, key=where,
                              hint="expected dialect[+driver]://user@host/db, e.g. "
                                   "postgresql+psycopg://app@db/app or sqlite:///store/app.sqlite") from exc
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
                and not url.database.startswith("file:"):
            path = Path(url.database)
            if not path.is_absolute():
                path = (self.base_dir / path).resolve()
            if not path.is_file():
                # SQLite would silently create an empty database and we would report "nothing held"
                raise ConfigError("SQLite database file does not exist", source=self.name, key=where,
                                  file=str(path), hint="check the path (relative to the config file's folder)")
            url = url.set(database=str(path))
        return url

    def open(self) -> None:
        url = self._url()
        shown = url.render_as_string(hide_password=True)
        connect_args: dict[str, Any] = {}
        timeout = self.options.get("connect_timeout", 10)
        if url.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = max(1, int(timeout))
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
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
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    # -- reads --------------------------------------------------------------------------------------

    def _statement(self, spec: ReadSpec) -> sa.TextClause:
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
        return sa.text(query).bindparams(*(sa.bindparam(t, expanding=True) for t in spec.needs))

    def _translate(self, exc: sa_exc.DBAPIError, spec: ReadSpec) -> Exception:
        orig = exc.orig
        state = str(getattr(orig, "sqlstate", "") or "")
        transient = exc.connection_invalidated or state.startswith(_TRANSIENT_SQLSTATE)
        if not state and isinstance(exc, sa_exc.OperationalError):
            backend = self.engine.dialect.name if self.engine is not None else ""
            text = str(orig).lower()
            transient = backend != "sqlite" or any(t in text for t in _SQLITE_TRANSIENT)
        if transient:
            return SourceUnavailable(f"database connection failed during the read ({type(orig).__name__})",
                                     source=self.name, stream=spec.label, sqlstate=state or None,
                                     hint="the read can be retried once the database is reachable")
        if isinstance(exc, (sa_exc.ProgrammingError, sa_exc.OperationalError)) or state.startswith("42"):
            # the query itself is wrong (unknown column/table, syntax): its text is the config's,
            # and the driver's first line names the column/table — never a bound value
            return ConfigError(f"query failed: {_first_line(orig)}", source=self.name, stream=spec.label,
                               sqlstate=state or None, hint="fix the query in the config file")
        # data errors etc.: the driver message may quote subject values, so only name the class
        return SourceError(f"query failed with {type(orig).__name__}", source=self.name, stream=spec.label,
                           sqlstate=state or None)

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        stmt = self._statement(spec)
        if self.engine is None:
            self.open()
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
