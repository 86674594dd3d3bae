"""Configuration loading errors and the identity graph (dependency order, cycles, provenance)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from exporter.config import load_config
from exporter.errors import ConfigError
from exporter.collect.identity import Identifier, plan, resolve
from exporter.sources import ReadSpec, Source, register

MINI_CATALOG = """
[controller]
name = "PicoNext"
email = "support@piconext.com"
[identifier_types.email]
title = "Email"
match = "email"
[identifier_types.account_id]
title = "Account"
[identifier_types.device_id]
title = "Device"
[identifier_types.cookie_id]
title = "Cookie"
[[categories]]
id = "devices"
title = "Devices"
retention = { kind = "criteria" }
"""


class MemorySource(Source):
    """Rows from the ``rows`` option; matches on ``match = {type = field}``."""

    kind = "memory"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "required": ["rows"], "properties": {"rows": {"type": "array"}}}
    read_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "required": ["match"], "additionalProperties": False,
        "properties": {"match": {"type": "object"}}}
    calls: ClassVar[list[tuple[str, dict[str, tuple[str, ...]]]]] = []

    def read(self, spec: ReadSpec, ids: Any) -> Iterator[list[dict[str, Any]]]:
        MemorySource.calls.append((spec.label, dict(ids)))
        match = spec.params["match"]
        rows = [dict(r) for r in self.options["rows"]
                if any(str(r.get(f, "")).casefold() in {v.casefold() for v in ids.get(t, ())} for t, f in match.items())]
        yield rows


register("memory", MemorySource)


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "catalog.toml").write_text(MINI_CATALOG)
    cfg = tmp_path / "exporter.toml"
    cfg.write_text('[export]\ncatalog = "catalog.toml"\n' + textwrap.dedent(body))
    return cfg


GRAPH = """
[sources.crm]
kind = "memory"
rows = [{email = "Jane@Example.com", account_id = "A1"}, {email = "other@example.com", account_id = "A2"}]
[[sources.crm.identities]]
needs = ["email"]
match = {email = "email"}
yields = {account_id = "account_id"}

[sources.devices]
kind = "memory"
rows = [{account_id = "A1", device_id = "D1", cookie = "C9"}, {account_id = "A2", device_id = "D2", cookie = "C8"}]
[[sources.devices.identities]]
needs = ["device_id"]
match = {device_id = "device_id"}
yields = {cookie_id = "cookie"}
[[sources.devices.identities]]
needs = ["account_id"]
match = {account_id = "account_id"}
yields = {device_id = "device_id"}
[[sources.devices.streams]]
category = "devices"
needs = ["account_id", "cookie_id"]
match = {account_id = "account_id"}
"""


def test_resolution_runs_in_dependency_order_with_provenance(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GRAPH))
    order = [r.spec.label for r in plan(config)]
    # device_id must be known before the read that needs it, whatever the file order
    assert order.index("devices/identities[1]") < order.index("devices/identities[0]")
    srcs = config.open_sources({})
    ids = resolve(config, [Identifier("email", " JANE@example.com ")], srcs)
    # each found identifier names the read and the subject's identifier the read was given
    assert ids.as_list() == [
        {"type": "account_id", "value": "A1", "found_by": "crm/identities[0]",
         "found_through": {"type": "email", "value": "JANE@example.com"}},
        {"type": "cookie_id", "value": "C9", "found_by": "devices/identities[0]",
         "found_through": {"type": "device_id", "value": "D1"}},
        {"type": "device_id", "value": "D1", "found_by": "devices/identities[1]",
         "found_through": {"type": "account_id", "value": "A1"}},
        {"type": "email", "value": "JANE@example.com", "found_by": "request"},  # as given (trimmed)
    ]


def test_cycle_between_types_resolves_to_the_fixpoint(tmp_path: Path) -> None:
    """account → device → cookie → account: a cycle is followed round by round until nothing new
    is found (it used to be refused, which made e-mail → account → e-mail impossible)."""
    body = GRAPH + """
[[sources.crm.identities]]
needs = ["cookie_id"]
match = {cookie_id = "cookie"}
yields = {account_id = "account_id"}
"""
    cfg = load_config(write(tmp_path, body))
    plan(cfg)  # no ConfigError
    src = cfg.open_sources({})
    ids = resolve(cfg, [Identifier("email", "jane@example.com")], src)
    assert ids.values(["account_id", "device_id", "cookie_id"]) == {
        "account_id": ("A1",), "device_id": ("D1",), "cookie_id": ("C9",)}


def test_casefold_rule_is_refused(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text(MINI_CATALOG.replace('match = "email"', 'match = "casefold"'))
    cfg = tmp_path / "exporter.toml"
    cfg.write_text('[export]\ncatalog = "catalog.toml"\n' + textwrap.dedent(GRAPH))
    with pytest.raises(ConfigError, match="merges different addresses") as exc:
        load_config(cfg)
    assert exc.value.context["key"] == "identifier_types.email.match"


def test_identifier_nobody_yields_is_a_config_error(tmp_path: Path) -> None:
    body = """
[sources.devices]
kind = "memory"
rows = []
[[sources.devices.streams]]
category = "devices"
needs = ["device_id"]
match = {device_id = "device_id"}
"""
    with pytest.raises(ConfigError, match="no identities read yields") as exc:
        plan(load_config(write(tmp_path, body)))
    assert exc.value.context["key"] == "devices/devices"


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ("[sources.x]\nkind = 'nope'\n", "sources.x.kind", "unknown source kind 'nope'"),
        ("[sources.x]\nkind = 'memory'\n", "sources.x", "'rows' is a required property"),
        ("[sources.x]\nkind = 'memory'\nrows = []\n[[sources.x.streams]]\ncategory = 'nope'\nneeds = ['email']\nmatch = {}\n",
         "sources.x.streams[0].category", "unknown category 'nope'"),
        ("[sources.x]\nkind = 'memory'\nrows = []\n[[sources.x.streams]]\ncategory = 'devices'\nneeds = ['email']\n",
         "sources.x.streams[0]", "'match' is a required property"),
        ("[sources.x]\nkind = 'memory'\nrows = []\n[[sources.x.streams]]\ncategory = 'devices'\nneeds = ['shoe_size']\nmatch={}\n",
         "sources.x.streams[0]", "unknown identifier type 'shoe_size'"),
        ("[export]\npdf_rows = -1\n[sources.x]\nkind = 'memory'\nrows = []\n", "export.pdf_rows", "less than the minimum"),
        ("[sources]\n", "sources", "should be non-empty"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, body: str, key: str, message: str) -> None:
    path = tmp_path / "exporter.toml"
    (tmp_path / "catalog.toml").write_text(MINI_CATALOG)
    if "[export]" not in body:
        body = '[export]\ncatalog = "catalog.toml"\n' + body
    else:
        body = body.replace("[export]\n", '[export]\ncatalog = "catalog.toml"\n')
    path.write_text(body)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert message in str(exc.value)
    assert exc.value.context["key"] == key
    assert exc.value.context["file"] == str(path)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[sources\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
