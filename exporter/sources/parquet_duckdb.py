"""One Parquet read through DuckDB: the query that selects the subject's rows, and its ordered reading.

What the plan does and why (one ``IN`` branch per matched column, ``TRY_CAST``, the stored
spellings of case-insensitive identifiers, sorted chunks, the stored-order shortcut) is the
parquet module's docstring; this module carries it out for :class:`~.parquet.ParquetSource`.
DuckDB is imported on first use (a read Arrow answers alone never needs it).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from ..errors import ConfigError, SourceDataError, SourceError, SourceUnavailable
from .arrow_order import OrderCheck
from .base import Identities, ReadSpec
from .scan_stats import ScanStats

if TYPE_CHECKING:
    import duckdb

__all__ = ["IDENT", "DuckRead", "ReadingSource", "profile_stats", "quoted"]

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE = re.compile(r"^[A-Za-z0-9_(), ]+$")  # DuckDB type names as DESCRIBE prints them (no nesting)
_SCAN = "read_parquet($files, hive_partitioning = true, union_by_name = true)"


def _duckdb() -> ModuleType:
    import duckdb

    return duckdb


def quoted(name: str) -> str:
    return '"' + name + '"'


def _scans(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if str(node.get("name", "")).upper() in ("READ_PARQUET", "PARQUET_SCAN") or (
            str((node.get("extra_info") or {}).get("Function", "")).upper() == "READ_PARQUET"):
        yield node
    for child in node.get("children") or ():
        yield from _scans(child)


def profile_stats(cursor: duckdb.DuckDBPyConnection) -> ScanStats:
    """The last query's Parquet scans, from ``get_profiling_information`` (profiling enabled)."""
    duckdb = _duckdb()
    try:
        info = json.loads(cursor.get_profiling_information(format="json"))
    except (duckdb.Error, ValueError):
        return ScanStats()
    out = ScanStats(queries=1, bytes_read=int((info.get("io") or {}).get("total_bytes_read") or 0))
    for top in info.get("operator") or ():
        for scan in _scans(top):
            extra = scan.get("extra_info") or {}
            out.files += int(extra.get("Total Files Read") or 0)
            out.row_groups_scanned += int(scan.get("row_groups_scanned") or 0)
            out.row_groups_total += int(scan.get("total_row_groups_to_scan") or 0)
            out.rows_scanned += int(scan.get("rows_scanned") or 0)
    return out


class ReadingSource(Protocol):
    """What a read needs of its source (:class:`~.parquet.ParquetSource`)."""

    name: str

    @property
    def match_rules(self) -> Mapping[str, Any]: ...

    def files(self, spec: ReadSpec) -> tuple[list[str] | str, set[str]]: ...

    def column_list(self, spec: ReadSpec, key: str) -> list[str]: ...


@dataclass
class _Plan:
    union: str  #: UNION ALL of the match branches
    columns: list[str]  #: the output columns
    order_by: list[str]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def outer(self) -> str:
        return ", ".join(quoted(c) for c in self.columns)


