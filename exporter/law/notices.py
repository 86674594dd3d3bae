"""The notices: the jurisdiction block's render-ready text, individualised to the subject, in
reading order (GDPR / UK GDPR Art. 12(1), 15(1)-(2); CCPA §1798.110, §1798.115, §1798.130).

Answers "what does the response say to this person, and where is each required item shown": the
deadline and the request's timeline, the scope of the response and the period covered, the
contents (each required element and the section that satisfies it), recipients, sources,
retention, transfers, automated decisions, the CCPA sections, the rules file's own notices,
rights and complaint routes. Built from the block :func:`exporter.law.jurisdictions.evaluate`
assembled; a renderer shows them without knowing the jurisdiction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import disclosures as _disclosures
from . import plain
from .refs import catalog_table
from .rules import Fill, Rules

__all__ = ["notices"]


def _notice(nid: str, title: str, cite: str, paragraphs: Sequence[str] = (), items: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": nid, "title": title, "cite": cite, "paragraphs": [p for p in paragraphs if p],
            "items": list(items)}


def notices(rules: Rules, out: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
            recipient_meta: Mapping[str, Mapping[str, Any]], entry_names: Mapping[str, list[str]],
            origins_not_subject: Mapping[str, list[str]], catalog: Mapping[str, Any], fill: Fill,
            applies: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every notice of the block, in reading order; the contents notice lists where each element is."""
    found: list[dict[str, Any]] = _request_notices(rules, out, fill)
    contents = _contents(rules)
    found.append(contents)
    cites = {str(e["satisfied_by"]): str(e["cite"]) for e in reversed(out["elements"])}
    found += _held_notices(rules, out, held, recipient_meta, entry_names, origins_not_subject, catalog, fill, cites)
    if out.get("ccpa") is not None:
        found += _ccpa_notices(rules, out)
    found += _closing_notices(rules, out, fill, applies)
    _list_contents(contents, rules, out["elements"], {n["id"]: n["title"] for n in found})
    return found


def _request_notices(rules: Rules, out: Mapping[str, Any], fill: Fill) -> list[dict[str, Any]]:
    """The request and our deadline, its timeline, the scope of this response and the period covered."""
    d = out["deadlines"]
    found: list[dict[str, Any]] = []
    dl = rules["deadline"]
    due_line = f"We received your request on {d['received']}. Our answer is due by {d['final_due']}."
    if d["extended_due"]:
        due_line = (f"We received your request on {d['received']}. The answer was first due by {d['due']}; "
                    f"we extended this to {d['extended_due']}.")
    found.append(_notice("deadlines", "Your request and our deadline", d["cites"][0] if d["cites"] else dl["cite"],
                         [fill(dl["text"]), due_line, fill(dl.get("counting", ""))], d["steps"]))
    tl = out.get("timeline") or {}
    if tl.get("statements"):  # the request's life: identity check, pauses, confirmation, lateness
        found.append(_notice("timeline", str(tl["title"]), str(tl["cite"]), tl["statements"]))
    acc = out["access"]
    found.append(_notice("verification", "Identity and scope of this response", acc["cite"], [acc["text"]]))
    per = out["period"]
    found.append(_notice("period", "Period covered", per["cite"], [per["explanation"]]))
    return found


def _contents(rules: Rules) -> dict[str, Any]:
    law_name = rules.get("law_short") or rules["law"]
    return _notice("contents", "What this response contains", f"{law_name}: required information",
                   [(f"This response gives you everything the {law_name} requires in an answer to your "
                     f"request ({rules['law']}). This is where to find each item:")])


