"""The one small interface every data source implements.

A *source* is configured once per export (``[sources.NAME]`` in the config file) and then asked
to perform *reads*. A read is either a category stream (``[[sources.NAME.streams]]``: records of one
catalog category) or an identity lookup (``[[sources.NAME.identities]]``: rows from which further
identifiers of the subject are taken). Either way the source only has to do one thing::

    read(spec, ids) -> Iterator[list[dict]]     # batches of flat or nested JSON-like records

``ids`` maps identifier type (``email``, ``account_id``, ``device_id`` …) to the subject's values of
that type (a sorted tuple, never empty for the types in ``spec.needs``). A source MUST bind these
values as query parameters / filters — never format them into query text — and MUST return only
rows that match them. It SHOULD stream (server-side cursors, paged HTTP, Arrow batches) and never
hold the whole result. Values may be JSON types or ``datetime``/``date``/``Decimal``/``bytes``/
``UUID``; the pipeline normalises them.

Errors: raise :class:`~exporter.errors.SourceUnavailable` for transient failures (retriable),
:class:`~exporter.errors.SourceDataError` for unreadable data (name file + line), and
:class:`~exporter.errors.ConfigError` for bad options. Never put identifier values in messages.

Sources are plugins: a class registered under the entry-point group ``exporter.sources``
(see ``pyproject.toml``); the built-in kinds are registered exactly like third-party ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

__all__ = ["Batch", "Identities", "ReadSpec", "Record", "Source", "field_values"]

Record = dict[str, Any]
Batch = list[Record]
Identities = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class ReadSpec:
    """One read: ``params`` are the kind-specific keys of the config table (query, path, …)."""

    label: str  #: "source/stream" or "source/identities[0]" — used in messages
    needs: tuple[str, ...]  #: identifier types this read binds
    params: Mapping[str, Any] = field(default_factory=dict)
    category: str | None = None  #: catalog category for streams, None for identity lookups


class Source(ABC):
    """Base class of a source kind. Subclasses set ``kind`` and the two option schemas."""

    kind: ClassVar[str] = ""
    #: JSON Schema (2020-12) of the source-level options (the ``[sources.NAME]`` table minus
    #: ``kind``, ``streams`` and ``identities``). Validated by the config loader.
    options_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    #: JSON Schema of one read's params (a ``streams`` / ``identities`` entry minus the common keys
    #: ``category``, ``needs``, ``yields``, ``map``, ``key``).
    read_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    #: True: the pipeline binds every spelling a database may need (:meth:`Rule.probes`) — right for
    #: sources that filter with ``IN`` lists; False: only the comparison keys (an HTTP API that is
    #: asked once per value). Either way every returned row is re-checked (exporter.matching).
    probe_forms: ClassVar[bool] = True
    _rules: Mapping[str, Any] | None = None

    @property
    def match_rules(self) -> Mapping[str, Any]:
        """Identifier type → its matching rule (:mod:`exporter.identifiers`): set from the
        configuration's catalog when the config creates the source, else the shipped catalog's."""
        if self._rules is None:
            from ..law.catalog import load_catalog

            self._rules = load_catalog().rules()
        return self._rules

    @match_rules.setter
    def match_rules(self, rules: Mapping[str, Any]) -> None:
        self._rules = dict(rules)

    def __init__(
        self,
        name: str,
        options: Mapping[str, Any],
        *,
        base_dir: Path,
        env: Mapping[str, str],
    ) -> None:
        self.name = name
        self.options = dict(options)
        self.base_dir = base_dir  #: folder of the config file; relative paths resolve against it
        self.env = env  #: environment to take secrets from (``*_env`` options)

    def open(self) -> None:
        """Connect / check reachability. Called once before the first read."""

    @abstractmethod
    def read(self, spec: ReadSpec, ids: Identities) -> Iterator[Batch]:
        """Yield batches of records matching ``ids`` for ``spec``."""

    def close(self) -> None:
        """Release connections. Called once, also after errors."""

    def __enter__(self) -> Source:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def field_values(record: Mapping[str, Any], name: str) -> list[str]:
    """The scalar values at ``name`` (dotted path; list elements) as text."""
    value: Any
    if name in record:
        value = record[name]
    else:
        value = record
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return []
            value = value[part]
    items = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v)
            for v in items if v is not None and not isinstance(v, (dict, list))]
