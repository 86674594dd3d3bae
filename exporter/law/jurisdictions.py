"""Jurisdiction rules: load ``catalog/jurisdictions/*.toml`` and evaluate them for one subject.

A rules file (schema ``schemas/jurisdiction-rules.json``) is reviewed legal data: the response
deadline, what identity verification unlocks, every disclosure the law requires in an access
response (with the bundle location that satisfies it), the rights and how to exercise them,
complaint routes, transfers, automated decisions and — for California — how to build the CCPA
table from the catalog's recipient model. Adding a jurisdiction means adding a file; nothing in
this module names a jurisdiction.

:func:`evaluate` returns the bundle's ``"jurisdiction"`` block (schema ``schemas/jurisdiction.json``):
structured data plus ``notices``, render-ready text individualised to the subject, so a renderer
can show any jurisdiction without knowing its specifics.

Loaded rules are cached per (directory, file, mtime, size) behind a lock and handed out as
read-only mappings; every function takes ``directory=`` so tests (or a deployment) can point at
another rules folder.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from . import disclosures as _disclosures
from . import timeline as _timeline
from . import plain
from .deadlines import ClockStop, Extension, due_date, holiday_calendar
from ..errors import ConfigError, RequestError
from ..resources import catalog_dir, schemas_dir

__all__ = [
    "VERIFICATION_LEVELS",
    "Rules",
    "available",
    "clear_cache",
    "evaluate",
    "load",
    "period",
    "rules_dir",
    "specific_pieces_allowed",
]

VERIFICATION_LEVELS = ("none", "reasonable", "reasonably_high", "verified")
RULES_SCHEMA = "jurisdiction-rules.json"
OUTPUT_SCHEMA = "jurisdiction.json"
PLACEHOLDERS = ("email", "controller", "address", "dpo_email")
#: filled by exporter.law.disclosures before the controller's placeholders (opt-out texts only)
RECORD_PLACEHOLDERS = ("date",)

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_lock = threading.Lock()
_cache: dict[tuple[Path, Path | None], tuple[tuple[int, ...], Rules]] = {}
_validator: Draft202012Validator | None = None


# ----------------------------------------------------------------------------------------------
# immutable rules


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


class Rules(Mapping[str, Any]):
    """One validated rules file, read-only (nested tables are read-only mappings and tuples)."""

    __slots__ = ("_data", "id", "path")

    def __init__(self, jid: str, path: Path, data: Mapping[str, Any]) -> None:
        self.id = jid
        self.path = path
        self._data = _freeze(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_data"):
            raise AttributeError("Rules are read-only")
        object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable deep copy (lists and dicts)."""
        return _thaw(self._data)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Rules({self.id!r}, {str(self.path)!r})"


# ----------------------------------------------------------------------------------------------
# loading


def rules_dir() -> Path:
    """The packaged rules folder: ``<catalog>/jurisdictions`` (never relative to the CWD)."""
    return catalog_dir() / "jurisdictions"


def _folder(directory: str | Path | None) -> Path:
    return Path(directory).resolve() if directory is not None else rules_dir()


def available(*, directory: str | Path | None = None, overlay: str | Path | None = None) -> list[str]:
    """Ids of the jurisdictions with a rules file, sorted. Lists the folder on every call."""
    folder = _folder(directory)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if _ID.match(p.stem))


def clear_cache() -> None:
    """Forget every loaded rules file (they are reloaded on next use)."""
    with _lock:
        _cache.clear()


def _rules_validator() -> Draft202012Validator:
    global _validator
    with _lock:
        if _validator is None:
            schema = json.loads((schemas_dir() / RULES_SCHEMA).read_text(encoding="utf-8"))
            # The schema ships with the code; tests/test_jurisdictions.py checks it against the
            # metaschema (doing it here cost 0.12 s in every process).
            _validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return _validator


