"""What to redact: ``[redaction]`` of the configuration (GDPR / UK GDPR Art. 15(4), Recital 63).

:class:`RedactionSettings` says which kinds of other people's details are replaced in free text
(e-mail addresses, phone numbers, staff members' and other people's names), which addresses are
never replaced (role addresses, the controller's own), which national numbering plans are tried,
and which reads of the stores give other people's names (``names_from``). All keys are optional;
they are documented in docs/redaction.md and schemas/config.json.
"""

from __future__ import annotations

import threading
import tomllib
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...config import Config
from ...errors import ConfigError
from ...law.catalog import Catalog
from .emails import EMAIL_RULE
from .names import parse_names
from .phones import DEFAULT_PHONE_REGIONS, unknown_regions

__all__ = ["RedactionSettings"]


@dataclass(frozen=True)
class RedactionSettings:
    """What to redact; from ``[redaction]`` in the configuration (all keys optional)."""

    emails: bool = True
    phones: bool = True
    staff: tuple[tuple[str, ...], ...] = ()  #: staff members, each a tuple of name variants
    people: tuple[tuple[str, ...], ...] = ()  #: other people's names, each a tuple of variants
    keep_emails: frozenset[str] = frozenset()  #: addresses never redacted (keys of the e-mail rule)
    #: regions whose national numbering plans are tried for numbers without a country code
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    #: reads of other people's names from the stores: ``{"source": name, <read params>}`` each
    names_from: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], *, base_dir: Path, catalog: Catalog,
                     file: str = "") -> RedactionSettings:
        """Settings from a ``[redaction]`` table (``file`` names it in errors); names files resolve
        against ``base_dir``."""
        keep = _keep_emails(table, catalog)
        regions = _phone_regions(table, file)
        reads = tuple(dict(r) for r in table.get("names_from", ()))
        return cls(emails=bool(table.get("emails", True)), phones=bool(table.get("phones", True)),
                   staff=_names(table, "staff_names", "staff_names_file", base_dir, file),
                   people=_names(table, "names", "names_file", base_dir, file),
                   keep_emails=keep, phone_regions=regions, names_from=reads)

    @classmethod
    def from_config(cls, config: Config) -> RedactionSettings:
        """``[redaction]`` of the configuration (read once per loaded :class:`Config`; thread-safe)."""
        key = id(config)
        with _CACHE_LOCK:
            hit = _CACHE.get(key)
            if hit is not None and hit[0]() is config:
                return hit[1]
        settings = cls._read(config)
        def forget(_ref: weakref.ref[Config]) -> None:
            with _CACHE_LOCK:
                _CACHE.pop(key, None)

        with _CACHE_LOCK:
            _CACHE[key] = (weakref.ref(config, forget), settings)
        return settings

    @classmethod
    def _read(cls, config: Config) -> RedactionSettings:
        table: Mapping[str, Any] = {}
        try:
            with config.path.open("rb") as fh:
                table = tomllib.load(fh).get("redaction", {})
        except FileNotFoundError:
            table = {}  # a Config built in code, without a file: defaults
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read [redaction] from the configuration: {exc}",
                              file=str(config.path)) from None
        return cls.from_mapping(table, base_dir=config.base_dir, catalog=config.catalog, file=str(config.path))


_CACHE: dict[int, tuple[weakref.ref[Config], RedactionSettings]] = {}
_CACHE_LOCK = threading.RLock()  # re-entrant: the weakref callback may run inside a locked section (GC)


def _names(table: Mapping[str, Any], list_key: str, file_key: str, base_dir: Path,
           file: str) -> tuple[tuple[str, ...], ...]:
    """The people of a names list given inline (``list_key``) and/or in a file (``file_key``)."""
    lines = [str(v) for v in table.get(list_key, [])]
    if table.get(file_key):
        path = (base_dir / str(table[file_key])).resolve()
        try:
            lines += path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the names file: {getattr(exc, 'strerror', None) or exc}",
                              file=file, key=f"redaction.{file_key}",
                              hint="a UTF-8 text file, one person per line, variants separated by '|'"
                              ) from None
    return parse_names(lines)


def _keep_emails(table: Mapping[str, Any], catalog: Catalog) -> frozenset[str]:
    """Keys of the addresses never redacted: ``keep_emails`` and the controller's own addresses."""
    keep = {EMAIL_RULE.key(str(v)) for v in table.get("keep_emails", [])}
    for key in ("email", "dpo_email"):
        value = catalog.controller.get(key)
        if isinstance(value, str) and value:
            keep.add(EMAIL_RULE.key(value))
    return frozenset(keep)


def _phone_regions(table: Mapping[str, Any], file: str) -> tuple[str, ...]:
    """The regions whose national numbering plans are tried (ConfigError for one libphonenumber lacks)."""
    regions = tuple(str(r).upper() for r in table.get("phone_regions", DEFAULT_PHONE_REGIONS))
    unknown = unknown_regions(regions)
    if unknown:
        raise ConfigError(f"unknown phone region {unknown[0]!r}", file=file, key="redaction.phone_regions",
                          hint="ISO 3166-1 alpha-2 codes of countries whose national numbers appear "
                               "in free text, e.g. [\"DE\", \"GB\", \"US\"]")
    return regions
