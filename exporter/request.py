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
from functools import cache
from pathlib import Path
from typing import Any

from .identity_set import Identifier
from .errors import RequestError
from .law import jurisdictions
from .law.dates import parse_date
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

        Only ``identifiers`` and ``jurisdiction`` are required; the shape is ``schemas/request.json``.
        Raises :class:`RequestError` whose context names the offending member by JSON pointer
        (``pointer``); the message never repeats the value (it may be subject data). Identifier
        types must be known to the catalog (``types`` as for :meth:`parse`); the jurisdiction, and
        which types may name a subject, are checked against the rules and configuration by
        :func:`export`.
        """
        known = tuple(types) if types is not None else known_identifier_types()
        check_request_shape(data)
        request = cls(**_fields(data, known))
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


# -- from_dict: the shape (schemas/request.json), then the values -------------------------------

#: the members in the order they are checked: of several problems, the first member's is reported
_MEMBERS = ("identifiers", "jurisdiction", "request_id", "verification", "country", "received", "extension",
            "clock_stops", "clarifications", "verification_details", "confirmation_sent")
#: member → what is wrong when its value (or, for lists, one entry: ``_ENTRY``) breaks the schema
_SHAPE = {
    "identifiers": "identifiers must be a non-empty list",
    "clock_stops": "clock_stops must be a list",
    "clarifications": "clarifications must be a list",
    "extension": "extension must be {\"length\": <whole number>, \"reason\": <text>}",
    "verification_details": "verification_details must be {\"method\", \"evidence_type\", \"by\", \"on\"}, "
                            "all non-empty text",
}
_ENTRY = {
    "identifiers": "an identifier must be \"TYPE:VALUE\" or {\"type\": …, \"value\": …}",
    "clock_stops": "a clock stop must be {\"from\", \"to\", \"reason\"}",
    "clarifications": "a clarification must be {\"asked\", \"answered\" (or null), \"reason\"}",
}


@cache
def _request_validator() -> Any:
    """The validator of schemas/request.json; any Mapping is an object, a bool is not an integer
    (nor is 2.0)."""
    import jsonschema  # on first use: the CLI's start-up does not need it

    from .schemas import document_schema

    schema = document_schema("request.json")
    cls = jsonschema.validators.validator_for(schema)
    types = cls.TYPE_CHECKER.redefine_many({
        "object": lambda _checker, value: isinstance(value, Mapping),
        "integer": lambda _checker, value: isinstance(value, int) and not isinstance(value, bool),
    })
    return jsonschema.validators.extend(cls, type_checker=types)(schema)


def check_request_shape(data: Any) -> None:
    """A :class:`RequestError` naming by JSON pointer the first member of ``data`` that breaks
    schemas/request.json (never its value); the values themselves are checked by ``_fields``."""
    from .schemas import compiled_accepts, document_schema

    # The compiled validator's yes is final for float-free documents (the reference below also
    # refuses 2.0 as an integer); anything else is decided, and described, by the reference.
    if not _has_float(data) and compiled_accepts(document_schema("request.json"), data):
        return
    errors = sorted(_request_validator().iter_errors(data), key=_error_rank)
    if errors:
        raise _shape_error(errors[0], data)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, Mapping):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def _member(err: Any) -> str | None:
    """The top-level member an error is about (None: the request itself)."""
    if err.absolute_path:
        return str(err.absolute_path[0])
    if err.validator == "required":
        return str(next(m for m in err.validator_value if m not in err.instance))
    return None


def _error_rank(err: Any) -> tuple[int, list[Any]]:
    member = _member(err)
    if member is None:
        return (-1, [])  # not an object, or an unknown member
    return (_MEMBERS.index(member), list(err.absolute_path))


def _shape_error(err: Any, data: Any) -> RequestError:
    member = _member(err)
    if member is None and err.validator == "additionalProperties":
        unknown = sorted(set(data) - set(err.schema["properties"]))
        return RequestError(f"unknown member {unknown[0]!r} in the access request", pointer=f"/{unknown[0]}",
                            hint=f"allowed: {', '.join(sorted(err.schema['properties']))}")
    if member is None:
        return RequestError("the access request must be a JSON object", pointer="")
    path = list(err.absolute_path)
    if member in _ENTRY and len(path) > 1:
        return RequestError(_ENTRY[member], pointer=f"/{member}/{path[1]}")
    if member in _SHAPE:
        return RequestError(_SHAPE[member], pointer=f"/{member}")
    if member == "jurisdiction" and data.get("jurisdiction") is None:
        return RequestError("the jurisdiction is missing", pointer="/jurisdiction",
                            hint=f"use one of: {', '.join(jurisdictions.available())}")
    return RequestError(f"{member} must be a string", pointer=f"/{member}")


def _fields(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The :class:`AccessRequest` fields of a request of the right shape (absent or null members
    keep their defaults); dates and identifiers raise :class:`RequestError` naming their pointer."""
    kwargs: dict[str, Any] = {"identifiers": tuple(_identifier(item, f"/identifiers/{n}", known)
                                                   for n, item in enumerate(data["identifiers"]))}
    for key in ("jurisdiction", "request_id", "verification", "country"):
        if data.get(key) is not None:
            kwargs[key] = data[key]
    for key in ("received", "confirmation_sent"):
        if data.get(key) is not None:
            kwargs[key] = _parse_date(data[key], f"/{key}")
    if (ext := data.get("extension")) is not None:
        kwargs["extension"] = Extension(length=ext["length"], reason=ext.get("reason", ""))
    if (stops := data.get("clock_stops")) is not None:
        kwargs["clock_stops"] = tuple(
            ClockStop(start=_parse_date(stop.get("from"), f"/clock_stops/{n}/from"),
                      end=_parse_date(stop.get("to"), f"/clock_stops/{n}/to"), reason=stop.get("reason", ""))
            for n, stop in enumerate(stops))
    if (clar := data.get("clarifications")) is not None:
        kwargs["clarifications"] = tuple(_clarification(c, f"/clarifications/{n}")
                                         for n, c in enumerate(clar))
    if (vd := data.get("verification_details")) is not None:
        kwargs["verification_details"] = VerificationDetails(
            method=vd["method"], evidence_type=vd["evidence_type"], by=vd["by"],
            on=_parse_date(vd["on"], "/verification_details/on"))
    return kwargs


def _identifier(item: str | Mapping[str, str], pointer: str, known: tuple[str, ...]) -> Identifier:
    """``TYPE:VALUE`` or ``{"type", "value"}``; an unknown type names ``pointer`` (``…/type``)."""
    if isinstance(item, str):
        text, where = item, pointer
    else:
        text, where = f"{item['type']}:{item['value']}", f"{pointer}/type"
    try:
        return parse_identifier(text, known)
    except RequestError as exc:
        exc.context["pointer"] = where
        raise


def _clarification(c: Mapping[str, Any], pointer: str) -> Clarification:
    return Clarification(asked=_parse_date(c.get("asked"), f"{pointer}/asked"),
                         answered=_parse_date(c["answered"], f"{pointer}/answered")
                         if c.get("answered") is not None else None,
                         reason=c["reason"])


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