def _iso_dates(value: Any) -> Any:
    """TOML dates → ISO strings (the schema and the output speak JSON)."""
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _key(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _walk_strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_strings(v, (*path, i))
    elif isinstance(value, str):
        yield path, value


def _check(data: dict[str, Any], path: Path, jid: str) -> None:
    file = str(path)
    error = best_match(_rules_validator().iter_errors(data))
    if error is not None:
        raise ConfigError(
            f"invalid jurisdiction rules: {error.message}",
            file=file,
            key=_key(error.absolute_path),
            hint=f"see schemas/{RULES_SCHEMA}",
        )
    if data["id"] != jid:
        raise ConfigError(f"id {data['id']!r} does not match the file name {jid!r}", file=file, key="id")
    for table in ("elements", "rights", "notices"):
        seen: set[str] = set()
        for i, entry in enumerate(data.get(table, [])):
            if entry["id"] in seen:
                raise ConfigError(f"duplicate {table} id {entry['id']!r}", file=file, key=f"{table}[{i}].id")
            seen.add(entry["id"])
    countries: set[str] = set()
    for i, auth in enumerate(data["complaint"].get("authorities", [])):
        if auth["country"] in countries:
            raise ConfigError(
                f"two supervisory authorities for {auth['country']}",
                file=file,
                key=f"complaint.authorities[{i}].country",
            )
        countries.add(auth["country"])
    deadline = data["deadline"]
    ext = deadline.get("extension")
    if ext and (ext["unit"] == "months") != ("calendar_months" in deadline):
        raise ConfigError(
            "the extension unit must match the initial period (calendar_months ↔ months, calendar_days ↔ days)",
            file=file,
            key="deadline.extension.unit",
        )
    for where in ("calendar", "confirmation.calendar"):
        spec = deadline
        for part in where.split("."):
            spec = spec.get(part) if isinstance(spec, dict) else None
        if isinstance(spec, dict) and spec.get("country"):
            try:
                holiday_calendar(spec["country"], spec.get("subdivision"))
            except RequestError as exc:
                raise ConfigError(exc.message, file=file, key=f"deadline.{where}") from exc
    for key_path, text in _walk_strings(data):
        own = _timeline.PLACEHOLDERS.get(str(key_path[1]), ()) if key_path[:1] == ("timeline",) and len(key_path) > 1 else ()
        for name in _PLACEHOLDER.findall(text):
            if (name not in PLACEHOLDERS and name not in own
                    and name not in plain.PLACEHOLDERS.get(str(key_path[0]), ())
                    and not (name in RECORD_PLACEHOLDERS and key_path[:2] == ("ccpa", "opt_out"))):
                raise ConfigError(
                    f"unknown placeholder {{{name}}} (known: {', '.join(PLACEHOLDERS)})",
                    file=file,
                    key=_key(key_path),
                )


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"rules file is not valid TOML: {exc}", file=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read rules file: {exc}", file=str(path)) from exc


def _merge(base: Any, over: Any) -> Any:
    """Tables merge key by key, recursively; anything else (arrays too) is replaced."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) else value
    return out


def _read(path: Path, jid: str, overlay: Path | None = None) -> Rules:
    raw = _toml(path)
    if overlay is not None:
        over = _toml(overlay)
        if "id" in over and over["id"] != jid:
            raise ConfigError(f"id {over['id']!r} does not match the file name {jid!r}", file=str(overlay), key="id")
        raw = _merge(raw, over)
    data = _iso_dates(raw)
    _check(data, overlay or path, jid)
    return Rules(jid, overlay or path, data)


def load(jid: str, *, directory: str | Path | None = None, overlay: str | Path | None = None) -> Rules:
    """The validated rules of jurisdiction ``jid`` (cached; reloaded when a file changes).

    ``overlay``: a folder (a catalog overlay's ``jurisdictions/``) whose ``<jid>.toml``, if there is
    one, is merged over the rules file: tables key by key, recursively; arrays (``rights``,
    ``notices`` …) and values replaced — so a deployment changes a text without copying the file.
    The merged rules are validated as a whole; errors then name the overlay file.

    Raises :class:`RequestError` for an unknown jurisdiction and :class:`ConfigError` (with
    ``file`` and ``key``) for a rules file that does not validate.
    """
    if not isinstance(jid, str) or not _ID.match(jid):
        raise RequestError(f"invalid jurisdiction id {jid!r}", hint="use lower-case letters, e.g. 'uk'")
    folder = _folder(directory)
    path = folder / f"{jid}.toml"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RequestError(
            f"unknown jurisdiction {jid!r}",
            hint=f"use one of: {', '.join(available(directory=directory)) or '(no rules files)'}",
        ) from None
    over = Path(overlay).resolve() / f"{jid}.toml" if overlay is not None else None
    if over is not None and not over.is_file():
        over = None
    stamp: tuple[int, ...] = (st.st_mtime_ns, st.st_size)
    if over is not None:
        ost = over.stat()
        stamp += (ost.st_mtime_ns, ost.st_size)
    key = (path, over)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
    rules = _read(path, jid, over)  # outside the lock: parsing is pure
    with _lock:
        _cache[key] = (stamp, rules)
    return rules


# ----------------------------------------------------------------------------------------------
# small questions


def _level(rules: Rules, verification: str) -> Mapping[str, Any]:
    if verification not in VERIFICATION_LEVELS:
        raise RequestError(
            f"unknown verification level {verification!r}",
            key="verification",
            hint=f"use one of: {', '.join(VERIFICATION_LEVELS)}",
        )
    return rules["verification"]["levels"][verification]  # type: ignore[no-any-return]


def vocabulary(jid: str, *, directory: str | Path | None = None, overlay: str | Path | None = None) -> dict[str, Any]:
    """The law's own words for legal bases and the protection of others ([vocabulary] of the rules
    file): a report shows no other law's citations (GDPR terms in a CCPA report, CCPA terms in a UK
    one)."""
    vocab = _thaw(load(jid, directory=directory, overlay=overlay).get("vocabulary") or {})
    return {"locale": str(vocab.get("locale") or "en"),
            "legal_bases": bool(vocab.get("legal_bases", True)), "law_cite": str(vocab.get("law_cite") or ""),
            "purposes_note": str(vocab.get("purposes_note") or ""), "others_cite": str(vocab.get("others_cite") or "")}


def localise_purposes(entries: Sequence[dict[str, Any]], catalog: Mapping[str, Any], jid: str, *,
                      directory: str | Path | None = None, overlay: str | Path | None = None) -> None:
    """Cite each purpose's legal basis in the words of ``jid``'s law, in place: "GDPR Art. 6(1)(b)"
    in the EU, "UK GDPR Art. 6(1)(b)" in the UK (the catalog holds the article, the rules file the
    law); no legal basis at all where the law has none (CCPA, UCPA: ``basis_cite`` null and
    ``legal_basis_shown`` false; the business purpose is shown instead)."""
    vocab = vocabulary(jid, directory=directory, overlay=overlay)
    bases = catalog.get("legal_bases") or {}
    for entry in entries:
        for p in entry.get("purposes") or ():
            recital = p.pop("interest_recital", None)
            also = _override_basis(p, bases, jid, str(entry.get("id")))
            if not vocab["legal_bases"]:
                p["basis_cite"] = None
                p["legal_basis_shown"] = False
                continue
            article = (bases.get(p.get("basis")) or {}).get("article")
            p["basis_cite"] = f"{vocab['law_cite']} {article}".strip() if article else None
            if also and p["basis_cite"]:
                p["basis_cite"] = f"{p['basis_cite']}; {also}"
            if recital and p.get("interest"):
                p["interest"] = f"{p['interest']}, {vocab['law_cite']} {recital}".strip()


def _override_basis(p: dict[str, Any], bases: Mapping[str, Any], jid: str, category: str) -> str | None:
    """Apply the catalog's per-jurisdiction legal basis of a purpose (``basis_in = { uk = { basis =
    "consent", also = "PECR reg. 6" } }``), in place; returns the extra citation. A legitimate
    interest no longer applies once the basis is another one."""
    override = (p.pop("basis_in", None) or {}).get(jid)
    if not override:
        return None
    basis = str(override.get("basis") or p.get("basis"))
    if basis not in bases:
        raise ConfigError(f"unknown legal basis {basis!r} in basis_in.{jid}", file="catalog",
                          key=f"categories.{category}.purposes.{p.get('id')}.basis_in.{jid}")
    if basis != p.get("basis"):
        p["basis"] = basis
        p["basis_title"] = str(bases[basis].get("title", basis))
        p.pop("interest", None)
    return str(override.get("also") or "") or None


def specific_pieces_allowed(
    jid: str, verification: str, *, directory: str | Path | None = None, overlay: str | Path | None = None
) -> tuple[bool, str]:
    """May the response contain the records themselves at this verification level?

    Returns ``(allowed, reason)``; the reason is plain text ending in its citation, e.g. CA at
    ``"reasonable"`` → ``(False, "… categories only … (11 CCR §7024(a)-(b), §7060-§7062)")``.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    level = _level(rules, verification)
    return bool(level["specific_pieces"]), f"{level['text']} — {rules['verification']['cite']}"


