"""The public library API as the DSAR service uses it: names, types, errors, options, coverage,
thread safety and set-up that is loaded once per process."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import inspect
import json
import pickle
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import exporter
from exporter import (
    AccessRequest,
    Config,
    ConfigError,
    ExporterError,
    ExportOptions,
    OutputError,
    RecordValidationError,
    RequestError,
    SourceDataError,
    SourceError,
    SourceUnavailable,
    SubjectNotFound,
    demo,
    export,
    load_config,
)
from exporter.config import Read, SourceConfig
from exporter.sources import Source
from exporter.sources.base import Batch, Identities, ReadSpec

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
RECEIVED = dt.date(2026, 11, 2)

PUBLIC = [
    "AccessRequest",
    "CategoryCoverage",
    "ClockStop",
    "Config",
    "ConfigError",
    "Coverage",
    "ExportOptions",
    "ExportResult",
    "ExporterError",
    "Extension",
    "Identifier",
    "OutputError",
    "ReadCoverage",
    "RecordValidationError",
    "RequestError",
    "RetryPolicy",
    "SourceDataError",
    "SourceError",
    "SourceUnavailable",
    "SubjectNotFound",
    "export",
    "load_config",
    "parse_identifier",
    "verify_package",
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.build_demo_store(tmp_path_factory.mktemp("lib") / "store", heavy_events=2000)


@pytest.fixture(scope="module")
def config(store: Path) -> Config:
    return load_config(demo.demo_config_path(store))


def request(persona: str, jurisdiction: str, **kw: Any) -> AccessRequest:
    return AccessRequest.parse([demo.DEMO_SUBJECTS[persona]], jurisdiction=jurisdiction, received=RECEIVED,
                               request_id=kw.pop("request_id", f"{persona}-{jurisdiction}"), **kw)


# the demo Californian has a disclosure treated as a sale after his GPC opt-out (a blocking finding)
FAST = ExportOptions(now=NOW, pdf=False, html=False, acknowledge=frozenset({"sale_after_opt_out"}))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------
# the public surface


def test_public_names_are_fixed_importable_and_documented() -> None:
    assert exporter.__all__ == PUBLIC
    docs = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec("from exporter import *", namespace)  # noqa: S102 - the star import a user may write
    for name in PUBLIC:
        obj = getattr(exporter, name)
        assert namespace[name] is obj
        assert inspect.getdoc(obj), f"{name} has no docstring"
        assert f"`{name}`" in docs or f"{name}(" in docs, f"{name} is not documented in docs/library.md"
    assert (Path(exporter.__file__).parent / "py.typed").is_file()
    with pytest.raises(AttributeError):
        exporter.no_such_name  # noqa: B018


def test_own_classes_have_real_docstrings() -> None:
    # A dataclass without a docstring gets "Name(field: type, …)"; ours must say what they are for.
    for name in ("AccessRequest", "ExportOptions", "ExportResult", "Coverage", "CategoryCoverage",
                 "ReadCoverage", "Extension", "ClockStop"):
        doc = inspect.getdoc(getattr(exporter, name)) or ""
        assert not doc.startswith(f"{name}("), name


def test_mypy_strict_passes_on_the_package() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "exporter", "examples/webservice/app.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_wheel_ships_py_typed() -> None:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        wheel = tomllib.load(fh)["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["exporter"]  # py.typed lives in exporter/ and ships with it


# ------------------------------------------------------------------------------------------------
# errors


ERRORS: list[tuple[type[ExporterError], str, int, bool]] = [
    (ConfigError, "config", 2, False),
    (RequestError, "request", 2, False),
    (SourceError, "source", 3, False),
    (SourceUnavailable, "source_unavailable", 3, True),
    (SourceDataError, "source_data", 3, False),
    (RecordValidationError, "record_invalid", 4, False),
    (SubjectNotFound, "subject_not_found", 5, False),
    (OutputError, "output", 6, False),
]


@pytest.mark.parametrize(("cls", "code", "exit_code", "retriable"), ERRORS)
def test_error_tree(cls: type[ExporterError], code: str, exit_code: int, retriable: bool) -> None:
    assert issubclass(cls, ExporterError) and cls.__doc__
    exc = cls("it broke", hint="do this", source="crm", pointer="/a/0", path=Path("/x"), skipped=None)
    assert (exc.code, exc.exit_code, exc.retriable) == (code, exit_code, retriable)
    assert exc.context == {"source": "crm", "pointer": "/a/0", "path": Path("/x")}
    assert str(exc) == "it broke (source: crm, pointer: /a/0, path: /x) — do this"
    data = exc.to_dict()
    assert json.loads(json.dumps(data)) == {
        "error": cls.__name__, "code": code, "message": "it broke", "hint": "do this", "retriable": retriable,
        "exit_code": exit_code, "context": {"source": "crm", "pointer": "/a/0", "path": "/x"}}
    back = pickle.loads(pickle.dumps(exc))  # e.g. from a process pool
    assert type(back) is cls and back.to_dict() == data


def test_error_codes_are_distinct_and_source_errors_share_a_base() -> None:
    assert len({c for _, c, _, _ in ERRORS}) == len(ERRORS)
    assert issubclass(SourceUnavailable, SourceError) and issubclass(SourceDataError, SourceError)


# ------------------------------------------------------------------------------------------------
# requests from JSON


def test_request_from_dict_round_trip() -> None:
    data = {
        "identifiers": ["email:Jane@Example.com", {"type": "account_id", "value": "ACC-1"}, "x@example.org"],
        "jurisdiction": "uk", "received": "2026-11-02", "request_id": "DSAR-1", "verification": "reasonable",
        "country": "GB", "extension": {"length": 2, "reason": "complex"},
        "clock_stops": [{"from": "2026-11-03", "to": "2026-11-06", "reason": "identity"}],
    }
    req = AccessRequest.from_dict(data)
    assert [(i.type, i.value) for i in req.identifiers] == [
        ("email", "Jane@Example.com"), ("account_id", "ACC-1"), ("email", "x@example.org")]
    assert req.received == dt.date(2026, 11, 2) and req.clock_stops[0].end == dt.date(2026, 11, 6)
    again = AccessRequest.from_dict(req.to_dict())
    assert again == req


@pytest.mark.parametrize(("data", "pointer"), [
    ([], ""),
    ({"jurisdiction": "eu"}, "/identifiers"),
    ({"identifiers": [], "jurisdiction": "eu"}, "/identifiers"),
    ({"identifiers": ["email:a@b.c", "nocolon"], "jurisdiction": "eu"}, "/identifiers/1"),
    ({"identifiers": [{"type": "email"}], "jurisdiction": "eu"}, "/identifiers/0"),
    ({"identifiers": ["email:a@b.c"]}, "/jurisdiction"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": 7}, "/jurisdiction"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "received": "2.11.2026"}, "/received"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "request_id": "../etc"}, "/request_id"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "verification": "maybe"}, "/verification"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "extension": {"length": True}}, "/extension"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "clock_stops": [{"from": "x"}]}, "/clock_stops/0/from"),
    ({"identifiers": ["email:a@b.c"], "jurisdiction": "eu", "subject": "x"}, "/subject"),
])
def test_request_from_dict_errors_carry_a_json_pointer(data: Any, pointer: str) -> None:
    with pytest.raises(RequestError) as info:
        AccessRequest.from_dict(data)
    assert info.value.context["pointer"] == pointer
    assert "a@b.c" not in str(info.value)  # subject data never in messages


# ------------------------------------------------------------------------------------------------
# options, result, coverage


def test_options_and_keyword_arguments_are_equivalent(config: Config, tmp_path: Path) -> None:
    a = export(request("sparse", "eu"), config, tmp_path / "a", FAST)
    b = export(request("sparse", "eu"), demo.demo_config_path(Path(config.path).parent), tmp_path / "b",
               now=NOW, pdf=False, html=False)  # the backwards-compatible form, config as a path
    c = export(request("sparse", "eu"), config, tmp_path / "c", ExportOptions(pdf=True, html=False),
               now=NOW, pdf=False)  # keywords override single options
    assert tree(a.path) == tree(b.path) == tree(c.path)
    assert a.manifest_sha256 == b.manifest_sha256 == c.manifest_sha256
    assert FAST.replace(strict=True).strict and not FAST.strict  # immutable; replace() copies


def test_result_summarises_the_package(config: Config, tmp_path: Path) -> None:
    result = export(request("typical", "eu"), config, tmp_path, FAST)
    assert result.path == tmp_path.resolve() / "typical-eu"
    assert result.manifest_sha256 == hashlib.sha256((result.path / "manifest.json").read_bytes()).hexdigest()
    assert set(result.counts) == set(demo.ALL_CATEGORIES) and all(result.counts.values())
    assert result.due == dt.date(2026, 12, 2) and result.deadlines["received"] == "2026-11-02"
    assert result.jurisdiction == "eu" and result.generated_at == "2026-11-25T10:00:00Z"
    assert result.specific_pieces and result.complete and not result.warnings
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["due"] == "2026-12-02" and data["records"] == result.records
    assert demo.DEMO_SUBJECTS["typical"] not in json.dumps(data)  # counts and digests, no subject data

    cov = result.coverage
    assert cov.complete and not cov.incomplete and not cov.not_configured and not cov.failed_sources
    assert set(cov.sources) == {"app", "files", "logs"}
    assert cov.searched == tuple(demo.ALL_CATEGORIES)
    by_id = {c.id: c for c in cov.categories}
    assert by_id["access_logs"].status == "held" and by_id["access_logs"].reads[0].source == "logs"
    assert sum(r.count for r in by_id["support_emails"].reads) == result.counts["support_emails"]


def test_categories_only_response(config: Config, tmp_path: Path) -> None:
    result = export(request("california", "ca", verification="reasonable"), config, tmp_path, FAST)
    assert not result.specific_pieces and not (result.path / "data").exists()
    assert result.to_dict()["specific_pieces"] is False


class _DownSource(Source):
    kind = "test-down"

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        raise SourceUnavailable("connection refused", source=self.name, stream=spec.label)


def _with_down_source(config: Config, category: str) -> Config:
    read = Read(source="down", spec=ReadSpec(label=f"down/{category}", needs=("email",), category=category))
    down = SourceConfig(name="down", kind="test-down", cls=_DownSource, options={}, identities=(), streams=(read,))
    return dataclasses.replace(config, sources=(*config.sources, down))


def test_failed_source_is_retriable_or_partial(config: Config, tmp_path: Path) -> None:
    cfg = _with_down_source(config, "support_chats")
    with pytest.raises(SourceUnavailable) as info:
        export(request("typical", "eu"), cfg, tmp_path, FAST)
    assert info.value.retriable and info.value.context["source"] == "down"
    assert not any(tmp_path.iterdir())  # nothing written

    result = export(request("typical", "eu"), cfg, tmp_path, FAST.replace(allow_partial=True))
    cov = result.coverage
    assert not cov.complete and cov.failed_sources == ("down",)
    assert set(cov.incomplete) == {"support_chats"} and "connection refused" in cov.incomplete["support_chats"]
    chats = next(c for c in cov.categories if c.id == "support_chats")
    assert [(r.source, r.status) for r in chats.reads] == [("files", "searched"), ("down", "failed")]
    assert result.incomplete == cov.incomplete and not result.complete


def test_category_without_a_source_is_reported_as_not_searched(config: Config, tmp_path: Path) -> None:
    sources = tuple(dataclasses.replace(s, streams=tuple(r for r in s.streams if r.spec.category != "cookies"))
                    for s in config.sources)
    result = export(request("typical", "eu"), dataclasses.replace(config, sources=sources), tmp_path, FAST)
    assert result.coverage.not_configured == ("cookies",) and not result.coverage.complete
    assert "cookies" not in result.coverage.searched


def test_strict_mode_raises_subject_not_found(config: Config, tmp_path: Path) -> None:
    unknown = AccessRequest.parse(["email:nobody@example.org"], jurisdiction="eu", request_id="n")
    result = export(unknown, config, tmp_path, FAST)
    assert result.records == 0 and result.warnings and result.coverage.complete
    with pytest.raises(SubjectNotFound):
        export(unknown, config, tmp_path, FAST.replace(strict=True, force=True))


# ------------------------------------------------------------------------------------------------
# threads: no shared mutable state; set-up loaded once


JOBS = [
    ("typical", "eu", {}),
    ("marketing_only", "eu", {}),
    ("terminated", "eu", {}),
    ("sparse", "uk", {}),
    ("heavy_logs", "eu", {}),
    ("california", "ca", {}),
    ("california", "ca", {"verification": "reasonable", "request_id": "california-ca-reasonable"}),
    ("uk", "uk", {}),
]


def _run(config: Config, out: Path, job: tuple[str, str, dict[str, Any]], options: ExportOptions) -> Path:
    persona, jurisdiction, kw = job
    return export(request(persona, jurisdiction, **dict(kw)), config, out, options).path


def test_concurrent_exports_equal_sequential_ones(config: Config, tmp_path: Path) -> None:
    jobs: list[tuple[tuple[str, str, dict[str, Any]], ExportOptions]] = [(j, FAST) for j in JOBS]
    # … and one with both renderers, the PDF included
    jobs.append((("marketing_only", "uk", {}), ExportOptions(now=NOW)))
    sequential = [_run(config, tmp_path / "seq", job, opts) for job, opts in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        concurrent = list(pool.map(lambda a: _run(config, tmp_path / "par", *a), jobs))
    assert len({p.name for p in concurrent}) == len(jobs)
    for seq, par in zip(sequential, concurrent, strict=True):
        assert tree(seq) == tree(par), seq.name
    assert (concurrent[-1] / "report.pdf").is_file()


def test_second_export_reuses_loaded_set_up(config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2
    import jsonschema_rs

    from exporter.law import catalog, rules
    from exporter import schemas

    options = ExportOptions(now=NOW, pdf=False, html=True)
    export(request("typical", "eu"), config, tmp_path / "warm", options)  # loads everything once

    calls: dict[str, int] = {}

    def counting(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(jsonschema_rs, "validator_for", counting("compile", jsonschema_rs.validator_for))
    monkeypatch.setattr(tomllib, "load", counting("toml", tomllib.load))
    monkeypatch.setattr(rules, "_read", counting("rules", rules._read))
    monkeypatch.setattr(catalog, "_read", counting("catalog", catalog._read))
    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source",
                        counting("template", jinja2.FileSystemLoader.get_source))
    before = {f.__name__: f.cache_info().misses for f in (schemas._load, schemas._shipped_by_id,
                                                          schemas.RecordValidator.for_category)}
    compiled_docs = len(schemas._fast_docs)

    result = export(request("terminated", "eu"), config, tmp_path / "second", options)
    assert result.records and (result.path / "index.html").is_file()
    assert calls == {}, f"reloaded: {calls}"
    after = {f.__name__: f.cache_info().misses for f in (schemas._load, schemas._shipped_by_id,
                                                         schemas.RecordValidator.for_category)}
    assert after == before and len(schemas._fast_docs) == compiled_docs  # no document schema compiled again
