"""The category catalog: what PicoNext holds and why (``catalog/categories.toml``).

The catalog is reviewed legal data, not code. This module only reads it, checks that every
reference in it resolves, and answers questions about it. Format: docs/architecture.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .identifiers import REFUSED, RULES, Rule, rule_named
from .resources import catalog_dir

__all__ = ["Catalog", "Category", "load_catalog"]

_REFS = {
    "origins": "origins",
    "recipients": "recipients",
}


@dataclass(frozen=True)
class Category:
    """One catalog entry. ``raw`` is the TOML table as written by the privacy officer."""

    id: str
    title: str
    raw: Mapping[str, Any]

    @property
    def key(self) -> str | None:
        return self.raw.get("key")

    @property
    def time_field(self) -> str | None:
        return self.raw.get("time_field")

    @property
    def summary_fields(self) -> tuple[str, ...]:
        return tuple(self.raw.get("summary_fields", ()))

    @property
    def facts(self) -> Mapping[str, str]:
        facts: Mapping[str, str] = self.raw.get("facts", {})
        return facts

    @property
    def withheld(self) -> tuple[str, ...]:
        return tuple(self.raw.get("withheld", ()))

    @property
    def retention(self) -> Mapping[str, Any]:
        rule: Mapping[str, Any] = self.raw.get("retention", {})
        return rule

    @property
    def retention_field(self) -> str | None:
        per_record = self.retention.get("per_record")
        return per_record.get("field") if isinstance(per_record, Mapping) else None


class Catalog:
    """Read-only view of the catalog file; safe to share between threads."""

    def __init__(self, data: Mapping[str, Any], *, path: Path) -> None:
        self.path = path
        self.data = data
        self.categories: tuple[Category, ...] = tuple(
            Category(id=c["id"], title=c.get("title", c["id"]), raw=c) for c in data.get("categories", [])
        )
        self._by_id = {c.id: c for c in self.categories}
        self._check()

    # -- lookups -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __getitem__(self, category_id: str) -> Category:
        return self._by_id[category_id]

    def __contains__(self, category_id: object) -> bool:
        return category_id in self._by_id

    def table(self, name: str) -> Mapping[str, Mapping[str, Any]]:
        value = self.data.get(name, {})
        return value if isinstance(value, Mapping) else {}

    @property
    def controller(self) -> Mapping[str, Any]:
        return self.table("controller")

    @property
    def identifier_types(self) -> Mapping[str, Mapping[str, Any]]:
        return self.table("identifier_types")

    def rule(self, id_type: str) -> Rule:
        """The matching rule of ``id_type`` (catalog ``match``; ``trim`` when not given)."""
        spec = self.identifier_types.get(id_type, {})
        return rule_named(str(spec.get("match", "trim")))

    def rules(self) -> dict[str, Rule]:
        return {t: self.rule(t) for t in self.identifier_types}

    def normalize_identifier(self, id_type: str, value: str) -> str:
        """The comparison key of ``value`` under its type's rule (exporter.identifiers)."""
        return self.rule(id_type).key(value)

    # -- integrity -----------------------------------------------------------------------
    def _fail(self, message: str, key: str) -> None:
        raise ConfigError(message, file=str(self.path), key=key, hint="fix the catalog file")

    def _check(self) -> None:
        if not self.categories:
            self._fail("the catalog declares no categories", "categories")
        for id_type, spec in self.identifier_types.items():
            where = f"identifier_types.{id_type}"
            if "normalize" in spec:
                self._fail("`normalize` is replaced by `match` (one exact rule per identifier type: "
                           f"{', '.join(RULES)})", f"{where}.normalize")
            name = str(spec.get("match", "trim"))
            if name in REFUSED:
                self._fail(f"match rule {name!r} is refused: {REFUSED[name]}", f"{where}.match")
            try:
                rule_named(name)
            except KeyError:
                self._fail(f"unknown match rule {name!r} (known: {', '.join(RULES)})", f"{where}.match")
        for sid, score in self.table("scores").items():
            where = f"scores.{sid}"
            for key in ("title", "category", "field", "logic", "significance", "consequences"):
                if not isinstance(score.get(key), str) or not score[key].strip():
                    self._fail(f"an automated score needs `{key}` (text)", f"{where}.{key}")
            if score["category"] not in self._by_id:
                self._fail(f"unknown category {score['category']!r}", f"{where}.category")
        seen: set[str] = set()
        for i, cat in enumerate(self.categories):
            where = f"categories[{i}] ({cat.id})"
            if cat.id in seen:
                self._fail(f"category id {cat.id!r} is declared twice", where)
            seen.add(cat.id)
            for field, table in _REFS.items():
                for ref in cat.raw.get(field, []):
                    if ref not in self.table(table):
                        self._fail(f"unknown {table[:-1]} {ref!r}", f"{where}.{field}")
            ccpa = cat.raw.get("ccpa_category")
            if ccpa is not None and ccpa not in self.table("ccpa_categories"):
                self._fail(f"unknown CCPA category {ccpa!r}", f"{where}.ccpa_category")
            for j, p in enumerate(cat.raw.get("purposes", [])):
                if p.get("purpose") not in self.table("purposes"):
                    self._fail(f"unknown purpose {p.get('purpose')!r}", f"{where}.purposes[{j}]")
                if p.get("basis") not in self.table("legal_bases"):
                    self._fail(f"unknown legal basis {p.get('basis')!r}", f"{where}.purposes[{j}]")
            forms = [k for k in ("earliest_of", "per_record", "kind") if k in cat.retention]
            if len(forms) != 1:
                self._fail("retention needs exactly one of earliest_of, per_record, kind", f"{where}.retention")


def _read(path: Path) -> Catalog:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError("catalog file not found", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"catalog is not valid TOML: {exc}", file=str(path)) from exc
    return Catalog(data, path=path)


@cache
def _default() -> Catalog:
    return _read(catalog_dir() / "categories.toml")


def load_catalog(path: Path | None = None) -> Catalog:
    """The shipped catalog (cached per process), or the one at ``path``."""
    return _default() if path is None else _read(path)
