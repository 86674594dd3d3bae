"""The ``files`` source: JSON Lines / CSV, gzip, encodings, matching, errors, confinement, fuzz."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.errors import ConfigError, SourceDataError
from exporter.sources import ReadSpec
from exporter.sources.files import FilesSource


def _read(base: Path, params: Mapping[str, Any], ids: Mapping[str, tuple[str, ...]],
          needs: tuple[str, ...] | None = None, **options: Any) -> list[list[dict[str, Any]]]:
    src = FilesSource("files", options, base_dir=base, env={})
    spec = ReadSpec(label="files/test", needs=needs or tuple(ids), params=params)
    with src:
        return list(src.read(spec, ids))


def _flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b]


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_jsonl_match_in_sorted_file_order_and_batches(tmp_path: Path) -> None:
    _jsonl(tmp_path / "data" / "b.jsonl", [{"email": "Jane@Example.com", "n": i} for i in range(1500)])
    _jsonl(tmp_path / "data" / "a.jsonl", [{"email": "other@example.com", "n": -1}, {"email": "jane@example.com",
                                                                                    "n": -2}])
    batches = _read(tmp_path, {"path": "*.jsonl", "match": {"email": "email"}}, {"email": ("jane@example.com",)},
                    root="data")
    assert [len(b) for b in batches] == [1000, 501]
    rows = _flat(batches)
    assert rows[0] == {"email": "jane@example.com", "n": -2}  # a.jsonl first; emails casefolded
    assert [r["n"] for r in rows[1:]] == list(range(1500))


def test_match_by_several_types_lists_and_nested_fields(tmp_path: Path) -> None:
    _jsonl(tmp_path / "events.jsonl", [
        {"id": 1, "account": {"id": "A-1"}, "devices": []},
        {"id": 2, "account": {"id": "A-9"}, "devices": ["d-7", "d-8"]},
        {"id": 3, "account": None, "devices": ["d-1"]},
        {"id": 4, "account": {"id": 42}, "devices": None},
    ])
    params = {"path": "events.jsonl", "match": {"account_id": "account.id", "device_id": "devices",
                                                "cookie_id": "cookie"}}
    rows = _flat(_read(tmp_path, params, {"account_id": ("A-1", "42"), "device_id": ("d-8",)}))
    assert [r["id"] for r in rows] == [1, 2, 4]
    # a type that is matched but not needed is ignored
    rows = _flat(_read(tmp_path, params, {"device_id": ("d-8",), "account_id": ("A-1",)}, needs=("device_id",)))
    assert [r["id"] for r in rows] == [2]


def test_csv_with_null_values_and_delimiter(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("email,phone,note\njane@example.com,,x\nbob@example.com,1,\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("email;note\njane@example.com;NA\n", encoding="utf-8")
    assert _flat(_read(tmp_path, {"path": "a.csv", "match": {"email": "email"}}, {"email": ("jane@example.com",)})) \
        == [{"email": "jane@example.com", "phone": None, "note": "x"}]
    rows = _flat(_read(tmp_path, {"path": "b.txt", "format": "csv", "delimiter": ";", "null_values": ["NA"],
                                  "match": {"email": "email"}}, {"email": ("jane@example.com",)}))
    assert rows == [{"email": "jane@example.com", "note": None}]
    rows = _flat(_read(tmp_path, {"path": "a.csv", "null_values": [], "match": {"email": "email"}},
                       {"email": ("jane@example.com",)}))
    assert rows[0]["phone"] == ""


def test_gzip_jsonl_and_csv(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "x.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"email": "jane@example.com", "v": "ü"}) + "\n")
    with gzip.open(tmp_path / "y.csv.gz", "wt", encoding="utf-8") as f:
        f.write("email,v\njane@example.com,2\n")
    rows = _flat(_read(tmp_path, {"path": "*.gz", "match": {"email": "email"}}, {"email": ("jane@example.com",)}))
    assert rows == [{"email": "jane@example.com", "v": "ü"}, {"email": "jane@example.com", "v": "2"}]


def test_corrupt_gzip_is_a_data_error(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(b'{"a": %d}\n' % (i * 7919 % 10007) for i in range(5000)))
    (tmp_path / "x.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceDataError, match="corrupt or truncated") as info:
        _read(tmp_path, {"path": "x.jsonl.gz", "match": {"email": "email"}}, {"email": ("a",)})
    assert info.value.context["file"] == "x.jsonl.gz"


def test_latin1_declared_and_undeclared(tmp_path: Path) -> None:
    (tmp_path / "legacy.csv").write_bytes("email,city\njane@example.com,Zürich\n".encode("latin-1"))
    params: dict[str, Any] = {"path": "legacy.csv", "match": {"email": "email"}}
    with pytest.raises(SourceDataError) as info:
        _read(tmp_path, params, {"email": ("jane@example.com",)})
    err = info.value
    assert err.context["file"] == "legacy.csv" and err.context["line"] == 2
    assert err.hint and "encoding" in err.hint
    rows = _flat(_read(tmp_path, {**params, "encoding": "latin-1"}, {"email": ("jane@example.com",)}))
    assert rows == [{"email": "jane@example.com", "city": "Zürich"}]
    rows = _flat(_read(tmp_path, params, {"email": ("jane@example.com",)}, encoding="latin-1"))  # source option
    assert rows[0]["city"] == "Zürich"


def test_utf16_file(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_bytes("email,n\r\njane@example.com,1\r\n".encode("utf-16"))
    rows = _flat(_read(tmp_path, {"path": "w.csv", "encoding": "utf-16", "match": {"email": "email"}},
                       {"email": ("jane@example.com",)}))
    assert rows == [{"email": "jane@example.com", "n": "1"}]


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [('{"a": 1}\n\n{"a": 2\n', 3, "malformed JSON"),
     ('{"a": 1}\n[1, 2]\n', 2, "not an object"),
     ('{"a": NaN}\n', 1, "malformed JSON")],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, content: str, line: int, reason: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(SourceDataError, match=reason) as info:
        _read(tmp_path, {"path": "sub/*.jsonl", "match": {"email": "email"}}, {"email": ("x@example.com",)})
    assert info.value.context["file"] == "sub/bad.jsonl"
    assert info.value.context["line"] == line
    assert f"line: {line}" in str(info.value)


def test_bad_csv_row(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("email,n\na@example.com,1\nb@example.com,2,3\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match="3 fields") as info:
        _read(tmp_path, {"path": "a.csv", "match": {"email": "email"}}, {"email": ("a@example.com",)})
    assert info.value.context["line"] == 3


@pytest.mark.parametrize("path", ["../outside.jsonl", "/etc/passwd", "data/../../outside.jsonl", "..\\x.jsonl"])
def test_path_cannot_escape_the_folder(tmp_path: Path, path: str) -> None:
    base = tmp_path / "cfg"
    base.mkdir()
    _jsonl(tmp_path / "outside.jsonl", [{"email": "a"}])
    with pytest.raises(ConfigError, match="inside the source folder"):
        _read(base, {"path": path, "match": {"email": "email"}}, {"email": ("a",)})


def test_root_and_symlinks_cannot_escape(tmp_path: Path) -> None:
    base = tmp_path / "cfg"
    (base / "data").mkdir(parents=True)
    _jsonl(tmp_path / "outside.jsonl", [{"email": "a"}])
    with pytest.raises(ConfigError, match="root"):
        _read(base, {"path": "*.jsonl", "match": {"email": "email"}}, {"email": ("a",)}, root="../")
    os.symlink(tmp_path / "outside.jsonl", base / "data" / "link.jsonl")
    with pytest.raises(ConfigError, match="outside"):
        _read(base, {"path": "data/*.jsonl", "match": {"email": "email"}}, {"email": ("a",)})


def test_glob_matching_nothing_and_unmatched_needs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="matched no file"):
        _read(tmp_path, {"path": "*.jsonl", "match": {"email": "email"}}, {"email": ("a",)})
    _jsonl(tmp_path / "a.jsonl", [{"email": "a"}])
    with pytest.raises(ConfigError, match="device_id"):
        _read(tmp_path, {"path": "a.jsonl", "match": {"email": "email"}}, {"email": ("a",), "device_id": ("d",)})
    (tmp_path / "a.xml").write_text("<x/>")
    with pytest.raises(ConfigError, match="format"):
        _read(tmp_path, {"path": "a.xml", "match": {"email": "email"}}, {"email": ("a",)})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=60), max_size=8), fmt=st.sampled_from(["jsonl", "csv"]),
       gz=st.booleans())
def test_fuzz_random_bytes_only_records_or_data_errors(tmp_path: Path, lines: list[bytes], fmt: str,
                                                       gz: bool) -> None:
    payload = b"\n".join(lines)
    name = f"fuzz.{fmt}" + (".gz" if gz else "")
    (tmp_path / name).write_bytes(gzip.compress(payload) if gz else payload)
    try:
        batches = _read(tmp_path, {"path": name, "match": {"email": "email", "account_id": "a"}},
                        {"email": ("x@example.com",), "account_id": ("1",)})
    except SourceDataError as exc:
        assert exc.context["file"] == name and "line" in exc.context
    else:
        assert all(isinstance(r, dict) for b in batches for r in b)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_record_longer_than_the_maximum_is_an_error_with_file_and_line(tmp_path: Path, encoding: str) -> None:
    rows = [{"email": "a@example.com", "text": "short"}, {"email": "a@example.com", "text": "x" * 5000},
            {"email": "a@example.com", "text": "short again"}]
    (tmp_path / "big.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding=encoding)
    params = {"path": "big.jsonl", "match": {"email": "email"}, "encoding": encoding, "max_record_bytes": 2048}
    with pytest.raises(SourceDataError, match="longer than the maximum record size") as info:
        _read(tmp_path, params, {"email": ("a@example.com",)})
    assert info.value.context["file"] == "big.jsonl" and info.value.context["line"] == 2
    assert "max_record_bytes" in (info.value.hint or "")
    # the default (16 MiB) reads it; the source-level option applies to every read
    assert len(_flat(_read(tmp_path, {**params, "max_record_bytes": None}, {"email": ("a@example.com",)}))) == 3
    with pytest.raises(SourceDataError):
        _read(tmp_path, {k: v for k, v in params.items() if k != "max_record_bytes"}, {"email": ("a@example.com",)},
              max_record_bytes=2048)
