"""Placeholders and the redaction notice (GDPR / UK GDPR Art. 15(4), Recital 63).

:data:`KINDS` names each kind of replaced detail: the word of its placeholder (``[email 1]``) and
the nouns of the sentence the package shows per category (:func:`notice`), so that the subject
knows what was replaced, why, and that their own details are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["KINDS", "notice"]

#: kind → (placeholder word, singular noun, plural noun) for the notice sentence
KINDS: dict[str, tuple[str, str, str]] = {
    "email": ("email", "e-mail address", "e-mail addresses"),
    "phone": ("phone", "phone number", "phone numbers"),
    "staff_name": ("staff member", "name of a staff member", "names of staff members"),
    "person_name": ("person", "name of another person", "names of other people"),
}


def notice(counts: Mapping[str, int], *, cite: str = "GDPR Art. 15(4)") -> str:
    """The sentence the package shows for a category's redactions."""
    parts = [f"{n} {KINDS[k][1] if n == 1 else KINDS[k][2]}" for k, n in counts.items() if n]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    example = f"[{KINDS[next(k for k, n in counts.items() if n)][0]} 1]"
    why = f"To protect other people ({cite})" if cite else "To protect other people"
    return (f"{why}, {listed} in the free text of this category "
            f"{'was' if sum(counts.values()) == 1 else 'were'} replaced by placeholders such as "
            f"“{example}”. The same placeholder stands for the same address, number or person "
            f"throughout this package. Your own e-mail addresses and phone numbers are shown as they are.")