@dataclass
class DuckRead:
    """One read (``spec``, the subject's ``ids``) of ``src`` on ``cursor``; what it scans goes to ``stats``."""

    src: ReadingSource
    spec: ReadSpec
    ids: Identities
    cursor: duckdb.DuckDBPyConnection
    stats: ScanStats
    max_spellings: int

    def _error(self, message: str, **context: Any) -> ConfigError:
        return ConfigError(message, source=self.src.name, stream=self.spec.label, **context)

    # -- the query ----------------------------------------------------------------------------------

    def plan(self) -> _Plan | None:
        """The query selecting the subject's rows (None: no identifier to look for)."""
        match, order_by, columns = self._params()
        files, partition_keys = self.src.files(self.spec)
        types = self._types(files, [*columns, *order_by, *(match[t] for t in self.spec.needs)])
        if not columns:
            columns = [c for c in types if c not in partition_keys]
        left_out = [str(match[t]) for t in self.spec.needs if str(match[t]) not in columns]
        if left_out:
            raise self._error(f"`columns` must include the matched column {left_out[0]!r}: every row is re-checked "
                              "against the subject's identifiers", hint=f"add {left_out[0]!r} to `columns`")
        plan = _Plan("", columns, order_by, {"files": files})
        branches = self._branches(match, types, plan)
        if not branches:
            return None
        plan.union = " UNION ALL ".join(branches)
        return plan

    def _params(self) -> tuple[Mapping[str, str], list[str], list[str]]:
        """The read's ``match``, ``order_by`` and ``columns``, checked."""
        match = self.spec.params.get("match")
        if not isinstance(match, Mapping) or not match:
            raise self._error('parquet read needs `match = { identifier_type = "column" }`')
        missing = [t for t in self.spec.needs if t not in match]
        if missing:
            raise self._error(f"`needs` lists {', '.join(missing)} but `match` has no column for it")
        if not all(isinstance(col, str) and IDENT.match(col) for col in match.values()):
            raise self._error("`match` values must be column names (letters, digits, _)")
        order_by = self.src.column_list(self.spec, "order_by")
        if not order_by:
            raise self._error("parquet read needs `order_by` (a list of columns) for a deterministic order")
        return match, order_by, self.src.column_list(self.spec, "columns")

    def _types(self, files: list[str] | str, wanted: list[str]) -> dict[str, str]:
        """Column → DuckDB type of the files (unioned by name); every ``wanted`` column must be one."""
        try:
            described = self.cursor.execute(f"DESCRIBE SELECT * FROM {_SCAN}", {"files": files}).fetchall()
        except _duckdb().Error as exc:
            raise self.translate(exc) from exc
        types = {str(row[0]): str(row[1]) for row in described}
        for col in wanted:
            if col not in types:
                raise self._error(f"column {col!r} is not in the Parquet files",
                                  hint=f"columns: {', '.join(sorted(types))}")
        return types

    def _branches(self, match: Mapping[str, str], types: Mapping[str, str], plan: _Plan) -> list[str]:
        """One ``col IN (…)`` branch per matched column, each excluding rows an earlier one returned."""
        inner = ", ".join(quoted(c) for c in dict.fromkeys([*plan.columns, *plan.order_by]))
        conds: list[str] = []
        branches: list[str] = []
        serial = itertools.count()
        for id_type in self.spec.needs:
            values = self.ids.get(id_type, ())
            if not values:
                continue
            found = self._condition(id_type, str(match[id_type]), types, values, serial, plan)
            if found is None:
                continue  # stored nowhere: this branch matches no row
            cond, bound = found
            plan.params.update(bound)
            excl = "".join(f" AND NOT coalesce({c}, false)" for c in conds)
            branches.append(f"SELECT {inner} FROM {_SCAN} WHERE {cond}{excl}")
            conds.append(cond)
        return branches

    def _condition(self, id_type: str, col: str, types: Mapping[str, str], values: Any,
                   serial: Iterator[int], plan: _Plan) -> tuple[str, dict[str, Any]] | None:
        """The filter on ``col`` for the subject's ``values`` with its bound parameters (None: no row)."""
        ctype = types[col]
        bound = {f"v{next(serial)}": str(v) for v in values}
        if ctype == "VARCHAR":
            names = [f"${n}" for n in bound]
        elif _TYPE.match(ctype):
            names = [f"TRY_CAST(${n} AS {ctype})" for n in bound]
        else:  # nested types cannot hold a scalar identifier
            raise self._error(f"column {col!r} has type {ctype}; it cannot be matched")
        cond = f"{quoted(col)} IN ({', '.join(names)})"
        rule = self.src.match_rules.get(id_type)
        if rule is None or not rule.case_insensitive or ctype != "VARCHAR":
            return cond, bound
        cond = f"lower({quoted(col)}) IN ({', '.join(names)})"
        spellings = self._spellings(col, cond, {"files": plan.params["files"], **bound})
        if spellings is None:  # too many: keep the lower() filter
            return cond, bound
        if not spellings:
            return None
        bound = {f"s{next(serial)}": v for v in spellings}
        return f"{quoted(col)} IN ({', '.join(f'${n}' for n in bound)})", bound

    def _spellings(self, col: str, cond: str, params: dict[str, Any]) -> list[str] | None:
        """The distinct stored values of ``col`` that satisfy ``cond`` (sorted; None: too many)."""
        if self.max_spellings <= 0:
            return None  # switched off: lower() in every query
        try:
            found = self.cursor.execute(f"SELECT DISTINCT {quoted(col)} FROM {_SCAN} WHERE {cond} "
                                        f"LIMIT {self.max_spellings + 1}", params).fetchall()
        except _duckdb().Error as exc:
            raise self.translate(exc) from exc
        self._profiled()
        values = sorted(str(r[0]) for r in found if r[0] is not None)
        return None if len(values) > self.max_spellings else values

    # -- reading ------------------------------------------------------------------------------------

    def batches(self, size: int, chunk_rows: int, threads: int) -> Iterator[pa.RecordBatch]:
        """The rows in ``order_by`` order, as record batches of about ``size`` rows."""
        plan = self.plan()
        if plan is None:
            return
        try:
            total, keyed = self._count(plan)
            if total > chunk_rows and threads == 1 and self._in_order(plan):
                yield from self._stored_order(plan, size)
                return
            chunks = self._chunks(plan, total, keyed, chunk_rows)
            for where, args in self._chunk_filters(plan, chunks):
                relation = self.cursor.sql(f"SELECT {plan.outer} FROM ({plan.union}){where} "
                                           f"ORDER BY {', '.join(quoted(c) for c in plan.order_by)}", params=args)
                for batch in relation.to_arrow_reader(size):  # streamed Arrow record batches
                    if batch.num_rows:
                        yield batch
                self._profiled()
        except _duckdb().Error as exc:
            raise self.translate(exc) from exc

    def _profiled(self) -> None:
        self.stats.add(profile_stats(self.cursor))

    def _count(self, plan: _Plan) -> tuple[int, int]:
        """(rows, rows with a non-NULL first key) of the read."""
        key = quoted(plan.order_by[0])
        total, keyed = self.cursor.execute(f"SELECT count(*), count({key}) FROM ({plan.union})",
                                           plan.params).fetchall()[0]
        self._profiled()
        return int(total), int(keyed)

    def _chunks(self, plan: _Plan, total: int, keyed: int, limit: int) -> list[tuple[Any, Any] | None]:
        """Ranges of the first order_by column, each holding about ``limit`` rows.

        ``(lo, hi)`` means ``lo <= key < hi`` (``None``: open end); a ``None`` range means
        ``key IS NULL``; a lone ``(None, None)`` is the whole read. Empty list: nothing matches.
        """
        if not total:
            return []
        if total <= limit:
            return [(None, None)]  # one query, NULL keys included in their place
        key = quoted(plan.order_by[0])
        ranges: list[tuple[Any, Any] | None] = []
        if keyed:
            k = -(-keyed // limit)
            size = min(keyed, max(1000, 64 * k))
            sample = sorted(r[0] for r in self.cursor.execute(
                f"SELECT {key} FROM (SELECT {key} FROM ({plan.union}) WHERE {key} IS NOT NULL) "
                f"USING SAMPLE reservoir({size} ROWS) REPEATABLE (7)", plan.params).fetchall())
            self._profiled()
            cuts = sorted({sample[len(sample) * i // k] for i in range(1, k)})
            ranges = list(itertools.pairwise([None, *cuts, None]))
        if total > keyed:
            setting = str(self.cursor.execute("SELECT current_setting('default_null_order')").fetchall()[0][0])
            if setting.lower().startswith("nulls_first"):
                ranges.insert(0, None)
            else:
                ranges.append(None)
        return ranges

    @staticmethod
    def _chunk_filters(plan: _Plan, chunks: list[tuple[Any, Any] | None]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(WHERE clause, parameters) of each chunk's query."""
        key = quoted(plan.order_by[0])
        for chunk in chunks:
            args = dict(plan.params)
            if chunk is None:
                yield f" WHERE {key} IS NULL", args
                continue
            conds = []
            if chunk[0] is not None:
                conds.append(f"{key} >= $chunk_lo")
                args["chunk_lo"] = chunk[0]
            if chunk[1] is not None:
                conds.append(f"{key} < $chunk_hi")
                args["chunk_hi"] = chunk[1]
            if not conds and len(chunks) > 1:
                conds.append(f"{key} IS NOT NULL")  # the NULL keys have their own chunk
            yield (f" WHERE {' AND '.join(conds)}" if conds else ""), args

    def _in_order(self, plan: _Plan) -> bool:
        """Do the matching rows already come in ``order_by`` order, strictly (exporter.sources.arrow_order)?
        Asked of reads that would be sorted in chunks, with one DuckDB thread (whose unsorted scan
        order is the files' order, the same for every query), when the output carries the keys (so
        the read itself re-checks them). Costs one scan of the key columns."""
        if not set(plan.order_by) <= set(plan.columns):
            return False
        check = OrderCheck(plan.order_by)
        keys = ", ".join(quoted(c) for c in plan.order_by)
        for batch in self.cursor.sql(f"SELECT {keys} FROM ({plan.union})", params=plan.params).to_arrow_reader(65_536):
            if not check.feed(batch):
                break
        self._profiled()
        return check.ok

    def _stored_order(self, plan: _Plan, size: int) -> Iterator[pa.RecordBatch]:
        """The rows in the order they are stored, which :meth:`_in_order` found to be ``order_by``'s;
        each batch re-checked, in case the files changed in between."""
        check = OrderCheck(plan.order_by)
        relation = self.cursor.sql(f"SELECT {plan.outer} FROM ({plan.union})", params=plan.params)
        for batch in relation.to_arrow_reader(size):
            if not check.feed(batch):
                raise SourceUnavailable("the Parquet files changed while they were read (rows out of order)",
                                        source=self.src.name, stream=self.spec.label, hint="run the export again")
            if batch.num_rows:
                yield batch
        self._profiled()

    def translate(self, exc: Exception) -> Exception:
        """A DuckDB error as the exporter's (the message's first line; never a value)."""
        duckdb = _duckdb()
        name, label = self.src.name, self.spec.label
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException)):
            return ConfigError(f"DuckDB cannot run the read: {first}", source=name, stream=label)
        if isinstance(exc, (duckdb.IOException, duckdb.InvalidInputException)):
            return SourceDataError(f"cannot read the Parquet files: {first}", source=name, stream=label)
        if isinstance(exc, duckdb.OutOfMemoryException):
            return SourceUnavailable("DuckDB ran out of memory", source=name, stream=label,
                                     hint="raise `memory_limit` on the source")
        if isinstance(exc, (duckdb.HTTPException,)):
            return SourceUnavailable(f"object storage request failed ({type(exc).__name__})", source=name,
                                     stream=label)
        # conversion errors and the like can quote values: name the class only
        return SourceError(f"DuckDB failed with {type(exc).__name__}", source=name, stream=label)
