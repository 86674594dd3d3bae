"""Jurisdiction rules evaluated for one subject: the bundle's ``"jurisdiction"`` block.

A rules file (:mod:`exporter.law.rules`) is reviewed legal data: the response deadline, what
identity verification unlocks, every disclosure the law requires in an access response (with the
bundle location that satisfies it), the rights and how to exercise them, complaint routes,
transfers, automated decisions and — for California — how to build the CCPA table from the
catalog's recipient model. Adding a jurisdiction means adding a file; nothing in this module
names a jurisdiction.

:func:`evaluate` returns the block (schema ``schemas/jurisdiction.json``, GDPR / UK GDPR Art. 15,
CCPA §1798.110-§1798.130) by composing the parts that answer each question:
:mod:`exporter.law.art15` (the Art. 15(1)(a)-(h) answers and the elements map),
:mod:`exporter.law.ccpa` (the CCPA table) and :mod:`exporter.law.notices` (render-ready text
individualised to the subject), so a renderer can show any jurisdiction without knowing its
specifics. This module also answers the period a response covers and cites each purpose's legal
basis in the law's words. Loading and checking rules files (:func:`load`, :func:`available` …) lives
in :mod:`exporter.law.rules` and is re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import art15
from . import ccpa as _ccpa
from . import disclosures as _disclosures
from . import timeline as _timeline
from . import plain
from .clock import ClockStop, Extension
from .notices import notices as _notices
from .rules import (
    VERIFICATION_LEVELS,
    Fill,
    Rules,
    available,
    clear_cache,
    load,
    rules_dir,
    specific_pieces_allowed,
    verification_level,
    vocabulary,
)
from ..errors import ConfigError, RequestError

__all__ = [
    "VERIFICATION_LEVELS",
    "Rules",
    "available",
    "clear_cache",
    "evaluate",
    "load",
    "period",
    "rules_dir",
    "specific_pieces_allowed",
]

OUTPUT_SCHEMA = "jurisdiction.json"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


# ----------------------------------------------------------------------------------------------
# small questions


def localise_purposes(entries: Sequence[dict[str, Any]], catalog: Mapping[str, Any], jid: str, *,
                      directory: str | Path | None = None, overlay: str | Path | None = None) -> None:
    """Cite each purpose's legal basis in the words of ``jid``'s law, in place: "GDPR Art. 6(1)(b)"
    in the EU, "UK GDPR Art. 6(1)(b)" in the UK (the catalog holds the article, the rules file the
    law); no legal basis at all where the law has none (CCPA, UCPA: ``basis_cite`` null and
    ``legal_basis_shown`` false; the business purpose is shown instead)."""
    vocab = vocabulary(jid, directory=directory, overlay=overlay)
    bases = catalog.get("legal_bases") or {}
    for entry in entries:
        for p in entry.get("purposes") or ():
            recital = p.pop("interest_recital", None)
            also = _override_basis(p, bases, jid, str(entry.get("id")))
            if not vocab["legal_bases"]:
                p["basis_cite"] = None
                p["legal_basis_shown"] = False
                continue
            article = (bases.get(p.get("basis")) or {}).get("article")
            p["basis_cite"] = f"{vocab['law_cite']} {article}".strip() if article else None
            if also and p["basis_cite"]:
                p["basis_cite"] = f"{p['basis_cite']}; {also}"
            if recital and p.get("interest"):
                p["interest"] = f"{p['interest']}, {vocab['law_cite']} {recital}".strip()


def _override_basis(p: dict[str, Any], bases: Mapping[str, Any], jid: str, category: str) -> str | None:
    """Apply the catalog's per-jurisdiction legal basis of a purpose (``basis_in = { uk = { basis =
    "consent", also = "PECR reg. 6" } }``), in place; returns the extra citation. A legitimate
    interest no longer applies once the basis is another one."""
    override = (p.pop("basis_in", None) or {}).get(jid)
    if not override:
        return None
    basis = str(override.get("basis") or p.get("basis"))
    if basis not in bases:
        raise ConfigError(f"unknown legal basis {basis!r} in basis_in.{jid}", file="catalog",
                          key=f"categories.{category}.purposes.{p.get('id')}.basis_in.{jid}")
    if basis != p.get("basis"):
        p["basis"] = basis
        p["basis_title"] = str(bases[basis].get("title", basis))
        p.pop("interest", None)
    return str(override.get("also") or "") or None


def period(
    jid: str,
    *,
    now: date | datetime,
    first: str | date | datetime | None = None,
    directory: str | Path | None = None, overlay: str | Path | None = None,
) -> dict[str, Any]:
    """The period the answer covers: ``{"from", "to", "explanation", "cite"}``.

    ``from`` is the rules' look-back start (CA: ``"2022-01-01"``) or None where the law sets no
    limit; ``to`` is ``now``'s date. ``first`` (the earliest record date found, if the caller knows
    it) is reported as ``earliest_record`` and mentioned in the explanation.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    today = now.date() if isinstance(now, datetime) else now
    earliest = _as_day(first)
    spec = rules.get("period")
    if spec:
        start = str(spec["from"])
        text = f"{spec['text']} It covers {start} to {today.isoformat()}."
        out = {"from": start, "to": today.isoformat(), "explanation": text, "cite": spec["cite"]}
    else:
        text = (
            f"All personal data we hold about you on {today.isoformat()}, however old: "
            f"{rules.get('law_short', rules['law'])} sets no look-back limit."
        )
        out = {"from": None, "to": today.isoformat(), "explanation": text, "cite": rules["deadline"]["cite"]}
    if earliest:
        out["earliest_record"] = earliest.isoformat()
        out["explanation"] += f" The oldest record we found is from {earliest.isoformat()}."
    return out


