"""Messages an operator reads (issue 19, item 5): warnings grouped one line per kind with counts and
printed once; retry counts that match the requests a server saw; errors never cut short; partial
reasons that keep file and line; progress that counts re-read rows once; one meaning of
``complete``; unknown identifier types rejected when the request is parsed. Real sources (SQLite,
JSONL files, a local HTTP server), the real CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from exporter import AccessRequest, export, load_config
from exporter.api import ExportOptions
from exporter.law.catalog import load_catalog
from exporter.cli import app
from exporter.errors import RequestError, SourceDataError, SourceUnavailable
from exporter.messages import group
from exporter.reliability import RetryPolicy
from exporter.sources.base import Batch, Identities, ReadSpec
from ministore import ANN, MiniStore

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
FAST = ExportOptions(now=NOW, pdf=False, html=False, retry=RetryPolicy(attempts=3, wait=0.01))
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
CHATS = "/accounts/ACC-000001/chats"


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def request() -> AccessRequest:
    return AccessRequest.parse([ANN["email"]], jurisdiction="eu", request_id="M-1")


# -- grouping ------------------------------------------------------------------------------------


def test_group_folds_each_kind_into_one_line_with_count_and_names() -> None:
    lines = [f"category {c} is fed by no configured source and was not searched" for c in ("a", "b", "c")]
    lines += ["category x is incomplete: crm/x: down", "something else", "category y is incomplete: crm/y: down",
              "something else", "category z is incomplete: files/z: bad line",
              "review: app/ids[0]: 1 record(s) with a email that looks like the subject's but is not the same "
              "under the catalog's rule (possible same person, not included, review)",
              "review: app/ids[1]: 2 record(s) with a email that looks like the subject's but is not the same "
              "under the catalog's rule (possible same person, not included, review)"]
    assert group(lines) == [
        "3 categories are fed by no configured source and were not searched: a, b, c",
        "2 categories are incomplete (crm: down): x, y",
        "something else (×2)",
        "category z is incomplete: files/z: bad line",  # a group of one stays as it was
        "review: 3 record(s) in 2 reads (app/ids[0]: 1, app/ids[1]: 2) with a email that looks like the "
        "subject's but is not the same under the catalog's rule (possible same person, not included, review)",
    ]
    assert group(["one"]) == ["one"] and group([]) == []


def _without_not_applicable(store: MiniStore) -> MiniStore:
    """The mini store's config without its [not_applicable] table: the unfed categories become
    not_searched (issue 17's state), as in a config that forgot its sources."""
    text = store.config.read_text(encoding="utf-8")
    store.config.write_text(text.replace(store.not_applicable_text(), "\n"), encoding="utf-8")
    return store


def test_cli_prints_each_kind_of_warning_once(tmp_path: Path) -> None:
    store = _without_not_applicable(MiniStore(tmp_path / "store"))
    configured = {r.spec.category for s in load_config(store.config).sources for r in s.streams}
    missing = [c.id for c in load_catalog() if c.id not in configured]
    assert len(missing) > 10  # the mini store feeds a few categories only
    result = CliRunner().invoke(app, ["export", "-c", str(store.config), "-s", "email:nobody@example.org", "-j", "eu",
                                      "-o", str(tmp_path / "out"), "--no-pdf", "--no-html", "--now",
                                      "2026-11-25T12:00:00Z", "--allow-partial"], env={**WIDE, **store.env()})
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {len(missing)} categories are fed by no configured source and were not searched: "
        f"{', '.join(missing)}",
        "warning: no personal data matched the identifiers of this request; the package confirms that nothing is held",
    ]


# -- retries: one attempt = one request ---------------------------------------------------------------


def test_gave_up_counts_every_request_the_server_saw(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(CHATS).respond_with_data("down", status=503)
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=3)
    with pytest.raises(SourceUnavailable) as info:
        export(request(), store.config, tmp_path / "out", FAST.replace(env=store.env()))
    seen = len(httpserver.log)
    assert seen == 12  # 3 tries of the category × (1 + 3 retries)
    assert "gave up after 4 requests; read 3 times: 12 requests in all" in info.value.message
    assert info.value.context["requests"] == seen


