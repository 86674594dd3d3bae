"""export-batch: many requests in parallel processes; one failure does not stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from exporter import demo
from exporter.batch import read_requests, run_batch
from exporter.cli import app
from exporter.errors import RequestError
from exporter.packaging.package import verify

HEADER = "subject,jurisdiction,received,request_id,verification,country\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.build_demo_store(tmp_path_factory.mktemp("batch") / "store", heavy_events=500)


def _requests(tmp_path: Path) -> Path:
    subjects = demo.DEMO_SUBJECTS
    path = tmp_path / "requests.csv"
    path.write_text(
        HEADER
        + f"email:{subjects['typical']},eu,2026-11-02,REQ-EU-1,verified,DE\n"
        + f"email:{subjects['uk']};account_id:ACC-000107,uk,,REQ-UK-2,,\n"
        + f"email:{subjects['california']},atlantis,2026-11-02,REQ-BAD-3,verified,\n",
        encoding="utf-8")
    return path


def test_cli_batch_reports_the_failure_and_finishes_the_others(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["export-batch", str(_requests(tmp_path)), "--config",
                                      str(demo.demo_config_path(store)), "--out", str(out), "--jobs", "2",
                                      "--no-pdf", "--no-html"])
    assert result.exit_code == 2, result.output  # the worst failure: a request error
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "REQ-BAD-3" in text and "FAILED" in text and "unknown jurisdiction" in text
    assert "2 of 3 requests exported" in text
    for subject in demo.DEMO_SUBJECTS.values():  # request ids only, never who it is about
        assert subject not in text
    for rid in ("REQ-EU-1", "REQ-UK-2"):
        assert verify(out / rid) == [], rid
    assert not (out / "REQ-BAD-3").exists()


def test_run_batch_outcomes_in_request_order(store: Path, tmp_path: Path) -> None:
    requests = read_requests(_requests(tmp_path))
    assert [r.request_id for r in requests] == ["REQ-EU-1", "REQ-UK-2", "REQ-BAD-3"]
    assert requests[1].subjects == (f"email:{demo.DEMO_SUBJECTS['uk']}", "account_id:ACC-000107")
    outcomes = run_batch(requests, demo.demo_config_path(store), tmp_path / "o", jobs=1,
                         options={"pdf": False, "html": False})
    assert [(o.request_id, o.ok) for o in outcomes] == [("REQ-EU-1", True), ("REQ-UK-2", True), ("REQ-BAD-3", False)]
    assert outcomes[2].exit_code == 2 and outcomes[0].records > 0


def test_requests_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,jurisdiction\nemail:a@b.example,eu\n", encoding="utf-8")
    with pytest.raises(RequestError, match="request_id"):
        read_requests(bad)
    dup = tmp_path / "dup.csv"
    dup.write_text(HEADER + "email:a@b.example,eu,,R1,,\nemail:c@d.example,eu,,R1,,\n", encoding="utf-8")
    with pytest.raises(RequestError, match="twice"):
        read_requests(dup)
