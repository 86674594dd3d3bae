"""Streaming writers: every byte is hashed (SHA-256) as it is written, nothing is re-read."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

__all__ = ["HashingFile", "JsonlWriter", "CsvWriter", "csv_cell", "dumps", "FileInfo"]

FileInfo = dict[str, Any]  # {"path": rel, "bytes": n, "sha256": hex}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dumps(value: Any, *, indent: bool = False) -> bytes:
    """The one JSON serialisation of the project: UTF-8 (non-ASCII kept), sorted keys."""
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(value, option=option)


class HashingFile(io.RawIOBase):
    """A binary file that hashes and counts what is written; ``close`` fsyncs."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.rel = path.relative_to(root).as_posix()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        b = bytes(data)
        self._fh.write(b)
        self._sha.update(b)
        self.size += len(b)
        return len(b)

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
        super().close()

    def info(self) -> FileInfo:
        return {"path": self.rel, "bytes": self.size, "sha256": self._sha.hexdigest()}


def write_file(path: Path, root: Path, data: bytes) -> FileInfo:
    f = HashingFile(path, root)
    f.write(data)
    f.close()
    return f.info()


class JsonlWriter:
    def __init__(self, path: Path, root: Path) -> None:
        self._raw = HashingFile(path, root)
        self._buf = io.BufferedWriter(self._raw, buffer_size=1 << 20)

    def write_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        opt = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
        write = self._buf.write
        for rec in records:
            write(orjson.dumps(rec, option=opt))

    def close(self) -> FileInfo:
        self._buf.flush()
        self._raw.close()
        return self._raw.info()


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not execute: JSON text for nested values, no formulas."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


class CsvWriter:
    """RFC 4180 CSV in UTF-8; columns = the schema's properties, then ``_extra`` if open."""

    def __init__(self, path: Path, root: Path, columns: Sequence[str], *, extra: bool) -> None:
        self._raw = HashingFile(path, root)
        self._text = io.TextIOWrapper(io.BufferedWriter(self._raw, buffer_size=1 << 20),
                                      encoding="utf-8", newline="")
        self._csv = csv.writer(self._text)
        self.columns = list(columns)
        self.extra = extra
        self._known = set(columns)
        self._csv.writerow(self.columns + (["_extra"] if extra else []))

    def write_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        cols = self.columns
        rows = []
        for rec in records:
            row = [csv_cell(rec.get(c)) for c in cols]
            if self.extra:
                rest = {k: v for k, v in rec.items() if k not in self._known}
                row.append(csv_cell(rest) if rest else "")
            rows.append(row)
        self._csv.writerows(rows)

    def close(self) -> FileInfo:
        self._text.flush()
        self._text.detach().flush()
        self._raw.close()
        return self._raw.info()
