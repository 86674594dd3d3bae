"""What the category's JSON Schema says about a field: its (dereferenced) node, title and codes.

Field titles and the explanations of coded values (``x-enum-titles``) come from the schema, so the
reader sees words rather than column names and codes (GDPR Art. 12(1), 15(1)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .formats import _humanize


def _deref(node: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Resolve a local ``$ref`` and merge ``allOf``/``anyOf``/``oneOf`` members enough for display."""
    if not isinstance(node, Mapping):
        return {}
    seen = 0
    while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") and seen < 8:
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(target, Mapping)
                else {}
            )
        node = (
            {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            if isinstance(target, Mapping)
            else {}
        )
        seen += 1
    merged: dict[str, Any] | None = None
    for key in ("allOf", "anyOf", "oneOf"):
        for member in node.get(key) or ():
            sub = _deref(member, root)
            if sub.get("type") == "null":
                continue
            merged = merged if merged is not None else dict(node)
            for k, v in sub.items():
                if k == "properties" and isinstance(v, Mapping):
                    merged["properties"] = {**v, **merged.get("properties", {})}
                else:
                    merged.setdefault(k, v)
    return merged if merged is not None else node


def field_schema(schema: Mapping[str, Any] | None, path: Sequence[str]) -> Mapping[str, Any]:
    """The (dereferenced) schema of ``path`` inside an object schema; ``{}`` when unknown."""
    if not schema:
        return {}
    root = schema
    node: Mapping[str, Any] = _deref(schema, root)
    for key in path:
        if node.get("type") == "array" or "items" in node:
            node = _deref(node.get("items", {}), root)
        props = node.get("properties")
        if not isinstance(props, Mapping) or key not in props:
            return {}
        node = _deref(props[key], root)
    return node


def _types(node: Mapping[str, Any]) -> set[str]:
    t = node.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def title_of(node: Mapping[str, Any], key: str) -> str:
    title = node.get("title")
    return str(title) if isinstance(title, str) and title.strip() else _humanize(key)


def enum_note(node: Mapping[str, Any], value: Any) -> str:
    """Explanation of a coded value: ``x-enum-titles[value]``; ``""`` when there is none."""
    titles = node.get("x-enum-titles")
    if isinstance(titles, Mapping) and not isinstance(value, (dict, list)):
        note = titles.get(
            value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        )
        if note is None and not isinstance(value, str):
            note = titles.get(str(value))
        if isinstance(note, str):
            return note
    return ""



def _props(node: Mapping[str, Any]) -> Mapping[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, Mapping) else {}


def _ordered_keys(props: Mapping[str, Any], records: Iterable[Mapping[str, Any]]) -> list[str]:
    keys = list(props)
    seen = set(keys)
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    return keys
