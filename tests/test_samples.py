"""The committed sample packages (examples/samples/) are exactly what `exporter samples` makes now.

If this fails after a deliberate change (catalog, rules, schemas, templates, code), regenerate and
review the difference before committing it:

    exporter samples --out examples/ --jobs 2
    git diff --stat examples/samples/
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from exporter import verify_package
from exporter.samples import SAMPLES, SAMPLES_DIR, SAMPLES_NOW, generate_samples

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "examples" / SAMPLES_DIR
REGENERATE = "exporter samples --out examples/ --jobs 2"


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    return generate_samples(out, now=SAMPLES_NOW, jobs=min(4, os.cpu_count() or 1))


def test_the_sample_set_covers_what_legal_reviews() -> None:
    by_id = {s.id: s for s in SAMPLES}
    assert len(by_id) == len(SAMPLES)
    assert {s.jurisdiction for s in SAMPLES} == {"eu", "uk", "ca"}
    personas = {s.persona for s in SAMPLES}
    assert {"typical", "marketing_only", "heavy_logs", "terminated", "california", None} <= personas
    assert any(s.jurisdiction == "ca" and s.verification == "reasonable" for s in SAMPLES)
    for s in SAMPLES:
        assert s.about and s.review and s.title


@pytest.mark.slow
def test_committed_samples_are_byte_identical_to_a_fresh_run(regenerated: Path) -> None:
    assert COMMITTED.is_dir(), f"examples/{SAMPLES_DIR}/ is missing: run `{REGENERATE}`"
    want, got = tree(COMMITTED), tree(regenerated)
    missing = sorted(set(got) - set(want))
    extra = sorted(set(want) - set(got))
    changed = sorted(p for p in set(want) & set(got) if want[p] != got[p])
    assert not (missing or extra or changed), (
        f"examples/{SAMPLES_DIR}/ is out of date — run `{REGENERATE}` and review the diff.\n"
        f"not committed: {missing[:10]}\nno longer generated: {extra[:10]}\nchanged: {changed[:20]}")


@pytest.mark.slow
def test_samples_are_complete_packages_with_an_index(regenerated: Path) -> None:
    readme = (regenerated / "README.md").read_text(encoding="utf-8")
    index = (regenerated / "index.html").read_text(encoding="utf-8")
    for s in SAMPLES:
        package = regenerated / s.id
        assert verify_package(package) == [], s.id
        assert (package / "report.pdf").is_file() and (package / "index.html").is_file()
        bundle = json.loads((package / "bundle.json").read_text(encoding="utf-8"))
        assert bundle["request"]["id"] == s.id and bundle["generated_at"] == "2026-11-25T10:00:00Z"
        assert f"## {s.title}" in readme and f'id="{s.id}"' in index and f"{s.id}/report.pdf" in index
        manifest = hashlib.sha256((package / "manifest.json").read_bytes()).hexdigest()
        assert manifest in readme and manifest in index
    nothing = json.loads((regenerated / "eu-nothing-held" / "bundle.json").read_text(encoding="utf-8"))
    assert nothing["summary"]["records"] == 0
    ca = json.loads((regenerated / "ca-categories-only" / "bundle.json").read_text(encoding="utf-8"))
    assert ca["summary"]["specific_pieces"] is False and not (regenerated / "ca-categories-only" / "data").exists()


@pytest.mark.slow
def test_samples_hold_no_machine_specific_paths(regenerated: Path) -> None:
    for path in sorted(regenerated.rglob("*")):
        if path.suffix in (".json", ".jsonl", ".csv", ".html", ".md"):
            text = path.read_text(encoding="utf-8")
            for marker in (str(regenerated.parent), "/tmp/", "exporter-samples-store", str(Path.home())):
                assert marker not in text, (path, marker)


def test_examples_readme_explains_the_samples() -> None:
    text = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    assert "exporter samples --out examples/" in text and "samples/README.md" in text
    attributes = (ROOT / "examples" / ".gitattributes").read_text(encoding="utf-8")
    assert "samples/** -text" in attributes  # no line-ending conversion: byte-identical on every OS