def _held_notices(rules: Rules, out: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
                  recipient_meta: Mapping[str, Mapping[str, Any]], entry_names: Mapping[str, list[str]],
                  origins_not_subject: Mapping[str, list[str]], catalog: Mapping[str, Any], fill: Fill,
                  cites: Mapping[str, str]) -> list[dict[str, Any]]:
    """Recipients, sources, retention, transfers and automated decisions (Art. 15(1)(c)-(h), (2))."""
    found: list[dict[str, Any]] = []
    # recipients (names where known: C-154/21)
    cite = cites.get("/categories/*/recipients")
    if out.get("recipients") is not None:  # from the person's records (every law: C-154/21, CCPA §1798.115)
        found.append(_disclosures.recipients_notice(out["recipients"], cite or "", rules))
    elif cite and recipient_meta:
        found.append(_recipients_notice(recipient_meta, entry_names, fill, cite))

    cite = cites.get("/categories/*/origins")
    if cite and origins_not_subject:
        o_items = [f"{catalog_table(catalog, 'origins', oid).get('title', oid)} — for: {', '.join(sorted(set(cats)))}"
                   for oid, cats in origins_not_subject.items()]
        found.append(_notice("sources", "Where the data came from, if not from you", cite,
                             ["Some of the data we hold about you did not come from you directly:"], o_items))

    cite = cites.get("/categories/*/retention")
    if cite and held:
        # Kinds of data kept for the same time share one item (named together), so the reader does
        # not compare a dozen identical sentences; each kind's section says it again on its own.
        by_text: dict[str, list[str]] = {}
        for c in held:
            ret = c.get("retention") or {}
            text = str(ret.get("explanation") or ret.get("text") or "")
            by_text.setdefault(text, []).append(str(c.get("title") or c.get("id")))
        ret_items = [f"{', '.join(titles)}: {text}" for text, titles in by_text.items()]
        found.append(_notice("retention", "How long we keep your data", cite, [], ret_items))

    tr = out["transfers"]
    found.append(_notice("transfers", "Transfers to other countries", tr["cite"],
                         [tr["text"], f"Safeguard: {tr['mechanism']}." if tr["applies"] else ""],
                         [f"{x['country']}: {', '.join(x['recipients'])}" for x in tr["destinations"]]))
    ad = out["automated_decisions"]
    score_lines = [f"{sc['title']} (in “{sc['category_title']}”): {sc['logic']} What it means: {sc['significance']} "
                   f"What follows from it: {sc['consequences']}" for sc in ad.get("scores", ())]
    found.append(_notice("automated_decisions", "Automated decisions and profiling", ad["cite"],
                         [ad["text"], ad["profiling_text"] or "",
                          "We calculate these scores about you automatically:" if score_lines else ""],
                         score_lines))
    return found


def _recipients_notice(recipient_meta: Mapping[str, Mapping[str, Any]], entry_names: Mapping[str, list[str]],
                       fill: Fill, cite: str) -> dict[str, Any]:
    """The catalog's recipients of the held categories (without the person's disclosure log)."""
    r_items = []
    unnamed = False
    for rid, meta in recipient_meta.items():
        names = entry_names.get(rid) or [str(n) for n in meta.get("names") or []]
        if names:
            r_items.append(f"{meta.get('title', rid)}: {', '.join(names)}")
        else:
            unnamed = True
            r_items.append(f"{meta.get('title', rid)}")
    paras = ["These recipients have received or may receive personal data from the categories we hold about you."]
    if unnamed:
        paras.append(fill("Where no company is named, this response lists the category of recipient; "
                          "email {email} and we will tell you the names of the companies that actually "
                          "received your data."))
    return _notice("recipients", "Who receives your personal data", cite, paras, r_items)


