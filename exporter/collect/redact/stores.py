"""Other people's names the stores know, for redaction (GDPR / UK GDPR Art. 15(4), Recital 63).

``[redaction] names_from`` lists reads of configured sources that return people's names (a CRM's
contacts, a staff table): their full names are replaced in the subject's free text, and once a
full name was met, their single name words too (:class:`~exporter.collect.redaction.Redactor`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...errors import ConfigError
from ...sources.base import ReadSpec
from .settings import RedactionSettings

__all__ = ["known_names"]


def known_names(settings: RedactionSettings, sources: Mapping[str, Any]) -> Iterator[str]:
    """Other people's names read from the stores (``[redaction] names_from``): each read is an
    ordinary read of a configured source without identifiers (for SQL, a ``query``); the string
    values of each row, joined by a space, are one name. The subject's own name may be among them:
    own names are never replaced (:meth:`Redactor.learn_name`)."""
    for n, read in enumerate(settings.names_from):
        params = {k: v for k, v in read.items() if k != "source"}
        name = str(read.get("source", ""))
        source = sources.get(name)
        if source is None:
            raise ConfigError(f"names_from reads from source {name!r}, which is not configured",
                              key=f"redaction.names_from[{n}]", hint=f"one of: {', '.join(sorted(sources))}")
        spec = ReadSpec(label=f"{name}/redaction.names_from[{n}]", needs=(), params=params)
        for batch in source.read(spec, {}):
            for row in batch:
                text = " ".join(str(v).strip() for v in row.values() if isinstance(v, str) and v.strip())
                if text:
                    yield text
