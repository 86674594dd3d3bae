"""Every command and configuration snippet of the README and docs/ runs (issue 19, item 4), so the
documentation cannot drift from the catalog, the configuration format or the CLI again.

Fenced blocks are found by language:

* ```` ```bash ```` — run with ``bash -e -o pipefail``, one document's blocks in order, in one
  working folder that holds a copy of the demo store (``exporter.toml``, ``piconext.sqlite`` …), with
  this environment's ``exporter`` first on ``PATH``; every command must exit 0.
* ```` ```toml ```` — parsed, then by what it is: a configuration (``[sources.…]``, or a table of
  the configuration such as ``[redaction]``, completed with one demo source) is loaded with
  :func:`exporter.load_config` — unknown categories, identifier types, kinds or keys fail — and,
  when its sources are all local (SQLite, files, Parquet), exports the demo subject; a catalog
  excerpt (``[meta]``, ``[[categories]]`` …) must name only what the shipped catalog has; keys
  without a table are keys of catalog categories; a ``[project]`` table is a plugin's
  ``pyproject.toml`` registering under ``exporter.sources``.
* ```` ```python ```` — run in the working folder (``python -c``); a block that only defines
  classes is imported and its sources registered (so the config snippets after it can use the
  kind); a single ``name(…) -> Type`` line must match the real function's signature.

A block that cannot run here says so in the doc, on the line before its fence:
``<!-- doc-test: skip — <reason> -->`` (a remote service, the test suite itself …), and
``<!-- doc-test: interface <module.Class> -->`` marks a sketch of a class whose every method and
attribute must exist on the real one. :data:`EXPECTED_SKIPS` counts the skips: adding one is a
reviewed change of this file.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exporter import AccessRequest, demo, export, load_config
from exporter.law.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "examples" / "README.md", *(ROOT / "docs").glob("*.md")])
LANGUAGES = ("bash", "toml", "python")
#: doc → number of skipped blocks (each with its reason in the doc)
EXPECTED_SKIPS = {"README.md": 1, "docs/library.md": 1, "docs/own-data.md": 3, "docs/scaling.md": 2, "examples/README.md": 1}
MARKER = re.compile(r"<!--\s*doc-test:\s*(?P<what>skip|interface)\b\s*(?:—|-|:)?\s*(?P<arg>.*?)\s*-->")
LOCAL_KINDS = {"sql", "files", "parquet"}


@dataclass(frozen=True)
class Block:
    doc: str  #: path relative to the repository
    line: int  #: line of the opening fence
    lang: str
    text: str
    marker: str | None = None  #: skip | interface
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.doc}:{self.line} ({self.lang})"


def blocks(path: Path) -> list[Block]:
    rel = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = re.fullmatch(r"```(\w+)\s*", lines[i])
        if m is None:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        if m[1] not in LANGUAGES:
            continue
        before = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        mark = MARKER.search(before)
        out.append(Block(rel, start + 1, m[1], "\n".join(body) + "\n", mark["what"] if mark else None,
                         mark["arg"] if mark else ""))
    return out


ALL = [b for doc in DOCS for b in blocks(doc)]


def test_the_docs_have_snippets_of_every_kind() -> None:
    assert {b.lang for b in ALL} == set(LANGUAGES)
    assert len(ALL) >= 20


def test_skipped_snippets_are_counted_and_explained() -> None:
    skipped: dict[str, int] = {}
    for b in ALL:
        if b.marker == "skip":
            assert len(b.arg) >= 20, f"{b}: say why it cannot run here"
            skipped[b.doc] = skipped.get(b.doc, 0) + 1
    assert skipped == EXPECTED_SKIPS
    ran = sum(1 for b in ALL if b.marker != "skip")
    # most snippets run: the skipped ones start long-running services (queue) or need a deployment's own
    # database (own-data), each run instead by its own test file
    assert ran >= 3 * sum(skipped.values()), "most snippets run"


# ------------------------------------------------------------------------------------------------
# the working folder: a copy of the demo store


@pytest.fixture(scope="module")
def workdir(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<tmp>/exporter-demo/store`` (the README's layout), a copy of the session's demo store."""
    store = tmp_path_factory.mktemp("docs") / "exporter-demo" / "store"
    shutil.copytree(demo_store, store)
    return store


def environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXPORTER_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["APP_DB_URL"] = f"sqlite:///{workdir / 'piconext.sqlite'}"  # the README's url_env
    env.update({"NO_COLOR": "1", "COLUMNS": "120", "PYTHONPATH": str(ROOT)})
    return env


