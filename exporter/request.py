"""The request side of the library API: what is asked (:class:`AccessRequest`: who, under which
law, received when, how well verified; GDPR Art. 15, UK GDPR Art. 15/12A, CCPA §1798.110/.130,
11 CCR §7062) and how to answer it (:class:`ExportOptions`), plus identifier parsing.

Reference: docs/library.md. Re-exported by :mod:`exporter.api`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .collect.identity import Identifier
from .errors import RequestError
from .law import jurisdictions
from .law.deadlines import parse_date
from .law.timeline import Clarification, VerificationDetails
from .reliability import RetryPolicy

__all__ = [
    "VERIFICATION_LEVELS",
    "AccessRequest",
    "Clarification",
    "ClockStop",
    "ExportOptions",
    "Extension",
    "VerificationDetails",
    "check_request_id",
    "known_identifier_types",
    "parse_identifier",
]

VERIFICATION_LEVELS = ("verified", "reasonably_high", "reasonable")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class Extension:
    """An extension of the response deadline (GDPR Art. 12(3); CCPA §1798.130(a)(2))."""

    length: int  #: months (EU/UK) or days (CA/UT), as the jurisdiction's rules count
    reason: str


@dataclass(frozen=True)
class ClockStop:
    """A period the deadline was paused (UK: waiting for clarification or identity, DUAA 2025)."""

    start: dt.date
    end: dt.date
    reason: str


def known_identifier_types() -> tuple[str, ...]:
    """The identifier types of the shipped catalog (``identifier_types``), sorted."""
    from .law.catalog import load_catalog

    return tuple(sorted(load_catalog().identifier_types))


def parse_identifier(text: str, types: Iterable[str] | None = None) -> Identifier:
    """``type:value``, or a bare e-mail address. ``type`` must be one of ``types`` (default: the
    shipped catalog's identifier types; pass a custom catalog's own); the error names them, never
    the value."""
    id_type, sep, value = text.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9_]*", id_type) and value.strip():
        known = tuple(types) if types is not None else known_identifier_types()
        if id_type not in known:
            raise RequestError(f"unknown identifier type {id_type!r}",
                               hint=f"known types: {', '.join(sorted(known))} (written TYPE:VALUE)")
        return Identifier(id_type, value.strip())
    if "@" in text and not sep:
        return Identifier("email", text.strip())
    raise RequestError("a subject identifier must be TYPE:VALUE (e.g. email:jane@example.com, account_id:A-1)")


@dataclass(frozen=True)
class AccessRequest:
    """One right-of-access request: who (identifiers), under which law, when, and how well verified.

    Build it with :meth:`parse` (``TYPE:VALUE`` strings) or :meth:`from_dict` (JSON); it is
    immutable. ``jurisdiction`` names a rules file (``eu``, ``uk``, ``ca``, ``ut``).
    """

    identifiers: tuple[Identifier, ...]
    jurisdiction: str
    received: dt.date | None = None  #: defaults to the generation date
    request_id: str | None = None  #: defaults to a stable id derived from the request
    verification: str = "verified"  #: verified | reasonably_high | reasonable (11 CCR §7062)
    country: str | None = None  #: ISO 3166 alpha-2 of the subject's residence (EU supervisory authority)
    extension: Extension | None = None
    clock_stops: tuple[ClockStop, ...] = ()
    #: how the identity was checked (method, evidence type, by whom, when), never the evidence
    verification_details: VerificationDetails | None = None
    clarifications: tuple[Clarification, ...] = ()
    confirmation_sent: dt.date | None = None  #: receipt confirmation sent on (11 CCR §7021(a)); None: not recorded

    @classmethod
    def parse(cls, identifiers: Iterable[str], *, types: Iterable[str] | None = None, **kwargs: Any) -> AccessRequest:
        """``identifiers`` as ``TYPE:VALUE`` strings (or bare e-mail addresses); the rest as fields.

        An identifier type the catalog does not know (``phone:…``) raises :class:`RequestError`
        here, naming the known types; ``types`` replaces the shipped catalog's list (a
        configuration with its own catalog: ``types=config.catalog.identifier_types``)."""
        known = tuple(types) if types is not None else known_identifier_types()
        return cls(identifiers=tuple(parse_identifier(i, known) for i in identifiers), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, types: Iterable[str] | None = None) -> AccessRequest:
        """Build a request from JSON (a DSAR service's request body)::

            {"identifiers": ["email:jane@example.com", {"type": "account_id", "value": "A-1"}],
             "jurisdiction": "uk", "received": "2026-11-02", "request_id": "DSAR-2026-0042",
             "verification": "verified", "country": "GB",
             "extension": {"length": 2, "reason": "…"},
             "clock_stops": [{"from": "2026-11-03", "to": "2026-11-10", "reason": "…"}],
             "clarifications": [{"asked": "2026-11-03", "answered": "2026-11-05", "reason": "…"}],
             "verification_details": {"method": "…", "evidence_type": "…", "by": "…", "on": "2026-11-03"},
             "confirmation_sent": "2026-11-04"}

        Only ``identifiers`` and ``jurisdiction`` are required. Raises :class:`RequestError` whose
        context names the offending member by JSON pointer (``pointer``); the message never
        repeats the value (it may be subject data). Identifier types must be known to the catalog
        (``types`` as for :meth:`parse`); the jurisdiction, and which types may name a subject,
        are checked against the rules and configuration by :func:`export`.
        """
        known = tuple(types) if types is not None else known_identifier_types()
        if not isinstance(data, Mapping):
            raise RequestError("the access request must be a JSON object", pointer="")
        unknown = sorted(set(data) - _REQUEST_KEYS)
        if unknown:
            raise RequestError(f"unknown member {unknown[0]!r} in the access request", pointer=f"/{unknown[0]}",
                               hint=f"allowed: {', '.join(sorted(_REQUEST_KEYS))}")
        raw_ids = data.get("identifiers")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise RequestError("identifiers must be a non-empty list", pointer="/identifiers")
        identifiers = []
        for n, item in enumerate(raw_ids):
            where = f"/identifiers/{n}"
            if isinstance(item, str):
                try:
                    identifiers.append(parse_identifier(item, known))
                except RequestError as exc:
                    exc.context["pointer"] = where
                    raise
            elif (isinstance(item, Mapping) and set(item) == {"type", "value"}
                  and all(isinstance(item[k], str) and item[k].strip() for k in ("type", "value"))):
                try:
                    identifiers.append(parse_identifier(f"{item['type']}:{item['value']}", known))
                except RequestError as exc:
                    exc.context["pointer"] = f"{where}/type"
                    raise
            else:
                raise RequestError("an identifier must be \"TYPE:VALUE\" or {\"type\": …, \"value\": …}",
                                   pointer=where)
        kwargs: dict[str, Any] = {"identifiers": tuple(identifiers)}
        for key in ("jurisdiction", "request_id", "verification", "country"):
            value = data.get(key)
            if value is None:
                if key == "jurisdiction":
                    raise RequestError("the jurisdiction is missing", pointer="/jurisdiction",
                                       hint=f"use one of: {', '.join(jurisdictions.available())}")
                continue
            if not isinstance(value, str):
                raise RequestError(f"{key} must be a string", pointer=f"/{key}")
            kwargs[key] = value
        if data.get("received") is not None:
            kwargs["received"] = _parse_date(data["received"], "/received")
        ext = data.get("extension")
        if ext is not None:
            if (not isinstance(ext, Mapping) or isinstance(ext.get("length"), bool)
                    or not isinstance(ext.get("length"), int) or not isinstance(ext.get("reason", ""), str)):
                raise RequestError("extension must be {\"length\": <whole number>, \"reason\": <text>}",
                                   pointer="/extension")
            kwargs["extension"] = Extension(length=ext["length"], reason=ext.get("reason", ""))
        stops = data.get("clock_stops")
        if stops is not None:
            if not isinstance(stops, list):
                raise RequestError("clock_stops must be a list", pointer="/clock_stops")
            parsed = []
            for n, stop in enumerate(stops):
                if not isinstance(stop, Mapping) or not isinstance(stop.get("reason", ""), str):
                    raise RequestError("a clock stop must be {\"from\", \"to\", \"reason\"}",
                                       pointer=f"/clock_stops/{n}")
                parsed.append(ClockStop(start=_parse_date(stop.get("from"), f"/clock_stops/{n}/from"),
                                        end=_parse_date(stop.get("to"), f"/clock_stops/{n}/to"),
                                        reason=stop.get("reason", "")))
            kwargs["clock_stops"] = tuple(parsed)
        clar = data.get("clarifications")
        if clar is not None:
            if not isinstance(clar, list):
                raise RequestError("clarifications must be a list", pointer="/clarifications")
            items = []
            for n, c in enumerate(clar):
                if (not isinstance(c, Mapping) or set(c) - {"asked", "answered", "reason"}
                        or not isinstance(c.get("reason"), str) or not c["reason"].strip()):
                    raise RequestError("a clarification must be {\"asked\", \"answered\" (or null), \"reason\"}",
                                       pointer=f"/clarifications/{n}")
                items.append(Clarification(
                    asked=_parse_date(c.get("asked"), f"/clarifications/{n}/asked"),
                    answered=_parse_date(c["answered"], f"/clarifications/{n}/answered")
                    if c.get("answered") is not None else None,
                    reason=c["reason"]))
            kwargs["clarifications"] = tuple(items)
        vd = data.get("verification_details")
        if vd is not None:
            keys = ("method", "evidence_type", "by", "on")
            if (not isinstance(vd, Mapping) or set(vd) != set(keys)
                    or not all(isinstance(vd[k], str) and vd[k].strip() for k in keys)):
                raise RequestError("verification_details must be {\"method\", \"evidence_type\", \"by\", \"on\"}, "
                                   "all non-empty text", pointer="/verification_details")
            kwargs["verification_details"] = VerificationDetails(
                method=vd["method"], evidence_type=vd["evidence_type"], by=vd["by"],
                on=_parse_date(vd["on"], "/verification_details/on"))
        if data.get("confirmation_sent") is not None:
            kwargs["confirmation_sent"] = _parse_date(data["confirmation_sent"], "/confirmation_sent")
        request = cls(**kwargs)
        check_request_id(request.request_id, pointer="/request_id")
        if request.verification not in VERIFICATION_LEVELS:
            raise RequestError(f"unknown verification level {request.verification!r}", pointer="/verification",
                               hint=f"use one of: {', '.join(VERIFICATION_LEVELS)}")
        return request

    def to_dict(self) -> dict[str, Any]:
        """The JSON form :meth:`from_dict` reads (``received`` and ``request_id`` may be null)."""
        return {
            "identifiers": [f"{i.type}:{i.value}" for i in self.identifiers],
            "jurisdiction": self.jurisdiction,
            "received": self.received.isoformat() if self.received else None,
            "request_id": self.request_id,
            "verification": self.verification,
            "country": self.country,
            "extension": {"length": self.extension.length, "reason": self.extension.reason}
            if self.extension else None,
            "clock_stops": [{"from": c.start.isoformat(), "to": c.end.isoformat(), "reason": c.reason}
                            for c in self.clock_stops],
            "clarifications": [c.to_dict() for c in self.clarifications],
            "verification_details": self.verification_details.to_dict() if self.verification_details else None,
            "confirmation_sent": self.confirmation_sent.isoformat() if self.confirmation_sent else None,
        }

    def resolved_id(self, received: dt.date) -> str:
        if self.request_id:
            return self.request_id
        key = "\n".join(sorted(f"{i.type}:{i.value}" for i in self.identifiers))
        digest = hashlib.sha256(f"{self.jurisdiction}\n{received}\n{key}".encode()).hexdigest()[:10]
        return f"DSAR-{received:%Y%m%d}-{self.jurisdiction}-{digest}"


_REQUEST_KEYS = frozenset({"identifiers", "jurisdiction", "received", "request_id", "verification", "country",
                           "extension", "clock_stops", "clarifications", "verification_details",
                           "confirmation_sent"})


def _parse_date(value: Any, pointer: str) -> dt.date:
    return parse_date(value, pointer, pointer=True)  # the one date parser (exporter.law.deadlines)


def check_request_id(request_id: str | None, **where: str) -> None:
    """A :class:`RequestError` (with ``where``: e.g. ``pointer``) unless the id is safe as a folder name."""
    if request_id is not None and not _REQUEST_ID.match(request_id):
        raise RequestError("a request id may hold letters, digits, '.', '_' and '-' only (max 80)", **where)


@dataclass(frozen=True)
class ExportOptions:
    """How to produce a package (as opposed to *what* is requested: :class:`AccessRequest`).

    Every field has the default a production export wants, so ``ExportOptions()`` is valid;
    derive variants with :meth:`replace`. Instances are immutable and may be shared between
    threads.
    """

    now: dt.datetime | None = None  #: fixed generation time (reproducible packages); else SOURCE_DATE_EPOCH, else now
    force: bool = False  #: replace an existing package folder of the same request id
    strict: bool = False  #: raise SubjectNotFound instead of writing a "nothing held" package
    pdf: bool = True  #: write report.pdf
    html: bool = True  #: write index.html
    allow_partial: bool = False  #: finish despite failing sources, marking what they feed incomplete
    sign_key: str | Path | None = None  #: Ed25519 private key (PEM) to sign manifest.json
    env: Mapping[str, str] | None = None  #: environment for ``*_env`` source secrets (default os.environ)
    #: called (category, records) per batch, in the caller's thread; a category read again after a
    #: retry first gets minus what its failed try reported, so the sum counts every row once
    progress: Callable[[str, int], None] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)  #: retries of unavailable sources (exporter.reliability)
    #: writes report.pdf; called like :func:`exporter.render.render_pdf`. Default: in this process.
    #: :class:`exporter.render.worker.WarmRenderer` renders in a helper process that loads WeasyPrint
    #: (and renders a throw-away report) while the sources are read, then renders report.pdf while
    #: this process writes index.html: a renderer with a ``submit`` method (same arguments) is used
    #: that way. The CLI uses it.
    pdf_renderer: Callable[..., None] | None = None
    #: codes of blocking findings (exporter.law.findings) the operator has dealt with; an
    #: unacknowledged blocking finding fails the export (UnacknowledgedFinding, no package)
    acknowledge: frozenset[str] = frozenset()

    def replace(self, **changes: Any) -> ExportOptions:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)

