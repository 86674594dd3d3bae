"""``kind = "files"``: JSON Lines and CSV files (optionally gzip-compressed) in a local folder.

Options: ``root`` (folder, relative to the config file's folder; default that folder), ``encoding``
(default ``utf-8``), ``batch_size`` (default 1000). Read params: ``path`` (glob relative to the
root, files read in sorted order), ``format`` (``jsonl``/``csv``, default from the suffix; ``.gz``
is decompressed), ``encoding``, ``match = { identifier_type = "field" }`` (dotted fields reach into
nested objects), ``delimiter`` (CSV), ``null_values`` (CSV tokens read as null, default ``[""]``).

A record is kept when, for any ``match`` entry whose type is in ``needs``, the field's value (or,
for a list, any element) is one of the subject's values of that type under the catalog's rule for
the type (:mod:`exporter.identifiers`; the pipeline re-checks every row). Files are streamed line by
line and never leave the configured folder.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar

from ..errors import ConfigError, SourceDataError, SourceUnavailable
from .base import Batch, Identities, ReadSpec, Record, Source
from .base import field_values as _field_values

__all__ = ["FilesSource", "confined_folder", "expand_glob"]

#: longest line (one record) a files read accepts unless ``max_record_bytes`` says otherwise
MAX_RECORD_BYTES = 16 * 1024 * 1024
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "csv"}


def confined_folder(base_dir: Path, root: str | None, *, source: str) -> Path:
    """The folder a source reads from: ``root`` resolved against ``base_dir`` (absolute allowed)."""
    base = base_dir.resolve()
    if not root:
        return base
    path = Path(root)
    if path.is_absolute():
        return path.resolve()
    folder = (base / path).resolve()
    if not folder.is_relative_to(base):
        raise ConfigError("`root` leaves the config file's folder", source=source, key=f"sources.{source}.root",
                          hint="use a path inside the config folder, or an absolute path")
    return folder


def expand_glob(folder: Path, pattern: Any, *, source: str, label: str) -> list[Path]:
    """Files matching ``pattern`` under ``folder``, sorted by relative path; refuses to escape it."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError("read needs a `path` (a glob relative to the source folder)", source=source,
                          stream=label)
    parts = re.split(r"[\\/]+", pattern)
    if PurePosixPath(pattern).is_absolute() or re.match(r"^[A-Za-z]:", pattern) or ".." in parts:
        raise ConfigError("`path` must be a relative glob that stays inside the source folder", source=source,
                          stream=label, hint="set `root` on the source instead of using absolute or ../ paths")
    if not folder.is_dir():
        raise ConfigError("the source folder does not exist", source=source, stream=label, file=str(folder))
    found: list[tuple[str, Path]] = []
    for p in folder.glob(pattern):
        if not p.is_file():
            continue
        if not p.resolve().is_relative_to(folder):
            raise ConfigError("`path` matches a file (symlink) outside the source folder", source=source,
                              stream=label, file=p.relative_to(folder).as_posix())
        found.append((p.relative_to(folder).as_posix(), p))
    if not found:
        raise ConfigError(f"`path` {pattern!r} matched no file", source=source, stream=label,
                          file=str(folder), hint="check the glob and the source's `root`")
    return [p for _, p in sorted(found)]


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


