"""The operator's findings from the person's logs (:class:`exporter.law.findings.Finding`): a
disclosure another record shows but the log does not name (Art. 15(1)(c), C-154/21;
§1798.115(a)), and a sale or sharing after the consumer's opt-out (§1798.120(d)). Messages name
kinds of records and counts only, never the person or a recipient."""

from __future__ import annotations

from ..findings import Finding
from .logs import Logs
from .sale import sales_after_opt_out

__all__ = ["findings"]


def findings(logs: Logs, *, ccpa: bool) -> list[Finding]:
    """Operator findings from the logs: ``disclosure_not_logged`` (a warning: another record of the
    person says their data went to a logged kind of recipient, the log names none) and, under a law
    with a CCPA block, ``sale_after_opt_out`` (blocking). Messages name kinds of records and counts only, never the person or a recipient."""
    out = [Finding(
        code="disclosure_not_logged",
        category=ev["categories"][0] if ev["categories"] else None,
        count=int(ev["count"]),
        message=(f"{ev['count']} record(s) of {', '.join(ev['categories'])} say the data went to {kind}, but the "
                 "disclosure log holds no disclosure to that kind of recipient for this person, so the package "
                 "cannot name the actual recipient"),
        action=("record the disclosure(s) in the disclosure log with each recipient's name and date (or correct "
                "the record if nothing was disclosed) and export again; the package names only the kind of recipient "
                "and tells the person why"),
        blocking=False,
        cite="GDPR / UK GDPR Art. 15(1)(c) (CJEU C-154/21); Cal. Civ. Code §1798.115(a)",
    ) for kind, ev in sorted(logs.unlogged().items())]
    if not ccpa:
        return out
    late = sales_after_opt_out(logs)
    if not late:
        return out
    n = sum(x["count"] for x in late)
    kinds = sorted({x["kind"] for x in late})
    return [*out, Finding(
        code="sale_after_opt_out",
        category=logs.disclosure_category,
        count=n,
        message=(f"{n} disclosure(s) to recipients the catalog treats as a sale or sharing ({', '.join(kinds)}) "
                 "are dated after this consumer's opt-out of sale/sharing"
                 + (" (at least; the log summary was cut short)" if any(x["lower_bound"] for x in late) else "")),
        action=("stop further disclosures for this consumer, have the privacy office review the disclosure(s) "
                "and decide what the consumer is told, then export again with --acknowledge sale_after_opt_out"),
        blocking=True,
        cite="Cal. Civ. Code §1798.120(d), §1798.135(c)(4); 11 CCR §7025",
    )]
