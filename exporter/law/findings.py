"""Findings for the operator: facts about a subject's records that someone must look at before the
package is released (a disclosure treated as a sale after an opt-out, records past their retention
date …).

A finding is never shown to the data subject and never carries subject data: its ``message`` and
``action`` speak of kinds of records and counts only. Whatever the subject is told about the same
fact comes from catalog texts, separately. A ``blocking`` finding stops the export
(:class:`~exporter.errors.UnacknowledgedFinding`, no package is published) unless its ``code`` is
acknowledged: ``ExportOptions(acknowledge=frozenset({"sale_after_opt_out"}))``, the CLI's
``--acknowledge CODE`` or a batch request's ``"acknowledge": [...]``. Non-blocking findings are
warnings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Finding", "unacknowledged"]


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
        return asdict(self)

    def line(self) -> str:
        """One line for stderr: code, category, count, message, action."""
        return (f"{self.code} [{self.category or '-'}] {self.count} record(s): {self.message} "
                f"— {self.action} ({self.cite})")


def unacknowledged(findings: Iterable[Finding], acknowledged: Iterable[str]) -> list[Finding]:
    """The blocking findings whose code is not in ``acknowledged``."""
    ack = set(acknowledged)
    return [f for f in findings if f.blocking and f.code not in ack]
