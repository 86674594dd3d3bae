"""Every row a source returns is re-checked, in Python, against the subject's identifiers.

Sources select with a *superset* filter (:meth:`exporter.identifiers.Rule.probes`: the spellings a
database's ``lower()`` may produce, plus near forms). Whatever the database, its collation or an
HTTP API did, a row is accepted only when one of its identifier fields holds a value whose key
(:meth:`~exporter.identifiers.Rule.key`, the one rule of its type) is one of the subject's keys
(:class:`RowCheck`). Rows that fail are not the subject's and are left out; they are counted, and
those that look like one of the subject's values (same skeleton, different key) are reported as
*near matches* (:class:`Screening`: counts per read and type, never the values) so that a person
can review them. Nothing is ever merged on a near match.

Which field of a row holds which identifier type: the read's ``match = { type = "field" }``
(dotted paths reach into nested objects; a list matches when any element does), or for types not
listed there the field named like the type (``account_id``). A read whose rows carry none of the
fields is a configuration error: its rows could not be checked. When a read needs a shared type
(a device id) and a person type, only the person type's field decides (docs/isolation.md).

A second, independent check (:func:`foreign_fields`) runs in the pipeline on every record of a
category after mapping: a record whose identifier fields (its schema's properties named like an
identifier type) are set but none is the subject's belongs to nobody in the identity set; the
export stops with :class:`~exporter.errors.ForeignRecordError` naming source, category and record
number — never a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .identity_set import IdentitySet
from .screening import Screening
from .errors import ConfigError
from .sources.base import ReadSpec, field_values

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RowCheck", "Screening", "field_values", "match_fields"]


def _has_field(record: Mapping[str, Any], name: str) -> bool:
    if name in record:
        return True
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return True


def match_fields(spec: ReadSpec) -> dict[str, str]:
    """Identifier type → row field that holds it, for every type the read needs."""
    out = {t: t for t in spec.needs}
    match = spec.params.get("match")
    if isinstance(match, Mapping):
        out.update({str(t): str(f) for t, f in match.items() if t in spec.needs})
    return out


class RowCheck:
    """The exact re-check of one read's rows (see the module docstring)."""

    def __init__(self, spec: ReadSpec, ids: IdentitySet, *, source: str, values: Mapping[str, Iterable[str]]
                 | None = None) -> None:
        fields = match_fields(spec)
        shared = ids.shared
        types = [t for t in spec.needs if t not in shared] or list(spec.needs)
        self.spec, self.source, self.screening = spec, source, ids.screening
        self.checks = []
        for t in types:
            rule = ids.rule(t)
            keys = frozenset(values[t]) if values is not None and t in values else ids.keys(t)
            self.checks.append((t, fields[t], rule, keys, frozenset(rule.near(k) for k in keys)))
        self._seen_field = False

    def _missing_fields(self) -> ConfigError:
        names = ", ".join(f for _t, f, *_ in self.checks)
        return ConfigError(
            f"read {self.spec.label} returns rows without the field(s) {names}, so they cannot be checked "
            "against the subject's identifiers", source=self.source, stream=self.spec.label,
            hint="select the identifier column in the query (e.g. SELECT email, … WHERE lower(email) IN :email) "
                 "or name it with `match = { type = \"field\" }`")

    def owns(self, row: Mapping[str, Any]) -> bool:
        """Whether ``row`` is the subject's (counts near matches and exclusions when not)."""
        present = False
        near_types = []
        for t, name, rule, keys, nears in self.checks:
            if not present and _has_field(row, name):
                present = True
            for v in field_values(row, name):
                k = rule.key(v)
                if k in keys:
                    self._seen_field = True
                    return True
                if nears and rule.near(v) in nears:
                    near_types.append(t)
        if not present and not self._seen_field:
            raise self._missing_fields()
        self._seen_field = self._seen_field or present
        self.screening.excluded[self.spec.label] += 1
        for t in dict.fromkeys(near_types):
            self.screening.near[(self.spec.label, t)] += 1
        return False

    def matched(self, row: Mapping[str, Any]) -> tuple[str, str] | None:
        """(type, key) of the subject's identifier that ``row`` holds, the first one checked; None
        when it holds none. Counts nothing: call it for rows :meth:`owns` accepted."""
        for t, name, rule, keys, _nears in self.checks:
            for v in field_values(row, name):
                k = rule.key(v)
                if k in keys:
                    return t, k
        return None

    def rows(self, batch: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows of ``batch`` that are the subject's (the same list when all are)."""
        keep = [r for r in batch if self.owns(r)]
        return keep if len(keep) != len(batch) else list(batch)

    def arrow(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The rows of an Arrow batch that are the subject's (exact rules vectorised)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        names = set(batch.schema.names)
        mask = None
        usable = [(t, f, rule, keys) for t, f, rule, keys, _n in self.checks if f in names]
        if not usable:
            raise self._missing_fields()
        for _t, name, rule, keys in usable:
            col = batch.column(name)
            if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
                col = pc.cast(col, pa.string())
            if rule.name in ("exact", "trim"):
                if rule.name == "trim":
                    col = pc.utf8_trim_whitespace(col)
                hit = pc.fill_null(pc.is_in(col, value_set=pa.array(sorted(keys), pa.string())), False)
            else:
                hit = pa.array([v is not None and rule.key(v) in keys for v in col.to_pylist()], pa.bool_())
            mask = hit if mask is None else pc.or_(mask, hit)
        assert mask is not None
        kept = int(pc.sum(mask).as_py() or 0)
        if kept == batch.num_rows:
            self._seen_field = True
            return batch
        dropped = batch.filter(pc.invert(mask))
        for row in dropped.to_pylist():  # count and classify (rare: the source's filter over-selected)
            self.owns(row)
        return batch.filter(mask)
