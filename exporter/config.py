"""Load and check the exporter configuration (one TOML file, ``schemas/config.json``).

Every error names the file, the key path and what is expected. Secrets never live in the file:
source options take them from environment variables (``*_env`` keys).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .law.catalog import Catalog, load_catalog
from .errors import ConfigError
from .schemas import check_against
from .sources import Source, source_class
from .sources.base import ReadSpec
from .sqlnames import names_table

__all__ = ["DEFAULT_GIVEN", "Config", "Read", "SourceConfig", "load_config"]

DEFAULT_GIVEN = ("email", "account_id", "customer_id", "contact_id")
_COMMON_READ_KEYS = {"category", "name", "needs", "yields", "map"}


@dataclass(frozen=True)
class Read:
    """A stream or identities entry of a source, ready to hand to ``Source.read``."""

    source: str
    spec: ReadSpec
    yields: Mapping[str, str] = field(default_factory=dict)  #: identities reads only
    map: Mapping[str, str] = field(default_factory=dict)  #: streams only: out field = source field


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    cls: type[Source]
    options: Mapping[str, Any]
    identities: tuple[Read, ...]
    streams: tuple[Read, ...]
    #: columns the coverage audit accepts as deliberately not exported (exporter.audit):
    #: ``{table, columns, reason: withheld | not_personal, note}``
    exclude: tuple[Mapping[str, Any], ...] = ()

    def create(self, base_dir: Path, env: Mapping[str, str], rules: Mapping[str, Any] | None = None) -> Source:
        source = self.cls(self.name, self.options, base_dir=base_dir, env=env)
        if rules is not None:
            source.match_rules = dict(rules)  # the catalog's one rule per identifier type
        return source


@dataclass(frozen=True)
class Config:
    """A loaded, validated configuration (immutable; holds no connections: share it between exports)."""

    path: Path
    catalog: Catalog
    sources: tuple[SourceConfig, ...]
    inline_limit: int = 1000
    pdf_rows: int = 100
    #: CLDR locale of money and numbers in the report ([export] locale); None: the law's rules file decides
    locale: str | None = None
    given: tuple[str, ...] = DEFAULT_GIVEN
    recipient_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: category → reason shown to the subject: the deployment holds no data of this kind at all
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    #: category → columns the configuration excludes as ``withheld``, named to the subject with their
    #: legal ground: ``{"column", "title", "ground"}`` (sorted by title)
    not_included: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def streams_for(self, category: str) -> list[Read]:
        return [r for s in self.sources for r in s.streams if r.spec.category == category]

    def not_searched(self) -> list[str]:
        """Catalog categories that no stream feeds and that are not declared ``not_applicable``:
        a package made with this configuration is incomplete."""
        return [c.id for c in self.catalog if c.id not in self.not_applicable and not self.streams_for(c.id)]

    def identity_reads(self) -> list[Read]:
        return [r for s in self.sources for r in s.identities]

    def source(self, name: str) -> SourceConfig:
        return next(s for s in self.sources if s.name == name)

    def open_sources(self, env: Mapping[str, str] | None = None) -> dict[str, Source]:
        env = os.environ if env is None else env
        rules = self.catalog.rules()
        return {s.name: s.create(self.base_dir, env, rules) for s in self.sources}


def load_config(path: str | Path) -> Config:
    """Read and check the TOML configuration at ``path`` (and the catalog it names).

    Raises :class:`~exporter.errors.ConfigError` naming the file and key of the first problem.
    """
    path = Path(path).resolve()
    file = str(path)
    data = _read_toml(path)
    check_against("config.json", data, file=file)
    export = data.get("export", {})
    catalog = _catalog(path, export)
    known_types = set(catalog.identifier_types)
    given = _given(data, known_types, file)
    recipients = _recipients(data, catalog, file)
    sources = tuple(
        _source(name, table, catalog=catalog, file=file, known_types=known_types)
        for name, table in data["sources"].items()
    )
    not_applicable = _not_applicable(data, sources, catalog, file)
    return Config(
        path=path,
        catalog=catalog,
        sources=sources,
        not_included=_not_included(sources, catalog=catalog, file=file),
        inline_limit=int(export.get("inline_limit", 1000)),
        pdf_rows=int(export.get("pdf_rows", 100)),
        locale=str(export["locale"]) if export.get("locale") else None,
        given=given,
        recipient_names={k: tuple(v["names"]) for k, v in recipients.items()},
        not_applicable=not_applicable,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    file = str(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError("configuration file not found", file=file, hint="pass --config FILE") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=file) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=file,
                          hint="save the configuration file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration file: {exc.strerror}", file=file) from exc


def _catalog(path: Path, export: Mapping[str, Any]) -> Catalog:
    """The shipped catalog, or the overlay ``[export] catalog`` names (docs/own-data.md)."""
    if "catalog" not in export:
        return load_catalog()
    where = (path.parent / export["catalog"]).resolve()
    if not where.exists():
        raise ConfigError(f"the catalog overlay {export['catalog']!r} does not exist (looked for {where})",
                          file=str(path), key="export.catalog",
                          hint="name a folder (categories.toml, schemas/, jurisdictions/) or a catalog file, "
                               "relative to this configuration file")
    return load_catalog(where)


def _given(data: Mapping[str, Any], known_types: set[str], file: str) -> tuple[str, ...]:
    """``[identity] given``: the identifier types a request may name."""
    given = tuple(data.get("identity", {}).get("given", [t for t in DEFAULT_GIVEN if t in known_types]))
    for t in given:
        if t not in known_types:
            raise ConfigError(f"unknown identifier type {t!r}", file=file, key="identity.given",
                              hint=f"catalog types: {', '.join(sorted(known_types))}")
    return given


def _recipients(data: Mapping[str, Any], catalog: Catalog, file: str) -> Mapping[str, Any]:
    """``[recipients.<id>]``: named recipients of catalog recipient categories (C-154/21)."""
    recipients: Mapping[str, Any] = data.get("recipients", {})
    for name in recipients:
        if name not in catalog.table("recipients"):
            raise ConfigError(f"unknown recipient category {name!r}", file=file, key=f"recipients.{name}",
                              hint="use a recipient id from the catalog")
    return recipients


def _not_applicable(data: Mapping[str, Any], sources: tuple[SourceConfig, ...], catalog: Catalog,
                    file: str) -> dict[str, str]:
    """``[not_applicable]``: catalog categories the deployment holds none of, that no stream reads."""
    not_applicable = dict(data.get("not_applicable", {}))
    for cat_id in not_applicable:
        key = f"not_applicable.{cat_id}"
        if cat_id not in catalog:
            raise ConfigError(f"unknown category {cat_id!r}", file=file, key=key,
                              hint="use a category id from the catalog (exporter catalog)")
        if any(r.spec.category == cat_id for s in sources for r in s.streams):
            raise ConfigError(f"category {cat_id!r} is declared not applicable but a stream reads it", file=file,
                              key=key, hint="remove the declaration or the stream")
    return not_applicable


def _source(name: str, table: Mapping[str, Any], *, catalog: Catalog, file: str,
            known_types: set[str]) -> SourceConfig:
    where = f"sources.{name}"
    try:
        cls = source_class(table["kind"], where=f"{where}.kind")
    except ConfigError as exc:
        exc.context = {"file": file, **exc.context}
        raise
    options = {k: v for k, v in table.items() if k not in ("kind", "identities", "streams", "exclude")}
    check_against(cls.options_schema, options, file=file, prefix=where)

    def reads(key: str) -> tuple[Read, ...]:
        out = []
        for i, entry in enumerate(table.get(key, [])):
            at = f"{where}.{key}[{i}]"
            params = {k: v for k, v in entry.items() if k not in _COMMON_READ_KEYS}
            check_against(cls.read_schema, params, file=file, prefix=at)
            for t in list(entry["needs"]) + list(entry.get("yields", {})):
                if t not in known_types:
                    raise ConfigError(f"unknown identifier type {t!r}", file=file, key=at,
                                      hint=f"catalog types: {', '.join(sorted(known_types))}")
            category = entry.get("category")
            if category is not None and category not in catalog:
                raise ConfigError(f"unknown category {category!r}", file=file, key=f"{at}.category",
                                  hint="use a category id from the catalog (exporter catalog)")
            label = f"{name}/{entry.get('name') or category or f'{key}[{i}]'}"
            spec = ReadSpec(label=label, needs=tuple(entry["needs"]), params=params, category=category)
            out.append(Read(source=name, spec=spec, yields=entry.get("yields", {}), map=entry.get("map", {})))
        return tuple(out)

    exclude = tuple({"table": e["table"], "columns": tuple(e["columns"]), "reason": e["reason"], "note": e["note"],
                     **({"category": e["category"]} if "category" in e else {}), "titles": dict(e.get("titles", {}))}
                    for e in table.get("exclude", []))
    return SourceConfig(name=name, kind=table["kind"], cls=cls, options=options,
                        identities=reads("identities"), streams=reads("streams"), exclude=exclude)


def _reads_table(sc: SourceConfig, read: Read, table: str) -> bool:
    """Does ``read`` read ``table``: an SQL query that names it (sqlglot's parser, exporter.sqlnames),
    or the ``path`` / ``endpoint`` of another kind's read as written."""
    if sc.kind == "sql":
        return names_table(str(read.spec.params.get("query", "")), table)
    return table in (read.spec.params.get("path"), read.spec.params.get("endpoint"))


def _not_included(sources: tuple[SourceConfig, ...], *, catalog: Catalog, file: str
                  ) -> dict[str, tuple[Mapping[str, str], ...]]:
    """Every ``withheld`` exclusion, by the category whose page names it to the subject (a field or
    category that was not exported is named, with the reason); ``not_personal`` ones are the audit's."""
    out: dict[str, list[dict[str, str]]] = {}
    for sc in sources:
        for i, e in enumerate(sc.exclude):
            at = f"sources.{sc.name}.exclude[{i}]"
            for col in e["titles"]:
                if col not in e["columns"]:
                    raise ConfigError(f"a title for {col!r}, which this exclusion does not name", file=file,
                                      key=f"{at}.titles.{col}", hint=f"columns: {', '.join(e['columns'])}")
            if e["reason"] != "withheld":
                continue
            if "category" in e:
                if e["category"] not in catalog:
                    raise ConfigError(f"unknown category {e['category']!r}", file=file, key=f"{at}.category",
                                      hint="use a category id from the catalog (exporter catalog)")
                cats = [e["category"]]
            else:
                cats = sorted({str(r.spec.category) for r in sc.streams if _reads_table(sc, r, e["table"])})
            if not cats:
                raise ConfigError(f"no stream of source {sc.name!r} reads {e['table']!r}, so the page that "
                                  "names this withheld column to the subject is not known", file=file,
                                  key=f"{at}.category", hint="name it: category = \"<catalog category>\"")
            for col in e["columns"]:
                title = e["titles"].get(col) or (f"every column of {e['table']}" if col == "*" else col)
                for cid in cats:
                    out.setdefault(cid, []).append({"column": col, "title": title, "ground": e["note"]})
    return {cid: tuple(sorted(v, key=lambda x: (x["title"].casefold(), x["column"]))) for cid, v in sorted(out.items())}
