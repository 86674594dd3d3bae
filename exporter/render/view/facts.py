"""The GDPR Art. 15(1) facts of one category: purposes and legal bases, recipients, retention,
most frequent values; under the CCPA, its category and "sensitive" flag.

Art. 15(1)(a) purposes (with the Art. 6(1) basis, Art. 13(1)(d) interest), (c) recipients (the
actual ones, CJEU C-154/21), (d) retention; CCPA categories per Cal. Civ. Code §1798.140(v), (ae).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .formats import _names, format_count, format_date, readable_dates
from .limits import MAX_TOP_VALUES
from .schema import field_schema, title_of
from .values import _scalar

#: Short names of the GDPR Art. 6(1) legal bases, used in each category; the report explains each
#: once, with the catalog's full wording, before the categories.
_BASIS_SHORT = {
    "consent": "Your consent",
    "contract": "Contract",
    "legal_obligation": "Legal obligation",
    "legitimate_interests": "Legitimate interests",
}


def _top_values(cat: Mapping[str, Any], schema: Mapping[str, Any]) -> list[dict[str, str]]:
    """The most frequent values per field, one text run per field ("Email: 12 · SMS: 3")."""
    top_values = []
    for field, pairs in (cat.get("top_values") or {}).items():
        node = field_schema(schema, [field])
        values = []
        for pair in list(pairs or ())[:MAX_TOP_VALUES]:
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                continue
            text, note = (
                _scalar(pair[0], node) if not isinstance(pair[0], (dict, list)) else (str(pair[0]), "")
            )
            values.append(
                f"{text} ({note}): {format_count(pair[1])}" if note else f"{text}: {format_count(pair[1])}"
            )
        if values:
            # One text run per field: every extra inline box is layout and drawing work.
            top_values.append({"title": title_of(node, field), "text": " · ".join(values)})
    return top_values


def _recipients_view(cat: Mapping[str, Any]) -> dict[str, Any]:
    """``recipients`` (with names and where they process), ``recipients_where`` (the one country
    of all, said once) and ``recipients_possible``: recipients the person's disclosure log shows
    received none of this data, listed apart (exporter.law.disclosures; CJEU C-154/21)."""
    recipients: list[dict[str, Any]] = []
    recipients_possible: list[str] = []
    for r in cat.get("recipients") or ():
        if not isinstance(r, Mapping):
            continue
        if r.get("status") == "possible":
            recipients_possible.append(str(r.get("title") or r.get("id") or ""))
            continue
        extra = []
        if r.get("country"):
            extra.append(f"processes in {r['country']}")
        if not r.get("names") and r.get("unnamed_reason"):
            extra.append(f"not named: {r['unnamed_reason']}")
        recipients.append(
            {
                "title": str(r.get("title") or r.get("id") or ""),
                "names": _names(r.get("names"), "name"),
                "extra": ", ".join(extra),
                "country": str(r.get("country") or ""),
            }
        )

    countries = {r["country"] for r in recipients}
    recipients_where = ""
    if len(recipients) > 1 and len(countries) == 1 and "" not in countries:
        # Said once after the list rather than after every recipient.
        recipients_where = next(iter(countries))
        for r in recipients:
            r["extra"] = ", ".join(x for x in r["extra"].split(", ") if x and not x.startswith("processes in "))
    return {
        "recipients": recipients,
        "recipients_where": recipients_where,
        "recipients_possible": recipients_possible,
    }


def _purposes_view(cat: Mapping[str, Any]) -> dict[str, Any]:
    """``purposes`` and ``purpose_groups``: the purposes grouped by legal basis (a law without
    legal bases, CCPA or UCPA, gets the purposes only, in one run)."""
    purposes = []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in cat.get("purposes") or ():
        if isinstance(p, Mapping):
            purpose = {
                "title": str(p.get("title") or p.get("id") or ""),
                "basis": str(p.get("basis_title") or p.get("basis") or ""),
                "cite": str(p.get("basis_cite") or ""),
                "interest": str(p.get("interest") or ""),
            }
            purposes.append(purpose)
            if p.get("legal_basis_shown") is False:
                # a law without legal bases (CCPA, UCPA): the purposes only, in one run
                group = groups.setdefault(("", ""), {"label": "", "basis": "", "cite": "", "purposes": []})
                group["purposes"].append(purpose["title"])
                continue
            label = _BASIS_SHORT.get(str(p.get("basis") or ""), purpose["basis"])
            group = groups.setdefault(
                (purpose["basis"], purpose["cite"]),
                {"label": label, "basis": purpose["basis"], "cite": purpose["cite"], "purposes": []},
            )
            group["purposes"].append(
                purpose["title"] + (f" (our interest: {purpose['interest']})" if purpose["interest"] else "")
            )
    return {"purposes": purposes, "purpose_groups": list(groups.values())}


def _retention_view(cat: Mapping[str, Any]) -> dict[str, Any]:
    """How long the category is kept (Art. 15(1)(d)): the rule, the date, the explanation."""
    retention = cat.get("retention") or {}
    until_shown = format_date(retention.get("until")) if retention.get("until") else ""
    explanation = readable_dates(str(retention.get("explanation") or ""))
    lead = f"Is deleted on {until_shown}, "
    joined = bool(until_shown) and explanation.startswith(lead) and len(explanation) > len(lead)
    if joined:
        explanation = explanation[len(lead):]
    return {
        # The rule, unless the explanation already quotes it.
        "text": ""
        if str(retention.get("text") or "") in str(retention.get("explanation") or "")
        else str(retention.get("text") or ""),
        "policy": str(retention.get("policy") or ""),
        "until": until_shown,
        "explanation": explanation,
        # "Until 30 Apr 2028: 18 months after …" rather than "Until 30 Apr 2028. Is deleted on 30 Apr 2028, 18 months after …"
        "joined": joined,
    }


def _ccpa_view(cat: Mapping[str, Any], ccpa: bool) -> dict[str, Any]:
    """``ccpa_category`` and ``sensitive``: shown only when the rules applied are the CCPA's (an EU
    or UK reader gets the GDPR facts alone, GDPR Art. 12(1))."""
    ccpa_category = cat.get("ccpa_category") if ccpa and isinstance(cat.get("ccpa_category"), Mapping) else None
    return {
        "ccpa_category": {"title": str(ccpa_category.get("title") or ""),
                          "cite": str(ccpa_category.get("cite") or "")}
        if ccpa_category
        else None,
        "sensitive": ccpa and bool(cat.get("sensitive")),
    }
