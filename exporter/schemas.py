r"""JSON Schemas: loading, compiled validation of records, and checks of config-like documents.

Records are validated with ``jsonschema_rs`` (compiled once per process). A whole batch is checked
in one call by a compiled ``{"type": "array", "items": <schema>}`` validator (measured ~3x the
throughput of one call per record: the per-call overhead dominates for flat records); only when a
batch fails is it walked record by record to find and describe the first bad one. Documents
(config, bundle, manifest, jurisdiction rules) are checked by a compiled ``jsonschema_rs``
validator too; only a document it rejects is walked by the reference ``jsonschema``
implementation, whose messages are richer and which decides (it is imported on that first
failure: 14 MB and 0.1 s a CLI run does not pay). Both check ``format``. Messages about records
never contain the offending value (it is subject data), only its JSON pointer and the rule it broke.

Format rules where implementations differ (``tests/test_validation_agreement.py`` holds the fast
validator and the reference to the same answers):

* ``email``: one rule, :func:`is_email`, used by both (``formats=`` / a ``FormatChecker``): an
  RFC 5322 addr-spec without comments, quoted local parts or domain literals; non-ASCII letters are
  allowed (RFC 6531); local part <= 64 and address <= 254 UTF-8 bytes. (jsonschema alone accepts
  anything containing ``@``; jsonschema_rs alone applies the ``email_address`` crate's rules.)
* ``pattern``: ECMA-262 semantics (``$`` only at the very end); Python's ``re`` also lets ``$``
  match before a final newline, so the reference is given ``\Z`` semantics
  (:func:`reference_validator`).
* ``date-time``: the same rule (RFC 3339) except two edge cases where jsonschema_rs is more
  permissive than the reference (rfc3339-validator): a leap second ``23:59:60`` and year ``0000``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import jsonschema_rs
import orjson

from .errors import ConfigError, ExporterError
from .resources import schemas_dir

if TYPE_CHECKING:
    from referencing import Registry

__all__ = [
    "RecordValidator",
    "category_schema",
    "category_schema_bytes",
    "check_against",
    "compiled_accepts",
    "document_schema",
    "field_titles",
    "is_email",
    "json_pointer",
    "merge_patch",
    "metaschema_error",
    "reference_error",
    "reference_validator",
]

_lock = threading.Lock()


def json_pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else ""


@cache
def _load(path: Path) -> Mapping[str, Any]:
    return orjson.loads(path.read_bytes())  # type: ignore[no-any-return]


#: top-level keyword of an overlay schema: ``"replace"`` = the file is the whole schema, not a patch
OVERLAY_KEYWORD = "x-overlay"


def merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as a JSON Merge Patch (RFC 7396, section 2): objects merge
    member by member, ``null`` removes a member, anything else (arrays too) replaces. Returns a new
    document; neither argument is changed."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@cache
def category_schema(category_id: str, file: Path | None = None) -> Mapping[str, Any]:
    """The JSON Schema of a category: the shipped ``schemas/categories/<id>.json``, with a catalog
    overlay's ``file`` merged over it (a JSON Merge Patch, RFC 7396: fields and keywords are added,
    changed, or removed with ``null``). An overlay file is the whole schema when no shipped one
    exists (a category the overlay adds) or when it says ``"x-overlay": "replace"``."""
    shipped = schemas_dir() / "categories" / f"{category_id}.json"
    if file is None:
        if not shipped.is_file():
            raise ConfigError(f"no JSON Schema for category {category_id!r}", file=str(shipped),
                              hint="add schemas/categories/<id>.json for every catalog category")
        return _load(shipped)
    if not file.is_file():
        raise ConfigError(f"no JSON Schema for category {category_id!r}", file=str(file),
                          hint="add <overlay>/schemas/<id>.json for every category the overlay adds")
    over = dict(_load(file))
    mode = over.pop(OVERLAY_KEYWORD, "merge")
    if mode == "replace" or not shipped.is_file():
        return over
    over.pop("$comment", None)  # the overlay file's own note; the shipped schema's stays
    return merge_patch(_load(shipped), over)  # type: ignore[no-any-return]


def category_schema_bytes(category_id: str, file: Path | None = None) -> bytes:
    """The (merged) category schema as shipped in a package and written by ``exporter schemas``:
    the shipped file's bytes unchanged, else the merged document (2-space indent, UTF-8)."""
    shipped = schemas_dir() / "categories" / f"{category_id}.json"
    if file is None:
        return shipped.read_bytes()
    if not shipped.is_file() and OVERLAY_KEYWORD not in _load(file):
        return file.read_bytes()  # the whole schema of a category the overlay adds, as written
    import json

    return (json.dumps(category_schema(category_id, file), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def document_schema(name: str) -> Mapping[str, Any]:
    return _load(schemas_dir() / name)


def field_titles(schema: Mapping[str, Any]) -> dict[str, str]:
    return {k: v.get("title", k) for k, v in schema.get("properties", {}).items()}


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010FFFF]"
_LABEL = r"[A-Za-z0-9\u0080-\U0010FFFF](?:[A-Za-z0-9\-\u0080-\U0010FFFF]{0,61}[A-Za-z0-9\u0080-\U0010FFFF])?"
_EMAIL = re.compile(rf"(?:{_ATEXT}+(?:\.{_ATEXT}+)*)@(?:{_LABEL}(?:\.{_LABEL})*)")


def is_email(value: object) -> bool:
    """The project's ``format: email`` rule (see the module docstring); non-strings pass."""
    if not isinstance(value, str):
        return True
    if not _EMAIL.fullmatch(value):
        return False
    local = value.rsplit("@", 1)[0]
    return len(local.encode("utf-8")) <= 64 and len(value.encode("utf-8")) <= 254


_FORMATS = {"email": is_email}


def _compile(schema: Mapping[str, Any]) -> Any:
    return jsonschema_rs.validator_for(dict(schema), validate_formats=True, formats=_FORMATS)


def _array_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    items = {k: v for k, v in schema.items() if k not in ("$schema", "$id")}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array", "items": items}


class RecordValidator:
    """A compiled validator for one category; thread-safe and reusable across exports."""

    def __init__(self, category_id: str, schema: Mapping[str, Any]) -> None:
        self.category_id = category_id
        self.schema = schema
        self._compiled = _compile(schema)
        self._batch = _compile(_array_of(schema))
        self.is_valid = self._compiled.is_valid

    def all_valid(self, records: Sequence[Any]) -> bool:
        """True when every record of the batch is valid (one call into the compiled validator)."""
        return bool(self._batch.is_valid(records if isinstance(records, list) else list(records)))

    def first_invalid(self, records: Sequence[Any]) -> int | None:
        """Index of the first invalid record, or None."""
        if self.all_valid(records):
            return None
        is_valid = self.is_valid
        return next((i for i, rec in enumerate(records) if not is_valid(rec)), None)

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
    def for_category(cls, category_id: str, file: Path | None = None) -> RecordValidator:
        """The (cached) validator of a category; ``file``: its schema when not the shipped one."""
        with _lock:
            return cls(category_id, category_schema(category_id, file))


def _key_path(prefix: str | None, path: Any) -> str:
    out = prefix or ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


@cache
def _shipped_by_id() -> dict[str, Mapping[str, Any]]:
    """Every shipped schema by its ``$id``: ``$ref`` never goes to the network."""
    by_id = {}
    for path in sorted(schemas_dir().rglob("*.json")):
        doc = _load(path)
        if "$id" in doc:
            by_id[str(doc["$id"])] = doc
    return by_id


@cache
def _registry() -> Registry:
    """The shipped schemas as a ``referencing`` registry (the reference validator's)."""
    from referencing import Registry, Resource

    return Registry().with_resources(
        [(uri, Resource.from_contents(dict(doc))) for uri, doc in _shipped_by_id().items()])


def _retrieve(uri: str) -> Any:
    """The compiled validators' ``$ref`` retriever: shipped schemas only, never the network."""
    try:
        return dict(_shipped_by_id()[uri])
    except KeyError:
        raise ValueError(f"no shipped schema has $id {uri!r}") from None


def _ecma_end(pattern: str) -> str:
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern


def _pattern_z(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """``pattern`` with ECMA-262 ``$`` (end of input only), for the reference validator."""
    import jsonschema

    if isinstance(instance, str) and not re.search(_ecma_end(pattern), instance):
        yield jsonschema.ValidationError(f"value does not match {pattern!r}")


def reference_validator(schema: Mapping[str, Any]) -> Any:
    """The reference ``jsonschema`` validator of a record schema, with the project's format rules."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    checker = jsonschema.FormatChecker(formats=[f for f in cls.FORMAT_CHECKER.checkers if f != "email"])
    checker.checks("email")(is_email)
    aligned = jsonschema.validators.extend(cls, {"pattern": _pattern_z})
    return aligned(dict(schema), format_checker=checker, registry=_registry())


_fast_docs: dict[bytes, Any] = {}


def compiled_accepts(schema: Mapping[str, Any], doc: Any) -> bool:
    """Does the compiled validator accept ``doc``? False too for what it cannot read (a TOML date,
    a Mapping that is not a dict): the reference validator then decides."""
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    with _lock:
        fast = _fast_docs.get(key)
        if fast is None:
            fast = _fast_docs[key] = jsonschema_rs.validator_for(
                dict(schema), validate_formats=True, formats=_FORMATS, retriever=_retrieve)
    try:
        return bool(fast.is_valid(doc))
    except (ValueError, TypeError):
        return False


def reference_error(schema: str | Mapping[str, Any], doc: Any) -> Any:
    """The reference validator's best-matching error of a document (``None``: it is valid), after
    the compiled validator's quick yes (see the module docstring)."""
    schema = document_schema(schema) if isinstance(schema, str) else schema
    if compiled_accepts(schema, doc):
        return None
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())
    return jsonschema.exceptions.best_match(validator.iter_errors(doc))


def metaschema_error(schema: Any) -> Any:
    """The first error (by location) of a schema against the Draft 2020-12 metaschema, or ``None``
    (the compiled check first; the reference one describes a failure)."""
    try:
        if jsonschema_rs.meta.is_valid(schema):
            return None
    except (ValueError, TypeError, jsonschema_rs.ReferencingError):
        pass
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema),
                    key=lambda e: list(e.absolute_path))
    return errors[0] if errors else None


def check_against(schema: str | Mapping[str, Any], doc: Any, *, file: str | None = None,
                  prefix: str | None = None, error: type[ExporterError] = ConfigError) -> None:
    """Validate a configuration-like document; raise ``error`` naming the file and key path."""
    err = reference_error(schema, doc)
    if err is not None:
        raise error(err.message, file=file, key=_key_path(prefix, err.absolute_path),
                    hint=_expected(err))


def _expected(err: Any) -> str:
    """What the schema expects, whole: the keyword and its value, or, when the value is long (a
    large enum, a nested schema), the keyword and where it is in the schema (never cut mid-way)."""
    value = repr(err.validator_value)
    if len(value) <= 300:
        return f"expected: {err.validator} {value}"
    where = "/".join(str(p) for p in err.schema_path)
    return f"expected: {err.validator} as at /{where} in the schema (its value is {len(value)} characters long)"
