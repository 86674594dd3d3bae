"""One exact matching rule per identifier type (catalog ``identifier_types.<type>.match``).

Handing one person's data to another is a personal-data breach (GDPR Art. 4(12), Art. 33/34), so
the rule that decides "this stored value is the subject's identifier" must never merge two
different strings that can name two different people. Unicode case folding does exactly that
(``jane.doß`` → ``jane.doss``, ``ﬃ`` → ``ffi``, the Kelvin sign → ``k``, ``ſ`` → ``s``), so no
rule here folds case outside ASCII or applies a compatibility normalisation.

Rules (the catalog names one per type; docs/identity.md explains them to privacy officers):

``email``
    An e-mail address (RFC 5321 §2.4, RFC 6531 for non-ASCII addresses). Surrounding white space
    trimmed; Unicode NFC (canonically equivalent spellings are one text: ``é`` precomposed or
    ``e`` + combining accent), except that characters with a singleton decomposition (Kelvin
    sign, Ohm sign, Ångström sign …) are kept, since they look like and would become other
    letters. The domain is case-insensitive (RFC 5321 §2.4, RFC 4343): ASCII letters are lowered
    and a valid internationalised domain is compared in its A-label form (RFC 5890/5891), so
    ``münchen.de`` and ``xn--mnchen-3ya.de`` are one domain; an invalid one is kept as written.
    The local part is compared case-insensitively for ASCII letters only (RFC 5321 allows a
    case-sensitive local part; providers treat ASCII case as one mailbox); every other character
    — ß, ligatures, dotless ı, İ, fullwidth forms, zero-width joiners, Cyrillic or Greek
    look-alikes — stays as it is, and dots and ``+tags`` are significant.
``trim``
    Surrounding white space trimmed, otherwise exact (account, customer and contact numbers).
``exact``
    The value exactly as stored (case-sensitive cookie values).
``ascii_ci``
    Trimmed, ASCII letters compared case-insensitively, nothing else (hexadecimal ledger
    addresses: EIP-55 mixed-case checksums denote the same address).

Every rule gives

* :meth:`Rule.key` — the comparison key; two values are the same identifier iff their keys are
  equal;
* :meth:`Rule.probes` — a small set of spellings a source may bind in its filter (``lower(col)
  IN :email``) so that it selects a *superset* of the matching rows whatever its database's
  ``lower()`` does (ASCII-only in SQLite, Unicode in PostgreSQL/DuckDB, collation-dependent in
  others); it also contains *near* forms (case-folded, compatibility-normalised, without dots or
  ``+tag``) so that look-alikes are seen and reported. Every row a source returns is then checked
  with :meth:`Rule.key` in Python (:mod:`exporter.matching`) before it is accepted;
* :meth:`Rule.near` — a loose skeleton (NFKC, case folding, look-alike characters mapped to Latin
  by Unicode's confusables data, no zero-width characters; for e-mail also no dots and no
  ``+tag``): a stored value whose skeleton equals a subject value's but whose key differs is a
  *near match*, reported to the operator ("possible same person, not included, review") and never
  merged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import idna

__all__ = ["RULES", "Rule", "rule_named", "skeleton"]

_ASCII_LOWER = str.maketrans({c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def ascii_lower(text: str) -> str:
    """ASCII letters A-Z lowered; every other character unchanged."""
    return text.translate(_ASCII_LOWER)


@lru_cache(maxsize=4096)
def _singleton(ch: str) -> bool:
    """A character whose canonical decomposition is one other character (Kelvin sign → K)."""
    dec = unicodedata.decomposition(ch)
    return bool(dec) and not dec.startswith("<") and " " not in dec


def nfc_keep_singletons(text: str) -> str:
    """NFC, except that characters with a singleton decomposition stay as written."""
    if text.isascii():
        return text
    if not any(_singleton(c) for c in text):
        return unicodedata.normalize("NFC", text)
    out: list[str] = []
    run: list[str] = []
    for c in text:
        if _singleton(c):
            out.append(unicodedata.normalize("NFC", "".join(run)))
            out.append(c)
            run = []
        else:
            run.append(c)
    out.append(unicodedata.normalize("NFC", "".join(run)))
    return "".join(out)


def _simple_lower(text: str) -> str:
    """Per-character simple lowercase mapping (what C ``towlower`` does: İ → i, not i + dot)."""
    return "".join(lo if len(lo := c.lower()) == 1 else lo[0] for c in text)


@lru_cache(maxsize=4096)
def _confusable_latin(ch: str) -> str:
    """The ASCII letter/digit ``ch`` is confusable with (Unicode confusables data), or ``ch``."""
    from confusable_homoglyphs import confusables  # loaded only when a skeleton is needed

    found = confusables.is_confusable(ch, greedy=True)
    if found:
        for glyph in found[0].get("homoglyphs", ()):
            c = str(glyph.get("c", ""))
            if c.isascii() and c.isalnum():
                return c
    return ch


def skeleton(text: str) -> str:
    """A loose form for spotting look-alikes (never used to decide a match)."""
    text = unicodedata.normalize("NFKD", text.strip())
    # no zero-width joiners and other format characters, no accents (é ~ e, İ ~ I)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))
    if not text.isascii():
        text = "".join(c if c.isascii() else _confusable_latin(c) for c in text)
    return unicodedata.normalize("NFKC", text.casefold())


@dataclass(frozen=True)
class Rule:
    """A matching rule for one kind of identifier (see the module docstring)."""

    name: str = "exact"
    #: sources must compare ``lower(column)`` with the probes (the key ignores ASCII case)
    case_insensitive: bool = False
    cite: str = ""

    def key(self, value: str) -> str:
        return value

    def probes(self, key: str) -> tuple[str, ...]:
        return (key,)

    def near(self, value: str) -> str:
        return skeleton(value)

    def spellings(self, key: str) -> tuple[str, ...]:
        """The key and the other ways of writing it that an API may store (few; for sources
        asked once per value, such as HTTP)."""
        return (key,)

    def keys(self, values: Iterable[str]) -> frozenset[str]:
        return frozenset(self.key(v) for v in values)


@dataclass(frozen=True)
class _Trim(Rule):
    name: str = "trim"

    def key(self, value: str) -> str:
        return value.strip()


@dataclass(frozen=True)
class _AsciiCi(Rule):
    name: str = "ascii_ci"
    case_insensitive: bool = True

    def key(self, value: str) -> str:
        return ascii_lower(value.strip())


def _domain_key(domain: str) -> str:
    domain = ascii_lower(domain)
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain).decode("ascii")  # strict IDNA2008 (no UTS 46 mapping)
    except idna.IDNAError:
        return domain  # not a valid internationalised domain: compared as written


def _domain_forms(domain: str) -> tuple[str, ...]:
    forms = [domain]
    if "xn--" in domain:
        try:
            forms.append(idna.decode(domain))
        except idna.IDNAError:
            pass
    return tuple(forms)


_TAG = re.compile(r"\+.*$")


@dataclass(frozen=True)
class _Email(Rule):
    name: str = "email"
    case_insensitive: bool = True

    def key(self, value: str) -> str:
        text = nfc_keep_singletons(value.strip())
        local, at, domain = text.rpartition("@")
        if not at:
            return ascii_lower(text)
        return f"{ascii_lower(local)}@{_domain_key(domain)}"

    def probes(self, key: str) -> tuple[str, ...]:
        local, at, domain = key.rpartition("@")
        if not at:
            local, domain = key, ""
        out: dict[str, None] = {}
        near_local = skeleton(local)
        near_local = _TAG.sub("", near_local)
        locals_ = [local, local.lower(), _simple_lower(local), skeleton(local), near_local,
                   near_local.replace(".", "")]
        for lp in locals_:
            for dom in _domain_forms(domain):
                text = f"{lp}@{dom}" if at else lp
                out[text] = None
                for form in ("NFC", "NFD"):
                    out[unicodedata.normalize(form, text)] = None
        return tuple(out)

    def spellings(self, key: str) -> tuple[str, ...]:
        local, at, domain = key.rpartition("@")
        return tuple(dict.fromkeys(f"{local}@{d}" for d in _domain_forms(domain))) if at else (key,)

    def near(self, value: str) -> str:
        text = skeleton(value)
        local, at, domain = text.rpartition("@")
        if not at:
            return text
        return f"{_TAG.sub('', local).replace('.', '')}@{_domain_key(domain)}"


RULES: Mapping[str, Rule] = {
    "email": _Email(cite="RFC 5321 §2.4; RFC 6531; RFC 5890/5891 (IDNA2008)"),
    "trim": _Trim(),
    "exact": Rule(),
    "ascii_ci": _AsciiCi(),
}
#: rule names of earlier catalogs that merged different people; refused with an explanation
REFUSED = {"casefold": "Unicode case folding merges different addresses (jane.doß@ and jane.doss@); "
                       "use match = \"email\" for e-mail addresses or \"ascii_ci\" for hexadecimal values"}
ALIASES = {"strip": "trim", "none": "exact"}


def rule_named(name: str) -> Rule:
    """The rule called ``name`` (KeyError for an unknown or refused name)."""
    return RULES[ALIASES.get(name, name)]
