"""``kind = "parquet"``: Parquet files (hive-partitioned folders welcome), queried with DuckDB.

A small local read (footers of at most ``small_read_rows`` rows, default 100,000; exact matches
on string columns; at most ``sort_chunk_rows`` matches) is answered by Arrow alone, with the same
rows, order and types, and DuckDB is then neither imported nor connected
(:mod:`exporter.sources.parquet_local`, which says when exactly).

Options: ``root`` (folder relative to the config file's folder, or an object-store URL such as
``s3://bucket/prefix`` — see docs/sources.md), ``threads`` (default 1), ``memory_limit`` (default ``"256MB"``),
``batch_size`` (default 1000), ``sort_chunk_rows`` (default 25000, see below), ``small_read_rows``
(default 100000, see above; 0: always DuckDB). Read params: ``path`` (glob relative to the root), ``match =
{ identifier_type = "column" }``, ``columns`` (projection; default every column except hive
partition keys), ``order_by`` (column list, required: it makes the output order deterministic).

Subject values are bound as parameters, never formatted into SQL. Each matched column gets its own
``col IN ($v0, $v1, …)`` branch (``UNION ALL``): EXPLAIN shows DuckDB pushes a single-column ``IN``
list into the Parquet scan as a filter (row-group pruning) but keeps an ``OR`` across two columns
above the scan, reading every row group. Values are ``TRY_CAST`` to the column's type, so a value
that cannot be, say, an integer matches nothing instead of failing with a message that would quote it.

Case-insensitive identifiers (``email``, ``ascii_ci``: the rule ignores ASCII case) need
``lower(col) IN (probes)``, which no min/max statistic or Bloom filter can answer: DuckDB evaluates
it on every row group's dictionary or values. So such a branch first asks for the column's stored
spellings, ``SELECT DISTINCT col … WHERE lower(col) IN (probes)`` (a scan of that one column), and
then reads with ``col IN (spelling, …)``, which the scan prunes with statistics and Bloom filters —
in the row count and in each sorted chunk below. Both select exactly the same rows (a row's value
is one of the spellings iff its ``lower()`` is one of the probes), so the matching rule and the
near-match screening are unchanged; every row is still re-checked in Python (exporter.matching).

What each read touched (DuckDB's profiler: queries, files, row groups scanned of those in the
files, rows and bytes read) is added up in :attr:`ParquetSource.scan_stats` and logged at INFO (`exporter -v`)
on ``exporter.sources.parquet`` (counts only, never values).

Bounded memory for big subjects: ``ORDER BY`` over a million rows makes DuckDB hold (or spill)
them all — measured 430 MB RSS for 1M access-log rows at the default memory limit. So a read
first counts its rows; above ``sort_chunk_rows`` it samples the first ``order_by`` column
(reservoir, bounded), cuts its range into chunks of about that many rows and runs one ordered
query per chunk (``col >= lo AND col < hi``; the Parquet scan prunes row groups by their min/max),
then the rows whose first key is NULL. Rows come out in exactly the order of the single query (all
rows with the same first key fall into one chunk); memory is bounded by the chunk, not the subject.

``read_arrow`` yields the Arrow record batches themselves (the pipeline's columnar path);
``read`` turns them into lists of dicts.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, cast

import pyarrow as pa

from ..errors import ConfigError, SourceDataError, SourceError, SourceUnavailable
from .base import Batch, Identities, ReadSpec, Source
from .files import confined_folder, expand_glob
from .arrow_order import OrderCheck
from .scan_stats import ScanStats
from .parquet_local import DEFAULT_MAX_ROWS, read_local

if TYPE_CHECKING:
    import duckdb

__all__ = ["ParquetSource", "ScanStats"]

log = logging.getLogger("exporter.sources.parquet")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE = re.compile(r"^[A-Za-z0-9_(), ]+$")  # DuckDB type names as DESCRIBE prints them (no nesting)
_REMOTE = re.compile(r"^(s3|s3a|gs|gcs|r2|az|azure|abfss|https?)://", re.IGNORECASE)
_NAME_LIST = {"type": "array", "items": {"type": "string", "pattern": _IDENT.pattern}}
#: more stored spellings than this for one subject's values: keep ``lower(col) IN`` instead of binding
#: them (0: never look them up)
MAX_SPELLINGS = 1000


def _duckdb() -> ModuleType:
    """DuckDB, imported on first use (a small local read never needs it)."""
    import duckdb

    return duckdb


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


def _q(name: str) -> str:
    return '"' + name + '"'


def _unquoted(columns: str) -> list[str]:
    """The names in a select list :func:`_q` built (``"a", "b"``)."""
    return [c.strip().strip('"') for c in columns.split(",")]


class ParquetSource(Source):
    kind: ClassVar[str] = "parquet"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "root": {"type": "string", "minLength": 1},
            "threads": {"type": "integer", "minimum": 1},
            "memory_limit": {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[KMGT]i?B\s*$"},
            "batch_size": {"type": "integer", "minimum": 1},
            "sort_chunk_rows": {"type": "integer", "minimum": 1000},
            "small_read_rows": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }
    read_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "match": {"type": "object", "minProperties": 1,
                      "additionalProperties": {"type": "string", "pattern": _IDENT.pattern}},
            "columns": {**_NAME_LIST, "minItems": 1},
            "order_by": {**_NAME_LIST, "minItems": 1},
            "batch_size": {"type": "integer", "minimum": 1},
        },
        "required": ["path", "match", "order_by"],
        "additionalProperties": False,
    }

    con: duckdb.DuckDBPyConnection | None = None
    #: what this source's reads touched so far (see the module docstring)
    scan_stats: ScanStats

    def open(self) -> None:
        self.scan_stats = ScanStats()
        if self._remote_root():
            self._connection()  # an object store needs DuckDB (and httpfs): say so at once

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, made on first need."""
        if self.con is not None:
            return self.con
        ddb = _duckdb()
        # One thread by default: a read is one subject's rows (pushed-down filters, sorted chunks),
        # where more threads buy little and each holds its own scan buffers; parallelism comes from
        # running exports side by side (export-batch --jobs). Raise it for large remote scans.
        config: dict[str, Any] = {"memory_limit": str(self.options.get("memory_limit", "256MB")),
                                  "threads": int(self.options.get("threads", 1))}
        try:
            con = cast("duckdb.DuckDBPyConnection", ddb.connect(":memory:", config=config))
        except ddb.Error as exc:
            raise ConfigError(f"DuckDB rejected the options: {exc}", source=self.name,
                              key=f"sources.{self.name}") from exc
        if self._remote_root():
            try:
                con.execute("LOAD httpfs")
            except ddb.Error as exc:
                con.close()
                raise ConfigError("reading from object storage needs the DuckDB httpfs extension",
                                  source=self.name, hint="run `INSTALL httpfs` once (python -c \"import duckdb; "
                                  "duckdb.sql('INSTALL httpfs')\")") from exc
        self.con = con
        return con

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own (other reads may interleave on the connection), profiled silently."""
        cursor = self._connection().cursor()
        try:
            cursor.execute("SET enable_profiling = 'no_output'")
        except _duckdb().Error:  # a DuckDB without the setting: no statistics, same reads
            pass
        return cursor

    def _profiled(self, cursor: duckdb.DuckDBPyConnection, stats: ScanStats) -> None:
        stats.add(profile_stats(cursor))

    def _remote_root(self) -> str | None:
        root = self.options.get("root")
        return str(root).rstrip("/") if isinstance(root, str) and _REMOTE.match(root) else None

    # -- planning -----------------------------------------------------------------------------------

    def _files(self, spec: ReadSpec) -> tuple[list[str] | str, set[str]]:
        """The files to scan (local: explicit sorted list) and the hive partition keys seen."""
        pattern = spec.params.get("path")
        remote = self._remote_root()
        if remote:
            if not isinstance(pattern, str) or ".." in re.split(r"[\\/]+", pattern) or pattern.startswith("/"):
                raise ConfigError("`path` must be a relative glob", source=self.name, stream=spec.label)
            return f"{remote}/{pattern}", set()
        folder = confined_folder(self.base_dir, self.options.get("root"), source=self.name)
        files = expand_glob(folder, pattern, source=self.name, label=spec.label)
        keys = {part.split("=", 1)[0] for f in files for part in f.relative_to(folder).parts[:-1] if "=" in part}
        return [str(f) for f in files], keys

    def _identifiers(self, spec: ReadSpec, key: str) -> list[str]:
        value = spec.params.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and _IDENT.match(v) for v in value):
            raise ConfigError(f"`{key}` must be a list of column names (letters, digits, _)", source=self.name,
                              stream=spec.label)
        return list(value)

    def _plan(self, spec: ReadSpec, ids: Identities) -> tuple[str, dict[str, Any]] | None:
        """The whole read as one ordered query (kept for tests and EXPLAIN)."""
        cursor = self._connection().cursor()
        try:
            parts = self._parts(spec, ids, cursor, ScanStats())
        finally:
            cursor.close()
        if parts is None:
            return None
        union, outer, order_by, params = parts
        return f"SELECT {outer} FROM ({union}) ORDER BY {', '.join(_q(c) for c in order_by)}", params

    def _parts(self, spec: ReadSpec, ids: Identities, cursor: duckdb.DuckDBPyConnection, stats: ScanStats,
               ) -> tuple[str, str, list[str], dict[str, Any]] | None:
        """(UNION ALL of the match branches, output columns, order_by columns, parameters)."""
        duckdb = _duckdb()
        con = self._connection()
        match = spec.params.get("match")
        if not isinstance(match, Mapping) or not match:
            raise ConfigError('parquet read needs `match = { identifier_type = "column" }`', source=self.name,
                              stream=spec.label)
        missing = [t for t in spec.needs if t not in match]
        if missing:
            raise ConfigError(f"`needs` lists {', '.join(missing)} but `match` has no column for it",
                              source=self.name, stream=spec.label)
        for col in match.values():
            if not isinstance(col, str) or not _IDENT.match(col):
                raise ConfigError("`match` values must be column names (letters, digits, _)", source=self.name,
                                  stream=spec.label)
        order_by = self._identifiers(spec, "order_by")
        if not order_by:
            raise ConfigError("parquet read needs `order_by` (a list of columns) for a deterministic order",
                              source=self.name, stream=spec.label)
        columns = self._identifiers(spec, "columns")

        files, partition_keys = self._files(spec)
        scan = "read_parquet($files, hive_partitioning = true, union_by_name = true)"
        params: dict[str, Any] = {"files": files}
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {scan}", params).fetchall()
        except duckdb.Error as exc:
            raise self._translate(exc, spec) from exc
        types = {str(row[0]): str(row[1]) for row in described}
        for col in [*columns, *order_by, *(match[t] for t in spec.needs)]:
            if col not in types:
                raise ConfigError(f"column {col!r} is not in the Parquet files", source=self.name, stream=spec.label,
                                  hint=f"columns: {', '.join(sorted(types))}")
        if not columns:
            columns = [c for c in types if c not in partition_keys]
        left_out = [str(match[t]) for t in spec.needs if str(match[t]) not in columns]
        if left_out:
            raise ConfigError(f"`columns` must include the matched column {left_out[0]!r}: every row is re-checked "
                              "against the subject's identifiers", source=self.name, stream=spec.label,
                              hint=f"add {left_out[0]!r} to `columns`")

        # one branch per matched column, each excluding rows an earlier branch already returned
        inner_cols = ", ".join(_q(c) for c in dict.fromkeys([*columns, *order_by]))
        conds: list[str] = []
        branches: list[str] = []
        serial = itertools.count()
        for id_type in spec.needs:
            values = ids.get(id_type, ())
            if not values:
                continue
            col = str(match[id_type])
            ctype = types[col]
            bound: dict[str, Any] = {}
            for v in values:
                bound[f"v{next(serial)}"] = str(v)
            if ctype == "VARCHAR":
                names = [f"${n}" for n in bound]
            elif _TYPE.match(ctype):
                names = [f"TRY_CAST(${n} AS {ctype})" for n in bound]
            else:  # nested types cannot hold a scalar identifier
                raise ConfigError(f"column {col!r} has type {ctype}; it cannot be matched", source=self.name,
                                  stream=spec.label)
            cond = f"{_q(col)} IN ({', '.join(names)})"
            rule = self.match_rules.get(id_type)
            if rule is not None and rule.case_insensitive and ctype == "VARCHAR":
                cond = f"lower({_q(col)}) IN ({', '.join(names)})"
                spellings = self._spellings(cursor, scan, col, cond, {"files": files, **bound}, stats, spec)
                if spellings is not None:  # None: too many, keep the lower() filter
                    if not spellings:
                        continue  # stored nowhere: this branch matches no row
                    bound = {f"s{next(serial)}": v for v in spellings}
                    cond = f"{_q(col)} IN ({', '.join(f'${n}' for n in bound)})"
            params.update(bound)
            excl = "".join(f" AND NOT coalesce({c}, false)" for c in conds)
            branches.append(f"SELECT {inner_cols} FROM {scan} WHERE {cond}{excl}")
            conds.append(cond)
        if not branches:
            return None
        outer = ", ".join(_q(c) for c in columns)
        return " UNION ALL ".join(branches), outer, order_by, params

    def _spellings(self, cursor: duckdb.DuckDBPyConnection, scan: str, col: str, cond: str,
                   params: dict[str, Any], stats: ScanStats, spec: ReadSpec) -> list[str] | None:
        """The distinct stored values of ``col`` that satisfy ``cond`` (sorted; None: too many)."""
        if MAX_SPELLINGS <= 0:
            return None  # switched off: lower() in every query
        try:
            found = cursor.execute(f"SELECT DISTINCT {_q(col)} FROM {scan} WHERE {cond} LIMIT {MAX_SPELLINGS + 1}",
                                   params).fetchall()
        except _duckdb().Error as exc:
            raise self._translate(exc, spec) from exc
        self._profiled(cursor, stats)
        values = sorted(str(r[0]) for r in found if r[0] is not None)
        return None if len(values) > MAX_SPELLINGS else values

    # -- reading ------------------------------------------------------------------------------------

    def _translate(self, exc: duckdb.Error, spec: ReadSpec) -> Exception:
        duckdb = _duckdb()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException)):
            return ConfigError(f"DuckDB cannot run the read: {first}", source=self.name, stream=spec.label)
        if isinstance(exc, (duckdb.IOException, duckdb.InvalidInputException)):
            return SourceDataError(f"cannot read the Parquet files: {first}", source=self.name, stream=spec.label)
        if isinstance(exc, duckdb.OutOfMemoryException):
            return SourceUnavailable("DuckDB ran out of memory", source=self.name, stream=spec.label,
                                     hint="raise `memory_limit` on the source")
        if isinstance(exc, (duckdb.HTTPException,)):
            return SourceUnavailable(f"object storage request failed ({type(exc).__name__})", source=self.name,
                                     stream=spec.label)
        # conversion errors and the like can quote values: name the class only
        return SourceError(f"DuckDB failed with {type(exc).__name__}", source=self.name, stream=spec.label)

    def _count(self, cursor: Any, union: str, key: str, params: dict[str, Any], stats: ScanStats) -> tuple[int, int]:
        """(rows, rows with a non-NULL first key) of the read."""
        total, keyed = cursor.execute(f"SELECT count(*), count({_q(key)}) FROM ({union})", params).fetchall()[0]
        self._profiled(cursor, stats)
        return int(total), int(keyed)

    def _chunk_rows(self) -> int:
        return int(self.options.get("sort_chunk_rows") or 25_000)

    def _chunks(self, cursor: Any, union: str, key: str, params: dict[str, Any], stats: ScanStats,
                total: int, keyed: int) -> list[tuple[Any, Any] | None]:
        """Ranges of the first order_by column, each holding about ``sort_chunk_rows`` rows.

        ``(lo, hi)`` means ``lo <= key < hi`` (``None``: open end); a ``None`` range means
        ``key IS NULL``; a lone ``(None, None)`` is the whole read. Empty list: nothing matches.
        """
        limit = self._chunk_rows()
        if not total:
            return []
        if total <= limit:
            return [(None, None)]  # one query, NULL keys included in their place
        ranges: list[tuple[Any, Any] | None] = []
        if keyed:
            k = -(-keyed // limit)
            size = min(keyed, max(1000, 64 * k))
            sample = sorted(r[0] for r in cursor.execute(
                f"SELECT {_q(key)} FROM (SELECT {_q(key)} FROM ({union}) WHERE {_q(key)} IS NOT NULL) "
                f"USING SAMPLE reservoir({size} ROWS) REPEATABLE (7)", params).fetchall())
            self._profiled(cursor, stats)
            cuts = sorted({sample[len(sample) * i // k] for i in range(1, k)})
            bounds = [None, *cuts, None]
            ranges = list(itertools.pairwise(bounds))
        if total > keyed:
            setting = str(cursor.execute("SELECT current_setting('default_null_order')").fetchall()[0][0]).lower()
            if setting.startswith("nulls_first"):
                ranges.insert(0, None)
            else:
                ranges.append(None)
        return ranges

    def read_arrow(self, spec: ReadSpec, ids: Identities, *, rows: int | None = None) -> Iterator[pa.RecordBatch]:
        """The matching rows in ``order_by`` order, as Arrow record batches of about ``rows`` rows."""
        if getattr(self, "scan_stats", None) is None:
            self.open()
        stats = ScanStats()
        try:
            local = self._read_local(spec, ids, rows, stats)
            if local is not None:
                yield from local
                return
            cursor = self._cursor()
            try:
                yield from self._read_arrow(spec, ids, rows, cursor, stats)
            finally:
                cursor.close()
        finally:
            self.scan_stats.add(stats)
            log.info("%s: %d queries, %d file scans, %d of %d row groups, %d rows scanned, %d bytes read",
                      spec.label, stats.queries, stats.files, stats.row_groups_scanned, stats.row_groups_total,
                      stats.rows_scanned, stats.bytes_read)

    def _read_local(self, spec: ReadSpec, ids: Identities, rows: int | None,
                    stats: ScanStats) -> list[pa.RecordBatch] | None:
        """The read answered by Arrow alone, or ``None``: it needs DuckDB (which also names whatever
        is wrong with the read's parameters)."""
        if self._remote_root():
            return None
        match = spec.params.get("match")
        if not isinstance(match, Mapping) or not all(
                isinstance(match.get(t), str) and _IDENT.match(match[t]) for t in spec.needs):
            return None
        order_by = self._identifiers(spec, "order_by")
        columns = self._identifiers(spec, "columns")
        if not order_by or (columns and any(match[t] not in columns for t in spec.needs)):
            return None
        files, partition_keys = self._files(spec)
        if partition_keys & {*columns, *order_by, *(match[t] for t in spec.needs)}:
            return None  # a hive partition key: DuckDB types it
        branches: list[tuple[str, list[str]]] = []
        for id_type in spec.needs:
            values = ids.get(id_type, ())
            if not values:
                continue
            rule = self.match_rules.get(id_type)
            if rule is not None and rule.case_insensitive:
                return None  # the stored-spellings lookup (module docstring) is DuckDB's
            branches.append((str(match[id_type]), [str(v) for v in values]))
        assert isinstance(files, list)
        return read_local(files, columns=columns, order_by=order_by, branches=branches, exclude=partition_keys,
                          max_rows=int(self.options.get("small_read_rows", DEFAULT_MAX_ROWS)),
                          max_matches=int(self.options.get("sort_chunk_rows") or 25_000),
                          batch_rows=int(rows or spec.params.get("batch_size") or self.options.get("batch_size")
                                         or 1000),
                          stats=stats)

    def _read_arrow(self, spec: ReadSpec, ids: Identities, rows: int | None, cursor: duckdb.DuckDBPyConnection,
                    stats: ScanStats) -> Iterator[pa.RecordBatch]:
        parts = self._parts(spec, ids, cursor, stats)
        if parts is None:
            return
        union, outer, order_by, params = parts
        size = int(rows or spec.params.get("batch_size") or self.options.get("batch_size") or 1000)
        order = ", ".join(_q(c) for c in order_by)
        key = _q(order_by[0])
        try:
            total, keyed = self._count(cursor, union, order_by[0], params, stats)
            if total > self._chunk_rows() and self._in_order(cursor, union, outer, order_by, params, stats):
                yield from self._unsorted(cursor, union, outer, order_by, params, size, stats, spec)
                return
            chunks = self._chunks(cursor, union, order_by[0], params, stats, total, keyed)
            for chunk in chunks:
                where, args = "", dict(params)
                if chunk is None:
                    where = f" WHERE {key} IS NULL"
                else:
                    conds = []
                    if chunk[0] is not None:
                        conds.append(f"{key} >= $chunk_lo")
                        args["chunk_lo"] = chunk[0]
                    if chunk[1] is not None:
                        conds.append(f"{key} < $chunk_hi")
                        args["chunk_hi"] = chunk[1]
                    if not conds and len(chunks) > 1:
                        conds.append(f"{key} IS NOT NULL")  # the NULL keys have their own chunk
                    where = f" WHERE {' AND '.join(conds)}" if conds else ""
                relation = cursor.sql(f"SELECT {outer} FROM ({union}){where} ORDER BY {order}", params=args)
                to_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
                for batch in to_reader(size):  # streamed Arrow record batches
                    if batch.num_rows:
                        yield batch
                self._profiled(cursor, stats)
        except _duckdb().Error as exc:
            raise self._translate(exc, spec) from exc

    def _in_order(self, cursor: duckdb.DuckDBPyConnection, union: str, outer: str, order_by: list[str],
                  params: dict[str, Any], stats: ScanStats) -> bool:
        """Do the matching rows already come in ``order_by`` order, strictly (exporter.sources.arrow_order)?
        Asked of reads that would be sorted in chunks, with one DuckDB thread (whose unsorted scan
        order is the files' order, the same for every query), when the output carries the keys (so
        the read itself re-checks them). Costs one scan of the key columns."""
        if int(self.options.get("threads", 1)) != 1 or not set(order_by) <= set(_unquoted(outer)):
            return False
        keys = ", ".join(_q(c) for c in order_by)
        check = OrderCheck(order_by)
        relation = cursor.sql(f"SELECT {keys} FROM ({union})", params=params)
        for batch in relation.to_arrow_reader(65_536):
            if not check.feed(batch):
                break
        self._profiled(cursor, stats)
        return check.ok

    def _unsorted(self, cursor: duckdb.DuckDBPyConnection, union: str, outer: str, order_by: list[str],
                  params: dict[str, Any], size: int, stats: ScanStats, spec: ReadSpec) -> Iterator[pa.RecordBatch]:
        """The rows in the order they are stored, which :meth:`_in_order` found to be ``order_by``'s;
        each batch re-checked, in case the files changed in between."""
        check = OrderCheck(order_by)
        for batch in cursor.sql(f"SELECT {outer} FROM ({union})", params=params).to_arrow_reader(size):
            if not check.feed(batch):
                raise SourceUnavailable("the Parquet files changed while they were read (rows out of order)",
                                        source=self.name, stream=spec.label, hint="run the export again")
            if batch.num_rows:
                yield batch
        self._profiled(cursor, stats)

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        for batch in self.read_arrow(spec, ids):
            yield batch.to_pylist()
