"""The request page: who asked, the identifiers we found them by, the deadlines we answer within.

The subject's identifiers grouped by how they were found (GDPR Art. 15(1)(g) source, in words), the
request's dates and deadlines (GDPR Art. 12(3); CCPA 11 CCR §7021), the controller's contacts
(Art. 13(1)(a)-(b)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .formats import _humanize, format_date, readable_dates


def _kind(title: str) -> str:
    """An identifier title inside a sentence: "Email address" → "email address"; a name keeps its
    capitals ("PicoNext account number")."""
    first = title.split(" ", 1)[0]
    return title[:1].lower() + title[1:] if (first[1:].islower() and first[1:].isalpha()) or len(first) == 1 else title


def _identifier_groups(items: Iterable[Any]) -> list[dict[str, Any]]:
    """The subject's identifiers grouped by how we found them, in words: the ones the request gave,
    then one group per identifier of the subject that a lookup was given ("Found through your
    email address …"). The read that found each (``found_by``, e.g. ``app/identities[0]``) stays in
    bundle.json for the operator."""
    idents = [i for i in items if isinstance(i, Mapping)]
    kinds = {str(i.get("type")): str(i.get("title") or _humanize(str(i.get("type", "")))) for i in idents}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    order = {(str(i.get("type")), str(i.get("value"))): n for n, i in enumerate(idents)}
    for ident in idents:
        through = ident.get("found_through") if isinstance(ident.get("found_through"), Mapping) else {}
        if ident.get("found_by") == "request":
            key, how = ("", ""), "You gave us"
        elif through:
            key = (str(through.get("type") or ""), str(through.get("value") or ""))
            how = f"Found through your {_kind(kinds.get(key[0], _humanize(key[0])))} {key[1]}"
        else:
            key, how = ("~", ""), "Found in our records about you"
        group = groups.setdefault(key, {"how": how, "items": []})
        group["items"].append(
            {"type": kinds.get(str(ident.get("type")), ""), "value": str(ident.get("value", ""))}
        )
    # the request's first, then by how many lookups away from the request the identifier they were
    # found through is, then in the order of the list
    parent = {
        (str(i.get("type")), str(i.get("value"))): (str(t.get("type") or ""), str(t.get("value") or ""))
        for i in idents
        if i.get("found_by") != "request" and isinstance(t := i.get("found_through"), Mapping)
    }

    def depth(key: tuple[str, str]) -> int:
        n = 0
        while key in parent and n <= len(parent):
            key, n = parent[key], n + 1
        return n

    return [groups[k] for k in sorted(groups, key=lambda k: (k != ("", ""), k == ("~", ""), depth(k), order.get(k, 0)))]


def _deadline_rows(jurisdiction: Mapping[str, Any]) -> list[dict[str, str]]:
    """The request's dates: received, receipt confirmation due (and when it was sent), due,
    extended deadline."""
    deadlines = jurisdiction.get("deadlines") or {}
    deadline_rows = []
    confirmation = (jurisdiction.get("timeline") or {}).get("confirmation") or {}
    for key, label in (
        ("received", "Request received"),
        ("confirmation_due", "Receipt confirmation due by"),  # due, never assumed sent (11 CCR §7021(a))
        ("due", "Response due by"),
        ("extended_due", "Extended deadline"),
    ):
        if deadlines.get(key):
            deadline_rows.append({"label": label, "value": format_date(deadlines[key])})
        if key == "confirmation_due" and confirmation.get("sent"):
            deadline_rows.append({"label": "Receipt confirmed on", "value": format_date(confirmation["sent"])})
    return deadline_rows


def _deadlines_view(
    jurisdiction: Mapping[str, Any], notices: Sequence[Mapping[str, Any]], raw_notices: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The Deadlines section: its rows, the explanation, and the notice that explains the dates
    (said once, there), which the section links to."""
    deadlines = jurisdiction.get("deadlines") or {}
    return {
        "rows": _deadline_rows(jurisdiction),
        "explanation": readable_dates(str(deadlines.get("explanation") or "")),
        # the notice that explains the dates (said once, there): the Deadlines section links to it
        "notice": next(
            ({"anchor": n["anchor"], "title": n["title"]} for n, raw in zip(notices, raw_notices, strict=True)
             if raw.get("id") == "deadlines"),
            None,
        ),
    }


def _cover_view(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """The document's title and metadata, the controller, the subject and the request, and when
    the answer is due."""
    controller = bundle.get("controller") or {}
    subject = bundle.get("subject") or {}
    request = bundle.get("request") or {}
    deadlines = (bundle.get("jurisdiction") or {}).get("deadlines") or {}
    title = f"Your personal data held by {controller.get('name') or 'us'}"
    return {
        "title": title,
        "doc_title": f"{title} — request {request.get('id', '')}".strip(),
        "author": str(controller.get("name") or ""),
        "created": str(bundle.get("generated_at") or ""),
        "controller": {
            "name": str(controller.get("name") or ""),
            "address": str(controller.get("address") or ""),
            "email": str(controller.get("email") or ""),
            "dpo_email": str(controller.get("dpo_email") or ""),
        },
        "subject": {
            "name": str(subject.get("display_name") or ""),
            "identifiers": _identifier_groups(subject.get("identifiers") or ()),
        },
        "request": {
            "id": str(request.get("id") or ""),
            "received": format_date(request.get("received") or deadlines.get("received")),
            "verification": _humanize(str(request.get("verification") or ""))
            if request.get("verification")
            else "",
        },
        "due": format_date(deadlines.get("extended_due") or deadlines.get("due"))
        if (deadlines.get("extended_due") or deadlines.get("due"))
        else "",
    }


def _jurisdiction_view(bundle: Mapping[str, Any]) -> dict[str, str]:
    """The law the request was answered under, by its title."""
    jurisdiction = bundle.get("jurisdiction") or {}
    request = bundle.get("request") or {}
    return {
        "title": str(jurisdiction.get("title") or jurisdiction.get("name") or request.get("jurisdiction") or ""),
        "law": str(jurisdiction.get("law") or ""),
    }
