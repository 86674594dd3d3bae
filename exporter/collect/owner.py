"""Is every record the subject's? The pipeline's own check, independent of the source.

A source (its query, ``match`` or ``map``) may return another person's record. Every record whose
identifier fields are set must name the subject in at least one of them, compared by the catalog's
rule for that identifier type (exporter.matching; the Art. 15 copy is of *the subject's* data);
otherwise the export stops with :class:`~exporter.errors.ForeignRecordError` and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..config import Read
from ..errors import ForeignRecordError
from ..matching import match_fields
from .identity import IdentitySet

__all__ = ["OwnerCheck"]

Field = tuple[str, Any, frozenset[str]]  #: (record field, identifier rule, the subject's keys)


class OwnerCheck:
    """The owner check of one category's records (per read: its match fields and ``map``)."""

    def __init__(self, category_id: str, props: Mapping[str, Any], ids: IdentitySet | None) -> None:
        self.category_id = category_id
        self.props = props
        self.ids = ids
        self._fields: dict[str, list[Field]] = {}

    def fields(self, read: Read) -> list[Field]:
        """(record field, rule, subject keys) of the fields that name a person in this category's
        records: schema properties named like a (non-shared) identifier type, and the read's
        match fields as they are called after ``map``."""
        ids = self.ids
        if ids is None:
            return []
        cached = self._fields.get(read.spec.label)
        if cached is not None:
            return cached
        back = {src: out for out, src in read.map.items()}
        names: dict[str, str] = {}
        for t in ids.rules:
            if t not in ids.shared and t in self.props:
                names[t] = t
        for t, f in match_fields(read.spec).items():
            if t not in ids.shared and "." not in f:
                names.setdefault(back.get(f, f), t)
        out = [(f, ids.rule(t), ids.keys(t, followed_only=False)) for f, t in names.items()]
        self._fields[read.spec.label] = out
        return out

    def _foreign(self, read: Read, number: int) -> ForeignRecordError:
        return ForeignRecordError(
            f"a record of category {self.category_id!r} carries identifiers, none of which is the subject's",
            source=read.source, read=read.spec.label, category=self.category_id, record=f"#{number}",
            hint="the source returned another person's record: check the stream's query, `match` and `map`; "
                 "no package was written")

    def records(self, read: Read, recs: list[dict[str, Any]], done: int) -> None:
        """Check a batch of records (after ``map``); ``done`` records came before it."""
        fields = self.fields(read)
        if not fields:
            return
        for i, rec in enumerate(recs):
            seen = False
            for name, rule, keys in fields:
                v = rec.get(name)
                if v is None or v == "" or isinstance(v, (dict, list)):
                    continue
                seen = True
                if rule.key(v if isinstance(v, str) else str(v)) in keys:
                    break
            else:
                if seen:
                    raise self._foreign(read, done + i + 1)

    def arrow(self, read: Read, batch: pa.RecordBatch, done: int) -> None:
        """The same check on an Arrow batch (before ``map``: mapped fields are left to the record path)."""
        fields = [(f, rule, keys) for f, rule, keys in self.fields(read) if f in batch.schema.names
                  and f not in read.map]
        if not fields:
            return
        hit = seen = None
        for name, rule, keys in fields:
            col = batch.column(name)
            if not pa.types.is_string(col.type):
                col = pc.cast(col, pa.string())
            if rule.name == "trim":
                col = pc.utf8_trim_whitespace(col)
            if rule.name in ("exact", "trim"):
                h = pc.fill_null(pc.is_in(col, value_set=pa.array(sorted(keys), pa.string())), False)
            else:
                h = pa.array([v is not None and rule.key(v) in keys for v in col.to_pylist()], pa.bool_())
            s_ = pc.fill_null(pc.not_equal(col, ""), False)
            hit = h if hit is None else pc.or_(hit, h)
            seen = s_ if seen is None else pc.or_(seen, s_)
        bad = pc.and_(seen, pc.invert(hit))
        if pc.any(bad).as_py():
            raise self._foreign(read, done + int(pc.index(bad, True).as_py()) + 1)
