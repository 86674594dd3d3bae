"""Plain language for the parts of an answer a person reads (issue 18, part 6).

Two things, both read from the rules file of the law applied (catalog/jurisdictions/*.toml), so
that a privacy officer edits the words, not this code:

* ``[places]`` — where each required item of the answer is shown, in words ("“Why we hold it”
  under each kind of data"), for the "What this response contains" map; the map no longer points
  at bundle.json keys (``purposes``, ``third_parties``);
* ``[nothing_held]`` — the answer to a person we hold no personal data about: the confirmation
  that nothing is held (GDPR / UK GDPR Art. 15(1) "whether or not"; CCPA §1798.110) is the whole
  answer, said as such, rather than "data in 0 of the 24 kinds" and items that assume records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

__all__ = ["CATEGORY_POINTERS", "PLACEHOLDERS", "nothing_held", "nothing_held_elements", "place"]

#: placeholders of this module's texts, by rules-file table, besides the controller's ({email} …)
PLACEHOLDERS = {"nothing_held": ("kinds",)}

#: bundle pointers whose items exist only when something is held (each kind of data, the CCPA rows)
CATEGORY_POINTERS = ("/categories/", "/jurisdiction/ccpa/rows/")


def place(rules: Mapping[str, Any], pointer: str) -> str | None:
    """The rules file's words for where ``pointer`` (an element's ``satisfied_by``) is shown to
    the reader; None when the file has none (the caller then names the section)."""
    places = rules.get("places") or {}
    words = places.get(pointer) if isinstance(places, Mapping) else None
    return str(words) if isinstance(words, str) and words.strip() else None


#: category states that leave open whether data is held (nothing can be confirmed)
_OPEN = ("not_searched", "incomplete")


def nothing_held(rules: Mapping[str, Any], categories: Sequence[Mapping[str, Any]], *,
                 fill: Callable[[str], str]) -> dict[str, Any] | None:
    """The ``[nothing_held]`` texts when every category was searched and none is held, else None
    (with a kind not searched or not read in full, nothing held cannot be confirmed)."""
    spec = rules.get("nothing_held")
    if not isinstance(spec, Mapping) or not categories:
        return None
    if any(int(c.get("count") or 0) > 0 or c.get("status") in _OPEN for c in categories):
        return None
    kinds = len(categories)

    def text(key: str) -> str:
        return fill(str(spec.get(key) or "").replace("{kinds}", str(kinds)))

    return {"cite": str(spec["cite"]), "summary": text("summary"), "package": text("package"),
            "element": text("element")}


def nothing_held_elements(elements: Sequence[MutableMapping[str, Any]], answer: Mapping[str, Any] | None) -> None:
    """With nothing held, the required items that describe held data (each kind's purposes,
    recipients, retention, sources, the records; the CCPA rows) do not apply; say why, in place.
    An item that does not apply anyway gets the same reason instead of one that assumes data
    ("All the data we hold about you came from you")."""
    if answer is None:
        return
    for el in elements:
        about_data = str(el.get("satisfied_by") or "").startswith(CATEGORY_POINTERS)
        if about_data or not el.get("applies"):
            el["applies"] = False
            el["note"] = answer["element"]
