"""Source plugins: the registry over the ``exporter.sources`` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points

from ..errors import ConfigError
from .base import Batch, Identities, ReadSpec, Record, Source

__all__ = ["Batch", "Identities", "ReadSpec", "Record", "Source", "kinds", "register", "source_class"]

ENTRY_POINT_GROUP = "exporter.sources"
_registered: dict[str, type[Source]] = {}


def register(kind: str, cls: type[Source]) -> None:
    """Register a source kind in-process (tests, embedding). Entry points are the normal way."""
    _registered[kind] = cls


def kinds() -> list[str]:
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} | set(_registered)
    return sorted(names)


def source_class(kind: str, *, where: str | None = None) -> type[Source]:
    if kind in _registered:
        return _registered[kind]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            try:
                cls = ep.load()
            except Exception as exc:  # a broken plugin must not look like a missing one
                raise ConfigError(
                    f"source kind {kind!r} is registered but its plugin failed to load: {exc}",
                    key=where,
                    hint=f"check the package providing entry point {ep.value}",
                ) from exc
            if not (isinstance(cls, type) and issubclass(cls, Source)):
                raise ConfigError(f"plugin {ep.value} for kind {kind!r} is not a Source subclass", key=where)
            return cls
    raise ConfigError(
        f"unknown source kind {kind!r}",
        key=where,
        hint=f"known kinds: {', '.join(kinds()) or '(none — is the exporter installed with pip?)'}",
    )