# ------------------------------------------------------------------------------------------------
# bash: each document's blocks in order


BASH_DOCS = sorted({b.doc for b in ALL if b.lang == "bash" and b.marker != "skip"})


@pytest.mark.slow
@pytest.mark.parametrize("doc", BASH_DOCS)
def test_bash_snippets_run(doc: str, workdir: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "exporter-demo" / "store"
    shutil.copytree(workdir, cwd)
    for b in (b for b in ALL if b.doc == doc and b.lang == "bash" and b.marker != "skip"):
        assert "…" not in b.text, f"{b}: a placeholder cannot run; write the command out"
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", b.text], cwd=cwd, env=environment(workdir),
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{b} exited {done.returncode}:\n{done.stderr[-3000:]}"


# ------------------------------------------------------------------------------------------------
# toml


def _config_like(data: dict[str, Any]) -> bool:
    return bool({"sources", "redaction", "export", "identity"} & set(data)) and "meta" not in data


DEMO_SOURCE = """
[sources.app]
kind = "sql"
url = "sqlite:///piconext.sqlite"

[[sources.app.identities]]
needs = ["email"]
query = "SELECT account_id, email FROM accounts WHERE lower(email) IN :email"
yields = { account_id = "account_id" }

[sources.files]
kind = "files"

[[sources.files.streams]]
category = "support_emails"
needs = ["account_id"]
path = "support_emails.jsonl"
match = { account_id = "account_id" }
"""


def check_config(b: Block, data: dict[str, Any], folder: Path) -> None:
    sources = data.get("sources", {})
    if sources and all(isinstance(v, dict) and "kind" not in v for v in sources.values()):
        # an excerpt that adds to a source of the demo's own configuration ([[sources.app.exclude]])
        text = (folder / "exporter.toml").read_text(encoding="utf-8") + "\n" + b.text
    else:
        text = b.text if "sources" in data else b.text + DEMO_SOURCE
    for key in ("staff_names_file", "names_file"):  # files a [redaction] snippet names
        name = data.get("redaction", {}).get(key)
        if isinstance(name, str) and not (folder / name).exists():
            (folder / name).write_text("Aisha Bello\n", encoding="utf-8")
    path = folder / f"snippet-{b.doc.replace('/', '-')}-{b.line}.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)  # raises ConfigError naming the file and key
    kinds = {s.kind for s in config.sources}
    env = environment(folder)
    urls = [s.options.get("url") or env.get(str(s.options.get("url_env")), "") for s in config.sources
            if s.kind == "sql"]
    sqlite_only = all(str(u).startswith("sqlite") for u in urls)
    remote = any(str(s.options.get("root", "")).startswith(("s3://", "gs://", "http")) for s in config.sources)
    if kinds <= LOCAL_KINDS and sqlite_only and not remote:
        result = export(AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu",
                                            request_id=f"DOC-{b.line}"),
                        config, folder / "doc-packages", env=env, pdf=False, html=False, force=True)
        fed = {r.spec.category for s in config.sources for r in s.streams}
        assert all(result.counts[c] > 0 for c in fed), f"{b}: the demo subject has data in {sorted(fed)}"


def check_catalog_excerpt(b: Block, data: dict[str, Any]) -> None:
    shipped = load_catalog().data
    for table, value in data.items():
        if table == "categories":
            known = {c["id"]: c for c in shipped["categories"]}
            for cat in value:
                assert cat["id"] in known, f"{b}: no category {cat['id']!r} in the catalog"
                for key in cat:
                    assert any(key in c for c in shipped["categories"]), f"{b}: no category has {key!r}"
                for p in cat.get("purposes", []):
                    assert p["purpose"] in shipped["purposes"] and p["basis"] in shipped["legal_bases"], b
                for name in ("origins", "recipients"):
                    assert set(cat.get(name, [])) <= set(shipped[name]), f"{b}: {name}"
        else:
            assert table in shipped, f"{b}: no [{table}] in the catalog"
            if isinstance(value, dict) and table != "meta" and table != "controller":
                for entry in value:
                    assert entry in shipped[table], f"{b}: no [{table}.{entry}] in the catalog"


def check_category_keys(b: Block, data: dict[str, Any]) -> None:
    """Keys of a catalog category, e.g. free_text = [...]: some category has each, with that value."""
    cats = load_catalog().data["categories"]
    for key, value in data.items():
        assert any(c.get(key) == value for c in cats), f"{b}: no category has {key} = {value!r}"


