"""Operator messages grouped for reading: one line per kind of warning, with a count and the names.

An export can produce the same kind of warning many times (a small configuration leaves twenty
categories fed by no source; one failing source makes every category it feeds incomplete). Logged
one by one they bury the one line that matters, so :func:`group` folds every known kind into one
line ("22 categories are fed by no configured source and were not searched: a, b, …") and repeated
identical lines into one with a count (``(×3)``). Lines of no known kind are kept as they are, in
their first order. Messages carry category ids, read labels and counts only (never subject data),
and so do the grouped lines.

The package itself (``bundle.json`` ``warnings``, :attr:`exporter.api.ExportResult.warnings`) keeps
every warning separately: grouping is for the log / the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["group"]


@dataclass(frozen=True)
class _Kind:
    pattern: re.Pattern[str]
    #: the group's key from a match (lines with equal keys are folded together)
    key: Callable[[re.Match[str]], str]
    #: the one line for a group of two or more matches
    line: Callable[[list[re.Match[str]]], str]


def _names(matches: list[re.Match[str]], group: str = "name") -> str:
    return ", ".join(dict.fromkeys(m[group] for m in matches))


def _by_source(reason: str) -> str:
    """An incomplete reason with each read label (``crm/orders: …``) cut to its source (``crm: …``):
    one failed source makes every category it feeds incomplete, each naming its own read."""
    return "; ".join(re.sub(r"^([\w.-]+)/[^\s:]+: ", r"\1: ", part) for part in reason.split("; "))


def _counts(matches: list[re.Match[str]]) -> str:
    return ", ".join(f"{m['name']}: {m['n']}" for m in matches)


_KINDS = (
    _Kind(re.compile(r"^category (?P<name>\S+) (?:is fed by no configured source and was not searched|"
                     r"was not searched: no configured source covers this kind of data.*)$"),
          key=lambda m: "", line=lambda ms: f"{len(ms)} categories are fed by no configured source and were "
                                            f"not searched: {_names(ms)}"),
    _Kind(re.compile(r"^category (?P<name>\S+) is incomplete: (?P<reason>.+)$"),
          key=lambda m: _by_source(m["reason"]), line=lambda ms: f"{len(ms)} categories are incomplete "
                                                                 f"({_by_source(ms[0]['reason'])}): {_names(ms)}"),
    _Kind(re.compile(r"^(?P<prefix>review: )?(?P<name>\S+): (?P<n>\d+) record\(s\) with an? (?P<type>\w+) "
                     r"(?P<what>that looks like the subject's but is not the same.*)$"),
          key=lambda m: f"{m['prefix']}|{m['type']}|{m['what']}",
          line=lambda ms: f"{ms[0]['prefix'] or ''}{sum(int(m['n']) for m in ms)} record(s) in {len(ms)} reads "
                          f"({_counts(ms)}) with a {ms[0]['type']} "
                          f"{ms[0]['what']}"),
)


def group(lines: Iterable[str]) -> list[str]:
    """``lines`` with every known kind folded into one line per group and exact repeats counted.

    A group takes the place of its first line; a group of one is its line unchanged."""
    order: list[tuple[int, str]] = []  # group keys in first-seen order; kind -1 = a plain line
    groups: dict[tuple[int, str], list[re.Match[str]]] = {}
    plain: dict[str, int] = {}
    for text in lines:
        for n, kind in enumerate(_KINDS):
            m = kind.pattern.match(text)
            if m is not None:
                gkey = (n, kind.key(m))
                if gkey not in groups:
                    groups[gkey] = []
                    order.append(gkey)
                groups[gkey].append(m)
                break
        else:
            if text not in plain:
                order.append((-1, text))
                plain[text] = 0
            plain[text] += 1
    out = []
    for n, key in order:
        if n < 0:
            out.append(key if plain[key] == 1 else f"{key} (×{plain[key]})")
            continue
        unique = list({m.string: m for m in groups[(n, key)]}.values())
        out.append(unique[0].string if len(unique) == 1 else _KINDS[n].line(unique))
    return out
