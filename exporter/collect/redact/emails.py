"""E-mail addresses in free text, for third-party redaction (GDPR / UK GDPR Art. 15(4), Recital 63).

Finds the spans of e-mail addresses in a text (:func:`find_emails`). Whether one is another
person's — not the subject's own, nor a configured role address — is decided by its key under the
catalog's e-mail rule (:data:`EMAIL_RULE`), the same rule identity matching compares by
(:mod:`exporter.identifiers`).
"""

from __future__ import annotations

import re

from ...identifiers import rule_named

__all__ = ["EMAIL_RULE", "find_emails"]

# Every quantifier is bounded and the pattern starts only at a token boundary, so the time is
# linear in the text length (10 MB fields are fine; no catastrophic backtracking).

_EMAIL = re.compile(
    r"(?<![\w.+%-])"
    r"[\w.+%-]{1,64}@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}[^\W\d_]{2,63}"
    r"(?![\w-]|\.[^\W_])"
)

EMAIL_RULE = rule_named("email")  #: own and role addresses are compared by the catalog's e-mail rule


def find_emails(text: str) -> list[tuple[int, int]]:
    """Spans of e-mail addresses in ``text``."""
    return [m.span() for m in _EMAIL.finditer(text)]
