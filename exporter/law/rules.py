"""Jurisdiction rules files: which exist, load and check one, and the small questions they answer.

A rules file (``catalog/jurisdictions/<id>.toml``, schema ``schemas/jurisdiction-rules.json``) is
reviewed legal data. This module answers: which jurisdictions have a file (:func:`available`),
what the validated rules of one are (:func:`load`, a catalog overlay merged over it), the law's
own vocabulary (:func:`vocabulary`), whether a verification level unlocks the specific pieces of
personal information (:func:`specific_pieces_allowed`; CCPA 11 CCR §7024, §7060-§7062, GDPR
Art. 12(6)), and how the controller placeholders in its texts are filled (:class:`Fill`).

Loaded rules are cached per (directory, file, mtime, size) behind a lock and handed out as
read-only mappings; every function takes ``directory=`` so tests (or a deployment) can point at
another rules folder.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any


from . import timeline as _timeline
from . import plain
from .dates import holiday_calendar
from ..schemas import reference_error
from ..errors import ConfigError, RequestError
from ..resources import catalog_dir

__all__ = [
    "PLACEHOLDERS",
    "RECORD_PLACEHOLDERS",
    "RULES_SCHEMA",
    "VERIFICATION_LEVELS",
    "Fill",
    "Rules",
    "available",
    "clear_cache",
    "load",
    "rules_dir",
    "specific_pieces_allowed",
    "verification_level",
    "vocabulary",
]

VERIFICATION_LEVELS = ("none", "reasonable", "reasonably_high", "verified")
RULES_SCHEMA = "jurisdiction-rules.json"
PLACEHOLDERS = ("email", "controller", "address", "dpo_email")
#: filled by exporter.law.disclosures before the controller's placeholders (opt-out texts only)
RECORD_PLACEHOLDERS = ("date",)

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_lock = threading.Lock()
_cache: dict[tuple[Path, Path | None], tuple[tuple[int, ...], Rules]] = {}


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
    error = reference_error(RULES_SCHEMA, data)
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


def verification_level(rules: Rules, verification: str) -> Mapping[str, Any]:
    """The rules' ``[verification.levels.<verification>]`` table (RequestError for an unknown level)."""
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



def specific_pieces_allowed(
    jid: str, verification: str, *, directory: str | Path | None = None, overlay: str | Path | None = None
) -> tuple[bool, str]:
    """May the response contain the records themselves at this verification level?

    Returns ``(allowed, reason)``; the reason is plain text ending in its citation, e.g. CA at
    ``"reasonable"`` → ``(False, "… categories only … (11 CCR §7024(a)-(b), §7060-§7062)")``.
    """
    rules = load(jid, directory=directory, overlay=overlay)
    level = verification_level(rules, verification)
    return bool(level["specific_pieces"]), f"{level['text']} — {rules['verification']['cite']}"


# ----------------------------------------------------------------------------------------------
# placeholders


class Fill:
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
