"""The category catalog: what PicoNext holds and why (``catalog/categories.toml``).

The catalog is reviewed legal data, not code. This module only reads it, checks that every
reference in it resolves, and answers questions about it. Format: docs/architecture.md.

A deployment owns its catalog through an **overlay** (``[export] catalog = "<folder>"`` in the
configuration; docs/own-data.md): a folder with an optional ``categories.toml`` merged over the
shipped one and an optional ``schemas/`` folder of category schemas (``<id>.json``): the schema of a
category the overlay adds, or a JSON Merge Patch (RFC 7396) merged over the shipped schema of one
(fields and keywords added, changed, removed with ``null``; ``"x-overlay": "replace"`` replaces it
whole), without touching the installed package.
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..identifiers import REFUSED, RULES, Rule, rule_named
from ..resources import catalog_dir

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
    def schema_file(self) -> Path | None:
        """The category's JSON Schema when it is not the shipped ``schemas/categories/<id>.json``
        (catalog key ``schema_file``, set for the schemas of an overlay)."""
        value = self.raw.get("schema_file")
        return Path(value) if value else None

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

    def __init__(self, data: Mapping[str, Any], *, path: Path, jurisdictions: Path | None = None) -> None:
        self.path = path
        self.data = data
        #: the overlay's ``jurisdictions/`` folder (rules files merged over the shipped ones), if any
        self.jurisdictions = jurisdictions
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
    """The shipped catalog (cached per process); the catalog file at ``path`` (used instead of the
    shipped one); or, when ``path`` is a folder, the shipped catalog with that overlay applied."""
    if path is None:
        return _default()
    if path.is_dir():
        return load_overlay(path)
    return _read(path)


#: merge modes of an overlay's categories (``[overlay] categories = …``)
OVERLAY_MODES = ("merge", "replace")


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"catalog overlay is not valid TOML: {exc}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"catalog overlay is not UTF-8 text (byte {exc.start})", file=str(path)) from None


def _merge_table(base: Any, over: Any) -> Any:
    """Tables merge key by key, recursively (an entry that is a table in both merges field by field,
    its sub-tables such as ``retention`` too; the overlay's values win); anything else, arrays
    included, is replaced by the overlay's value."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return copy.deepcopy(over)
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge_table(out[key], value) if isinstance(out.get(key), dict) else copy.deepcopy(value)
    return out


_RETENTION_FORMS = ("earliest_of", "per_record", "kind")


def _merge_category(base: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """An overlay's ``[[categories]]`` entry merged into the shipped one (:func:`_merge_table`); a
    retention rule of another form (``kind`` over ``earliest_of`` …) replaces the shipped form."""
    over_ret = entry.get("retention")
    if isinstance(over_ret, dict) and isinstance(base.get("retention"), dict) and \
            any(k in over_ret for k in _RETENTION_FORMS):
        base = {**base, "retention": {k: v for k, v in base["retention"].items() if k not in _RETENTION_FORMS}}
    return _merge_table(base, entry)  # type: ignore[no-any-return]


def load_overlay(folder: Path) -> Catalog:
    """The shipped catalog with the overlay in ``folder`` applied (see the module docstring).

    ``folder/categories.toml`` (optional) may hold any catalog table (controller, meta, purposes,
    legal_bases, origins, recipients, ccpa_categories, identifier_types, scores): entries are added,
    or merged field by field into the shipped entry of the same key. Its ``[[categories]]`` entries
    are merged field by field into the shipped category of the same ``id``, or added after them;
    ``[overlay] categories = "replace"`` keeps only the overlay's categories, and
    ``[overlay] drop = ["id", …]`` removes shipped ones; sub-tables (``retention``) merge too, arrays
    (``purposes``, ``recipients``) are replaced. ``folder/schemas/<id>.json`` is merged over the
    shipped schema of category ``id`` as a JSON Merge Patch (RFC 7396), or is the whole JSON Schema
    (2020-12) of a category the overlay adds (or with ``"x-overlay": "replace"``).
    ``folder/jurisdictions/<id>.toml`` is merged over a shipped rules file the same way
    (:func:`exporter.law.rules.load`). Errors name the file and key.
    """
    folder = folder.resolve()
    base = copy.deepcopy(dict(_default().data))
    cat_file = folder / "categories.toml"
    over = _toml(cat_file) if cat_file.is_file() else {}
    where = str(cat_file)
    mode, drop = _overlay_settings(over.pop("overlay", {}), where)
    categories = _overlay_categories(base.get("categories", []), over.pop("categories", []), mode, drop, where)
    _merge_tables(base, over, known={c["id"] for c in categories})
    _overlay_schemas(folder / "schemas", categories, where)
    base["categories"] = categories
    rules = _overlay_rules(folder / "jurisdictions")
    return Catalog(base, path=cat_file if cat_file.is_file() else folder, jurisdictions=rules)


def _overlay_settings(settings: Any, where: str) -> tuple[str, list[str]]:
    """``[overlay]``: the merge mode of the categories and the shipped ones to drop."""
    if not isinstance(settings, dict) or set(settings) - {"categories", "drop"}:
        raise ConfigError("[overlay] takes `categories` (merge | replace) and `drop` (a list of category ids)",
                          file=where, key="overlay")
    mode = settings.get("categories", "merge")
    if mode not in OVERLAY_MODES:
        raise ConfigError(f"unknown overlay mode {mode!r} (use {' or '.join(OVERLAY_MODES)})", file=where,
                          key="overlay.categories")
    return str(mode), list(settings.get("drop", []))


def _overlay_categories(shipped_list: list[dict[str, Any]], entries: list[Any], mode: str, drop: list[str],
                        where: str) -> list[dict[str, Any]]:
    """The catalog's categories after the overlay: shipped ones kept (``merge``, less ``drop``) and
    merged with the overlay's entry of the same ``id``, then the overlay's new ones in its order."""
    shipped = {c["id"]: c for c in shipped_list}
    for i, cid in enumerate(drop):
        if cid not in shipped:
            raise ConfigError(f"cannot drop unknown category {cid!r}", file=where, key=f"overlay.drop[{i}]")
    categories = [] if mode == "replace" else [c for c in shipped_list if c["id"] not in drop]
    index = {c["id"]: i for i, c in enumerate(categories)}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ConfigError("every [[categories]] entry of an overlay needs an `id`", file=where,
                              key=f"categories[{i}]")
        cid = entry["id"]
        if cid in index:
            categories[index[cid]] = _merge_category(categories[index[cid]], entry)
        elif mode == "merge" and cid in shipped and cid not in drop:
            raise ConfigError(f"category {cid!r} is given twice", file=where, key=f"categories[{i}]")
        else:
            base_entry = shipped.get(cid, {}) if mode == "replace" else {}
            index[cid] = len(categories)
            categories.append(_merge_category(copy.deepcopy(base_entry), entry))
    return categories


def _merge_tables(base: dict[str, Any], over: Mapping[str, Any], *, known: set[str]) -> None:
    """The overlay's other tables merged over the shipped ones, in place; a shipped automated score
    goes with its category (kept only while the category is)."""
    own_scores = set((over.get("scores") or {}))
    base["scores"] = {k: v for k, v in (base.get("scores") or {}).items()
                      if k in own_scores or v.get("category") in known}
    for key, value in over.items():
        base[key] = _merge_table(base.get(key), value)


def _overlay_schemas(schemas: Path, categories: list[dict[str, Any]], where: str) -> None:
    """Point each category at its overlay schema (``schemas/<id>.json``: merged over the shipped
    schema as an RFC 7396 merge patch, replacing it with ``"x-overlay": "replace"``, or the schema
    of a category the overlay adds), in place; every category must end up with a schema."""
    by_id = {c["id"]: c for c in categories}
    if schemas.is_dir():
        for path in sorted(schemas.glob("*.json")):
            if path.stem not in by_id:
                raise ConfigError(f"schema for unknown category {path.stem!r}", file=str(path),
                                  hint="name the file <category id>.json after a catalog category")
            _check_schema(path)
            by_id[path.stem]["schema_file"] = str(path)
    from ..resources import schemas_dir

    for cat in categories:
        if not cat.get("schema_file") and not (schemas_dir() / "categories" / f"{cat['id']}.json").is_file():
            raise ConfigError(f"category {cat['id']!r} has no JSON Schema", file=where,
                              key=f"categories ({cat['id']})", hint=f"add {schemas / (cat['id'] + '.json')}")


def _overlay_rules(rules: Path) -> Path | None:
    """The overlay's ``jurisdictions/`` folder, each file checked merged over its shipped rules file
    (errors name the overlay file and key); None when the overlay has none."""
    if not rules.is_dir():
        return None
    from . import rules as _rules

    shipped_rules = _rules.available()
    for path in sorted(rules.glob("*.toml")):
        if path.stem not in shipped_rules:
            raise ConfigError(f"rules for unknown jurisdiction {path.stem!r} (an overlay changes the shipped "
                              f"rules: {', '.join(shipped_rules)})", file=str(path),
                              hint="name the file <jurisdiction id>.toml after a shipped rules file")
        _rules.load(path.stem, overlay=rules)  # validated merged, errors name this file and key
    return rules


def _check_schema(path: Path) -> None:
    """A category schema of an overlay: JSON; ``x-overlay`` merge | replace; merged over the shipped
    schema of its category (if any), a valid 2020-12 schema of an object whose fields all have a
    title and whose ``required`` fields exist. Errors name the overlay file and the JSON pointer."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid JSON: {exc}", file=str(path)) from None
    from ..schemas import OVERLAY_KEYWORD, category_schema

    if not isinstance(doc, dict):
        raise ConfigError("a category schema (or a patch of one) must be a JSON object", file=str(path), key="/")
    if doc.get(OVERLAY_KEYWORD, "merge") not in ("merge", "replace"):
        raise ConfigError(f"`{OVERLAY_KEYWORD}` takes \"merge\" (the default: merged over the shipped schema) "
                          "or \"replace\" (this file is the whole schema)", file=str(path), key=f"/{OVERLAY_KEYWORD}")
    schema = category_schema(path.stem, path)
    from ..resources import schemas_dir

    shipped = (schemas_dir() / "categories" / path.name).is_file() and doc.get(OVERLAY_KEYWORD) != "replace"
    merged = " (after merging it over the shipped schema)" if shipped else ""
    from ..schemas import metaschema_error

    err = metaschema_error(schema)
    if err is not None:
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        raise ConfigError(f"not a valid JSON Schema{merged}: {err.message}", file=str(path), key=pointer)
    if not isinstance(schema, dict) or schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ConfigError(f'a category schema must be {{"type": "object", "properties": {{…}}}}{merged}', file=str(path),
                          key="/type")
    for name, prop in schema["properties"].items():
        if not isinstance(prop, dict) or not prop.get("title"):
            raise ConfigError(f"every field needs a `title` (the PDF and HTML show it){merged}", file=str(path),
                              key=f"/properties/{name}/title")
    for i, name in enumerate(schema.get("required", [])):
        if name not in schema["properties"]:
            raise ConfigError(f"required field {name!r} is not among the schema's properties{merged} "
                              "(a field removed with null must leave `required` too)", file=str(path),
                              key=f"/required/{i}")
