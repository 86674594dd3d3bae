"""Amounts of money as a reader expects them: ``1960.0`` in euros → ``€1,960.00`` (en) or
``1.960,00 €`` (de_DE), with the currency and the locale's separators (Babel, CLDR data).

Only the report (PDF and HTML) formats money; bundle.json and the data files keep the raw numbers.

A category schema marks a money field with ``"x-currency-field": "<field>"``: the record field
(a sibling at the top level of the record) that holds the ISO 4217 code of the amount. The
locale comes from the rules file of the law applied (``[vocabulary] locale``: en_GB for the UK,
en_US for California, the EU package's language for the EU), or from the deployment's
``[export] locale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal

__all__ = ["DEFAULT_LOCALE", "CURRENCY_FIELD", "format_money", "format_number", "money_fields", "with_money"]

#: the locale used when the bundle names none (reports are written in English)
DEFAULT_LOCALE = "en"
#: the schema keyword naming the record field that holds an amount's currency
CURRENCY_FIELD = "x-currency-field"


def _locale(locale: str | None) -> Locale:
    try:
        return Locale.parse((locale or DEFAULT_LOCALE).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


def format_money(amount: Any, currency: Any, locale: str | None = None) -> str:
    """``amount`` in ``currency`` for a reader of ``locale``; without a usable currency code, the
    amount as a number in that locale. Non-numbers are returned as text."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        return "" if amount is None else str(amount)
    loc = _locale(locale)
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if len(code) == 3 and code.isalpha():
        return format_currency(amount, code, locale=loc)
    return format_number(amount, locale)


def format_number(value: Any, locale: str | None = None) -> str:
    """A number with the locale's grouping and decimal separators (``1960.5`` → ``1,960.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return format_decimal(value, locale=_locale(locale))


def money_fields(props: Mapping[str, Any]) -> dict[str, str]:
    """Field → currency field, for the money fields among a schema's ``properties``."""
    out = {}
    for key, node in props.items():
        if isinstance(node, Mapping) and isinstance(node.get(CURRENCY_FIELD), str):
            out[key] = node[CURRENCY_FIELD]
    return out


def with_money(record: Mapping[str, Any], props: Mapping[str, Any], locale: str | None) -> Mapping[str, Any]:
    """``record`` with its money fields as formatted text (a copy; the record itself is unchanged).

    Top-level money fields and money fields of objects in a list field (an order's items) are
    formatted with the currency the record names in the marked field."""
    changed: dict[str, Any] = {}
    for key, currency_field in money_fields(props).items():
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            changed[key] = format_money(value, record.get(currency_field), locale)
    for key, node in props.items():
        items = node.get("items") if isinstance(node, Mapping) else None
        inner = items.get("properties") if isinstance(items, Mapping) else None
        value = record.get(key)
        if not isinstance(inner, Mapping) or not isinstance(value, list):
            continue
        nested = money_fields(inner)
        if not nested:
            continue
        changed[key] = [
            {**item, **{k: format_money(item[k], item.get(c, record.get(c)), locale)
                        for k, c in nested.items()
                        if isinstance(item.get(k), (int, float)) and not isinstance(item.get(k), bool)}}
            if isinstance(item, Mapping) else item
            for item in value
        ]
    return {**record, **changed} if changed else record
