"""Streaming writers: every byte is hashed (SHA-256) as it is written, nothing is re-read.

Both writers take a whole batch at a time and encode it in one go (``orjson`` per record, joined;
CSV column by column), then hand one buffer to the hashing file: the per-record cost is the
encoding only. ``write_encoded`` accepts bytes encoded elsewhere (the columnar fast path in
:mod:`exporter.collect.columnar` builds JSONL and CSV lines with Arrow kernels); both encoders produce
the same bytes for the same records (tests/test_streaming.py checks it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import uuid
from collections.abc import Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "CsvWriter",
    "FileInfo",
    "HashingFile",
    "JsonlWriter",
    "csv_cell",
    "csv_column",
    "csv_quote",
    "dumps",
    "replace_atomically",
]

FileInfo = dict[str, Any]  # {"path": rel, "bytes": n, "sha256": hex}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE_CHARS = (",", '"', "\r", "\n")  # what makes csv.writer (QUOTE_MINIMAL, "\r\n") quote a field
_JSONL = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


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
        self._fh = open(path, "wb", buffering=0)  # noqa: SIM115 - closed in close(); callers buffer
        self._sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)  # no copy: BufferedWriter hands us views of its buffer
        n = view.nbytes
        done = 0
        while done < n:  # a raw write may be partial
            done += self._fh.write(view[done:]) or 0
        self._sha.update(view)
        self.size += n
        return n

    def close(self) -> None:
        if not self._fh.closed:
            os.fsync(self._fh.fileno())
            self._fh.close()
        super().close()

    def info(self) -> FileInfo:
        return {"path": self.rel, "bytes": self.size, "sha256": self._sha.hexdigest()}


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it over.

    The temporary file is created like any other file (mode 0666 less the umask, as the package's
    other files), not 0600 as ``tempfile.mkstemp`` would, so the renamed file is readable alike.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_file(path: Path, root: Path, data: bytes) -> FileInfo:
    f = HashingFile(path, root)
    f.write(data)
    f.close()
    return f.info()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks (never whole into memory)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_info(root: Path, rel: str) -> FileInfo:
    """:data:`FileInfo` of a file another writer made (report.pdf, index.html): fsynced, hashed in chunks."""
    path = root / rel
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
        os.fsync(fh.fileno())
    return {"path": rel, "bytes": path.stat().st_size, "sha256": digest}


class JsonlWriter:
    """``data/<category>.jsonl``: one JSON object per line, keys sorted, UTF-8."""

    def __init__(self, path: Path, root: Path) -> None:
        self._raw = HashingFile(path, root)
        self._buf = io.BufferedWriter(self._raw, buffer_size=1 << 20)

    def write_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        self._buf.write(b"".join([orjson.dumps(rec, option=_JSONL) for rec in records]))

    def write_encoded(self, data: bytes | memoryview) -> None:
        """Lines already encoded exactly as :meth:`write_many` would encode them."""
        self._buf.write(data)

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


def csv_quote(cell: str) -> str:
    """Quote ``cell`` exactly as ``csv.writer`` (QUOTE_MINIMAL, ``"`` doubled) would."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\r" in cell or "\n" in cell:
        return '"' + cell + '"'
    return cell


def csv_column(values: Sequence[Any]) -> Sequence[str]:
    """The encoded cells of one column (``csv_cell`` then ``csv_quote``), fast for plain columns."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        cells: Sequence[str] = values if type(None) not in kinds else ["" if v is None else v for v in values]
        joined = "".join(cells)
        formula = any(map(str.startswith, cells, repeat(_FORMULA_START)))
        if not formula and not any(ch in joined for ch in _QUOTE_CHARS):
            return cells
        return [csv_quote(csv_cell(v)) for v in values]
    if kinds <= {int}:
        return list(map(str, values))
    return [csv_quote(csv_cell(v)) for v in values]


class CsvWriter:
    """RFC 4180 CSV in UTF-8 (``\\r\\n``); columns = the schema's properties, then ``_extra`` if open.

    Byte-for-byte what ``csv.writer`` writes for the ``csv_cell`` of every value.
    """

    def __init__(self, path: Path, root: Path, columns: Sequence[str], *, extra: bool) -> None:
        self._raw = HashingFile(path, root)
        self._buf = io.BufferedWriter(self._raw, buffer_size=1 << 20)
        self.columns = list(columns)
        self.extra = extra
        self._known = set(columns)
        header = io.StringIO()
        csv.writer(header).writerow(self.columns + (["_extra"] if extra else []))
        self._buf.write(header.getvalue().encode("utf-8"))

    @property
    def width(self) -> int:
        return len(self.columns) + (1 if self.extra else 0)

    def write_many(self, records: Sequence[Mapping[str, Any]]) -> None:
        if not records:
            return
        cols = [csv_column([rec.get(c) for rec in records]) for c in self.columns]
        if self.extra:
            known = self._known
            extras = [{k: v for k, v in rec.items() if k not in known} for rec in records]
            cols.append([csv_quote(csv_cell(rest)) if rest else "" for rest in extras])
        self.write_cells(cols)

    def write_cells(self, cols: Sequence[Sequence[str]]) -> None:
        """Write rows given as encoded columns (every column as long as the batch)."""
        if len(cols) == 1:  # csv.writer writes a lone empty field as ""
            lines: Any = ['""' if c == "" else c for c in cols[0]]
        else:
            lines = map(",".join, zip(*cols))
        self._buf.write(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    def write_encoded(self, data: bytes | memoryview) -> None:
        """Rows already encoded exactly as :meth:`write_many` would encode them."""
        self._buf.write(data)

    def close(self) -> FileInfo:
        self._buf.flush()
        self._raw.close()
        return self._raw.info()
