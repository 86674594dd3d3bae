"""Source kinds are found through the ``exporter.sources`` entry-point group — built-ins and plugins alike."""

from __future__ import annotations

import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from exporter import sources
from exporter.errors import ConfigError
from exporter.sources import ReadSpec, Source
from exporter.sources.files import FilesSource
from exporter.sources.http import HttpSource
from exporter.sources.parquet import ParquetSource
from exporter.sources.sql import SqlSource

BUILTINS = {"sql": SqlSource, "files": FilesSource, "http": HttpSource, "parquet": ParquetSource}


@pytest.mark.parametrize("kind", sorted(BUILTINS))
def test_builtin_kinds_load_through_entry_points(kind: str) -> None:
    (ep,) = [e for e in entry_points(group=sources.ENTRY_POINT_GROUP) if e.name == kind]
    assert ep.load() is BUILTINS[kind]
    assert kind not in sources._registered  # found via the entry point, not register()
    cls = sources.source_class(kind)
    assert cls is BUILTINS[kind] and cls.kind == kind
    assert cls.options_schema["type"] == "object" and cls.read_schema["type"] == "object"


def test_option_schemas_are_valid_json_schemas() -> None:
    from jsonschema import Draft202012Validator

    for cls in BUILTINS.values():
        Draft202012Validator.check_schema(cls.options_schema)
        Draft202012Validator.check_schema(cls.read_schema)


TINY = '''
from __future__ import annotations
from collections.abc import Iterator
from exporter.sources import Batch, Identities, ReadSpec, Source


class TinySource(Source):
    kind = "tiny"
    options_schema = {"type": "object", "properties": {"greeting": {"type": "string"}}}
    read_schema = {"type": "object"}

    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        for t in spec.needs:
            yield [{"type": t, "value": v, "greeting": self.options.get("greeting")} for v in ids[t]]
'''


def test_external_plugin_is_found_through_its_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A separately installed package (site dir with a *.dist-info) adds a kind without register()."""
    site = tmp_path / "site"
    (site / "tiny_exporter_source").mkdir(parents=True)
    (site / "tiny_exporter_source" / "__init__.py").write_text(textwrap.dedent(TINY))
    info = site / "tiny_exporter_source-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-exporter-source\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[exporter.sources]\ntiny = tiny_exporter_source:TinySource\n")

    with pytest.raises(ConfigError) as before:
        sources.source_class("tiny", where="sources.t.kind")
    assert "unknown source kind 'tiny'" in str(before.value)

    monkeypatch.syspath_prepend(str(site))
    try:
        assert "tiny" in sources.kinds()
        cls = sources.source_class("tiny")
        assert issubclass(cls, Source) and cls.__module__ == "tiny_exporter_source"
        assert "tiny" not in sources._registered
        src = cls("t", {"greeting": "hi"}, base_dir=tmp_path, env={})
        with src:
            out = list(src.read(ReadSpec(label="t/x", needs=("email",)), {"email": ("a@x", "b@x")}))
        assert out == [[{"type": "email", "value": "a@x", "greeting": "hi"},
                        {"type": "email", "value": "b@x", "greeting": "hi"}]]
    finally:
        sys.modules.pop("tiny_exporter_source", None)


def test_broken_plugin_is_reported_as_broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "broken_src-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-src\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[exporter.sources]\nbroken = no_such_module_xyz:Nope\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="failed to load"):
        sources.source_class("broken")


def test_unknown_kind_lists_the_known_kinds() -> None:
    with pytest.raises(ConfigError) as info:
        sources.source_class("mongo", where="sources.x.kind")
    text = str(info.value)
    assert "unknown source kind 'mongo'" in text and "sources.x.kind" in text
    for kind in BUILTINS:
        assert kind in text