def test_one_try_says_its_own_requests(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request(CHATS).respond_with_data("down", status=503)
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""), http_retries=1)
    with pytest.raises(SourceUnavailable) as info:
        export(request(), store.config, tmp_path / "out", FAST.replace(env=store.env(), retry=RetryPolicy(attempts=1)))
    assert len(httpserver.log) == 2 and info.value.message.endswith("gave up after 2 requests")


# -- errors never cut short; partial reasons keep file and line --------------------------------------


def test_malformed_jsonl_error_is_a_whole_sentence_with_file_and_line(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    line = b'{"message_id": "EM-0000009", "body": "tab\x01here"}'
    column = line.index(b"\x01") + 1
    store.write_emails(extra_lines=[line])
    with pytest.raises(SourceDataError) as info:
        export(request(), store.config, tmp_path / "out", FAST.replace(env=store.env()))
    assert info.value.message == f"malformed JSON line: Invalid control character at column {column}"
    assert info.value.context["file"] == "support_emails.jsonl" and info.value.context["line"] == 4
    assert "tab" not in str(info.value)  # never the line's text

    result = export(request(), store.config, tmp_path / "out", FAST.replace(env=store.env(), allow_partial=True))
    reason = result.incomplete["support_emails"]
    assert reason == (f"files/support_emails: malformed JSON line: Invalid control character at column {column} "
                      "(file: support_emails.jsonl, line: 4)")
    assert not result.complete and result.complete is result.coverage.complete


def test_long_schema_hint_is_not_cut(tmp_path: Path) -> None:
    from exporter.errors import ConfigError
    from exporter.schemas import check_against

    schema = {"type": "object", "properties": {"kind": {"enum": [f"value_{n:04d}" for n in range(200)]}}}
    with pytest.raises(ConfigError) as info:
        check_against(schema, {"kind": "other"}, file="x.toml")
    hint = info.value.hint or ""
    assert hint.startswith("expected: enum") and hint.endswith("characters long)")
    assert "/properties/kind/enum" in hint


# -- progress counts every row once -----------------------------------------------------------------


class _FailsOnceHalfWay:
    """Mixed into the SQL source: the first read of ``personalisation`` fails after one batch."""

    failures: ClassVar[int] = 0

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        first = spec.category == "personalisation" and type(self).failures == 0
        for n, batch in enumerate(super().read(spec, ids)):  # type: ignore[misc]
            if first and n == 1:
                type(self).failures += 1
                raise SourceUnavailable("connection lost", source="app")
            yield batch


def test_progress_counts_re_read_rows_once(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store", personalisation_rows=30, batch_size=5)
    config = load_config(store.config)
    app_source = next(s for s in config.sources if s.name == "app")
    flaky = type("FlakySql", (_FailsOnceHalfWay, app_source.cls), {"failures": 0})
    config = dataclasses.replace(config, sources=tuple(dataclasses.replace(s, cls=flaky) if s.name == "app" else s
                                                       for s in config.sources))
    calls: list[tuple[str, int]] = []
    result = export(request(), config, tmp_path / "out",
                    FAST.replace(env=store.env(), progress=lambda c, n: calls.append((c, n))))
    assert flaky.failures == 1  # the category really was read twice
    assert result.counts["personalisation"] == 30
    pers = [n for c, n in calls if c == "personalisation"]
    assert sum(n for n in pers if n > 0) > 30  # the first try reported rows ...
    assert min(pers) < 0  # ... which were withdrawn when the category was read again
    for cat, count in result.counts.items():
        assert sum(n for c, n in calls if c == cat) == count, cat


def test_plain_progress_shows_the_exported_count(tmp_path: Path) -> None:
    import io

    from exporter.progress import CountOnce, PlainProgress

    stream = io.StringIO()
    plain = PlainProgress(stream)
    counted = CountOnce(plain, "orders")
    counted("orders", 100)
    counted.restart()  # the read failed half-way and starts again
    counted("orders", 60)
    counted("orders", 60)
    plain.done()
    assert stream.getvalue() == "progress: orders 120 records\n"


# -- one meaning of complete --------------------------------------------------------------------------


def test_complete_is_coverage_complete_when_a_category_has_no_source(tmp_path: Path) -> None:
    store = _without_not_applicable(MiniStore(tmp_path / "store"))
    result = export(request(), store.config, tmp_path / "out", FAST.replace(env=store.env()))
    # not searched is incomplete, with its reason (issue 17), and nothing else is
    assert result.coverage.not_searched and set(result.incomplete) == set(result.coverage.not_searched)
    assert result.complete is False and result.coverage.complete is False
    assert result.to_dict()["complete"] is False


# -- identifier types at parse ----------------------------------------------------------------------


def test_unknown_identifier_type_is_rejected_at_parse_naming_the_known_ones() -> None:
    with pytest.raises(RequestError) as info:
        AccessRequest.parse(["phone:+44 20 7946 0001"], jurisdiction="eu")
    assert info.value.message == "unknown identifier type 'phone'"
    known = sorted(load_catalog().identifier_types)
    assert info.value.hint == f"known types: {', '.join(known)} (written TYPE:VALUE)"
    assert "7946" not in str(info.value)
    with pytest.raises(RequestError) as info:
        AccessRequest.from_dict({"identifiers": ["email:a@example.com", {"type": "phone", "value": "1"}],
                                 "jurisdiction": "eu"})
    assert info.value.context["pointer"] == "/identifiers/1/type"
    assert AccessRequest.parse(["phone:1"], jurisdiction="eu", types=["phone"]).identifiers[0].type == "phone"


def test_cli_rejects_an_unknown_identifier_type(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    result = CliRunner().invoke(app, ["export", "-c", str(store.config), "-s", "phone:+44 20 7946 0001", "-j", "eu",
                                      "-o", str(tmp_path / "out"), "--no-pdf", "--no-html"], env=WIDE)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown identifier type 'phone' — known types: account_id,")
    assert "7946" not in result.output and not (tmp_path / "out").exists()


class _StreamsDown:
    """Mixed into the SQL source: every category read fails as unavailable (identity lookups work)."""

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        if spec.category is not None:
            raise SourceUnavailable("connection lost", source="app")
        yield from super().read(spec, ids)  # type: ignore[misc]


def test_one_down_source_is_one_warning_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = MiniStore(tmp_path / "store")
    config = load_config(store.config)
    app_source = next(s for s in config.sources if s.name == "app")
    down = type("DownSql", (_StreamsDown, app_source.cls), {})
    config = dataclasses.replace(config, sources=tuple(dataclasses.replace(s, cls=down) if s.name == "app" else s
                                                       for s in config.sources))
    fed = sorted({r.spec.category for r in app_source.streams})
    assert len(fed) >= 2
    with caplog.at_level("WARNING", logger="exporter"):
        result = export(request(), config, tmp_path / "out", FAST.replace(env=store.env(), allow_partial=True))
    assert sorted(result.incomplete) == fed and len(result.warnings) >= len(fed)  # the package keeps each
    lines = [r.getMessage() for r in caplog.records if "incomplete" in r.getMessage()]
    assert lines == [f"{len(fed)} categories are incomplete (app: connection lost (tried 3 times)): "
                     f"{', '.join(c for c in (c.id for c in load_catalog()) if c in fed)}"], lines


def test_cli_prints_a_repeated_warning_once(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from exporter.cli.output import setup_logging

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        setup_logging(False, False)
        lib = logging.getLogger("some.library")
        for _ in range(3):
            lib.warning("font %s: using the fallback subsetter", "Report Sans")
        lib.warning("font %s: using the fallback subsetter", "Report Mono")
        lib.info("not shown at the default level")
        err = capsys.readouterr().err
    finally:
        root.handlers[:] = before[1]
        root.setLevel(before[0])
    assert err.splitlines() == ["warning: font Report Sans: using the fallback subsetter",
                                "warning: font Report Mono: using the fallback subsetter"]
