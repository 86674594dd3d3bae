"""Turn values a source may yield into JSON types (before validation and writing)."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["iso_utc", "normalize_record", "to_json_value"]

_PLAIN = (str, int, float, bool, type(None))


def iso_utc(value: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; naive datetimes are taken to be UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = value.isoformat()
    return text + "Z"


def to_json_value(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def normalize_record(record: dict[str, Any]) -> dict[str, Any]:
    """Fast path: most records from SQLite/JSONL are already plain; copy only what must change."""
    for key, value in record.items():
        if not isinstance(value, _PLAIN):
            record[key] = to_json_value(value)
    return record
