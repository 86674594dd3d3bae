"""The CSV helper thread (exporter.collect.background): order kept, bounded, errors never lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from exporter.collect.background import Background


def test_jobs_run_in_order_on_one_thread() -> None:
    seen: list[tuple[int, str]] = []
    jobs = Background("t")
    for i in range(50):
        jobs.submit(lambda i=i: seen.append((i, threading.current_thread().name)))
    assert jobs.finish() is None
    assert [i for i, _ in seen] == list(range(50))
    assert {name for _, name in seen} != {threading.current_thread().name} and len({n for _, n in seen}) == 1


def test_at_most_depth_jobs_wait() -> None:
    gate = threading.Event()
    started: list[int] = []
    jobs = Background("t", depth=2)

    def job(i: int) -> None:
        started.append(i)
        gate.wait()

    jobs.submit(job, 0)
    jobs.submit(job, 1)
    blocked = threading.Thread(target=jobs.submit, args=(job, 2))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # the third submit waits for the first job
    gate.set()
    blocked.join(5)
    assert not blocked.is_alive() and jobs.finish() is None and started == [0, 1, 2]


def test_an_error_is_raised_at_the_next_submit_or_at_finish() -> None:
    jobs = Background("t", depth=1)

    def boom() -> None:
        raise OSError("disk full")

    jobs.submit(boom)
    with pytest.raises(OSError, match="disk full"):
        jobs.submit(lambda: None)
    jobs.submit(boom)
    error = jobs.finish()
    assert isinstance(error, OSError)


def test_a_csv_failure_fails_the_export_and_publishes_nothing(demo_store: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter import AccessRequest, demo, export
    from exporter.collect import columnar
    from exporter.errors import ExporterError

    def broken(*_a: object, **_k: object) -> None:
        time.sleep(0.01)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(columnar, "csv_lines", broken)
    request = AccessRequest.parse([f"email:{demo.DEMO_SUBJECTS['heavy_logs']}"], jurisdiction="eu", request_id="BG1")
    with pytest.raises((OSError, ExporterError)):
        export(request, demo_store / "exporter.toml", tmp_path, pdf=False, html=False)
    assert not (tmp_path / "BG1").exists()  # nothing published
    assert list(tmp_path.iterdir()) == []  # and no work folder (".BG1.partial-…") left behind
