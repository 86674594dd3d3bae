"""JSON Schemas: loading, compiled validation of records, and checks of config-like documents.

Records are validated with ``jsonschema_rs`` (compiled once per process, ~30x faster than the
reference); documents (config, bundle, manifest) with the reference ``jsonschema`` implementation,
whose messages are richer. Both check ``format``. Messages about records never contain the
offending value (it is subject data), only its JSON pointer and the rule it broke.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
from referencing import Registry, Resource

from .errors import ConfigError, ExporterError
from .resources import schemas_dir

__all__ = [
    "category_schema",
    "document_schema",
    "RecordValidator",
    "check_against",
    "json_pointer",
    "field_titles",
]

_lock = threading.Lock()


def json_pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else ""


@cache
def _load(path: Path) -> Mapping[str, Any]:
    return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]


def category_schema(category_id: str) -> Mapping[str, Any]:
    path = schemas_dir() / "categories" / f"{category_id}.json"
    if not path.is_file():
        raise ConfigError(f"no JSON Schema for category {category_id!r}", file=str(path),
                          hint="add schemas/categories/<id>.json for every catalog category")
    return _load(path)


def document_schema(name: str) -> Mapping[str, Any]:
    return _load(schemas_dir() / name)


def field_titles(schema: Mapping[str, Any]) -> dict[str, str]:
    return {k: v.get("title", k) for k, v in schema.get("properties", {}).items()}


class RecordValidator:
    """A compiled validator for one category; thread-safe and reusable across exports."""

    def __init__(self, category_id: str, schema: Mapping[str, Any]) -> None:
        self.category_id = category_id
        self.schema = schema
        self._compiled = jsonschema_rs.validator_for(dict(schema), validate_formats=True)
        self.is_valid = self._compiled.is_valid

    def first_error(self, record: Any) -> tuple[str, str] | None:
        """(JSON pointer, description without the offending value) of the first violation."""
        for err in self._compiled.iter_errors(record):
            return json_pointer(err.instance_path), self._describe(err)
        return None

    def _describe(self, err: Any) -> str:
        kind = type(err.kind).__name__
        keyword = str(err.schema_path[-1]) if err.schema_path else kind
        if kind in ("Required", "AdditionalProperties", "UnevaluatedProperties"):
            return str(err.message)  # names fields, not values
        expected: Any = self.schema
        for step in err.schema_path:
            try:
                expected = expected[step]
            except (KeyError, IndexError, TypeError):
                expected = None
                break
        if isinstance(expected, (str, int, float, bool)) or (
            isinstance(expected, list) and all(isinstance(x, (str, int, float, bool)) for x in expected)
        ):
            return f"value breaks '{keyword}' (expected {expected!r})"
        return f"value breaks '{keyword}'"

    @classmethod
    @cache
    def for_category(cls, category_id: str) -> RecordValidator:
        with _lock:
            return cls(category_id, category_schema(category_id))


def _key_path(prefix: str | None, path: Any) -> str:
    out = prefix or ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


@cache
def _registry() -> Registry:
    """Every shipped schema by its ``$id``: ``$ref`` never goes to the network."""
    resources = []
    for path in sorted(schemas_dir().rglob("*.json")):
        doc = _load(path)
        if "$id" in doc:
            resources.append((doc["$id"], Resource.from_contents(dict(doc))))
    return Registry().with_resources(resources)


@cache
def _doc_validator(name: str) -> Any:
    schema = document_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())


def check_against(schema: str | Mapping[str, Any], doc: Any, *, file: str | None = None,
                  prefix: str | None = None, error: type[ExporterError] = ConfigError) -> None:
    """Validate a configuration-like document; raise ``error`` naming the file and key path."""
    if isinstance(schema, str):
        validator = _doc_validator(schema)
    else:
        cls = jsonschema.validators.validator_for(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())
    err = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if err is not None:
        raise error(err.message, file=file, key=_key_path(prefix, err.absolute_path),
                    hint=f"expected: {err.validator} {err.validator_value!r}"[:300])