def period(
    jid: str,
    *,
    now: date | datetime,
    first: str | date | datetime | None = None,
    directory: str | Path | None = None, overlay: str | Path | None = None,
) -> dict[str, Any]:
    """The period the answer covers: ``{"from", "to", "explanation", "cite"}``.

    ``from`` is the rules' look-back start (CA: ``"2022-01-01"``) or None where the law sets no
    limit; ``to`` is ``now``'s date. ``first`` (the earliest record date found, if the caller knows
    it) is reported as ``earliest_record`` and mentioned in the explanation.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    today = now.date() if isinstance(now, datetime) else now
    earliest = _as_day(first)
    spec = rules.get("period")
    if spec:
        start = str(spec["from"])
        text = f"{spec['text']} It covers {start} to {today.isoformat()}."
        out = {"from": start, "to": today.isoformat(), "explanation": text, "cite": spec["cite"]}
    else:
        text = (
            f"All personal data we hold about you on {today.isoformat()}, however old: "
            f"{rules.get('law_short', rules['law'])} sets no look-back limit."
        )
        out = {"from": None, "to": today.isoformat(), "explanation": text, "cite": rules["deadline"]["cite"]}
    if earliest:
        out["earliest_record"] = earliest.isoformat()
        out["explanation"] += f" The oldest record we found is from {earliest.isoformat()}."
    return out


def _as_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
    return None


# ----------------------------------------------------------------------------------------------
# evaluation


class _Fill:
    """Fills {email}/{controller}/{address}/{dpo_email} from the catalog's controller table."""

    def __init__(self, controller: Mapping[str, Any], rules: Rules) -> None:
        self.values = {
            "email": str(controller.get("email") or ""),
            "controller": str(controller.get("name") or ""),
            "address": str(controller.get("address") or ""),
            "dpo_email": str(controller.get("dpo_email") or controller.get("email") or ""),
        }
        self.rules = rules

    def __call__(self, text: Any) -> str:
        def sub(m: re.Match[str]) -> str:
            value = self.values.get(m.group(1))
            if not value:
                raise ConfigError(
                    f"placeholder {{{m.group(1)}}} needs the catalog's controller {m.group(1)}",
                    file=str(self.rules.path),
                    key="controller",
                )
            return value

        return _PLACEHOLDER.sub(sub, str(text))


def _ref_id(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id"))
    return str(value)


def _purpose_id(value: Any) -> str:
    if isinstance(value, Mapping) and "purpose" in value:  # catalog form {purpose, basis}
        return str(value["purpose"])
    return _ref_id(value)


def _catalog_table(catalog: Mapping[str, Any], table: str, key: str) -> Mapping[str, Any]:
    entry = (catalog.get(table) or {}).get(key)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"the catalog has no [{table}.{key}] but a category refers to it", file="catalog",
                          key=f"{table}.{key}")
    return entry