def _who(xs: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(x["title"] + (f" ({', '.join(x['names'])})" if x.get("names") else "")
                     for x in xs) or "none"


def _ccpa_row_line(row: Mapping[str, Any]) -> str:
    return (
        f"{row['category']['title']} ({row['category']['cite']}) — held in: "
        f"{', '.join(x['title'] for x in row['data_categories'])}. "
        f"Sources: {'; '.join(x['title'] for x in row['sources']) or 'none'}. "
        f"Purposes: {'; '.join(x['business_purpose'] for x in row['purposes']) or 'none'}. "
        f"Disclosed for a business purpose to: {_who(row['disclosed_for_business_purpose'])}. "
        f"Sold: {'yes, to ' + _who(row['sold_to']) if row['sold'] else 'no'}. "
        f"Shared: {'yes, with ' + _who(row['shared_with']) if row['shared'] else 'no'}."
        + (f" May receive this kind of information, but received none of yours according to our records: "
           f"{'; '.join(x['title'] for x in row['possible_recipients'])}."
           if row.get("possible_recipients") else "")
    )


def _ccpa_notices(rules: Rules, out: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The CCPA sections: categories, sale and sharing, the opt-out, sensitive and withheld information."""
    ccpa = out["ccpa"]
    found: list[dict[str, Any]] = []
    c_items = [_ccpa_row_line(row) for row in ccpa["rows"]]
    found.append(_notice("ccpa_categories", "Personal information we collected about you, by CCPA category",
                         ccpa["cite"], [("For each category: where it came from, why we collected it, and "
                                         "to whom we disclosed, sold or shared it.")], c_items))
    sold_items = [f"{row['category']['title']}: " + "; ".join(
        [f"sold to {x['title']}" + (f" ({', '.join(x['names'])})" if x.get("names") else "") for x in row["sold_to"]]
        + [f"shared with {x['title']}" + (f" ({', '.join(x['names'])})" if x.get("names") else "")
           for x in row["shared_with"]])
        for row in ccpa["rows"] if row["sold"] or row["shared"]]
    sold_items += _disclosures.sale_items(out.get("recipients"), ccpa, rules)
    found.append(_notice("ccpa_sold_shared", "Sale and sharing of your personal information",
                         ccpa["sold_shared"]["cite"], [ccpa["sold_shared"]["text"]], sold_items))
    if ccpa.get("opt_out") is not None:
        oo = ccpa["opt_out"]
        found.append(_notice("ccpa_opt_out", "Your choice about sale and sharing", oo["cite"], [oo["text"]]))
    sens = ccpa["sensitive"]
    found.append(_notice("ccpa_sensitive", "Sensitive personal information", sens["cite"], [sens["text"]],
                         [x["title"] for x in sens["categories"]]))
    wh = ccpa["withheld"]
    if wh["items"]:
        w_paras = [wh["text"]] + sorted({x["note"] for x in wh["items"] if x["note"]})
        w_items = list(dict.fromkeys(
            (f"{x['field_title']} ({x['kind_title']})" if x.get("field_title") else x["kind_title"])
            + f" — in “{x['category_title']}”" for x in wh["items"]))
        found.append(_notice("ccpa_withheld", "Information we hold but do not disclose", wh["cite"], w_paras,
                             w_items))
    return found


def _closing_notices(rules: Rules, out: Mapping[str, Any], fill: Fill,
                     applies: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
    """The rules file's own notices that apply, then rights and how to complain."""
    found: list[dict[str, Any]] = []
    for n in rules.get("notices", ()):
        if applies(n):
            found.append(_notice(n["id"], fill(n["title"]), n["cite"], [fill(p) for p in n["paragraphs"]],
                                 [fill(i) for i in n.get("items", ())]))

    found.append(_notice("rights", "Your rights and how to use them",
                         "; ".join(dict.fromkeys(r["cite"] for r in out["rights"])),
                         [], [f"{r['title']} ({r['cite']}): {r['how']}" for r in out["rights"]]))
    comp = out["complaint"]
    c_items = []
    for r in comp["routes"]:
        parts = [r["name"]] + [str(r[k]) for k in ("address", "phone", "website") if r.get(k)]
        if r.get("complaint_url"):
            parts.append(f"complaints: {r['complaint_url']}")
        c_items.append(" — ".join(parts))
    found.append(_notice("complaint", "How to complain", comp["cite"], [comp["text"]], c_items))
    return found


def _list_contents(contents: dict[str, Any], rules: Rules, elements: Sequence[Mapping[str, Any]],
                   titles: Mapping[str, str]) -> None:
    """Fill the contents notice: each element and where it is shown, or why it does not apply."""
    for e in elements:
        if e["applies"]:
            shown_in = plain.place(rules, e["satisfied_by"]) or _satisfied_where(e["satisfied_by"], titles)
            contents["items"].append(f"{e['title']} ({e['cite']}): see {shown_in}.")
        else:
            contents["items"].append(f"{e['title']} ({e['cite']}): does not apply to you. {e['note']}")


def _satisfied_where(pointer: str, notice_titles: Mapping[str, str]) -> str:
    """Say in words where the bundle pointer ``pointer`` is shown to the reader."""
    parts = [p for p in pointer.split("/") if p and p != "*"]
    if not parts:
        return "this response"
    head = parts[0]
    target: str | None = None
    column: str | None = None
    if head == "jurisdiction" and len(parts) > 1:
        section = parts[1]
        if section == "notices" and len(parts) > 2:
            target = parts[2]
        elif section == "ccpa":
            sub = parts[2] if len(parts) > 2 else "rows"
            target = {"rows": "ccpa_categories", "withheld": "ccpa_withheld", "sensitive": "ccpa_sensitive"}.get(
                sub, "ccpa_categories")
            column = parts[3] if sub == "rows" and len(parts) > 3 else None
        else:
            target = {"access": "verification"}.get(section, section)
    elif head in ("period", "deadlines"):
        target = head
    if target is not None:
        if target in notice_titles:
            where = f"the section “{notice_titles[target]}”"
            return where + (f" (“{column.replace('_', ' ')}”)" if column else "")
        return "nothing to show for you"
    if head == "categories":
        if parts[-1] == "files":
            return "the data files of each category (JSON Lines and CSV, with their schemas)"
        return f"“{parts[-1].replace('_', ' ')}” in each data category"
    if head == "summary":
        return "the summary (how many categories of your data we hold)"
    return " → ".join(p.replace("_", " ") for p in parts)
