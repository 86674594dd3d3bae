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

import logging
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

import pyarrow as pa

from ..errors import ConfigError
from .base import Batch, Identities, ReadSpec, Source
from .files import confined_folder, expand_glob
from .parquet_duckdb import IDENT, DuckRead, quoted
from .parquet_local import DEFAULT_MAX_ROWS, read_local
from .scan_stats import ScanStats

if TYPE_CHECKING:
    import duckdb

__all__ = ["ParquetSource", "ScanStats"]

log = logging.getLogger("exporter.sources.parquet")

_REMOTE = re.compile(r"^(s3|s3a|gs|gcs|r2|az|azure|abfss|https?)://", re.IGNORECASE)
_NAME_LIST = {"type": "array", "items": {"type": "string", "pattern": IDENT.pattern}}
#: more stored spellings than this for one subject's values: keep ``lower(col) IN`` instead of binding
#: them (0: never look them up)
MAX_SPELLINGS = 1000


def _duckdb() -> Any:
    """DuckDB, imported on first use (a small local read never needs it)."""
    import duckdb

    return duckdb


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
                      "additionalProperties": {"type": "string", "pattern": IDENT.pattern}},
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

    def _remote_root(self) -> str | None:
        root = self.options.get("root")
        return str(root).rstrip("/") if isinstance(root, str) and _REMOTE.match(root) else None

    # -- planning -----------------------------------------------------------------------------------

    def files(self, spec: ReadSpec) -> tuple[list[str] | str, set[str]]:
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

    def column_list(self, spec: ReadSpec, key: str) -> list[str]:
        value = spec.params.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and IDENT.match(v) for v in value):
            raise ConfigError(f"`{key}` must be a list of column names (letters, digits, _)", source=self.name,
                              stream=spec.label)
        return list(value)

    def _chunk_rows(self) -> int:
        return int(self.options.get("sort_chunk_rows") or 25_000)

    def _batch_rows(self, spec: ReadSpec, rows: int | None) -> int:
        return int(rows or spec.params.get("batch_size") or self.options.get("batch_size") or 1000)

    def _duck_read(self, spec: ReadSpec, ids: Identities, cursor: duckdb.DuckDBPyConnection,
                   stats: ScanStats) -> DuckRead:
        return DuckRead(self, spec, ids, cursor, stats, max_spellings=MAX_SPELLINGS)

    def _plan(self, spec: ReadSpec, ids: Identities) -> tuple[str, dict[str, Any]] | None:
        """The whole read as one ordered query (kept for tests and EXPLAIN)."""
        cursor = self._connection().cursor()
        try:
            plan = self._duck_read(spec, ids, cursor, ScanStats()).plan()
        finally:
            cursor.close()
        if plan is None:
            return None
        return f"SELECT {plan.outer} FROM ({plan.union}) ORDER BY {', '.join(quoted(c) for c in plan.order_by)}", \
            plan.params

    # -- reading ------------------------------------------------------------------------------------

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
                yield from self._duck_read(spec, ids, cursor, stats).batches(
                    self._batch_rows(spec, rows), self._chunk_rows(), int(self.options.get("threads", 1)))
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
                isinstance(match.get(t), str) and IDENT.match(match[t]) for t in spec.needs):
            return None
        order_by = self.column_list(spec, "order_by")
        columns = self.column_list(spec, "columns")
        if not order_by or (columns and any(match[t] not in columns for t in spec.needs)):
            return None
        files, partition_keys = self.files(spec)
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
                          max_matches=self._chunk_rows(), batch_rows=self._batch_rows(spec, rows), stats=stats)

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        for batch in self.read_arrow(spec, ids):
            yield batch.to_pylist()