def _as_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


# ----------------------------------------------------------------------------------------------
# evaluation


def _parse_request(request: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    if not isinstance(request, Mapping):
        raise RequestError("request must be an object")
    received = _as_day(request.get("received"))
    if received is None:
        raise RequestError("request.received must be an ISO date (YYYY-MM-DD)", key="received")
    verification = request.get("verification") or "none"
    verification_level(rules, str(verification))
    country = request.get("country")
    if country is not None:
        if not isinstance(country, str) or not _COUNTRY.match(country.upper()):
            raise RequestError("request.country must be an ISO 3166-1 alpha-2 code such as 'DE'", key="country")
        country = country.upper()
    ext = request.get("extension")
    extension = Extension.from_dict(ext) if ext else None
    stops_raw = request.get("clock_stops") or []
    if not isinstance(stops_raw, list | tuple):
        raise RequestError("request.clock_stops must be a list", key="clock_stops")
    stops = [s if isinstance(s, ClockStop) else ClockStop.from_dict(s) for s in stops_raw]
    clarifications = [
        c if isinstance(c, _timeline.Clarification) else _timeline.Clarification(
            asked=_as_day(c.get("asked")) or received, answered=_as_day(c.get("answered")),
            reason=str(c.get("reason") or ""))
        for c in request.get("clarifications") or []]
    return {
        "clarifications": clarifications,
        "id": request.get("id"),
        "received": received,
        "verification": str(verification),
        "country": country,
        "extension": extension,
        "clock_stops": stops,
    }



def evaluate(
    jid: str,
    *,
    catalog: Mapping[str, Any],
    request: Mapping[str, Any],
    facts: Mapping[str, Any],
    categories: Sequence[Mapping[str, Any]],
    now: datetime | date,
    directory: str | Path | None = None, overlay: str | Path | None = None,
    logs: _disclosures.Logs | None = None,
) -> dict[str, Any]:
    """Evaluate jurisdiction ``jid`` for one subject; returns the bundle's ``"jurisdiction"`` block.

    ``logs``: what the person's disclosure and opt-out logs say (:mod:`exporter.law.disclosures`;
    the categories' recipients already annotated): actual recipients, CCPA sold/shared from the
    records and the opt-out status. Without it the catalog's possible recipients are reported.

    ``request``: ``{"id", "received", "verification", "country", "extension", "clock_stops"}``;
    ``categories``: the bundle's category entries (``id``, ``count``, ``purposes``, ``recipients``,
    ``origins``, ``ccpa_category``, ``sensitive``, ``retention`` …); ``catalog``: the catalog
    mapping (controller, purposes, origins, recipients, ccpa_categories, categories). ``facts`` is
    accepted for rules that need subject facts; the current rules do not (retention is evaluated per
    category by :mod:`exporter.law.retention`). Everything returned is JSON-serialisable; dates are ISO
    strings. Raises :class:`RequestError` for bad request values and :class:`ConfigError` for a
    broken rules file or a catalog reference that does not resolve.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    req = _parse_request(request, rules)
    fill = Fill(catalog.get("controller") or {}, rules)
    today = now.date() if isinstance(now, datetime) else now
    held = [c for c in categories if int(c.get("count") or 0) > 0]

    deadlines = art15.deadlines(rules, req)
    access = art15.access(rules, req, fill)
    seen = art15.held_facts(catalog, held)
    answers, applies, nothing_held = _art15_answers(rules, req, catalog, categories, held, seen, access, fill)
    out: dict[str, Any] = {
        **_about(rules, req, directory=directory, overlay=overlay),
        "deadlines": deadlines,
        "access": access,
        "period": period(jid, now=today, directory=directory, overlay=overlay),
        **answers,
        "withheld": {"cite": rules["withheld"]["cite"], "text": fill(rules["withheld"]["text"])},
    }
    out["timeline"] = _timeline.build(rules, request, deadlines, today, fill)
    if nothing_held is not None:
        out["nothing_held"] = nothing_held
    out.update(_recipients_and_ccpa(rules, catalog, held, logs, access["specific_pieces"], fill))
    out["notices"] = _notices(rules, out, held, seen.recipient_meta, seen.entry_names, seen.origins_not_subject,
                              catalog, fill, applies)
    return out


def _art15_answers(rules: Rules, req: Mapping[str, Any], catalog: Mapping[str, Any],
                   categories: Sequence[Mapping[str, Any]], held: Sequence[Mapping[str, Any]],
                   seen: art15.Held, access: Mapping[str, Any], fill: Fill,
                   ) -> tuple[dict[str, Any], art15.Applies, dict[str, Any] | None]:
    """The Art. 15(1)(a)-(h) elements, the rights, the complaint route, the Art. 15(2) transfers and
    the automated decisions (Art. 15(1)(h)), with which of them apply to what is held; and, when
    nothing is held, the confirmation that is then the answer (the elements about held data say
    why they do not apply)."""
    destinations = art15.destinations(rules, catalog, held, seen)
    applies = art15.Applies(art15.conditions(seen, destinations, held, access))
    elements = art15.elements(rules, applies, access, fill)
    nothing_held = plain.nothing_held(rules, categories, fill=fill)
    plain.nothing_held_elements(elements, nothing_held)
    answers = {"elements": elements, "rights": art15.rights(rules, applies, fill),
               "complaint": art15.complaint(rules, req["country"], fill),
               "transfers": art15.transfers(rules, destinations, fill),
               "automated_decisions": art15.automated_decisions(rules, catalog, held, categories, fill)}
    return answers, applies, nothing_held


def _recipients_and_ccpa(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
                         logs: _disclosures.Logs | None, specific: bool, fill: Fill) -> dict[str, Any]:
    """``recipients``: who actually received the data, from the person's own logs (Art. 15(1)(c),
    CJEU C-154/21), when they were read; ``ccpa``: under the CCPA, the table of categories, sources,
    purposes and recipients (§1798.110, §1798.115)."""
    out: dict[str, Any] = {}
    if logs is not None:
        out["recipients"] = _disclosures.summary(rules, logs, held, specific=specific, fill=fill)
    if "ccpa" in rules:
        catalog_cats = {str(c.get("id")): c for c in catalog.get("categories") or [] if isinstance(c, Mapping)}
        out["ccpa"] = _ccpa.build(rules, catalog, held, catalog_cats, fill, logs, specific)
    return out


def _about(rules: Rules, req: Mapping[str, Any], *, directory: str | Path | None,
           overlay: str | Path | None) -> dict[str, Any]:
    """The block's head: which law, in which words, which rules version, which request."""
    return {
        "id": rules.id,
        "title": rules["title"],
        "law": rules["law"],
        "law_short": rules.get("law_short"),
        "vocabulary": vocabulary(rules.id, directory=directory, overlay=overlay),
        "rules_version": rules.get("rules_version"),
        "reviewed_on": rules.get("reviewed_on"),
        "request": {"id": req["id"], "received": req["received"].isoformat(),
                    "verification": req["verification"], "country": req["country"]},
    }
