"""Deterministic demo store generator and its exporter configuration.

``build_demo_store(dest)`` creates a small but realistic PicoNext data estate in ``dest/``:

* ``piconext.sqlite`` — the application database (accounts, contacts, company profiles, payment
  cards, invoices, orders, content posts, Web3 ledger postings, devices, cookies, communications,
  identity checks, personalisation, third-party disclosures, deletion records);
* JSON Lines files ``support_emails.jsonl``, ``support_chats.jsonl``, ``tracking_pixels.jsonl``,
  ``content_downloads.jsonl``;
* CSV files ``marketing_subscriptions.csv``, ``opt_out_preferences.csv``,
  ``event_registrations.csv`` (UTF-8, header row, an empty cell means *null*);
* hive-partitioned Parquet logs ``logs/access_logs/month=YYYY-MM/*.parquet`` and
  ``logs/screen_interactions/month=YYYY-MM/*.parquet``;
* ``staff.txt`` — the staff directory the configuration's ``[redaction]`` uses (docs/redaction.md);
* ``exporter.toml`` — the exporter configuration for all of the above (docs/architecture.md);
* ``catalog/`` — the demo's catalog overlay (``catalog/demo-overlay`` of the package): its identifier
  formats and value lists, merged over the shipped category schemas (docs/own-data.md).

Everything is derived from ``seed`` (``random.Random(seed)`` and Faker instances seeded with it)
and the fixed :data:`BASE_DATE`; nothing depends on the wall clock, so two builds with the same
seed are identical. The heavy-log persona's events are generated and written in chunks, so
``heavy_events=1_000_000, heavy_screens=100_000`` (the benchmark's heavy subject) runs in bounded
memory.

Personas (:data:`DEMO_SUBJECTS`, fixed identifiers in :data:`DEMO_IDENTIFIERS`; which categories
each one has data in: :data:`PERSONA_CATEGORIES`) plus confusable other people
(:data:`CONFUSABLES`) — same surname, similar email, same company, a namesake at another
company, and a colleague who shares the typical subject's laptop and office IP address — so
that tests can check that nobody else's data leaks into an export.

Deliberate test fixtures (do not "fix" them):

* :data:`TEST_PAN` (the well-known test card number 4242 4242 4242 4242) is stored in the
  ``payment_cards.raw_card_number`` column of ONE row (the typical subject's Visa card), simulating
  a legacy import that should never have kept it. The configured stream selects that column so
  that the catalog withholds it (``withheld``: dropped before validation, counted, and stated as
  held under 11 CCR §7024(d)); the ``payment_cards`` schema cannot carry a full card number. The same number also
  appears in the free text of one of the typical subject's support emails, where the exporter's
  PAN-masking transform must mask it.
* Free text (support emails and chats, content posts, badge-scan notes) mentions other people:
  staff names, other customers' email addresses and phone numbers.

Modules: :mod:`.people` (personas and others), :mod:`.tables` (table layouts and vocabularies),
:mod:`.generator` (one generator: :mod:`.base` helpers, :mod:`.app_rows` for the database,
:mod:`.file_rows` for files and logs), :mod:`.writers` (SQLite, JSONL, CSV, Parquet) and
``exporter.toml`` (the demo's configuration, a data file, copied into the store).
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from .generator import _Gen
from .people import (
    ALL_CATEGORIES,
    ALT_EMAIL,
    BASE_DATE,
    CONFIG_NAME,
    CONFUSABLES,
    DEFAULT_DEMO_SUBJECT,
    DEFAULT_HEAVY_EVENTS,
    DEFAULT_SEED,
    DEMO_IDENTIFIERS,
    DEMO_SUBJECTS,
    OFFICE_IP_NORDLICHT,
    PERSONA_CATEGORIES,
    STAFF,
    TEST_PAN,
    _background,
    _MARKER,
    _personas,
)
from .tables import ACCESS_LOG_SCHEMA, SCREEN_SCHEMA, _CSV_COLUMNS
from .writers import _write_csv, _write_heavy_logs, _write_jsonl, _write_partitioned, _write_sqlite

__all__ = [
    "ALL_CATEGORIES",
    "ALT_EMAIL",
    "BASE_DATE",
    "CONFIG_NAME",
    "CONFUSABLES",
    "DEFAULT_DEMO_SUBJECT",
    "DEFAULT_HEAVY_EVENTS",
    "DEFAULT_SEED",
    "DEMO_IDENTIFIERS",
    "DEMO_SUBJECTS",
    "OFFICE_IP_NORDLICHT",
    "PERSONA_CATEGORIES",
    "STAFF",
    "TEST_PAN",
    "build_demo_store",
    "demo_config_path",
    "demo_overlay_dir",
    "demo_schema_file",
]


def demo_overlay_dir() -> Path:
    """The demo store's catalog overlay as shipped (``catalog/demo-overlay``): JSON Merge Patches
    that put the demo's identifier formats and value lists over the shipped category schemas.
    :func:`build_demo_store` copies it into the store as ``catalog/``, which the demo config names."""
    from ..resources import catalog_dir

    return catalog_dir() / "demo-overlay"


def demo_schema_file(category_id: str) -> Path | None:
    """The demo overlay's schema patch of a category (None when the demo adds nothing to it); with
    :func:`exporter.schemas.category_schema` it gives the schema the demo store is checked
    against."""
    path = demo_overlay_dir() / "schemas" / f"{category_id}.json"
    return path if path.is_file() else None


def demo_config_path(dest: Path) -> Path:
    """The exporter configuration file of a demo store built in ``dest``."""
    return Path(dest) / CONFIG_NAME


def _prepare(dest: Path) -> None:
    if dest.exists():
        if not dest.is_dir():
            raise FileExistsError(f"{dest} exists and is not a directory")
        if any(dest.iterdir()) and not (dest / _MARKER).exists():
            raise FileExistsError(f"{dest} is not empty and is not a demo store; refusing to delete it")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / _MARKER).write_text("PicoNext demo store (exporter.demo); safe to rebuild.\n", encoding="utf-8")


def build_demo_store(dest: Path, *, seed: int = DEFAULT_SEED, heavy_events: int = DEFAULT_HEAVY_EVENTS,
                     heavy_screens: int | None = None) -> Path:
    """Build (or rebuild) the deterministic demo store in ``dest`` and return ``dest``.

    ``heavy_events`` is the number of access-log events of the heavy-log persona;
    ``heavy_screens`` the number of its screen interactions (page views; default: half of
    ``heavy_events``). Both are written in chunks, so millions are fine.
    """
    dest = Path(dest)
    screens = heavy_events // 2 if heavy_screens is None else heavy_screens
    if heavy_events < 0 or screens < 0:
        raise ValueError("heavy_events and heavy_screens must be >= 0")
    _prepare(dest)
    gen = _Gen(seed)
    people = _personas(heavy_events, screens) + _background(gen.fakers, gen.rng)
    for person in people:
        gen.person(person)

    _write_sqlite(dest / "piconext.sqlite", gen.rows)
    for name in ("support_emails", "support_chats", "tracking_pixels", "content_downloads"):
        _write_jsonl(dest / f"{name}.jsonl", gen.rows[name])
    for fname, cols in _CSV_COLUMNS.items():
        _write_csv(dest / fname, cols, gen.rows[fname.removesuffix(".csv")])
    logs = dest / "logs"
    _write_partitioned(logs / "access_logs", ACCESS_LOG_SCHEMA, gen.logs_access, "part-base")
    _write_partitioned(logs / "screen_interactions", SCREEN_SCHEMA, gen.logs_screen, "part-base")
    heavy = next(p for p in people if p.key == "heavy_logs")
    _write_heavy_logs(logs, heavy, gen.cookies[heavy.key], gen.devices[heavy.key], seed)
    (dest / "staff.txt").write_text("".join(f"{name}\n" for name in STAFF), encoding="utf-8")
    shutil.copytree(demo_overlay_dir(), dest / "catalog")
    demo_config_path(dest).write_bytes(resources.files(__package__).joinpath(CONFIG_NAME).read_bytes())
    return dest