class FilesSource(Source):
    kind: ClassVar[str] = "files"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "root": {"type": "string", "minLength": 1},
            "encoding": {"type": "string", "minLength": 1},
            "batch_size": {"type": "integer", "minimum": 1},
            "max_record_bytes": {"type": "integer", "minimum": 1024},
        },
        "additionalProperties": False,
    }
    read_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "format": {"enum": ["jsonl", "csv"]},
            "encoding": {"type": "string", "minLength": 1},
            "match": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string",
                                                                                      "minLength": 1}},
            "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
            "null_values": {"type": "array", "items": {"type": "string"}},
            "batch_size": {"type": "integer", "minimum": 1},
            "max_record_bytes": {"type": "integer", "minimum": 1024},
        },
        "required": ["path", "match"],
        "additionalProperties": False,
    }

    def _folder(self) -> Path:
        return confined_folder(self.base_dir, self.options.get("root"), source=self.name)

    def open(self) -> None:
        folder = self._folder()
        if not folder.is_dir():
            raise ConfigError("the source folder does not exist", source=self.name, file=str(folder),
                              key=f"sources.{self.name}.root")

    # -- matching -----------------------------------------------------------------------------------

    def _matcher(self, spec: ReadSpec, ids: Identities) -> list[tuple[str, frozenset[str], Any]]:
        match = spec.params.get("match")
        if not isinstance(match, Mapping) or not match:
            raise ConfigError("files read needs `match = { identifier_type = \"field\" }`", source=self.name,
                              stream=spec.label)
        missing = [t for t in spec.needs if t not in match]
        if missing:
            raise ConfigError(f"`needs` lists {', '.join(missing)} but `match` has no field for it",
                              source=self.name, stream=spec.label)
        rules = []
        for id_type, field in match.items():
            if id_type not in spec.needs:
                continue
            rule = self.match_rules.get(id_type)
            key = rule.key if rule is not None else None
            values = frozenset(key(v) if key else v for v in ids.get(id_type, ()))
            rules.append((str(field), values, key))
        return rules

    @staticmethod
    def _matches(record: Record, rules: list[tuple[str, frozenset[str], Any]]) -> bool:
        for field, values, key in rules:
            for v in _field_values(record, field):
                if (key(v) if key else v) in values:
                    return True
        return False

    # -- reading ------------------------------------------------------------------------------------

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        rules = self._matcher(spec, ids)
        folder = self._folder()
        files = expand_glob(folder, spec.params.get("path"), source=self.name, label=spec.label)
        encoding = str(spec.params.get("encoding") or self.options.get("encoding") or "utf-8")
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"unknown encoding {encoding!r}", source=self.name, stream=spec.label) from None
        size = int(spec.params.get("batch_size") or self.options.get("batch_size") or 1000)
        batch: Batch = []
        for path in files:
            rel = path.relative_to(folder).as_posix()
            fmt = self._format(spec, path, rel)
            for record in self._records(path, rel, fmt, encoding, spec):
                if self._matches(record, rules):
                    batch.append(record)
                    if len(batch) >= size:
                        yield batch
                        batch = []
        if batch:
            yield batch

    def _format(self, spec: ReadSpec, path: Path, rel: str) -> str:
        fmt = spec.params.get("format")
        if fmt:
            if fmt not in ("jsonl", "csv"):
                raise ConfigError(f"unknown format {fmt!r}", source=self.name, stream=spec.label,
                                  hint="use jsonl or csv")
            return str(fmt)
        suffixes = [s.lower() for s in path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes.pop()
        if suffixes and suffixes[-1] in _FORMATS:
            return _FORMATS[suffixes[-1]]
        raise ConfigError("cannot tell the file format from its name", source=self.name, stream=spec.label,
                          file=rel, hint='set format = "jsonl" or "csv"')

    def _records(self, path: Path, rel: str, fmt: str, encoding: str, spec: ReadSpec) -> Iterator[Record]:
        with ExitStack() as stack:
            try:
                raw: IO[bytes] = stack.enter_context(open(path, "rb"))
                if path.suffix.lower() == ".gz":
                    raw = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[arg-type]
            except OSError as exc:
                raise SourceUnavailable(f"cannot open file: {exc.strerror or type(exc).__name__}",
                                        source=self.name, stream=spec.label, file=rel) from exc
            limit = int(spec.params.get("max_record_bytes") or self.options.get("max_record_bytes")
                        or MAX_RECORD_BYTES)
            lines = _LineDecoder(raw, encoding, self.name, rel, limit=limit)
            if fmt == "jsonl":
                yield from self._jsonl(lines, rel)
            else:
                yield from self._csv(lines, rel, spec)

    def _jsonl(self, lines: _LineDecoder, rel: str) -> Iterator[Record]:
        for text in lines:
            if lines.line == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            try:
                obj = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, RecursionError) as exc:
                reason = _json_reason(exc)
                raise SourceDataError(f"malformed JSON line: {reason}", source=self.name, file=rel,
                                      line=lines.line) from None
            if not isinstance(obj, dict):
                raise SourceDataError(f"JSON line is a {type(obj).__name__}, not an object", source=self.name,
                                      file=rel, line=lines.line)
            yield obj

    def _csv(self, lines: _LineDecoder, rel: str, spec: ReadSpec) -> Iterator[Record]:
        delimiter = str(spec.params.get("delimiter") or ("\t" if ".tsv" in rel.lower() else ","))
        nulls = frozenset(spec.params.get("null_values", [""]))
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header: list[str] | None = None
        try:
            for row in reader:
                if header is None:
                    header = [h.lstrip("\ufeff") if i == 0 else h for i, h in enumerate(row)]
                    dupes = sorted({h for h in header if header.count(h) > 1})
                    if dupes:
                        raise SourceDataError(f"duplicate column name(s) in the CSV header: {', '.join(dupes)}",
                                              source=self.name, file=rel, line=lines.line)
                    continue
                if not row:
                    continue
                if len(row) != len(header):
                    raise SourceDataError(f"row has {len(row)} fields, the header has {len(header)}",
                                          source=self.name, file=rel, line=lines.line)
                yield {k: (None if v in nulls else v) for k, v in zip(header, row)}
        except csv.Error as exc:
            raise SourceDataError(f"malformed CSV: {exc}", source=self.name, file=rel, line=lines.line) from None