def check_pyproject(b: Block, data: dict[str, Any]) -> None:
    entry_points = data["project"]["entry-points"]["exporter.sources"]
    for kind, target in entry_points.items():
        assert re.fullmatch(r"[\w.]+:\w+", target), b
        assert kind in REGISTERED, f"{b}: kind {kind!r} is defined by no snippet of the docs"


REGISTERED: dict[str, type] = {}


TOML = [b for b in ALL if b.lang == "toml" and b.marker != "skip"]


@pytest.mark.parametrize("b", TOML, ids=str)
def test_toml_snippets(b: Block, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tomllib.loads(b.text)
    assert data, b
    _register_doc_plugins(b.doc, monkeypatch)
    if "project" in data:
        check_pyproject(b, data)
    elif _config_like(data):
        folder = tmp_path / "store"
        shutil.copytree(workdir, folder)
        check_config(b, data, folder)
    elif any(isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict)) for v in data.values()):
        check_catalog_excerpt(b, data)
    else:
        check_category_keys(b, data)


# ------------------------------------------------------------------------------------------------
# python


def _only_definitions(tree: ast.Module) -> bool:
    return all(isinstance(n, (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef)) or
               (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in tree.body)


def _register_doc_plugins(doc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Import the plugin classes a document defines (before its config snippets use them)."""
    from exporter import sources

    for b in ALL:
        if b.doc != doc or b.lang != "python" or b.marker:
            continue
        tree = ast.parse(b.text)
        if not _only_definitions(tree) or not any(isinstance(n, ast.ClassDef) for n in tree.body):
            continue
        namespace: dict[str, Any] = {"__name__": f"doc_snippet_{b.line}"}
        exec(compile(b.text, str(b), "exec"), namespace)  # noqa: S102 - the docs' own example code
        for value in namespace.values():
            if isinstance(value, type) and issubclass(value, sources.Source) and value is not sources.Source:
                monkeypatch.setitem(sources._registered, value.kind, value)  # undone after the test
                REGISTERED[value.kind] = value


PYTHON = [b for b in ALL if b.lang == "python" and b.marker != "skip"]


@pytest.mark.parametrize("b", PYTHON, ids=str)
def test_python_snippets(b: Block, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if b.marker == "interface":
        check_interface(b)
        return
    signature = re.fullmatch(r"\s*(\w+)\((.*)\)\s*->\s*(\w+)\s*", b.text, re.DOTALL)
    if signature:
        check_signature(b, signature[1], signature[2], signature[3])
        return
    tree = ast.parse(b.text)
    if _only_definitions(tree):
        _register_doc_plugins(b.doc, monkeypatch)
        return
    cwd = tmp_path / "store"
    shutil.copytree(workdir, cwd)
    done = subprocess.run([sys.executable, "-c", b.text], cwd=cwd, env=environment(workdir), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{b}:\n{done.stderr[-3000:]}"


def check_signature(b: Block, name: str, params: str, returns: str) -> None:
    import exporter

    func = getattr(exporter, name)
    real = inspect.signature(func)
    documented = ast.parse(f"def {name}({params}): pass").body[0]
    assert isinstance(documented, ast.FunctionDef)
    args = documented.args
    names = [a.arg for a in args.args] + (["*"] if args.kwonlyargs else []) + [a.arg for a in args.kwonlyargs]
    real_names = []
    for p in real.parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in real_names:
            real_names.append("*")
        real_names.append(p.name)
    assert names == real_names, f"{b}: documented {names}, real {real_names}"
    assert real.return_annotation in (returns, getattr(exporter, returns, None)), b


def check_interface(b: Block) -> None:
    module, _, cls_name = b.arg.rpartition(".")
    real = getattr(importlib.import_module(module), cls_name)
    tree = ast.parse(b.text)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            assert callable(getattr(real, node.name, None)), f"{b}: {cls_name}.{node.name} does not exist"
            documented = [a.arg for a in node.args.args + node.args.kwonlyargs]
            actual = list(inspect.signature(getattr(real, node.name)).parameters)
            assert documented == actual, f"{b}: {cls_name}.{node.name}{tuple(documented)} vs {tuple(actual)}"
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assert node.target.id in real.__annotations__ or hasattr(real, node.target.id), \
                f"{b}: {cls_name}.{node.target.id} does not exist"
    for imp in (n for n in tree.body if isinstance(n, ast.ImportFrom)):
        mod = importlib.import_module(imp.module or "")
        for alias in imp.names:
            assert hasattr(mod, alias.name), f"{b}: {imp.module} has no {alias.name}"
