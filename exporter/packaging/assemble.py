"""``bundle.json`` as a whole (``schemas/bundle.json``): the request, the subject, each category
with the catalog's and the jurisdiction's answers (GDPR Art. 15(1)(a)-(h), CCPA §1798.110), and
the law's block. The per-category entries come from :mod:`.bundle`, the law's answers from
:mod:`exporter.law`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..collect.pipeline import CategoryResult
from ..config import Config
from ..law import disclosures, jurisdictions
from .bundle import FORMAT, category_entry

if TYPE_CHECKING:
    from ..request import AccessRequest

__all__ = ["build_bundle", "request_block", "titled"]


def titled(identifiers: list[dict[str, Any]], cfg: Config) -> list[dict[str, Any]]:
    """Each identifier with its type's catalog title, the words the report uses for it."""
    types = cfg.catalog.identifier_types
    return [{**i, "title": str((types.get(i["type"]) or {}).get("title") or i["type"])} for i in identifiers]


def build_bundle(cfg: Config, request: AccessRequest, request_id: str, received: dt.date, generated: dt.datetime,
                 identifiers: list[dict[str, Any]], results: Sequence[CategoryResult], facts: dict[str, str],
                 specific: bool, withheld_reason: str | None, warnings: list[str],
                 logs: disclosures.Logs | None = None) -> dict[str, Any]:
    """bundle.json's content (schemas/bundle.json): the request, the subject, each category with the
    catalog's and the jurisdiction's answers (Art. 15(1)(a)-(h), CCPA §1798.110), the law's block."""
    today = generated.date()
    entries = _categories(cfg, request, results, facts=facts, today=today, specific=specific,
                          withheld_reason=withheld_reason, logs=logs)
    req = request_block(request, request_id, received, facts=facts, specific=specific)
    generated_at = generated.isoformat().replace("+00:00", "Z")
    held = [e for e in entries if e["count"]]
    law = jurisdictions.evaluate(request.jurisdiction, catalog=cfg.catalog.data, request=req,
                                 facts=facts if specific else {}, categories=entries, now=generated,
                                 overlay=cfg.catalog.jurisdictions, logs=logs)
    if cfg.locale:  # the deployment's [export] locale: how the report writes money (exporter/render/money.py)
        law["vocabulary"]["locale"] = cfg.locale
    return {
        "format": FORMAT,
        "request": req,
        "generated_at": generated_at,
        "snapshot_at": generated_at,
        "controller": dict(cfg.catalog.controller),
        "catalog": {k: v.isoformat() if isinstance(v, dt.date) else v
                    for k, v in cfg.catalog.table("meta").items()},
        # categories only: no name, no identifier, no fact (log-in dates, country) of the person
        "subject": {"display_name": facts.get("display_name") if specific else None,
                    "identifiers": identifiers if specific else []},
        "period": jurisdictions.period(request.jurisdiction, now=today, first=min(
            (e["first"] for e in held if e.get("first")), default=None), overlay=cfg.catalog.jurisdictions),
        "facts": dict(sorted(facts.items())) if specific else {},
        "summary": _summary(entries, held, results, specific=specific),
        "categories": entries,
        "jurisdiction": law,
        "warnings": warnings,
    }


def _categories(cfg: Config, request: AccessRequest, results: Sequence[CategoryResult], *, facts: dict[str, str],
                today: dt.date, specific: bool, withheld_reason: str | None,
                logs: disclosures.Logs | None) -> list[dict[str, Any]]:
    """One entry per catalog category, each purpose's legal basis cited in the law's words and, when
    the person's disclosure log was read, the recipients that actually received the data (C-154/21)."""
    entries = [
        category_entry(cfg, cat, res, facts=facts, today=today, specific=specific, withheld_reason=withheld_reason)
        for cat, res in zip(cfg.catalog, results, strict=True)
    ]
    jurisdictions.localise_purposes(entries, cfg.catalog.data, request.jurisdiction,
                                    overlay=cfg.catalog.jurisdictions)
    if logs is not None:  # actual recipients from the person's disclosure log (CJEU C-154/21)
        disclosures.annotate([e for e in entries if e["count"]], logs, specific=specific)
    return entries


def request_block(request: AccessRequest, request_id: str, received: dt.date, *, facts: dict[str, str],
                  specific: bool) -> dict[str, Any]:
    """bundle.json's ``request``: what was asked, when, how the identity was verified, the extension
    and clock stops of the deadline, clarifications and the receipt confirmation."""
    return {
        "id": request_id,
        "received": received.isoformat(),
        "jurisdiction": request.jurisdiction,
        "verification": request.verification,
        "country": request.country or (facts.get("country") if specific else None),
        # a categories-only answer repeats no identifier, not even the one the request gave
        "identifiers_given": [{"type": i.type, "value": i.value} for i in request.identifiers] if specific else [],
        **({} if specific else {"identifier_types_given": sorted({i.type for i in request.identifiers})}),
        "extension": {"length": request.extension.length, "reason": request.extension.reason}
        if request.extension else None,
        "clock_stops": [{"from": c.start.isoformat(), "to": c.end.isoformat(), "reason": c.reason}
                        for c in request.clock_stops],
        "verification_details": request.verification_details.to_dict() if request.verification_details else None,
        "clarifications": [c.to_dict() for c in request.clarifications],
        "confirmation_sent": request.confirmation_sent.isoformat() if request.confirmation_sent else None,
    }


def _summary(entries: Sequence[dict[str, Any]], held: Sequence[dict[str, Any]], results: Sequence[CategoryResult],
             *, specific: bool) -> dict[str, Any]:
    """bundle.json's ``summary``: how many categories and records, whether the search was complete."""
    not_searched = [e["id"] for e in entries if e["status"] == "not_searched"]
    return {"categories": len(entries), "categories_held": len(held),
            "records": sum(e["count"] for e in entries), "specific_pieces": specific,
            "complete": not any(r.incomplete for r in results) and not not_searched,
            "not_searched": not_searched,
            "not_applicable": [e["id"] for e in entries if e["status"] == "not_applicable"]}
