"""Small local Parquet reads with Arrow alone: the rows, order and types the DuckDB read gives.

DuckDB costs a process about 65 MB that a small read does not need (measured on the demo's
typical subject: the import 13 MB, the connection 24 MB, and the pages of its library a query
touches, 37 MB file-backed in all, plus its buffers). So :class:`~exporter.sources.parquet.ParquetSource`
asks :func:`read_local` first; it answers ``None`` whenever the read needs DuckDB, which then runs
as before (and gives the canonical errors: a corrupt file, a missing column …). A read is answered
here only when all of these hold:

* local files (not an object store) whose footers add up to at most ``small_read_rows`` rows
  (source option, default 100,000; 0: always DuckDB), all with one and the same schema (DuckDB's
  ``union_by_name`` reconciles differing files);
* each matched column is a string column and its identifier's rule is exact (a case-insensitive
  rule needs DuckDB's stored-spellings lookup, see the parquet module);
* every selected and ``order_by`` column is a column of the files (not a hive partition key) of
  a type DuckDB hands back unchanged: ``string``, integers, ``bool``;
* at most ``sort_chunk_rows`` rows match (more: the DuckDB read bounds memory by sorted chunks).

The rows are those of the DuckDB query: ``col IN (values)`` per matched column, OR-ed, so a row
matching twice comes once (a NULL matches nothing); sorted by ``order_by`` ascending with NULLs last
(DuckDB's ``default_null_order``); the selected columns in their configured order; record batches
of ``batch_size`` rows. tests/test_source_parquet_local.py holds both reads to the same tables.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
import pyarrow as pa
import pyarrow.compute as pc

from .scan_stats import ScanStats

__all__ = ["DEFAULT_MAX_ROWS", "read_local"]

#: footers adding up to more rows than this: the DuckDB read (option ``small_read_rows``)
DEFAULT_MAX_ROWS = 100_000
_SCAN_ROWS = 16_384  # rows per batch while scanning a file


def _plain(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_boolean(t))


def read_local(files: Sequence[str], *, columns: Sequence[str], order_by: Sequence[str],
               branches: Sequence[tuple[str, Sequence[str]]], exclude: Collection[str] = (), max_rows: int,
               max_matches: int, batch_rows: int, stats: ScanStats) -> list[pa.RecordBatch] | None:
    """The matching rows as record batches, or ``None``: DuckDB must read this (see the module
    docstring). ``columns`` empty: every column of the files but ``exclude`` (hive partition keys);
    ``branches``: (string column, values), one per matched identifier type that has values."""
    import pyarrow.parquet as pq

    if max_rows <= 0 or not files:
        return None
    try:
        metas = [pq.read_metadata(f) for f in files]
    except (OSError, pa.ArrowException):
        return None  # DuckDB reads it and names the problem
    if sum(m.num_rows for m in metas) > max_rows:
        return None
    schema = metas[0].schema.to_arrow_schema().remove_metadata()
    if any(not m.schema.to_arrow_schema().remove_metadata().equals(schema) for m in metas[1:]):
        return None
    names = list(columns) or [c for c in schema.names if c not in exclude]
    inner = list(dict.fromkeys([*names, *order_by]))
    if any(schema.get_field_index(c) < 0 or not _plain(schema.field(c).type) for c in inner):
        return None
    if any(schema.get_field_index(c) < 0 or not pa.types.is_string(schema.field(c).type) for c, _ in branches):
        return None
    if not branches:
        return []  # nothing to look for (the DuckDB read, too, scans nothing then)
    try:
        matched = _scan(files, inner, branches, max_matches)
    except (OSError, pa.ArrowException):
        return None  # a bad page: DuckDB reads it and names the problem
    if matched is None:
        return None
    stats.files += len(files)
    stats.row_groups_total += sum(m.num_row_groups for m in metas)
    stats.row_groups_scanned += sum(m.num_row_groups for m in metas)
    stats.rows_scanned += sum(m.num_rows for m in metas)
    stats.bytes_read += sum(os.path.getsize(f) for f in files)
    if not matched:
        return []
    table = pa.Table.from_batches(matched)
    order = pc.sort_indices(table, sort_keys=[(c, "ascending", "at_end") for c in order_by])
    batches: list[pa.RecordBatch] = table.take(order).select(names).combine_chunks().to_batches(
        max_chunksize=batch_rows)
    return batches


def _scan(files: Sequence[str], inner: list[str], branches: Sequence[tuple[str, Sequence[str]]],
          max_matches: int) -> list[pa.RecordBatch] | None:
    """The rows of ``files`` some branch matches (``None``: more than ``max_matches``)."""
    import pyarrow.parquet as pq

    wanted = [(col, pa.array([str(v) for v in values], pa.string())) for col, values in branches]
    matched: list[pa.RecordBatch] = []
    count = 0
    if not wanted:
        return matched
    for f in files:
        with pq.ParquetFile(f) as pf:
            for batch in pf.iter_batches(batch_size=_SCAN_ROWS, columns=inner, use_threads=False):
                mask = pc.is_in(batch.column(wanted[0][0]), value_set=wanted[0][1])
                for col, values in wanted[1:]:
                    mask = pc.or_(mask, pc.is_in(batch.column(col), value_set=values))
                picked = batch.filter(mask)
                count += picked.num_rows
                if count > max_matches:
                    return None
                if picked.num_rows:
                    matched.append(picked)
    return matched
