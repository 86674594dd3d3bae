"""Generating the sample set: the demo store built in a temporary folder, one export per sample
(in worker processes with ``jobs`` > 1), the index written, and the folder replaced as a whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .. import demo
from ..api import ExportOptions, export
from ..cleanup import remove_tree
from ..config import load_config
from ..errors import OutputError
from .cases import SAMPLES, SAMPLES_DIR, SAMPLES_HEAVY_EVENTS, SAMPLES_NOW, Sample
from .index import write_index

__all__ = ["generate_samples"]


def _quiet_worker() -> None:
    """Pool initializer: the exports' expected warnings ("nothing held") are shown in the index."""
    logging.getLogger("exporter").setLevel(logging.ERROR)


def _export_one(config_path: str, sample_id: str, out: str, now: str, pdf: bool, html_: bool) -> dict[str, Any]:
    """Worker: export one sample (module-level so a process pool can run it)."""
    sample = next(s for s in SAMPLES if s.id == sample_id)
    options = ExportOptions(now=dt.datetime.fromisoformat(now), pdf=pdf, html=html_,
                            acknowledge=frozenset(sample.acknowledge))
    result = export(sample.request(), load_config(config_path), out, options)
    return result.to_dict()


def generate_samples(
    out: str | Path,
    *,
    now: dt.datetime | None = None,
    pdf: bool = True,
    html: bool = True,
    jobs: int = 1,
    samples: Sequence[Sample] = SAMPLES,
    progress: Callable[[Sample], None] | None = None,
) -> Path:
    """Write the sample packages and their index to ``out/samples/`` (replacing it); return that folder.

    ``now`` defaults to :data:`SAMPLES_NOW` (pass the same value to reproduce the committed set).
    ``jobs`` > 1 exports in that many worker processes (the PDF renderer is CPU-bound).
    ``progress`` is called with each sample as it is finished.
    """
    when = (now or SAMPLES_NOW).astimezone(dt.UTC).replace(microsecond=0)
    target = Path(out).resolve() / SAMPLES_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="exporter-samples-store-") as tmp:
        store = demo.build_demo_store(Path(tmp) / "store", heavy_events=SAMPLES_HEAVY_EVENTS)
        config_path = str(demo.demo_config_path(store))
        staging = Path(tempfile.mkdtemp(prefix=f".{SAMPLES_DIR}.partial-", dir=target.parent))
        try:
            results = _export_all(config_path, staging, samples, when, pdf=pdf, html=html, jobs=jobs,
                                  progress=progress)
            write_index(staging, samples, results, when, pdf=pdf, html=html)
            _replace(staging, target)
        except BaseException:
            remove_tree(staging, "the samples work folder")
            raise
    return target


def _export_all(config_path: str, staging: Path, samples: Sequence[Sample], when: dt.datetime, *, pdf: bool,
                html: bool, jobs: int, progress: Callable[[Sample], None] | None) -> dict[str, dict[str, Any]]:
    """Sample id → its export result, exported in order (or in ``jobs`` worker processes)."""
    args = [(config_path, s.id, str(staging), when.isoformat(), pdf, html) for s in samples]
    results: dict[str, dict[str, Any]] = {}
    if jobs > 1 and len(samples) > 1:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(samples)), mp_context=ctx,
                                 initializer=_quiet_worker) as pool:
            futures = {pool.submit(_export_one, *a): s for a, s in zip(args, samples, strict=True)}
            for future, sample in futures.items():
                results[sample.id] = future.result()
                if progress:
                    progress(sample)
    else:
        for a, sample in zip(args, samples, strict=True):
            results[sample.id] = _export_one(*a)
            if progress:
                progress(sample)
    return results


def _replace(staging: Path, target: Path) -> None:
    os.chmod(staging, 0o755)  # mkdtemp makes it 0700
    old = None
    if target.exists():
        if not target.is_dir():
            raise OutputError("the samples target exists and is not a folder", path=str(target))
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.rename(target, old)
    os.rename(staging, target)
    if old is not None:
        remove_tree(old, "the previous samples folder")
