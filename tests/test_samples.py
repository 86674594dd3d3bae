"""The committed sample packages (examples/samples/) are what `exporter samples` makes now.

If this fails after a deliberate change (catalog, rules, schemas, templates, code), regenerate and
review the difference before committing it:

    exporter samples --out examples/ --jobs 2
    git diff --stat examples/samples/

Every file is compared byte for byte except what depends on the machine's font subsetter: WeasyPrint
subsets the report's fonts with HarfBuzz-Subset when ``libharfbuzz-subset0`` is installed and with
fontTools otherwise, and the two write different (equally valid) font programs, so ``report.pdf``'s
bytes — and with them its SHA-256 and size in ``manifest.json``, and the manifest's SHA-256 quoted in
the samples' README.md and index.html — differ between machines. Those are compared by content: the
PDF's page count, text of every page, fonts per page, metadata (Info and XMP), outline and embedded
files; the manifest with report.pdf's hash and size left out; README.md and index.html with the
quoted manifest hashes replaced by the sample's id (each committed one is checked against the
committed manifest). On one machine the same input still gives byte-identical packages
(tests/test_render_pdf.py, tests/test_library.py, tests/test_render_worker.py compare two runs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

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


def _outline(reader: PdfReader, items: list[Any] | None = None, depth: int = 0) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += _outline(reader, item, depth + 1)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item)))
    return out


def pdf_content(path: Path) -> dict[str, Any]:
    """What a reader of report.pdf gets, without the font programs' bytes (see the module docstring)."""
    reader = PdfReader(path)
    with pikepdf.open(path) as pdf:
        with pdf.open_metadata() as meta:
            xmp = {key: str(value) for key, value in meta.items()}
        info = {str(key): str(value) for key, value in pdf.docinfo.items()}
        files = {name: hashlib.sha256(spec.get_file().read_bytes()).hexdigest()
                 for name, spec in pdf.attachments.items()}
        fonts = [sorted(re.sub(r"^/[A-Z]{6}\+", "/", str(font.get("/BaseFont")))
                        for font in (page.Resources.get("/Font") or {}).values()) for page in pdf.pages]
        lang, pdfa = str(pdf.Root.get("/Lang")), "/OutputIntents" in pdf.Root
    return {"pages": len(reader.pages), "text": [page.extract_text() for page in reader.pages],
            "fonts": fonts, "xmp": xmp, "info": info, "outline": _outline(reader), "files": files,
            "lang": lang, "pdfa": pdfa}


def _manifest(path: Path) -> dict[str, Any]:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == "report.pdf":  # its bytes depend on the font subsetter
            entry["sha256"] = entry["bytes"] = "<report.pdf>"
    return manifest


def _index_text(root: Path, name: str) -> str:
    """README.md / index.html of the samples with each quoted manifest SHA-256 replaced by its sample id."""
    text = (root / name).read_text(encoding="utf-8")
    for s in SAMPLES:
        sha = hashlib.sha256((root / s.id / "manifest.json").read_bytes()).hexdigest()
        assert text.count(sha) == 1, (name, s.id)
        text = text.replace(sha, f"<manifest of {s.id}>")
    assert not re.search(r"[0-9a-f]{64}", text), f"{name} quotes a SHA-256 that is no sample's manifest"
    return text


@pytest.mark.slow
def test_committed_samples_match_a_fresh_run(regenerated: Path) -> None:
    assert COMMITTED.is_dir(), f"examples/{SAMPLES_DIR}/ is missing: run `{REGENERATE}`"
    want, got = tree(COMMITTED), tree(regenerated)
    missing = sorted(set(got) - set(want))
    extra = sorted(set(want) - set(got))
    by_content = {"README.md", "index.html"}
    changed = []
    for path in sorted(set(want) & set(got)):
        name = path.rsplit("/", 1)[-1] if path.count("/") == 1 else path  # <sample>/<file> of a package
        if name == "report.pdf":
            same = pdf_content(COMMITTED / path) == pdf_content(regenerated / path)
        elif name == "manifest.json":
            same = _manifest(COMMITTED / path) == _manifest(regenerated / path)
        elif path in by_content:
            same = _index_text(COMMITTED, path) == _index_text(regenerated, path)
        else:
            same = want[path] == got[path]
        if not same:
            changed.append(path)
    assert not (missing or extra or changed), (
        f"examples/{SAMPLES_DIR}/ is out of date — run `{REGENERATE}` and review the diff.\n"
        f"not committed: {missing[:10]}\nno longer generated: {extra[:10]}\nchanged: {changed[:20]}")
    assert {p for p in want if p.endswith("/report.pdf")} == {f"{s.id}/report.pdf" for s in SAMPLES}


@pytest.mark.slow
def test_committed_samples_are_valid_packages() -> None:
    """The committed files themselves: every package verifies against its own manifest (report.pdf
    included, byte for byte) — the content comparison above leaves those hashes out."""
    for s in SAMPLES:
        assert verify_package(COMMITTED / s.id) == [], s.id


def test_a_changed_pdf_text_or_outline_is_noticed(tmp_path: Path) -> None:
    """pdf_content() tells apart PDFs that differ only in a word of text or in an outline entry."""
    source = COMMITTED / SAMPLES[0].id / "report.pdf"
    base = pdf_content(source)
    with pikepdf.open(source) as pdf:
        page = pdf.pages[0]
        page.contents_add(pikepdf.Stream(pdf, b"BT /F1 9 Tf 20 20 Td (extra) Tj ET"), prepend=False)
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                  BaseFont=pikepdf.Name.Helvetica)
        page.Resources.Font[pikepdf.Name.F1] = font
        pdf.save(tmp_path / "text.pdf")
    with pikepdf.open(source) as pdf:
        with pdf.open_outline() as outline:
            outline.root[0].title = outline.root[0].title + "!"
        pdf.save(tmp_path / "outline.pdf")
    text, outline = pdf_content(tmp_path / "text.pdf"), pdf_content(tmp_path / "outline.pdf")
    assert text["text"] != base["text"] and text["fonts"] != base["fonts"]
    assert outline["outline"] != base["outline"] and outline["text"] == base["text"]


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
