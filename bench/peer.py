"""The peer: Fides' DSR HTML access report for the same subject, in a venv of its own.

    python bench/peer.py --package PACKAGE_DIR --peer-python /work/peer-venv/bin/python
    python bench/peer.py --package PACKAGE_DIR          # prints "peer: not measured (…)"

The peer is Fides (``ethyca-fides``, 2.78.2 when this was written), the leading open-source DSAR
tool. Its access report is :class:`fides.api.service.privacy_request.dsr_package.dsr_report_builder.DSRReportBuilder`:
a zip of HTML pages (one per dataset and collection, every record a field/value table). It is
installed in a SEPARATE venv, never the project's (its pins clash with ours)::

    python3 -m venv /work/peer-venv && /work/peer-venv/bin/pip install ethyca-fides==2.78.2

What is measured, in a fresh interpreter of the peer's venv (as ``exporter export`` is measured):
importing the report builder, reading the same records (the package's ``data/*.jsonl``, one
collection per category, ``piconext:<category>`` as Fides keys them), building the zip in memory
(``DSRReportBuilder(...).generate()``) and writing it to disk. Wall time is seen from outside the
process, CPU seconds (user + system) and peak RSS are the process's own (``RUSAGE_CHILDREN`` of a
wrapper). Fides takes the request from its database: the builder gets a transient (session-less)
``PrivacyRequest`` and :func:`map_privacy_request` is replaced by the request fields it reads (id,
type, identity, requested at), so no database is needed; without a session Fides skips its
redaction pre-processor (it has no redaction rules to apply here anyway). The "warm" figure is
a second ``generate()`` in the same process (a Fides worker keeps its imports).

Nothing here is asserted: it prints figures, and ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: Runs in the PEER's interpreter: argv = [data_dir, out_zip, warm_runs]; prints JSON on its last line.
PEER_CHILD = r"""
import json, sys, time, resource
t0 = time.perf_counter(); c0 = time.process_time()
from pathlib import Path
import fides.api.service.privacy_request.dsr_package.dsr_report_builder as builder_mod
import fides.api.db.base  # noqa: F401 - every model, so that the mappers configure
from fides.api.models.privacy_request import PrivacyRequest
t_import = time.perf_counter() - t0

data_dir, out_zip, warm_runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dsr = {}
n = 0
for path in sorted(data_dir.glob("*.jsonl")):
    with path.open("rb") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    dsr["piconext:" + path.stem] = rows
    n += len(rows)
request = PrivacyRequest(id="pri_bench")  # transient: object_session() is None, no database
builder_mod.map_privacy_request = lambda pr: {
    "id": pr.id, "type": "access", "requested_at": "11/25/2026 12:00 UTC",
    "identity": {"email": {"label": "Email", "value": "subject@example.org"}},
}

def one():
    t = time.perf_counter(); c = time.process_time()
    zipped = builder_mod.DSRReportBuilder(privacy_request=request, dsr_data=dsr).generate()
    out_zip.write_bytes(zipped.getvalue())
    return time.perf_counter() - t, time.process_time() - c

first = one()
warm = [one() for _ in range(warm_runs)]
warm.sort()
print(json.dumps({"records": n, "import_s": t_import, "first_report": {"wall": first[0], "cpu": first[1]},
                  "warm": {"wall": warm[len(warm) // 2][0], "cpu": warm[len(warm) // 2][1]} if warm else None,
                  "warm_walls": [w for w, _ in warm], "zip_bytes": out_zip.stat().st_size,
                  "in_process_wall": time.perf_counter() - t0, "in_process_cpu": time.process_time() - c0}))
"""

#: Runs in THIS interpreter: starts argv[1:] and reports wall, CPU and peak RSS of that process tree.
WRAPPER = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "code": proc.returncode,
                  "stdout": proc.stdout, "stderr": proc.stderr[-3000:], "peak_rss_mb": ru.ru_maxrss / 1024}))
"""


def run_wrapped(cmd: list[str], cwd: str | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` through :data:`WRAPPER`: wall seconds from outside, CPU seconds (user + system
    of the process and the children it waited for), and the largest peak RSS among them."""
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True,
                          cwd=cwd, env=env)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def not_measured(peer_python: str | None) -> str | None:
    """Why the peer cannot be measured with this interpreter, or None when it can."""
    if not peer_python:
        return "no --peer-python given: install ethyca-fides in a venv of its own and pass its python"
    if not Path(peer_python).is_file():
        return f"{peer_python} does not exist"
    probe = subprocess.run([peer_python, "-c", "import fides.api.service.privacy_request.dsr_package."
                            "dsr_report_builder"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return f"the report builder does not import with {peer_python}: {last}"
    return None


def measure_peer(peer_python: str, package: Path, runs: int = 3, warm_runs: int = 3) -> dict[str, Any]:
    """Fides' HTML report for the records of ``package`` (an export's folder), ``runs`` fresh
    interpreters with one report each (the median wall run is reported, with every wall time),
    then one more interpreter that builds the report ``1 + warm_runs`` times (the median of the
    warm ones is the "warm" figure, as in a Fides worker)."""
    data = package / "data"
    results = []
    with tempfile.TemporaryDirectory(prefix="peer-") as tmp:
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        for i in range(runs + 1):  # ``runs`` fresh interpreters (one report each), then one for the warm figure
            warm = warm_runs if i == runs else 0
            res = run_wrapped([peer_python, "-c", PEER_CHILD, str(data), str(Path(tmp) / f"report{i}.zip"),
                               str(warm)], cwd=tmp, env=env)
            if res["code"] != 0:
                raise SystemExit(f"the peer's report failed:\n{res['stderr']}")
            inner = json.loads(res["stdout"].strip().splitlines()[-1])
            results.append({"wall": res["wall"], "cpu": res["cpu"], "peak_rss_mb": res["peak_rss_mb"], **inner})
    warm_res = results.pop()
    version = subprocess.run([peer_python, "-c", "import importlib.metadata as m; print(m.version('ethyca-fides'))"],
                             capture_output=True, text=True, check=False).stdout.strip()
    median = sorted(results, key=lambda r: r["wall"])[len(results) // 2]
    return {"peer": f"ethyca-fides {version}", "walls": [r["wall"] for r in results],
            "cpus": [r["cpu"] for r in results], "wall": median["wall"], "cpu": median["cpu"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results), "records": median["records"],
            "import_s": median["import_s"], "warm": warm_res["warm"], "warm_walls": warm_res["warm_walls"],
            "zip_bytes": median["zip_bytes"]}


def describe(res: dict[str, Any]) -> str:
    warm = res.get("warm") or {}
    return (f"peer ({res['peer']} DSRReportBuilder, HTML report of {res['records']:,} records, fresh interpreter):"
            f" median {res['wall']:.2f} s wall / {res['cpu']:.2f} s CPU of {', '.join(f'{w:.2f}' for w in res['walls'])}"
            f" s (imports {res['import_s']:.2f} s); warm report in the process {warm.get('wall', 0):.2f} s wall /"
            f" {warm.get('cpu', 0):.2f} s CPU; peak RSS {res['peak_rss_mb']:.0f} MB; zip {res['zip_bytes'] / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", required=True, help="an export's folder (its data/*.jsonl are the records)")
    ap.add_argument("--peer-python", help="the python of the venv ethyca-fides is installed in")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    reason = not_measured(args.peer_python)
    if reason:
        print(f"peer: not measured ({reason})")
        return
    res = measure_peer(args.peer_python, Path(args.package), runs=args.runs)
    print(describe(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
