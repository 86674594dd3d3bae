"""The coverage audit of ``http`` sources (and any other source kind): the fields of the records a
sample read returns. A read whose endpoint needs identifiers is read only for the ``sample``
identifiers of a test subject (``--sample TYPE:VALUE``), and reported ``not inspected`` without them.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, SourceConfig
from ..errors import SourceError
from .report import TableAudit
from .verdict import Exclusions, column, out_field

__all__ = ["HTTP_SAMPLE", "audit_records"]

#: records of an HTTP sample read looked at
HTTP_SAMPLE = 1_000


def audit_records(cfg: Config, sc: SourceConfig, source: Any, excl: Exclusions, ids: Any) -> list[TableAudit]:
    out = []
    for r in list(sc.streams) + list(sc.identities):
        table = str(r.spec.params.get("endpoint") or r.spec.params.get("path") or r.spec.label)
        if ids is None or not ids.has_any(r.spec.needs):
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False,
                                  note="a sample read needs identifiers of a test subject: pass --sample TYPE:VALUE"))
            continue
        fields: dict[str, None] = {}
        seen = 0
        try:
            for batch in source.read(r.spec, ids.probes(r.spec.needs, forms=getattr(source, "probe_forms", True))):
                for rec in batch:
                    for k in rec:
                        fields.setdefault(str(k), None)
                seen += len(batch)
                if seen >= HTTP_SAMPLE:
                    break
        except SourceError as exc:
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False, note=f"the sample read failed: {exc.message}"))
            continue
        if not seen:
            out.append(TableAudit(sc.name, sc.kind, table, inspected=False,
                                  note="the sample read returned no record: use a sample subject who has some"))
            continue
        cat = [(str(r.spec.category), r)] if r.spec.category else []
        audited = [column(cfg, table, k, [(c, out_field(rr, k)) for c, rr in cat], excl) for k in fields]
        out.append(TableAudit(sc.name, sc.kind, table, tuple(audited)))
    return out