def _json_reason(exc: ValueError | RecursionError) -> str:
    """Why a JSON line does not parse, as a whole sentence: ``json``'s own ``msg`` stops short
    ("Invalid control character at") since its position follows in ``str(exc)``; that position is
    given here as the column (the line number is the file's, in the error's context). Never the text."""
    if isinstance(exc, RecursionError):
        return "nesting too deep"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
    return str(exc)


class _LineDecoder(Iterable[str]):
    """Decodes a binary stream line by line so errors carry an exact line number."""

    def __init__(self, raw: IO[bytes], encoding: str, source: str, rel: str, *,
                 limit: int = 16 * 1024 * 1024) -> None:
        self.raw, self.encoding, self.source, self.rel = raw, encoding, source, rel
        self.limit = limit  #: longest line (one record) read; a longer one is an error, never read whole
        self.line = 0
        probe = '\n,"a'
        self.bytewise = probe.encode(encoding, errors="replace") == probe.encode("ascii")

    def __iter__(self) -> Iterator[str]:
        try:
            if self.bytewise:
                decode = codecs.getdecoder(self.encoding)
                while chunk := self.raw.readline(self.limit + 1):
                    self.line += 1
                    if len(chunk) > self.limit:
                        raise self._too_long()
                    try:
                        yield decode(chunk)[0]
                    except UnicodeDecodeError as exc:
                        raise self._decode_error(exc) from None
            else:  # UTF-16/32 and friends: newline bytes are not single bytes
                text = io.TextIOWrapper(self.raw, encoding=self.encoding, newline="")
                while True:
                    try:
                        chunk_s = text.readline(self.limit + 1)
                    except UnicodeDecodeError as exc:
                        raise self._decode_error(exc, near=True) from None
                    if not chunk_s:
                        break
                    self.line += 1
                    if len(chunk_s) > self.limit:
                        raise self._too_long()
                    yield chunk_s
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise SourceDataError(f"compressed file is corrupt or truncated ({type(exc).__name__})",
                                  source=self.source, file=self.rel, line=self.line + 1) from None
        except OSError as exc:
            raise SourceUnavailable(f"reading the file failed: {exc.strerror or type(exc).__name__}",
                                    source=self.source, file=self.rel, line=self.line + 1) from exc

    def _too_long(self) -> SourceDataError:
        return SourceDataError(
            f"a record is longer than the maximum record size ({self.limit:,} bytes); it was not read",
            source=self.source, file=self.rel, line=self.line,
            hint="raise `max_record_bytes` on the read or the source if such a record is genuine",
        )

    def _decode_error(self, exc: UnicodeDecodeError, near: bool = False) -> SourceDataError:
        return SourceDataError(
            f"bytes that are not valid {self.encoding} at offset {exc.start} of the line",
            source=self.source, file=self.rel, line=(f"~{self.line + 1}" if near else self.line),
            hint="set `encoding` on the read (or the source) to the file's real encoding, e.g. latin-1",
        )
