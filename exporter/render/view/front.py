"""The report's front matter and the whole view: request, subject, deadlines, summary, notices.

The request page (who asked, how we found their identifiers, the deadlines of GDPR Art. 12(3) /
CCPA 11 CCR §7021), the summary and contents, the notices (Art. 15(1)(e)-(h), 15(2)) and the CCPA
table (Cal. Civ. Code §1798.110, §1798.115), and :func:`build_view`, which puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .category import _NOT_READ, _category_view
from .formats import _humanize, _names, _slug, format_count, format_date, format_datetime, readable_dates


def _ccpa_rows(ccpa: Any) -> list[dict[str, Any]]:
    rows = ccpa.get("rows") if isinstance(ccpa, Mapping) else ccpa
    out = []
    for row in rows or ():
        if not isinstance(row, Mapping):
            continue
        category = row.get("title") or row.get("category")
        if isinstance(category, Mapping):
            category = category.get("title") or category.get("id")
        def who(items: Any) -> list[str]:  # the kind of third party, with the names of the actual ones
            return [f"{t} ({', '.join(x['names'])})" if isinstance(x, Mapping) and x.get("names") else t
                    for x, t in zip(items or (), _names(items), strict=False)]

        sold_to = who(row.get("sold_to"))
        shared_to = who(row.get("shared_with") or row.get("shared_to"))
        out.append(
            {
                "category": str(category or ""),
                "cite": str(row.get("cite") or ""),
                "sources": _names(row.get("sources")),
                "purposes": _names(row.get("purposes")),
                "disclosed_to": _names(row.get("disclosed_to") or row.get("third_parties")),
                "sold": ("Yes — to " + ", ".join(sold_to) if sold_to else "Yes") if row.get("sold") else "No",
                "shared": ("Yes — with " + ", ".join(shared_to) if shared_to else "Yes")
                if row.get("shared")
                else "No",
            }
        )
    return out


def _notice_view(notice: Mapping[str, Any], anchor: str) -> dict[str, Any]:
    return {
        "anchor": anchor,
        "title": str(notice.get("title") or notice.get("id") or ""),
        "cite": str(notice.get("cite") or ""),
        "paragraphs": [readable_dates(str(p)) for p in notice.get("paragraphs") or () if p],
        "bullets": [readable_dates(str(i)) for i in notice.get("items") or () if i],
    }


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


def build_view(
    bundle: Mapping[str, Any],
    samples: Mapping[str, Sequence[Mapping[str, Any]]],
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    lang: str = "en",
    columns: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Everything the report templates show, as plain strings, lists and dicts.

    ``columns`` maps a category id to the catalog's ``pdf_columns``: a category with more than
    :data:`FULL_DETAIL_ROWS` records is shown as a compact table of those fields (the full records
    are in the data files); without them, every shown record is given with all its fields."""
    columns = columns or {}
    controller = bundle.get("controller") or {}
    subject = bundle.get("subject") or {}
    request = bundle.get("request") or {}
    jurisdiction = bundle.get("jurisdiction") or {}
    deadlines = jurisdiction.get("deadlines") or {}
    summary = bundle.get("summary") or {}

    used: set[str] = set()

    def anchor(prefix: str, key: str) -> str:
        base = f"{prefix}-{_slug(key)}"
        name, i = base, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        return name

    for fixed in ("cover", "summary", "request", "data", "notices", "ccpa", "deadlines", "contents"):
        used.add(f"sec-{fixed}")

    categories = [
        _category_view(
            cat,
            samples.get(str(cat.get("id")), ()),
            schemas.get(str(cat.get("id"))),
            anchor("cat", str(cat.get("id"))),
            tuple(columns.get(str(cat.get("id"))) or ()),
            ccpa=bool(jurisdiction.get("ccpa")),
            withheld_note=jurisdiction.get("withheld"),
            locale=(jurisdiction.get("vocabulary") or {}).get("locale"),
        )
        for cat in bundle.get("categories") or ()
        if isinstance(cat, Mapping)
    ]
    raw_notices = [n for n in jurisdiction.get("notices") or () if isinstance(n, Mapping)]
    notices = [_notice_view(n, anchor("notice", str(n.get("id") or n.get("title") or "notice"))) for n in raw_notices]
    ccpa_rows = _ccpa_rows(jurisdiction.get("ccpa"))
    categories_only = (
        any(c["records_withheld_reason"] for c in categories) or summary.get("specific_pieces") is False
    )
    withheld_reasons = sorted(
        {c["records_withheld_reason"] for c in categories if c["records_withheld_reason"]}
    )

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

    name = subject.get("display_name") or ""
    jurisdiction_title = str(
        jurisdiction.get("title") or jurisdiction.get("name") or request.get("jurisdiction") or ""
    )
    held = [c for c in categories if c["status"] not in ("none_held", *_NOT_READ)]
    nothing_held = jurisdiction.get("nothing_held")
    not_searched = [c for c in categories if c["status"] == "not_searched"]
    failed = [c for c in categories if c["status"] == "incomplete"]
    legal_bases: dict[tuple[str, str], dict[str, str]] = {}
    for c in categories:
        for g in c["purpose_groups"]:
            if g["label"] and g["label"] != g["basis"]:
                legal_bases.setdefault(
                    (g["label"], g["cite"]), {"label": g["label"], "title": g["basis"], "cite": g["cite"]}
                )
    identifiers = _identifier_groups(subject.get("identifiers") or ())

    title = f"Your personal data held by {controller.get('name') or 'us'}"
    return {
        "lang": lang,
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
        "subject": {"name": str(name), "identifiers": identifiers},
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
        "deadlines": {
            "rows": deadline_rows,
            "explanation": readable_dates(str(deadlines.get("explanation") or "")),
            # the notice that explains the dates (said once, there): the Deadlines section links to it
            "notice": next(
                ({"anchor": n["anchor"], "title": n["title"]} for n, raw in zip(notices, raw_notices, strict=True)
                 if raw.get("id") == "deadlines"),
                None,
            ),
        },
        "jurisdiction": {
            "title": jurisdiction_title,
            "law": str(jurisdiction.get("law") or ""),
        },
        "generated_at": format_datetime(bundle.get("generated_at")),
        "snapshot_at": format_datetime(bundle.get("snapshot_at")) if bundle.get("snapshot_at") else "",
        "period": {
            "from": format_date((bundle.get("period") or {}).get("from")),
            "to": format_date((bundle.get("period") or {}).get("to")),
        },
        "summary": {
            "categories": len(categories),
            "held": len(held),
            "records": format_count(summary.get("records", sum(c["count"] or 0 for c in held))),
            "complete": bool(summary.get("complete", not not_searched and not failed)) and not not_searched,
            "not_searched": [{"title": c["title"], "anchor": c["anchor"]} for c in not_searched],
            "incomplete": [{"title": c["title"], "anchor": c["anchor"]} for c in failed],
        },
        "categories_only": bool(categories_only),
        "withheld_reasons": withheld_reasons,
        "categories": categories,
        "legal_bases": list(legal_bases.values()),
        "purposes_note": str((jurisdiction.get("vocabulary") or {}).get("purposes_note") or ""),
        "notices": notices,
        "ccpa_rows": ccpa_rows,
        # nothing held: the answer's own words (rules file [nothing_held]) instead of "0 of 24 kinds"
        "nothing_held": {
            "summary": str(nothing_held.get("summary") or ""),
            "package": str(nothing_held.get("package") or ""),
            "cite": str(nothing_held.get("cite") or ""),
        }
        if isinstance(nothing_held, Mapping) and not held and not categories_only
        else None,
        "format": str(bundle.get("format") or ""),
    }
