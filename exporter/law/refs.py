"""Catalog references in bundle entries: which id a reference names, and the catalog table it names.

A category entry refers to recipients, origins, purposes and CCPA categories either by id or by a
table (``{"id": …}``; purposes also as ``{"purpose", "basis"}``). Used by every part of the
jurisdiction block (:mod:`exporter.law.art15`, :mod:`exporter.law.ccpa`, :mod:`exporter.law.notices`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["catalog_table", "purpose_id", "ref_id"]


def ref_id(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id"))
    return str(value)


def purpose_id(value: Any) -> str:
    if isinstance(value, Mapping) and "purpose" in value:  # catalog form {purpose, basis}
        return str(value["purpose"])
    return ref_id(value)


def catalog_table(catalog: Mapping[str, Any], table: str, key: str) -> Mapping[str, Any]:
    entry = (catalog.get(table) or {}).get(key)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"the catalog has no [{table}.{key}] but a category refers to it", file="catalog",
                          key=f"{table}.{key}")
    return entry
