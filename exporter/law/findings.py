"""Findings for the operator: what the export found that a person must look at before release.

A finding is never shown to the data subject and never holds subject data (no name, identifier or
value): a code, the catalog category (or None), how many records, what was found, what to do and
the rule it implements. A *blocking* finding stops the export (:class:`~exporter.errors.
UnacknowledgedFinding`, exit code 8, no package published) until the operator acknowledges its
code (``ExportOptions(acknowledge=...)``, ``exporter export --acknowledge CODE``, the batch input's
``"acknowledge"``); a non-blocking one is a warning. What the subject is told about the same fact
comes from catalog texts, separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    code: str  #: stable, e.g. "sale_after_opt_out", "past_retention"
    category: str | None  #: catalog category id, or None
    count: int  #: how many records
    message: str  #: for the operator; NEVER subject data (no names, identifiers, values)
    action: str  #: what the operator should do
    blocking: bool  #: True: the package is not released until acknowledged
    cite: str  #: the rule it implements, e.g. "CCPA §1798.120(d)"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "category": self.category, "count": self.count, "message": self.message,
                "action": self.action, "blocking": self.blocking, "cite": self.cite}
