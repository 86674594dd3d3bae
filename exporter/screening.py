"""What the row checks left out of one export: counts only, never values (GDPR Art. 15(4)).

Every row a source returns is re-checked against the subject's identifiers
(:class:`exporter.matching.RowCheck`). Rows that fail are not the subject's; :class:`Screening`
counts them per read, and counts those that *look like* one of the subject's values (same
skeleton, different key) as near matches per read and type, so that a person can review them.
It lives on the subject's :class:`~exporter.identity_set.IdentitySet`, which the identity
graph and the category pipeline share.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Screening"]


@dataclass
class Screening:
    """What the row checks left out in one export (counts only; never values)."""

    #: (read label, identifier type) → rows whose value looks like one of the subject's but is not
    near: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: read label → rows the source's filter returned that are not the subject's (near ones included)
    excluded: Counter[str] = field(default_factory=Counter)

    def notes(self) -> list[str]:
        """Operator warnings (stderr / library result)."""
        out = []
        for (label, id_type), n in sorted(self.near.items()):
            out.append(f"{label}: {n} record(s) with a {id_type} that looks like the subject's but is not "
                       f"the same under the catalog's rule (possible same person, not included, review)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"near_matches": [{"read": label, "type": t, "count": n}
                                 for (label, t), n in sorted(self.near.items())],
                "excluded_rows": dict(sorted(self.excluded.items()))}
