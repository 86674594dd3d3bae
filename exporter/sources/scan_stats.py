"""What a Parquet read touched: queries, files, row groups, rows and bytes (counts only, never
values), added up over a source's reads and logged per read (``exporter -v``; docs/sources.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["ScanStats"]


@dataclass
class ScanStats:
    """What Parquet reads scanned, added up over queries: from DuckDB's profiler, or, for a read
    Arrow answered alone (exporter.sources.parquet_local, no query), the files it read whole."""

    queries: int = 0
    #: Parquet files opened (footer read), summed over scans
    files: int = 0
    #: row groups whose data was read, and row groups in the files scanned (what a full scan reads)
    row_groups_scanned: int = 0
    row_groups_total: int = 0
    rows_scanned: int = 0
    #: bytes DuckDB read from storage (footers included)
    bytes_read: int = 0

    def add(self, other: ScanStats) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