def _parse_request(request: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    if not isinstance(request, Mapping):
        raise RequestError("request must be an object")
    received = _as_day(request.get("received"))
    if received is None:
        raise RequestError("request.received must be an ISO date (YYYY-MM-DD)", key="received")
    verification = request.get("verification") or "none"
    _level(rules, str(verification))
    country = request.get("country")
    if country is not None:
        if not isinstance(country, str) or not _COUNTRY.match(country.upper()):
            raise RequestError("request.country must be an ISO 3166-1 alpha-2 code such as 'DE'", key="country")
        country = country.upper()
    ext = request.get("extension")
    extension = Extension.from_dict(ext) if ext else None
    stops_raw = request.get("clock_stops") or []
    if not isinstance(stops_raw, list | tuple):
        raise RequestError("request.clock_stops must be a list", key="clock_stops")
    stops = [s if isinstance(s, ClockStop) else ClockStop.from_dict(s) for s in stops_raw]
    clarifications = [
        c if isinstance(c, _timeline.Clarification) else _timeline.Clarification(
            asked=_as_day(c.get("asked")) or received, answered=_as_day(c.get("answered")),
            reason=str(c.get("reason") or ""))
        for c in request.get("clarifications") or []]
    return {
        "clarifications": clarifications,
        "id": request.get("id"),
        "received": received,
        "verification": str(verification),
        "country": country,
        "extension": extension,
        "clock_stops": stops,
    }


def _satisfied_where(pointer: str, notice_titles: Mapping[str, str]) -> str:
    """Say in words where the bundle pointer ``pointer`` is shown to the reader."""
    parts = [p for p in pointer.split("/") if p and p != "*"]
    if not parts:
        return "this response"
    head = parts[0]
    target: str | None = None
    column: str | None = None
    if head == "jurisdiction" and len(parts) > 1:
        section = parts[1]
        if section == "notices" and len(parts) > 2:
            target = parts[2]
        elif section == "ccpa":
            sub = parts[2] if len(parts) > 2 else "rows"
            target = {"rows": "ccpa_categories", "withheld": "ccpa_withheld", "sensitive": "ccpa_sensitive"}.get(
                sub, "ccpa_categories")
            column = parts[3] if sub == "rows" and len(parts) > 3 else None
        else:
            target = {"access": "verification"}.get(section, section)
    elif head in ("period", "deadlines"):
        target = head
    if target is not None:
        if target in notice_titles:
            where = f"the section “{notice_titles[target]}”"
            return where + (f" (“{column.replace('_', ' ')}”)" if column else "")
        return "nothing to show for you"
    if head == "categories":
        if parts[-1] == "files":
            return "the data files of each category (JSON Lines and CSV, with their schemas)"
        return f"“{parts[-1].replace('_', ' ')}” in each data category"
    if head == "summary":
        return "the summary (how many categories of your data we hold)"
    return " → ".join(p.replace("_", " ") for p in parts)


def evaluate(
    jid: str,
    *,
    catalog: Mapping[str, Any],
    request: Mapping[str, Any],
    facts: Mapping[str, Any],
    categories: Sequence[Mapping[str, Any]],
    now: datetime | date,
    directory: str | Path | None = None, overlay: str | Path | None = None,
    logs: _disclosures.Logs | None = None,
) -> dict[str, Any]:
    """Evaluate jurisdiction ``jid`` for one subject; returns the bundle's ``"jurisdiction"`` block.

    ``logs``: what the person's disclosure and opt-out logs say (:mod:`exporter.law.disclosures`;
    the categories' recipients already annotated): actual recipients, CCPA sold/shared from the
    records and the opt-out status. Without it the catalog's possible recipients are reported.

    ``request``: ``{"id", "received", "verification", "country", "extension", "clock_stops"}``;
    ``categories``: the bundle's category entries (``id``, ``count``, ``purposes``, ``recipients``,
    ``origins``, ``ccpa_category``, ``sensitive``, ``retention`` …); ``catalog``: the catalog
    mapping (controller, purposes, origins, recipients, ccpa_categories, categories). ``facts`` is
    accepted for rules that need subject facts; the current rules do not (retention is evaluated per
    category by :mod:`exporter.law.retention`). Everything returned is JSON-serialisable; dates are ISO
    strings. Raises :class:`RequestError` for bad request values and :class:`ConfigError` for a
    broken rules file or a catalog reference that does not resolve.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    req = _parse_request(request, rules)
    fill = _Fill(catalog.get("controller") or {}, rules)
    today = now.date() if isinstance(now, datetime) else now
    held = [c for c in categories if int(c.get("count") or 0) > 0]
    catalog_cats = {str(c.get("id")): c for c in catalog.get("categories") or [] if isinstance(c, Mapping)}

    # -- deadlines ----------------------------------------------------------------------------
    deadline_rule = rules["deadline"]
    from_subject = bool((deadline_rule.get("calendar") or {}).get("from_subject"))
    result = due_date(
        req["received"],
        rules,
        extension=req["extension"],
        clock_stops=_timeline.stops_for_deadline(rules, req["clock_stops"], req["clarifications"]),
        subdivision=req["country"] if from_subject else None,
    )
    deadlines = result.to_dict()

    # -- access scope -------------------------------------------------------------------------
    level = rules["verification"]["levels"][req["verification"]]
    access = {
        "verification": req["verification"],
        "specific_pieces": bool(level["specific_pieces"]),
        "categories": bool(level["categories"]),
        "text": fill(level["text"]),
        "cite": rules["verification"]["cite"],
    }

    # -- facts about what is held ---------------------------------------------------------------
    recipients_used: dict[str, list[str]] = {}
    origins_not_subject: dict[str, list[str]] = {}
    for cat in held:
        for r in cat.get("recipients") or []:
            recipients_used.setdefault(_ref_id(r), []).append(str(cat.get("title") or cat.get("id")))
        for o in cat.get("origins") or []:
            oid = _ref_id(o)
            if _catalog_table(catalog, "origins", oid).get("not_from_subject"):
                origins_not_subject.setdefault(oid, []).append(str(cat.get("title") or cat.get("id")))
    recipient_meta = {rid: _catalog_table(catalog, "recipients", rid) for rid in recipients_used}
    # kinds that actually received data of a held category (all of them without the logs)
    actual_kinds = {_ref_id(r) for c in held for r in c.get("recipients") or []
                    if not (isinstance(r, Mapping) and r.get("status") == "possible")}
    entry_recipient_names: dict[str, list[str]] = {}
    for cat in held:
        for r in cat.get("recipients") or []:
            if isinstance(r, Mapping) and r.get("names"):
                entry_recipient_names.setdefault(_ref_id(r), [])
                for n in r["names"]:
                    if n not in entry_recipient_names[_ref_id(r)]:
                        entry_recipient_names[_ref_id(r)].append(str(n))

    transfers_rule = rules["transfers"]
    home = set(transfers_rule["home_countries"])
    controller = catalog.get("controller") or {}
    destinations: dict[str, list[str]] = {}
    if held and controller.get("country") and controller["country"] not in home:
        destinations.setdefault(str(controller["country"]), []).append(
            f"{controller.get('name', 'the controller')} (controller)"
        )
    for rid, meta in recipient_meta.items():
        country = meta.get("country")
        if rid in actual_kinds and country and country not in home:
            destinations.setdefault(str(country), []).append(str(meta.get("title", rid)))

    conditions = {
        "any_not_from_subject": bool(origins_not_subject),
        "any_transfer": bool(destinations),
        "any_sold": any(m.get("sold") for rid, m in recipient_meta.items() if rid in actual_kinds),
        "any_shared": any(m.get("shared") for rid, m in recipient_meta.items() if rid in actual_kinds),
        "any_sensitive": any(c.get("sensitive") for c in held),
        "specific_pieces": access["specific_pieces"],
        # the copy holds records (notices that describe the data files)
        "copy_has_records": bool(access["specific_pieces"] and held),
    }

    def applies(entry: Mapping[str, Any]) -> bool:
        cond = entry.get("condition")
        return True if cond is None else conditions[cond]

    # -- elements ---------------------------------------------------------------------------------
    elements = []
    for el in rules["elements"]:
        ok = applies(el)
        note = None
        if not ok:
            note = {
                "any_not_from_subject": "All the data we hold about you came from you or from your use of the Service.",
                "any_transfer": "Your data is not transferred outside the area this law covers.",
                "any_sold": "We have not sold your personal information.",
                "any_shared": "We have not shared your personal information.",
                "any_sensitive": "We hold no sensitive personal information about you.",
                "specific_pieces": access["text"],
            }[el["condition"]]
        elements.append({
            "id": el["id"],
            "cite": el["cite"],
            "title": fill(el["title"]),
            "satisfied_by": el["satisfied_by"],
            "applies": ok,
            "note": note,
        })
    # nothing held: the answer is the confirmation; items about held data say why they do not apply
    nothing_held = plain.nothing_held(rules, categories, fill=fill)
    plain.nothing_held_elements(elements, nothing_held)

    rights = [
        {"id": r["id"], "title": fill(r["title"]), "cite": r["cite"], "how": fill(r["how"])}
        for r in rules["rights"] if applies(r)
    ]

    # -- complaint --------------------------------------------------------------------------------
    comp = rules["complaint"]
    routes: list[dict[str, Any]] = [
        {k: (fill(v) if isinstance(v, str) else v) for k, v in route.items()} for route in comp.get("routes", ())
    ]
    authority = None
    if comp.get("by_country"):
        table = {a["country"]: a for a in comp.get("authorities", ())}
        if req["country"] and req["country"] in table:
            a = table[req["country"]]
            authority = {k: v for k, v in a.items()}
            routes.insert(0, {"id": f"sa_{a['country'].lower()}", "name": a["name"], "website": a["website"],
                              "description": f"Supervisory authority of {a['country']}, where you told us you live.",
                              "cite": comp["cite"], **{k: a[k] for k in ("address", "phone") if k in a}})
    directory_entry = dict(comp["directory"]) if comp.get("directory") else None
    if directory_entry and authority is None:
        routes.append({"id": "sa_directory", "name": directory_entry["title"], "website": directory_entry["url"],
                       "description": "Find the supervisory authority of the country where you live or work.",
                       "cite": comp["cite"]})
    complaint = {
        "cite": comp["cite"],
        "text": fill(comp["text"]),
        "routes": routes,
        "authority": authority,
        "directory": directory_entry,
        "authorities": [dict(a) for a in comp.get("authorities", ())],
    }

    # -- transfers ---------------------------------------------------------------------------------
    transfers = {
        "cite": transfers_rule["cite"],
        "applies": bool(destinations),
        "mechanism": fill(transfers_rule["mechanism"]),
        # what applies when nothing is transferred is the rules file's to say (CCPA: no transfer rule)
        "text": fill(transfers_rule["text"]) if destinations else fill(transfers_rule.get(
            "none_text", "We do not transfer your personal data outside the area this law covers.")),
        "destinations": [{"country": c, "recipients": sorted(set(rs))} for c, rs in sorted(destinations.items())],
    }

    # -- automated decisions -------------------------------------------------------------------------
    ad = rules["automated_decisions"]
    prof_cats = set(ad.get("profiling_categories", ()))
    prof_purposes = set(ad.get("profiling_purposes", ()))
    profiling_held = [
        str(c.get("id")) for c in held
        if str(c.get("id")) in prof_cats or any(_purpose_id(p) in prof_purposes for p in c.get("purposes") or [])
    ]
    held_ids = {str(c.get("id")) for c in held}
    titles = {str(c.get("id")): str(c.get("title") or c.get("id")) for c in categories}
    scores = [
        {"id": str(sid), "title": str(sc["title"]), "category": str(sc["category"]),
         "category_title": titles.get(str(sc["category"]), str(sc["category"])), "field": str(sc["field"]),
         "logic": fill(str(sc["logic"])), "significance": fill(str(sc["significance"])),
         "consequences": fill(str(sc["consequences"]))}
        for sid, sc in (catalog.get("scores") or {}).items()
        if isinstance(sc, Mapping) and str(sc.get("category")) in held_ids
    ]
    automated = {
        "cite": ad["cite"],
        "exists": bool(ad["exists"]),
        "text": fill(ad["text"]),
        "scores": scores,
        "profiling": bool(profiling_held or scores),
        "profiling_text": fill(ad["profiling_text"]) if profiling_held and ad.get("profiling_text") else None,
        "profiling_categories": profiling_held,
    }

    out: dict[str, Any] = {
        "id": rules.id,
        "title": rules["title"],
        "law": rules["law"],
        "law_short": rules.get("law_short"),
        "vocabulary": vocabulary(jid, directory=directory, overlay=overlay),
        "rules_version": rules.get("rules_version"),
        "reviewed_on": rules.get("reviewed_on"),
        "request": {"id": req["id"], "received": req["received"].isoformat(),
                    "verification": req["verification"], "country": req["country"]},
        "deadlines": deadlines,
        "access": access,
        "period": period(jid, now=today, directory=directory, overlay=overlay),
        "elements": elements,
        "rights": rights,
        "complaint": complaint,
        "transfers": transfers,
        "automated_decisions": automated,
        "withheld": {"cite": rules["withheld"]["cite"], "text": fill(rules["withheld"]["text"])},
    }
    out["timeline"] = _timeline.build(rules, request, deadlines, today, fill)
    if nothing_held is not None:
        out["nothing_held"] = nothing_held
    specific = access["specific_pieces"]
    if logs is not None:
        out["recipients"] = _disclosures.summary(rules, logs, held, specific=specific, fill=fill)
    if "ccpa" in rules:
        out["ccpa"] = _ccpa(rules, catalog, held, catalog_cats, fill)
        if logs is not None and "opt_out" in rules["ccpa"]:
            out["ccpa"]["opt_out"] = _disclosures.opt_out(rules["ccpa"]["opt_out"], logs, specific=specific, fill=fill)
            _ccpa_from_records(out["ccpa"], rules, logs, specific, fill)
    out["notices"] = _notices(rules, out, held, recipient_meta, entry_recipient_names, origins_not_subject,
                              catalog, fill, applies)
    return out


# ----------------------------------------------------------------------------------------------
# California table


def _ccpa(rules: Rules, catalog: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
          catalog_cats: Mapping[str, Mapping[str, Any]], fill: _Fill) -> dict[str, Any]:
    spec = rules["ccpa"]
    bp_roles = set(spec["business_purpose_roles"])
    rows: dict[str, dict[str, Any]] = {}
    for cat in held:
        cc = cat.get("ccpa_category")
        cc_id = _ref_id(cc) if cc else None
        if not cc_id or cc_id == "None":
            cc_id = str((catalog_cats.get(str(cat.get("id"))) or {}).get("ccpa_category") or "")
        if not cc_id:
            raise ConfigError(f"category {cat.get('id')!r} has no ccpa_category", file="catalog",
                              key=f"categories.{cat.get('id')}.ccpa_category")
        meta = _catalog_table(catalog, "ccpa_categories", cc_id)
        row = rows.setdefault(cc_id, {
            "category": {"id": cc_id, "title": meta.get("title", cc_id), "cite": meta.get("cite")},
            "data_categories": [], "sources": [], "purposes": [], "third_parties": [],
            "disclosed_for_business_purpose": [], "sold": False, "sold_to": [], "shared": False,
            "shared_with": [], "sensitive": False, "possible_recipients": [],
        })
        row["data_categories"].append({"id": str(cat.get("id")), "title": str(cat.get("title") or cat.get("id")),
                                       "count": int(cat.get("count") or 0)})
        row["sensitive"] = row["sensitive"] or bool(cat.get("sensitive"))
        for o in cat.get("origins") or []:
            oid = _ref_id(o)
            source = {"id": oid, "title": str(_catalog_table(catalog, "origins", oid).get("title", oid))}
            if source not in row["sources"]:
                row["sources"].append(source)
        for p in cat.get("purposes") or []:
            pid = _purpose_id(p)
            pmeta = _catalog_table(catalog, "purposes", pid)
            purpose = {"id": pid, "title": str(pmeta.get("title", pid)),
                       "business_purpose": str(pmeta.get("ccpa_business_purpose") or pmeta.get("title", pid))}
            if purpose not in row["purposes"]:
                row["purposes"].append(purpose)
        for r in cat.get("recipients") or []:
            rid = _ref_id(r)
            rmeta = _catalog_table(catalog, "recipients", rid)
            role = str(rmeta.get("ccpa_role") or "third_party")
            names = list(r.get("names") or []) if isinstance(r, Mapping) else []
            names = names or list(rmeta.get("names") or [])
            item: dict[str, Any] = {"id": rid, "title": str(rmeta.get("title", rid)), "role": role,
                                    "names": [str(n) for n in names]}
            if isinstance(r, Mapping) and r.get("status") == "possible":
                # the person's disclosure log shows no disclosure of this data to them: not sold,
                # shared or disclosed — listed apart, as a possible recipient (exporter.law.disclosures)
                possible = {"id": rid, "title": item["title"], "role": role}
                if possible not in row["possible_recipients"]:
                    row["possible_recipients"].append(possible)
                continue
            if item not in row["third_parties"]:
                row["third_parties"].append(item)
            sold, shared = bool(rmeta.get("sold")), bool(rmeta.get("shared"))
            if sold and item not in row["sold_to"]:
                row["sold_to"].append(item)
            if shared and item not in row["shared_with"]:
                row["shared_with"].append(item)
            if role in bp_roles and not sold and not shared and item not in row["disclosed_for_business_purpose"]:
                row["disclosed_for_business_purpose"].append(item)
        row["sold"] = bool(row["sold_to"])
        row["shared"] = bool(row["shared_with"])

    kinds = spec["withheld_kinds"]
    withheld_items = []
    for cat in held:
        cmeta = catalog_cats.get(str(cat.get("id"))) or {}
        fields = cat.get("withheld_fields") or cmeta.get("withheld") or []
        counts = cat.get("withheld_counts")
        notes = cmeta.get("withheld_notes") or {}
        for f in fields:
            if isinstance(counts, Mapping) and not counts.get(f):
                continue  # the catalog allows for it, but this person's records hold none (§7024(d): say what is held)
            kind = next((k for k in kinds if any(_word_match(str(f), p) for p in k["patterns"])), None)
            withheld_items.append({
                "category": str(cat.get("id")),
                "category_title": str(cat.get("title") or cat.get("id")),
                "field": str(f),
                "kind": kind["id"] if kind else "other",
                "kind_title": kind["title"] if kind else "Other security-sensitive data",
                "field_title": str((cmeta.get("withheld_titles") or {}).get(f) or "") or None,
                "note": str(notes.get(f) or cmeta.get("fields_withheld_note") or "") or None,
            })
    sensitive_cats = [{"id": str(c.get("id")), "title": str(c.get("title") or c.get("id"))}
                      for c in held if c.get("sensitive")]
    sold_any = any(r["sold"] for r in rows.values())
    shared_any = any(r["shared"] for r in rows.values())
    return {
        "cite": spec["cite"],
        "rows": list(rows.values()),
        "sold_any": sold_any,
        "shared_any": shared_any,
        "sold_shared": {
            "cite": f"{spec['sold_cite']}; {spec['shared_cite']}",
            "text": fill(spec["sold_text"] if (sold_any or shared_any) else spec["none_sold_text"]),
        },
        "withheld": {
            "cite": spec["withheld_cite"],
            "text": fill(spec["withheld_text"] if withheld_items else spec.get("withheld_none_text", "")),
            "items": withheld_items,
        },
        "sensitive": {
            "cite": spec["sensitive_cite"],
            "text": fill(spec["sensitive_text"] if sensitive_cats else spec["sensitive_none_text"]),
            "categories": sensitive_cats,
        },
    }


def _ccpa_from_records(ccpa: dict[str, Any], rules: Rules, logs: _disclosures.Logs, specific: bool,
                       fill: _Fill) -> None:
    """The sale/sharing statement in the light of the person's opt-out and disclosure log."""
    spec = rules["ccpa"]
    status = ccpa["opt_out"]["status"]
    sold = ccpa["sold_any"] or ccpa["shared_any"]
    late = _disclosures.sales_after_opt_out(logs)
    texts = []
    if sold:
        texts.append(spec.get("sold_opted_out_text") if status == "opted_out" and spec.get("sold_opted_out_text")
                     else spec["sold_text"])
    else:
        texts.append(spec["none_sold_text"])
    if late and spec.get("after_opt_out_text"):
        texts.append(spec["after_opt_out_text"])
    ccpa["sold_shared"]["text"] = " ".join(fill(t) for t in texts if t)
    ccpa["after_opt_out"] = [{"kind": x["kind"], "count": x["count"],
                              **({"name": x["name"] or None, "first": x["first"]} if specific else {})} for x in late]


# ----------------------------------------------------------------------------------------------
# notices (render-ready text, in reading order)


def _word_match(field: str, pattern: str) -> bool:
    """``pattern``'s words appear consecutively among ``field``'s words (split on non-alphanumerics)."""
    words = [w for w in re.split(r"[^a-z0-9]+", field.lower()) if w]
    want = [w for w in re.split(r"[^a-z0-9]+", pattern.lower()) if w]
    return bool(want) and any(words[i:i + len(want)] == want for i in range(len(words) - len(want) + 1))


def _notice(nid: str, title: str, cite: str, paragraphs: Sequence[str] = (), items: Sequence[str] = ()) -> dict[str, Any]:
    return {"id": nid, "title": title, "cite": cite, "paragraphs": [p for p in paragraphs if p],
            "items": list(items)}


def _notices(rules: Rules, out: Mapping[str, Any], held: Sequence[Mapping[str, Any]],
             recipient_meta: Mapping[str, Mapping[str, Any]], entry_names: Mapping[str, list[str]],
             origins_not_subject: Mapping[str, list[str]], catalog: Mapping[str, Any], fill: _Fill,
             applies: Any) -> list[dict[str, Any]]:
    d = out["deadlines"]
    notices: list[dict[str, Any]] = []
    dl = rules["deadline"]
    due_line = f"We received your request on {d['received']}. Our answer is due by {d['final_due']}."
    if d["extended_due"]:
        due_line = (f"We received your request on {d['received']}. The answer was first due by {d['due']}; "
                    f"we extended this to {d['extended_due']}.")
    notices.append(_notice("deadlines", "Your request and our deadline", d["cites"][0] if d["cites"] else dl["cite"],
                           [fill(dl["text"]), due_line, fill(dl.get("counting", ""))], d["steps"]))
    tl = out.get("timeline") or {}
    if tl.get("statements"):  # the request's life: identity check, pauses, confirmation, lateness
        notices.append(_notice("timeline", str(tl["title"]), str(tl["cite"]), tl["statements"]))
    acc = out["access"]
    notices.append(_notice("verification", "Identity and scope of this response", acc["cite"], [acc["text"]]))
    per = out["period"]
    notices.append(_notice("period", "Period covered", per["cite"], [per["explanation"]]))

    where = {e["id"]: e for e in out["elements"]}
    law_name = rules.get("law_short") or rules["law"]
    contents = _notice("contents", "What this response contains", f"{law_name}: required information",
                       [(f"This response gives you everything the {law_name} requires in an answer to your "
                         f"request ({rules['law']}). This is where to find each item:")])
    notices.append(contents)

    def element_cite(pointer: str) -> str | None:
        for e in where.values():
            if e["satisfied_by"] == pointer:
                return str(e["cite"])
        return None

    # recipients (names where known: C-154/21)
    cite = element_cite("/categories/*/recipients")
    if out.get("recipients") is not None:  # from the person's records (every law: C-154/21, CCPA §1798.115)
        notices.append(_disclosures.recipients_notice(out["recipients"], cite or "", rules))
    elif cite and recipient_meta:
        r_items = []
        unnamed = False
        for rid, meta in recipient_meta.items():
            names = entry_names.get(rid) or [str(n) for n in meta.get("names") or []]
            if names:
                r_items.append(f"{meta.get('title', rid)}: {', '.join(names)}")
            else:
                unnamed = True
                r_items.append(f"{meta.get('title', rid)}")
        paras = ["These recipients have received or may receive personal data from the categories we hold about you."]
        if unnamed:
            paras.append(fill("Where no company is named, this response lists the category of recipient; "
                              "email {email} and we will tell you the names of the companies that actually "
                              "received your data."))
        notices.append(_notice("recipients", "Who receives your personal data", cite, paras, r_items))

    cite = element_cite("/categories/*/origins")
    if cite and origins_not_subject:
        o_items = [f"{_catalog_table(catalog, 'origins', oid).get('title', oid)} — for: {', '.join(sorted(set(cats)))}"
                   for oid, cats in origins_not_subject.items()]
        notices.append(_notice("sources", "Where the data came from, if not from you", cite,
                               ["Some of the data we hold about you did not come from you directly:"], o_items))

    cite = element_cite("/categories/*/retention")
    if cite and held:
        # Kinds of data kept for the same time share one item (named together), so the reader does
        # not compare a dozen identical sentences; each kind's section says it again on its own.
        by_text: dict[str, list[str]] = {}
        for c in held:
            ret = c.get("retention") or {}
            text = str(ret.get("explanation") or ret.get("text") or "")
            by_text.setdefault(text, []).append(str(c.get("title") or c.get("id")))
        ret_items = [f"{', '.join(titles)}: {text}" for text, titles in by_text.items()]
        notices.append(_notice("retention", "How long we keep your data", cite, [], ret_items))

    tr = out["transfers"]
    notices.append(_notice("transfers", "Transfers to other countries", tr["cite"],
                           [tr["text"], f"Safeguard: {tr['mechanism']}." if tr["applies"] else ""],
                           [f"{x['country']}: {', '.join(x['recipients'])}" for x in tr["destinations"]]))
    ad = out["automated_decisions"]
    score_lines = [f"{sc['title']} (in “{sc['category_title']}”): {sc['logic']} What it means: {sc['significance']} "
                   f"What follows from it: {sc['consequences']}" for sc in ad.get("scores", ())]
    notices.append(_notice("automated_decisions", "Automated decisions and profiling", ad["cite"],
                           [ad["text"], ad["profiling_text"] or "",
                            "We calculate these scores about you automatically:" if score_lines else ""],
                           score_lines))

    ccpa = out.get("ccpa")
    if ccpa is not None:
        c_items = []
        for row in ccpa["rows"]:
            def who(xs: Sequence[Mapping[str, Any]]) -> str:
                return "; ".join(x["title"] + (f" ({', '.join(x['names'])})" if x.get("names") else "")
                                 for x in xs) or "none"
            c_items.append(
                f"{row['category']['title']} ({row['category']['cite']}) — held in: "
                f"{', '.join(x['title'] for x in row['data_categories'])}. "
                f"Sources: {'; '.join(x['title'] for x in row['sources']) or 'none'}. "
                f"Purposes: {'; '.join(x['business_purpose'] for x in row['purposes']) or 'none'}. "
                f"Disclosed for a business purpose to: {who(row['disclosed_for_business_purpose'])}. "
                f"Sold: {'yes, to ' + who(row['sold_to']) if row['sold'] else 'no'}. "
                f"Shared: {'yes, with ' + who(row['shared_with']) if row['shared'] else 'no'}."
                + (f" May receive this kind of information, but received none of yours according to our records: "
                   f"{'; '.join(x['title'] for x in row['possible_recipients'])}."
                   if row.get("possible_recipients") else "")
            )
        notices.append(_notice("ccpa_categories", "Personal information we collected about you, by CCPA category",
                               ccpa["cite"], [("For each category: where it came from, why we collected it, and "
                                               "to whom we disclosed, sold or shared it.")], c_items))
        sold_items = [f"{row['category']['title']}: " + "; ".join(
            [f"sold to {x['title']}" + (f" ({', '.join(x['names'])})" if x.get("names") else "") for x in row["sold_to"]]
            + [f"shared with {x['title']}" + (f" ({', '.join(x['names'])})" if x.get("names") else "")
               for x in row["shared_with"]])
            for row in ccpa["rows"] if row["sold"] or row["shared"]]
        sold_items += _disclosures.sale_items(out.get("recipients"), ccpa, rules)
        notices.append(_notice("ccpa_sold_shared", "Sale and sharing of your personal information",
                               ccpa["sold_shared"]["cite"], [ccpa["sold_shared"]["text"]], sold_items))
        if ccpa.get("opt_out") is not None:
            oo = ccpa["opt_out"]
            notices.append(_notice("ccpa_opt_out", "Your choice about sale and sharing", oo["cite"], [oo["text"]]))
        sens = ccpa["sensitive"]
        notices.append(_notice("ccpa_sensitive", "Sensitive personal information", sens["cite"], [sens["text"]],
                               [x["title"] for x in sens["categories"]]))
        wh = ccpa["withheld"]
        if wh["items"]:
            w_paras = [wh["text"]] + sorted({x["note"] for x in wh["items"] if x["note"]})
            w_items = list(dict.fromkeys(
                (f"{x['field_title']} ({x['kind_title']})" if x.get("field_title") else x["kind_title"])
                + f" — in “{x['category_title']}”" for x in wh["items"]))
            notices.append(_notice("ccpa_withheld", "Information we hold but do not disclose", wh["cite"], w_paras,
                                   w_items))

    for n in rules.get("notices", ()):
        if applies(n):
            notices.append(_notice(n["id"], fill(n["title"]), n["cite"], [fill(p) for p in n["paragraphs"]],
                                   [fill(i) for i in n.get("items", ())]))

    notices.append(_notice("rights", "Your rights and how to use them",
                           "; ".join(dict.fromkeys(r["cite"] for r in out["rights"])),
                           [], [f"{r['title']} ({r['cite']}): {r['how']}" for r in out["rights"]]))
    comp = out["complaint"]
    c_items = []
    for r in comp["routes"]:
        parts = [r["name"]] + [str(r[k]) for k in ("address", "phone", "website") if r.get(k)]
        if r.get("complaint_url"):
            parts.append(f"complaints: {r['complaint_url']}")
        c_items.append(" — ".join(parts))
    notices.append(_notice("complaint", "How to complain", comp["cite"], [comp["text"]], c_items))

    titles = {n["id"]: n["title"] for n in notices}
    for e in out["elements"]:
        if e["applies"]:
            shown_in = plain.place(rules, e["satisfied_by"]) or _satisfied_where(e["satisfied_by"], titles)
            contents["items"].append(f"{e['title']} ({e['cite']}): see {shown_in}.")
        else:
            contents["items"].append(f"{e['title']} ({e['cite']}): does not apply to you. {e['note']}")
    return notices
