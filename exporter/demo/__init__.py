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
* ``exporter.toml`` — the exporter configuration for all of the above (docs/architecture.md).

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
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from faker import Faker

__all__ = [
    "ALL_CATEGORIES",
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
    "TEST_PAN",
    "build_demo_store",
    "demo_config_path",
]

#: The demo world's "now". All data lies before it; nothing reads the wall clock.
BASE_DATE = datetime(2026, 11, 1, tzinfo=UTC)
DEFAULT_SEED = 20261125
DEFAULT_HEAVY_EVENTS = 20000
CONFIG_NAME = "exporter.toml"
#: Test card number planted in ONE ``payment_cards.raw_card_number`` cell and one support email.
TEST_PAN = "4242424242424242"
_MARKER = ".piconext-demo-store"

#: Demo data subjects: persona → the email address a request would give.
DEMO_SUBJECTS: dict[str, str] = {
    "typical": "jane.doe@nordlicht-gmbh.example",  # EU (DE) customer, data in all 24 categories
    "marketing_only": "eleni.papadopoulou@aigaio-logistics.example",  # event attendee, no account
    "terminated": "ivan.petrov@balkan-freight.example",  # account terminated 2026-10-15
    "sparse": "wang.fang@lotus-components.example",  # free account, many empty categories
    "heavy_logs": "zoe.lukasiewicz@wisla-tech.example",  # heavy_events access-log events
    "california": "carlos.rivera@pacific-supply.example",  # California resident (CCPA)
    "uk": "olivia.bennett@thames-retail.example",  # UK customer (UK GDPR)
}
DEFAULT_DEMO_SUBJECT = DEMO_SUBJECTS["typical"]

#: Other people who must never appear in a demo subject's export.
CONFUSABLES: dict[str, str] = {
    "same_surname_same_company": "john.doe@nordlicht-gmbh.example",  # Jane's colleague John Doe
    "similar_email": "janedoe@nordlicht-gmbh.example",  # Janet Doe, same company
    "namesake_other_company": "jane.doe@nordlicht.example",  # another Jane Doe, Nordlicht AG
    "shared_device_and_ip": "max.mustermann@nordlicht-gmbh.example",  # uses Jane's laptop + office IP
    "similar_contact": "e.papadopoulou@aigaio-shipping.example",  # another Eleni Papadopoulou
}

ALL_CATEGORIES: tuple[str, ...] = (
    "account", "company_contact", "company_profile", "payment_cards", "billing", "orders",
    "content_posts", "ledger_postings", "content_downloads", "event_registrations",
    "screen_interactions", "devices", "access_logs", "cookies", "tracking_pixels",
    "marketing_subscriptions", "opt_out_preferences", "support_emails", "support_chats",
    "communications", "identity_verification", "personalisation", "third_party_disclosures",
    "deletion_records",
)  # fmt: skip

#: Which categories hold data for each persona (all others are empty for that persona).
PERSONA_CATEGORIES: dict[str, frozenset[str]] = {
    "typical": frozenset(ALL_CATEGORIES),
    # Never a customer: only what hangs off the contact record.
    "marketing_only": frozenset({
        "company_contact", "company_profile", "event_registrations", "marketing_subscriptions",
        "tracking_pixels", "content_downloads", "opt_out_preferences", "cookies", "communications",
        "third_party_disclosures",
    }),
    # Terminated 2026-10-15: chat transcripts already deleted (deletion record kept 90 days).
    "terminated": frozenset(ALL_CATEGORIES) - {"support_chats", "event_registrations", "content_downloads"},
    "sparse": frozenset({"account", "company_contact", "devices", "cookies", "access_logs", "communications"}),
    "heavy_logs": frozenset({
        "account", "company_contact", "company_profile", "payment_cards", "billing", "orders",
        "devices", "cookies", "access_logs", "screen_interactions", "communications",
        "identity_verification", "personalisation",
    }),
    "california": frozenset(ALL_CATEGORIES) - {"ledger_postings", "deletion_records"},
    "uk": frozenset(ALL_CATEGORIES) - {"ledger_postings", "third_party_disclosures"},
}


def _ids(n: int, email: str) -> dict[str, str]:
    return {"email": email, "account_id": f"ACC-{n:06d}", "customer_id": f"CUS-{n:06d}", "contact_id": f"CON-{n:06d}"}


#: Fixed identifiers of the personas (independent of the seed). Device, cookie, chat, order and
#: ledger identifiers are derived from the seed and found through the identity graph.
DEMO_IDENTIFIERS: dict[str, dict[str, str]] = {
    "typical": _ids(101, DEMO_SUBJECTS["typical"]),
    "marketing_only": {"email": DEMO_SUBJECTS["marketing_only"], "contact_id": "CON-000102"},
    "terminated": _ids(103, DEMO_SUBJECTS["terminated"]),
    "sparse": {k: v for k, v in _ids(104, DEMO_SUBJECTS["sparse"]).items() if k != "customer_id"},
    "heavy_logs": _ids(105, DEMO_SUBJECTS["heavy_logs"]),
    "california": _ids(106, DEMO_SUBJECTS["california"]),
    "uk": _ids(107, DEMO_SUBJECTS["uk"]),
}

# ------------------------------------------------------------------------------------------------
# People
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    key: str
    number: int
    email: str
    stored_email: str  # as typed at sign-up (mixed case: exercises case-insensitive matching)
    given: str
    family: str
    locale: str
    country: str
    region: str | None
    timezone: str
    company: str
    street: str
    city: str
    postcode: str
    phone: str | None
    job_title: str
    industry: str
    currency: str
    created: datetime
    last_login: datetime | None
    terminated: datetime | None
    plan: str
    role: str
    features: frozenset[str]
    access_events: int
    screen_events: int
    ips: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"

    @property
    def has_account(self) -> bool:
        return "account" in self.features

    @property
    def account_id(self) -> str | None:
        return f"ACC-{self.number:06d}" if self.has_account else None

    @property
    def customer_id(self) -> str | None:
        return f"CUS-{self.number:06d}" if self.features & {"payment_cards", "billing", "orders"} else None

    @property
    def contact_id(self) -> str:
        return f"CON-{self.number:06d}"

    @property
    def activity_end(self) -> datetime:
        return self.terminated or self.last_login or BASE_DATE - timedelta(days=2)

    @property
    def activity_start(self) -> datetime:
        return max(self.created, BASE_DATE - timedelta(days=365))


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s)


def _iso(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


ALT_EMAIL = "jane.private@mailbox.example"  # the typical subject's second address (support e-mails)
OFFICE_IP_NORDLICHT = "203.0.113.10"  # shared by Jane Doe and Max Mustermann (office NAT)

STAFF = ["Priya Raman", "Tomasz Nowak", "Aisha Bello", "Lukas Schneider", "Søren Kjær"]
DISTRIBUTORS = ["Alpine Trade Partners GmbH", "Hellas Digital Distribution S.A.", "WestCoast SaaS Resellers LLC",
                "Albion Channel Partners Ltd"]  # fmt: skip
SPONSORS = ["CloudLedger Inc.", "SupplyChainX AG", "TagWorks Ltd"]


def _personas(heavy_events: int, heavy_screens: int) -> list[_Person]:
    all_ = frozenset(ALL_CATEGORIES)
    p: list[_Person] = []
    add = p.append
    add(_Person("typical", 101, DEMO_SUBJECTS["typical"], "Jane.Doe@Nordlicht-GmbH.example", "Jane", "Doe",
                "de-DE", "DE", None, "Europe/Berlin", "Nordlicht GmbH", "Friedrichstraße 123", "Berlin", "10117",
                "+49 30 5550 1234", "Head of Procurement", "Logistics", "EUR",
                _dt("2024-03-12T09:15:00Z"), _dt("2026-10-30T16:42:11Z"), None, "business", "admin",
                PERSONA_CATEGORIES["typical"], 300, 150, (OFFICE_IP_NORDLICHT, "198.51.100.23", "2001:db8:4a::17")))
    add(_Person("marketing_only", 102, DEMO_SUBJECTS["marketing_only"], DEMO_SUBJECTS["marketing_only"],
                "Ελένη", "Παπαδοπούλου", "el-GR", "GR", None, "Europe/Athens", "Aigaio Logistics A.E.",
                "Λεωφόρος Συγγρού 45", "Αθήνα", "117 43", "+30 21 0555 0199", "Διευθύντρια Εφοδιαστικής",
                "Shipping", "EUR", _dt("2025-04-02T10:00:00Z"), None, None, "free", "member",
                PERSONA_CATEGORIES["marketing_only"], 0, 0, ("192.0.2.45",)))
    add(_Person("terminated", 103, DEMO_SUBJECTS["terminated"], "Ivan.Petrov@balkan-freight.example", "Иван",
                "Петров", "bg-BG", "BG", None, "Europe/Sofia", "Balkan Freight EOOD", "бул. Витоша 10", "София",
                "1000", "+359 2 555 0142", "Operations Manager", "Freight", "EUR",
                _dt("2023-05-02T08:00:00Z"), _dt("2026-10-14T17:05:00Z"), _dt("2026-10-15T09:30:00Z"),
                "team", "owner", PERSONA_CATEGORIES["terminated"], 120, 60, ("198.51.100.77",)))
    add(_Person("sparse", 104, DEMO_SUBJECTS["sparse"], DEMO_SUBJECTS["sparse"], "芳", "王", "nl-NL", "NL", None,
                "Europe/Amsterdam", "Lotus Components B.V.", "Coolsingel 40", "Rotterdam", "3011 AD", None,
                "Inkoper", "Electronics", "EUR", _dt("2026-09-20T11:00:00Z"), _dt("2026-09-21T08:30:00Z"), None,
                "free", "member", PERSONA_CATEGORIES["sparse"], 12, 0, ("192.0.2.101",)))
    add(_Person("heavy_logs", 105, DEMO_SUBJECTS["heavy_logs"], "zoe.lukasiewicz@wisla-tech.example", "Zoë",
                "Łukasiewicz", "pl-PL", "PL", None, "Europe/Warsaw", "Wisła Tech sp. z o.o.", "ul. Floriańska 15",
                "Kraków", "31-019", "+48 12 555 0177", "Data Engineer", "Software", "EUR",
                _dt("2025-01-10T07:45:00Z"), _dt("2026-10-31T23:10:00Z"), None, "enterprise", "member",
                PERSONA_CATEGORIES["heavy_logs"], heavy_events, heavy_screens,
                ("198.51.100.140", "198.51.100.141", "2001:db8:77::5")))
    add(_Person("california", 106, DEMO_SUBJECTS["california"], "Carlos.Rivera@pacific-supply.example", "Carlos",
                "Rivera", "en-US", "US", "CA", "America/Los_Angeles", "Pacific Supply Co.", "1550 Harbor Dr",
                "San Diego", "92101", "+1 619 555 0123", "Supply Chain Analyst", "Wholesale", "USD",
                _dt("2024-08-19T17:20:00Z"), _dt("2026-10-28T22:03:00Z"), None, "team", "owner",
                PERSONA_CATEGORIES["california"], 200, 100, ("192.0.2.200", "2001:db8:ca::9")))
    add(_Person("uk", 107, DEMO_SUBJECTS["uk"], "olivia.bennett@thames-retail.example", "Olivia", "Bennett", "en-GB",
                "GB", None, "Europe/London", "Thames Retail Ltd", "22 Deansgate", "Manchester", "M3 2BW",
                "+44 161 496 0555", "Category Manager", "Retail", "GBP", _dt("2024-11-05T12:00:00Z"),
                _dt("2026-10-29T08:12:00Z"), None, "business", "admin", PERSONA_CATEGORIES["uk"], 200, 100,
                ("198.51.100.60",)))
    # Confusable other people.
    colleague = all_ - {"ledger_postings", "deletion_records"}
    add(_Person("confusable_john", 201, CONFUSABLES["same_surname_same_company"], "John.Doe@Nordlicht-GmbH.example",
                "John", "Doe", "de-DE", "DE", None, "Europe/Berlin", "Nordlicht GmbH", "Friedrichstraße 123",
                "Berlin", "10117", "+49 30 5550 1299", "Warehouse Lead", "Logistics", "EUR",
                _dt("2024-06-01T09:00:00Z"), _dt("2026-10-27T10:00:00Z"), None, "business", "member",
                colleague, 80, 40, (OFFICE_IP_NORDLICHT, "198.51.100.24")))
    add(_Person("confusable_janet", 202, CONFUSABLES["similar_email"], CONFUSABLES["similar_email"], "Janet", "Doe",
                "de-DE", "DE", None, "Europe/Berlin", "Nordlicht GmbH", "Friedrichstraße 123", "Berlin", "10117",
                "+49 30 5550 1288", "Accountant", "Logistics", "EUR", _dt("2025-02-14T09:00:00Z"),
                _dt("2026-10-20T09:00:00Z"), None, "business", "viewer", colleague - {"orders", "billing",
                "payment_cards"}, 40, 20, ("198.51.100.25",)))  # fmt: skip
    add(_Person("confusable_namesake", 203, CONFUSABLES["namesake_other_company"], "Jane.Doe@Nordlicht.example",
                "Jane", "Doe", "de-AT", "AT", None, "Europe/Vienna", "Nordlicht AG", "Mariahilfer Straße 1", "Wien",
                "1060", "+43 1 555 0100", "CFO", "Energy", "EUR", _dt("2024-01-20T09:00:00Z"),
                _dt("2026-10-25T09:00:00Z"), None, "enterprise", "owner", all_, 40, 20, ("192.0.2.77",)))
    add(_Person("confusable_max", 204, CONFUSABLES["shared_device_and_ip"], CONFUSABLES["shared_device_and_ip"],
                "Max", "Mustermann", "de-DE", "DE", None, "Europe/Berlin", "Nordlicht GmbH", "Friedrichstraße 123",
                "Berlin", "10117", "+49 30 5550 1277", "Intern", "Logistics", "EUR", _dt("2026-06-01T09:00:00Z"),
                _dt("2026-10-31T11:00:00Z"), None, "business", "member",
                frozenset({"account", "company_contact", "devices", "cookies", "access_logs", "screen_interactions",
                           "communications", "personalisation", "support_chats"}),
                60, 30, (OFFICE_IP_NORDLICHT,)))
    add(_Person("confusable_eleni", 205, CONFUSABLES["similar_contact"], CONFUSABLES["similar_contact"],
                "Eleni", "Papadopoulou", "el-GR", "GR", None, "Europe/Athens", "Aigaio Shipping N.E.",
                "Ακτή Μιαούλη 20", "Πειραιάς", "185 35", "+30 21 0555 0188", "Sales Manager", "Shipping", "EUR",
                _dt("2025-05-02T10:00:00Z"), None, None, "free", "member", PERSONA_CATEGORIES["marketing_only"],
                0, 0, ("192.0.2.46",)))
    return p


def _background(fakers: dict[str, Faker], rng: random.Random, count: int = 16) -> list[_Person]:
    out = []
    optional = [c for c in ALL_CATEGORIES if c not in {"account", "company_contact"}]
    locales = ["en_US", "de_DE", "fr_FR", "pl_PL", "el_GR", "ru_RU", "zh_CN", "en_GB"]
    country = {"en_US": "US", "de_DE": "DE", "fr_FR": "FR", "pl_PL": "PL", "el_GR": "GR", "ru_RU": "RU",
               "zh_CN": "CN", "en_GB": "GB"}  # fmt: skip
    for i in range(count):
        loc = locales[i % len(locales)]
        f = fakers[loc]
        given, family = f.first_name(), f.last_name()
        n = 301 + i
        user = f"user{n}"
        email = f"{user}@{f.domain_word()}-{n}.example".lower()
        features = {"account", "company_contact"} | {c for c in optional if rng.random() < 0.6}
        if rng.random() < 0.2:  # a few marketing-only contacts
            features = set(PERSONA_CATEGORIES["marketing_only"])
        if features & {"access_logs", "screen_interactions", "tracking_pixels", "content_downloads"}:
            features.add("cookies")  # the cookie that links those records to the person
        created = BASE_DATE - timedelta(days=rng.randint(60, 900))
        last = BASE_DATE - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 1440))
        out.append(_Person(
            f"background_{n}", n, email, email, given, family, loc.replace("_", "-"), country[loc],
            "CA" if loc == "en_US" and i % 2 == 0 else None, "UTC", f.company(), f.street_address(), f.city(),
            f.postcode(), f.phone_number(), f.job(), "Manufacturing", "USD" if loc == "en_US" else "EUR",
            created, last if "account" in features else None, None, rng.choice(["free", "team", "business"]),
            rng.choice(["owner", "admin", "member"]), frozenset(features), rng.randint(10, 40),
            rng.randint(5, 20), (f"192.0.2.{150 + i}",),
        ))
    return out


# ------------------------------------------------------------------------------------------------
# Tables (SQLite). Every column is exported by a stream or excluded in the config with its reason.
# ------------------------------------------------------------------------------------------------

_TABLES: dict[str, str] = {
    "accounts": """account_id TEXT PRIMARY KEY, customer_id TEXT, email TEXT NOT NULL, display_name TEXT,
        given_name TEXT, family_name TEXT, phone TEXT, locale TEXT, country TEXT, region TEXT, timezone TEXT,
        plan TEXT, role TEXT, status TEXT, mfa_status TEXT, created_at TEXT, last_login_at TEXT,
        terminated_at TEXT, termination_reason TEXT,
        password_hash TEXT, security_question TEXT, security_answer_hash TEXT  -- withheld (§7024(d))""",
    "company_contacts": """contact_id TEXT PRIMARY KEY, account_id TEXT, full_name TEXT, email TEXT, phone TEXT,
        job_title TEXT, company_name TEXT, address_line TEXT, city TEXT, postal_code TEXT, country TEXT,
        source TEXT, created_at TEXT, updated_at TEXT,
        lead_score INTEGER, sales_owner TEXT  -- internal""",
    "company_profiles": """profile_id TEXT PRIMARY KEY, contact_id TEXT, company_name TEXT, industry TEXT,
        company_size TEXT, headquarters_city TEXT, headquarters_country TEXT, website TEXT, role_in_company TEXT,
        source TEXT, created_at TEXT, updated_at TEXT,
        enrichment_ref TEXT  -- internal""",
    # raw_card_number: TEST FIXTURE. Exactly ONE row (the typical subject's Visa) holds the full test
    # PAN 4242424242424242, simulating a legacy import; it must never be selected or exported.
    "payment_cards": """card_id TEXT PRIMARY KEY, customer_id TEXT, brand TEXT, last4 TEXT, exp_month INTEGER,
        exp_year INTEGER, cardholder_name TEXT, billing_postal_code TEXT, billing_country TEXT, default_card TEXT,
        added_at TEXT, removed_at TEXT,
        card_token TEXT,       -- processor token: withheld
        raw_card_number TEXT   -- legacy column, NULL except one planted test PAN""",
    "invoices": """invoice_id TEXT PRIMARY KEY, invoice_number TEXT, customer_id TEXT, issued_at TEXT,
        period_start TEXT, period_end TEXT, description TEXT, currency TEXT, subtotal REAL, tax REAL, total REAL,
        status TEXT, paid_at TEXT, billing_name TEXT, billing_address TEXT, billing_city TEXT,
        billing_postal_code TEXT, billing_country TEXT, vat_id TEXT, card_last4 TEXT,
        gl_account TEXT  -- internal""",
    "orders": """order_id TEXT PRIMARY KEY, customer_id TEXT, account_id TEXT, ordered_at TEXT, product_name TEXT,
        sku TEXT, quantity INTEGER, currency TEXT, unit_price REAL, total REAL, status TEXT, channel TEXT,
        distributor_name TEXT, delivery_address TEXT, fulfilled_at TEXT,
        margin_pct REAL  -- internal""",
    "content_posts": """post_id TEXT PRIMARY KEY, account_id TEXT, posted_at TEXT, updated_at TEXT,
        content_type TEXT, title TEXT, body TEXT, file_name TEXT, file_created_at TEXT, submitted_from TEXT,
        device_id TEXT, visibility TEXT, ledger_tx_hash TEXT,
        moderation_flag TEXT  -- internal""",
    "ledger_wallets": """ledger_address TEXT PRIMARY KEY, account_id TEXT, created_at TEXT""",
    "ledger_postings": """posting_id TEXT PRIMARY KEY, ledger_address TEXT, post_id TEXT, network TEXT,
        tx_hash TEXT, block_number INTEGER, posted_at TEXT, content_hash TEXT, payload_summary TEXT""",
    # A device can be used by several people (shared office laptop): the key is (device_id, account_id).
    "devices": """device_id TEXT, account_id TEXT, device_type TEXT, manufacturer TEXT, model TEXT,
        os_name TEXT, os_version TEXT, carrier TEXT, app_version TEXT, first_seen_at TEXT, last_seen_at TEXT,
        push_token TEXT,  -- internal
        PRIMARY KEY (device_id, account_id)""",
    "cookies": """cookie_id TEXT PRIMARY KEY, account_id TEXT, contact_id TEXT, name TEXT, domain TEXT,
        purpose TEXT, consent TEXT, first_set_at TEXT, last_seen_at TEXT, expires_at TEXT""",
    "communications": """message_id TEXT PRIMARY KEY, contact_id TEXT, account_id TEXT, sent_at TEXT,
        channel TEXT, kind TEXT, subject_line TEXT, to_address TEXT, delivery_status TEXT,
        provider_message_id TEXT  -- internal""",
    "identity_verifications": """verification_id TEXT PRIMARY KEY, account_id TEXT, checked_at TEXT,
        reason TEXT, method TEXT, document_type TEXT, document_country TEXT, result TEXT, fraud_score INTEGER,
        ip_address TEXT,
        document_number TEXT  -- withheld (§7024(d))""",
    "personalisation": """item_id TEXT PRIMARY KEY, account_id TEXT, kind TEXT, name TEXT, value TEXT,
        source TEXT, updated_at TEXT,
        model_version TEXT  -- internal""",
    "third_party_disclosures": """disclosure_id TEXT PRIMARY KEY, contact_id TEXT, disclosed_at TEXT,
        recipient_type TEXT, recipient_name TEXT, purpose TEXT, data_disclosed TEXT, basis TEXT, event_id TEXT""",
    "deletion_records": """deletion_id TEXT PRIMARY KEY, contact_id TEXT, account_id TEXT, deleted_at TEXT,
        reason TEXT, what_was_deleted TEXT, performed_by TEXT""",
}

_CSV_COLUMNS: dict[str, list[str]] = {
    "marketing_subscriptions.csv": ["subscription_id", "contact_id", "email", "list", "status", "consent_source",
                                    "consent_wording_version", "subscribed_at", "unsubscribed_at"],
    "opt_out_preferences.csv": ["preference_id", "contact_id", "email", "channel", "source", "recorded_at", "note"],
    "event_registrations.csv": ["registration_id", "contact_id", "event_id", "event_name", "event_type",
                                "event_date", "event_location", "registered_at", "attendance", "badge_scanned_by",
                                "badge_scan_note", "shared_with_sponsors"],
}  # fmt: skip

ACCESS_LOG_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("occurred_at", pa.string()), ("account_id", pa.string()),
    ("cookie_id", pa.string()), ("session_id", pa.string()), ("ip_address", pa.string()),
    ("browser", pa.string()), ("user_agent", pa.string()), ("method", pa.string()), ("page", pa.string()),
    ("status_code", pa.int32()), ("referrer", pa.string()), ("device_id", pa.string()),
])  # fmt: skip
SCREEN_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("occurred_at", pa.string()), ("account_id", pa.string()),
    ("cookie_id", pa.string()), ("session_id", pa.string()), ("screen", pa.string()), ("element", pa.string()),
    ("action", pa.string()), ("duration_ms", pa.int64()),
])  # fmt: skip

_BROWSERS = [
    ("Firefox 132", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    ("Chrome 130", ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/130.0.0.0 Safari/537.36")),
    ("Safari 18", ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                   "Version/18.1 Mobile/15E148 Safari/604.1")),
    ("Edge 130", ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0")),
]  # fmt: skip
_PAGES = ["/app/dashboard", "/app/products", "/app/products/edit", "/app/suppliers", "/app/ledger", "/app/reports",
          "/app/settings/profile", "/app/settings/billing", "/login", "/api/v2/products", "/docs/getting-started",
          "/pricing", "/app/search"]  # fmt: skip
_REFERRERS = [None, None, "https://www.piconext.com/", "https://www.google.com/", "https://www.linkedin.com/",
              "https://docs.piconext.com/start"]  # fmt: skip
_SCREENS = ["Dashboard", "Product catalogue", "Product editor", "Supplier list", "Ledger publishing", "Reports",
            "Settings › Profile", "Settings › Billing", "Search"]  # fmt: skip
_ELEMENTS = [None, "Save button", "Publish to ledger", "Export CSV", "Filter: supplier", "Next page", "Help icon"]
_ACTIONS = ["view", "click", "scroll", "submit"]
_CONTENT = [
    ("CNT-0001", "Whitepaper: Traceable supply chains with Web3 ledgers", "whitepaper"),
    ("CNT-0002", "Video: PicoNext in 5 minutes", "video"),
    ("CNT-0003", "Tutorial: Importing supplier data", "tutorial"),
    ("CNT-0004", "Webinar recording: Product data quality", "webinar_recording"),
    ("CNT-0005", "Datasheet: PicoNext Enterprise", "datasheet"),
]
_EVENTS = [
    ("EVT-0101", "PicoNext Live Berlin 2026", "conference", "2026-05-20", "Berlin"),
    ("EVT-0102", "Webinar: Ledger publishing deep dive", "webinar", "2026-09-10", "Online"),
    ("EVT-0103", "LogiMAT 2026 — PicoNext booth", "tradeshow", "2026-03-10", "Stuttgart"),
    ("EVT-0104", "Supply Data Summit San Diego", "conference", "2026-11-18", "San Diego"),
    ("EVT-0105", "Workshop: Supplier onboarding", "workshop", "2026-10-08", "London"),
]
_CAMPAIGNS = [("CMP-0007", "Autumn product update 2026"), ("CMP-0008", "PicoNext Live invitation"),
              ("CMP-0009", "Webinar follow-up"), ("CMP-0010", "Ledger launch announcement")]  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Generator
# ------------------------------------------------------------------------------------------------


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for loc in ["en_US", "de_DE", "fr_FR", "pl_PL", "el_GR", "ru_RU", "zh_CN", "en_GB", "bg_BG", "nl_NL"]:
            f = Faker(loc)
            f.seed_instance(seed)
            self.fakers[loc] = f
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counters: dict[str, int] = defaultdict(int)
        self.cookies: dict[str, list[str]] = {}
        self.devices: dict[str, list[str]] = {}
        self.logs_access: list[dict[str, Any]] = []
        self.logs_screen: list[dict[str, Any]] = []
        self.shared_device: str | None = None

    # -- helpers ---------------------------------------------------------------------------------
    def next_id(self, prefix: str, width: int = 6) -> str:
        self.counters[prefix] += 1
        return f"{prefix}-{self.counters[prefix]:0{width}d}"

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def between(self, a: datetime, b: datetime) -> datetime:
        if b <= a:
            return a
        return a + timedelta(seconds=self.rng.randint(0, int((b - a).total_seconds())))

    def times(self, p: _Person, k: int, start: datetime | None = None, end: datetime | None = None) -> list[datetime]:
        a, b = start or p.activity_start, end or p.activity_end
        return sorted(self.between(a, b) for _ in range(k))

    def faker(self, p: _Person) -> Faker:
        return self.fakers.get(p.locale.replace("-", "_"), self.fakers["en_US"])

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.rows[table].append(row)
        return row

    def dialable(self, locale: str) -> str:
        """A made-up phone number that is valid in the country's numbering plan (as a real one in
        a real text would be; redaction checks numbers with libphonenumber)."""
        f = self.fakers[locale]
        for _ in range(100):
            number = f.phone_number()
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(number, locale[-2:])):
                    return number
            except phonenumbers.NumberParseException:
                pass
        return "+49 30 5550 1299"

    def other_person_mention(self, p: _Person) -> str:
        """A sentence naming somebody else (staff or another customer) with contact details."""
        f = self.fakers["en_US"]
        choices = [
            "My colleague john.doe@nordlicht-gmbh.example (phone +49 30 5550 1299) can confirm this.",
            f"Please also copy {f.first_name().lower()}.{f.last_name().lower()}@{p.email.split('@')[1]}.",
            f"{self.rng.choice(STAFF)} from your team told me on the phone it was fixed.",
            f"You can reach our IT admin {self.fakers['de_DE'].name()} on {self.dialable('de_DE')}.",
            "Our supplier contact Wang Wei (wang.wei@shenzhen-parts.example, +86 755 5555 0101) sends the files.",
        ]
        return self.rng.choice(choices)

    # -- per person -----------------------------------------------------------------------------
    def person(self, p: _Person) -> None:
        feats = p.features
        acc = p.account_id
        # cookies first: they are used by logs, pixels and downloads
        self.cookies[p.key] = [f"ck_{self.hex(24)}" for _ in range(2 if acc else 1)]
        self.devices[p.key] = []
        if "account" in feats:
            self.account(p)
        if "company_contact" in feats:
            self.contact(p)
        if "company_profile" in feats:
            self.profile(p)
        if "payment_cards" in feats:
            self.cards(p)
        if "billing" in feats:
            self.invoices(p)
        if "orders" in feats:
            self.orders(p)
        if "devices" in feats:
            self.device_rows(p)
        if "content_posts" in feats or "ledger_postings" in feats:
            self.posts(p, ledger="ledger_postings" in feats, posts="content_posts" in feats)
        if "cookies" in feats:
            self.cookie_rows(p)
        if "communications" in feats:
            self.communications(p)
        if "identity_verification" in feats:
            self.verifications(p)
        if "personalisation" in feats:
            self.personalisation(p)
        if "third_party_disclosures" in feats:
            self.disclosures(p)
        if "deletion_records" in feats:
            self.deletions(p)
        if "support_emails" in feats:
            self.support_emails(p)
        if "support_chats" in feats:
            self.support_chats(p)
        if "tracking_pixels" in feats:
            self.pixels(p)
        if "content_downloads" in feats:
            self.downloads(p)
        if "event_registrations" in feats:
            self.registrations(p)
        if "marketing_subscriptions" in feats:
            self.subscriptions(p)
        if "opt_out_preferences" in feats:
            self.opt_outs(p)
        if "access_logs" in feats and p.key != "heavy_logs":
            self.access_logs(p)
        if "screen_interactions" in feats and p.key != "heavy_logs":
            self.screen_logs(p)

    def account(self, p: _Person) -> None:
        status = "terminated" if p.terminated else "active"
        self.add("accounts", {
            "account_id": p.account_id, "customer_id": p.customer_id, "email": p.stored_email,
            "display_name": p.name, "given_name": p.given, "family_name": p.family, "phone": p.phone,
            "locale": p.locale, "country": p.country, "region": p.region, "timezone": p.timezone,
            "plan": p.plan, "role": p.role, "status": status,
            "mfa_status": self.rng.choice(["enabled", "disabled"]), "created_at": _iso(p.created),
            "last_login_at": _iso(p.last_login) if p.last_login else None,
            "terminated_at": _iso(p.terminated) if p.terminated else None,
            "termination_reason": "customer_request" if p.terminated else None,
            "password_hash": f"$argon2id$v=19$m=65536,t=3,p=4${self.hex(22)}${self.hex(43)}",
            "security_question": "Name of your first pet?",
            "security_answer_hash": f"sha256:{self.hex(64)}",
        })  # fmt: skip

    def contact(self, p: _Person) -> None:
        source = "account_signup" if p.has_account else "event_registration"
        if p.key == "california":
            source = "distributor_referral"
        created = p.created
        self.add("company_contacts", {
            "contact_id": p.contact_id, "account_id": p.account_id, "full_name": p.name, "email": p.email,
            "phone": p.phone, "job_title": p.job_title, "company_name": p.company, "address_line": p.street,
            "city": p.city, "postal_code": p.postcode, "country": p.country, "source": source,
            "created_at": _iso(created), "updated_at": _iso(self.between(created, p.activity_end)),
            "lead_score": self.rng.randint(1, 100), "sales_owner": self.rng.choice(STAFF),
        })  # fmt: skip

    def profile(self, p: _Person) -> None:
        created = p.created + timedelta(hours=1)
        domain = p.email.split("@")[1]
        self.add("company_profiles", {
            "profile_id": self.next_id("CPR"), "contact_id": p.contact_id, "company_name": p.company,
            "industry": p.industry, "company_size": self.rng.choice(["11-50", "51-200", "201-1000", "1001+"]),
            "headquarters_city": p.city, "headquarters_country": p.country, "website": f"https://www.{domain}/",
            "role_in_company": p.job_title if p.has_account else None,
            "source": self.rng.choice(["you", "public_registry", "company_website"]),
            "created_at": _iso(created), "updated_at": _iso(self.between(created, p.activity_end)),
            "enrichment_ref": f"enr-{self.hex(10)}",
        })  # fmt: skip

    def cards(self, p: _Person) -> None:
        brands = ["visa", "mastercard"] if p.key in {"typical", "california"} else [self.rng.choice(["visa", "mastercard", "amex"])]
        for i, brand in enumerate(brands):
            planted = p.key == "typical" and brand == "visa"
            last4 = TEST_PAN[-4:] if planted else f"{self.rng.randint(0, 9999):04d}"
            added = self.between(p.created, p.created + timedelta(days=30)) + timedelta(days=200 * i)
            removed = p.terminated + timedelta(minutes=5) if p.terminated else None
            self.add("payment_cards", {
                "card_id": self.next_id("CARD"), "customer_id": p.customer_id, "brand": brand, "last4": last4,
                "exp_month": self.rng.randint(1, 12), "exp_year": self.rng.randint(2027, 2031),
                "cardholder_name": p.name.upper() if p.key != "typical" else "JANE DOE",
                "billing_postal_code": p.postcode, "billing_country": p.country,
                "default_card": "yes" if i == 0 else "no", "added_at": _iso(added),
                "removed_at": _iso(removed) if removed else None, "card_token": f"tok_{self.hex(24)}",
                "raw_card_number": TEST_PAN if planted else None,  # the one planted test PAN
            })  # fmt: skip

    def invoices(self, p: _Person) -> None:
        price = {"team": 49.0, "business": 199.0, "enterprise": 899.0}.get(p.plan, 49.0)
        tax_rate = {"DE": 0.19, "GB": 0.20, "US": 0.0775, "PL": 0.23, "BG": 0.20}.get(p.country, 0.21)
        months: list[date] = []
        d = p.activity_end.date().replace(day=1)
        while d >= p.activity_start.date().replace(day=1) and len(months) < 6:
            months.insert(0, d)
            d = (d - timedelta(days=1)).replace(day=1)
        for m in months:
            nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
            issued = datetime(m.year, m.month, 1, 6, 0, tzinfo=UTC)
            tax = round(price * tax_rate, 2)
            paid = issued + timedelta(days=self.rng.randint(0, 5), hours=3)
            status = "paid" if paid < BASE_DATE else "open"
            self.add("invoices", {
                "invoice_id": self.next_id("INV"), "invoice_number": f"PN-{m.year}-{self.counters['INV']:06d}",
                "customer_id": p.customer_id, "issued_at": _iso(issued), "period_start": m.isoformat(),
                "period_end": (nxt - timedelta(days=1)).isoformat(),
                "description": f"PicoNext {p.plan.title()} plan, {m.strftime('%B %Y')}", "currency": p.currency,
                "subtotal": price, "tax": tax, "total": round(price + tax, 2), "status": status,
                "paid_at": _iso(paid) if status == "paid" else None, "billing_name": p.company,
                "billing_address": p.street, "billing_city": p.city, "billing_postal_code": p.postcode,
                "billing_country": p.country,
                "vat_id": f"{p.country}{self.rng.randint(10**8, 10**9 - 1)}" if p.country not in {"US"} else None,
                "card_last4": self.rows["payment_cards"][-1]["last4"] if "payment_cards" in p.features else None,
                "gl_account": "4000-SaaS",
            })  # fmt: skip

    def orders(self, p: _Person) -> None:
        catalog = [("PicoNext Team licence (annual)", "PN-LIC-TEAM", 490.0), ("NFC product tags, pack of 500",
                   "PN-TAG-500", 120.0), ("Ledger publishing credits (1,000)", "PN-LED-1K", 75.0),
                   ("Handheld scanner PX-2", "PN-HW-PX2", 349.0)]  # fmt: skip
        for i, t in enumerate(self.times(p, self.rng.randint(2, 4))):
            name, sku, unit = catalog[(i + p.number) % len(catalog)]
            qty = self.rng.randint(1, 5)
            via = "distributor" if p.key == "california" and i == 0 else self.rng.choice(["web", "web", "sales_team"])
            physical = sku.startswith(("PN-TAG", "PN-HW"))
            status = "fulfilled" if t < BASE_DATE - timedelta(days=7) else "paid"
            self.add("orders", {
                "order_id": f"ORD-{t.year}-{self.next_id('ORD')[4:]}", "customer_id": p.customer_id,
                "account_id": p.account_id, "ordered_at": _iso(t), "product_name": name, "sku": sku,
                "quantity": qty, "currency": p.currency, "unit_price": unit, "total": round(unit * qty, 2),
                "status": status, "channel": via,
                "distributor_name": DISTRIBUTORS[2] if via == "distributor" else None,
                "delivery_address": f"{p.company}, {p.street}, {p.postcode} {p.city}, {p.country}" if physical else None,
                "fulfilled_at": _iso(t + timedelta(days=3)) if status == "fulfilled" else None,
                "margin_pct": round(self.rng.uniform(0.2, 0.6), 3),
            })  # fmt: skip

    def posts(self, p: _Person, *, ledger: bool, posts: bool) -> None:
        f = self.faker(p)
        address = f"0x{self.hex(40)}"
        if ledger:
            self.add("ledger_wallets", {"ledger_address": address, "account_id": p.account_id,
                                        "created_at": _iso(p.created + timedelta(days=3))})
        types = ["product", "supplier", "company", "document", "comment"]
        n = self.rng.randint(3, 5)
        for i, t in enumerate(self.times(p, n)):
            ctype = types[i % len(types)]
            public = ledger and i < 2
            tx = f"0x{self.hex(64)}" if public else None
            body = f"{f.paragraph(nb_sentences=3)} {self.other_person_mention(p)}"
            if p.key == "typical" and i == 0:
                body = ("Supplier audit Q3: Shenzhen Parts Co. passed. Contact Wang Wei "
                        "(wang.wei@shenzhen-parts.example, +86 755 5555 0101). Reviewed with John Doe. " + body)
            file_name = f"{ctype}-{i + 1}.pdf" if ctype == "document" else None
            post_id = self.next_id("PST")
            via = self.rng.choice(["web_app", "mobile_app", "api", "bulk_upload"])
            devices = self.devices[p.key]
            device = None
            if devices and via in {"web_app", "mobile_app"}:
                device = devices[0] if via == "web_app" else devices[-1]
            if posts:
                self.add("content_posts", {
                    "post_id": post_id, "account_id": p.account_id, "posted_at": _iso(t),
                    "updated_at": _iso(t + timedelta(days=2)) if i % 2 else None, "content_type": ctype,
                    "title": f"{ctype.title()} record {i + 1}: {self.fakers['en_US'].catch_phrase()}",
                    "body": body, "file_name": file_name,
                    "file_created_at": _iso(t - timedelta(days=10)) if file_name else None,
                    "submitted_from": via, "device_id": device, "visibility": "public_ledger" if public else self.rng.choice(["private", "workspace"]),
                    "ledger_tx_hash": tx, "moderation_flag": None,
                })  # fmt: skip
            if public:
                self.add("ledger_postings", {
                    "posting_id": self.next_id("LGR"), "ledger_address": address,
                    "post_id": post_id if posts else None, "network": self.rng.choice(["ethereum", "polygon"]),
                    "tx_hash": tx, "block_number": 20_000_000 + self.rng.randint(0, 999_999),
                    "posted_at": _iso(t + timedelta(minutes=2)),
                    "content_hash": hashlib.sha256(body.encode()).hexdigest(),
                    "payload_summary": f"{ctype.title()} record {i + 1} published by {p.company}",
                })  # fmt: skip

    def device_rows(self, p: _Person) -> None:
        kinds = [("laptop", "Lenovo", "ThinkPad T14 Gen 4", "Windows", "11 23H2", None, None),
                 ("mobile", "Apple", "iPhone 15", "iOS", "18.1", "Telekom.de", "4.12.0"),
                 ("desktop", "Apple", "iMac 24\"", "macOS", "15.1", None, None),
                 ("tablet", "Samsung", "Galaxy Tab S9", "Android", "14", "Vodafone", "4.11.2")]  # fmt: skip
        n = 3 if p.key in {"typical", "heavy_logs", "california", "uk"} else (2 if p.access_events > 30 else 1)
        for i in range(n):
            kind = kinds[(i + p.number) % len(kinds)] if i else kinds[0]
            if p.key == "confusable_max" and i == 0 and self.shared_device:
                dev = self.shared_device  # Jane's office laptop, used by Max too
            else:
                dev = f"DEV-{self.hex(12).upper()}"
            if p.key == "typical" and i == 0:
                self.shared_device = dev
            self.devices[p.key].append(dev)
            first = self.between(p.activity_start, p.activity_start + timedelta(days=20))
            carrier = kind[5]
            if carrier and p.country != "DE":
                carrier = {"GB": "EE", "US": "Verizon", "PL": "Orange Polska", "BG": "A1 Bulgaria"}.get(p.country, carrier)
            self.add("devices", {
                "device_id": dev, "account_id": p.account_id, "device_type": kind[0], "manufacturer": kind[1],
                "model": kind[2], "os_name": kind[3], "os_version": kind[4], "carrier": carrier,
                "app_version": kind[6], "first_seen_at": _iso(first), "last_seen_at": _iso(p.activity_end),
                "push_token": f"pt_{self.hex(20)}" if kind[0] in {"mobile", "tablet"} else None,
            })  # fmt: skip

    def cookie_rows(self, p: _Person) -> None:
        spec = [("pn_session", "strictly_necessary", "not_required"), ("pn_prefs", "preferences", "accepted")]
        for i, ck in enumerate(self.cookies[p.key]):
            name, purpose, consent = spec[i % 2] if p.has_account else ("pn_visitor", "analytics", "accepted")
            first = self.between(p.activity_start, p.activity_start + timedelta(days=10))
            last = p.activity_end if p.has_account else self.between(first, BASE_DATE - timedelta(days=3))
            self.add("cookies", {
                "cookie_id": ck, "account_id": p.account_id, "contact_id": p.contact_id, "name": name,
                "domain": "app.piconext.com" if p.has_account else "www.piconext.com", "purpose": purpose,
                "consent": consent, "first_set_at": _iso(first), "last_seen_at": _iso(last),
                "expires_at": _iso(last + timedelta(days=395)),
            })  # fmt: skip

    def communications(self, p: _Person) -> None:
        kinds = ([("technical_notice", "Scheduled maintenance on 14 June"), ("security_alert", "New sign-in from a new device"),
                  ("administrative", "Changes to our terms of service"), ("billing_notice", "Your invoice is ready"),
                  ("product_update", "New: bulk ledger publishing")] if p.has_account else [])  # fmt: skip
        if "marketing_subscriptions" in p.features or not p.has_account:
            kinds += [("newsletter", "PicoNext newsletter — October 2026"), ("event_invitation", "You're invited: PicoNext Live")]
        for (kind, subject), t in zip(kinds, self.times(p, len(kinds)), strict=True):
            channel = "in_app" if kind == "technical_notice" else ("sms" if kind == "security_alert" and p.phone else "email")
            self.add("communications", {
                "message_id": self.next_id("MSG", 7), "contact_id": p.contact_id, "account_id": p.account_id,
                "sent_at": _iso(t), "channel": channel, "kind": kind, "subject_line": subject,
                "to_address": p.phone if channel == "sms" else p.email,
                "delivery_status": self.rng.choice(["delivered", "opened", "clicked", "opened"]),
                "provider_message_id": f"<{self.hex(16)}@mail.example>",
            })  # fmt: skip

    def verifications(self, p: _Person) -> None:
        rows: list[tuple[str, str, str | None]] = [("signup", "email_link", None)]
        if p.key in {"typical", "terminated", "california"}:
            rows.append(("payment_review", "document_check", "passport" if p.key != "california" else "driving_licence"))
        if p.key == "typical":
            rows.append(("suspicious_login", "sms_code", None))
        for (reason, method, doc), t in zip(rows, [p.created] + self.times(p, len(rows) - 1), strict=True):
            self.add("identity_verifications", {
                "verification_id": self.next_id("VER"), "account_id": p.account_id, "checked_at": _iso(t),
                "reason": reason, "method": method, "document_type": doc,
                "document_country": p.country if doc else None,
                "result": "manual_review" if reason == "payment_review" else "passed",
                "fraud_score": self.rng.randint(0, 40) if method != "email_link" else None,
                "ip_address": p.ips[0],
                "document_number": f"{p.country}{self.rng.randint(10**7, 10**8 - 1)}" if doc else None,
            })  # fmt: skip

    def personalisation(self, p: _Person) -> None:
        items = [("setting", "Language", p.locale, "you_chose"), ("setting", "Dashboard start page", "Products", "you_chose"),
                 ("layout", "Product table density", "compact", "you_chose"),
                 ("inferred_interest", "Ledger publishing", "high", "inferred_from_usage"),
                 ("inferred_interest", "Supplier onboarding", "medium", "inferred_from_usage")]  # fmt: skip
        for (kind, name, value, source), t in zip(items, self.times(p, len(items)), strict=True):
            self.add("personalisation", {
                "item_id": self.next_id("PRS"), "account_id": p.account_id, "kind": kind, "name": name,
                "value": value, "source": source, "updated_at": _iso(t), "model_version": "interest-v3",
            })  # fmt: skip

    def disclosures(self, p: _Person) -> None:
        evt = _EVENTS[0] if p.country != "US" else _EVENTS[3]
        rows: list[tuple[str, str, str, str, str, str | None]] = [("event_partners_sponsors", SPONSORS[p.number % len(SPONSORS)],
                 f"Registrant list for {evt[1]} made available to the event sponsors",
                 "name, company, job title, business email", "commercial_purpose", evt[0])]
        if p.has_account:
            dist = {"US": DISTRIBUTORS[2], "GB": DISTRIBUTORS[3], "GR": DISTRIBUTORS[1]}.get(p.country, DISTRIBUTORS[0])
            rows.append(("distributors_resellers", dist, "You asked for pricing information for your region",
                         "name, company, business email, phone, products of interest", "commercial_purpose", None))
        for (rtype, name, purpose, what, basis, event_id), t in zip(rows, self.times(p, len(rows)), strict=True):
            self.add("third_party_disclosures", {
                "disclosure_id": self.next_id("DSC"), "contact_id": p.contact_id, "disclosed_at": _iso(t),
                "recipient_type": rtype, "recipient_name": name, "purpose": purpose, "data_disclosed": what,
                "basis": basis, "event_id": event_id,
            })  # fmt: skip

    def deletions(self, p: _Person) -> None:
        rows = []
        if p.terminated:
            rows += [("chat_retention_1_month", "2 support chat transcripts", p.terminated - timedelta(days=10)),
                     ("termination_3_months", "Marketing list memberships after termination", p.terminated + timedelta(days=1))]
        else:
            rows += [("chat_retention_1_month", "1 support chat transcript (chat ended one month earlier)",
                      BASE_DATE - timedelta(days=self.rng.randint(20, 80)))]  # fmt: skip
        for reason, what, t in rows:
            self.add("deletion_records", {
                "deletion_id": self.next_id("DEL"), "contact_id": p.contact_id, "account_id": p.account_id,
                "deleted_at": _iso(t), "reason": reason, "what_was_deleted": what, "performed_by": "automated_job",
            })  # fmt: skip

    def support_emails(self, p: _Person) -> None:
        f = self.faker(p)
        n_tickets = 2 if p.key in {"typical", "uk", "california"} else 1
        for k in range(n_tickets):
            ticket = self.next_id("TCK")
            agent = STAFF[(p.number + k) % len(STAFF)]
            start = self.between(p.activity_start, p.activity_end - timedelta(days=5))
            closed = p.terminated is not None or k == 0
            n_msgs = self.rng.randint(2, 4)
            subject = ["Invoice shows wrong VAT number", "Cannot publish to ledger", "Export of supplier list fails"][(p.number + k) % 3]
            if p.key == "typical" and k == 0:
                subject = "Payment keeps failing"
            t = start
            for m in range(n_msgs):
                inbound = m % 2 == 0
                if inbound:
                    body = f"Hello, {f.paragraph(nb_sentences=2)} {self.other_person_mention(p)}\n\nBest regards,\n{p.name}"
                    if p.key == "typical" and k == 0 and m == 0:
                        body = ("Hello support, my payment failed again. I tried the card 4242 4242 4242 4242, "
                                "exp 12/29. Please call me on +49 30 5550 1234 or ask my colleague John Doe "
                                "(john.doe@nordlicht-gmbh.example). We settle invoices of 1 000 000.00 EUR a "
                                f"year through PicoNext. When I am out of the office, please answer to my private "
                                f"address {ALT_EMAIL}.\n\nThanks,\nJane Doe")
                else:
                    body = (f"Hi {p.given},\n\nthanks for your message. {f.sentence()} I have also informed "
                            f"{STAFF[(p.number + k + 1) % len(STAFF)]} from billing.\n\nKind regards,\n{agent}\nPicoNext Support")
                self.add("support_emails", {
                    "message_id": self.next_id("EM", 7), "ticket_id": ticket, "account_id": p.account_id,
                    "direction": "from_you" if inbound else "to_you", "sent_at": _iso(t),
                    "from_address": p.email if inbound else "support@piconext.com",
                    "to_address": "support@piconext.com" if inbound else p.email,
                    # Jane asked support to answer to her private address too: an identifier of the
                    # same type (e-mail) found in a record, which the identity graph follows
                    "reply_to": ALT_EMAIL if inbound and p.key == "typical" and k == 0 else None,
                    "subject_line": subject if inbound and m == 0 else f"Re: {subject} [{ticket}]", "body": body,
                    "agent_name": agent, "ticket_status": "closed" if closed else "pending",
                    "ticket_closed_at": None,  # filled below
                })  # fmt: skip
                t += timedelta(hours=self.rng.randint(1, 30))
            if closed:
                for row in self.rows["support_emails"][-n_msgs:]:
                    row["ticket_closed_at"] = _iso(t)

    def support_chats(self, p: _Person) -> None:
        # Transcripts are deleted one month after the chat ended (§4D), so only recent chats exist.
        n = 2 if p.key == "typical" else 1
        for k in range(n):
            start = BASE_DATE - timedelta(days=self.rng.randint(2, 28), hours=self.rng.randint(0, 12))
            agent = STAFF[(p.number + k) % len(STAFF)]
            lines: list[tuple[str, str]] = [
                ("bot", "Hi! I'm the PicoNext assistant. What can I help you with?"),
                ("subject", "I can't export the supplier list, the button does nothing."),
                ("bot", "Let me connect you with a person."),
                ("agent", f"Hi {p.given}, this is {agent.split()[0]}. Which browser are you using?"),
                ("subject", f"Firefox. By the way, {self.other_person_mention(p)}"),
                ("agent", "Thanks, we found the issue and fixed it. Please try again."),
                ("subject", "Works now, thank you!"),
            ]
            msgs, t = [], start
            for who, text in lines:
                msgs.append({"at": _iso(t), "from": who, "text": text})
                t += timedelta(seconds=self.rng.randint(20, 240))
            self.add("support_chats", {
                "chat_id": self.next_id("CHT"), "account_id": p.account_id, "started_at": _iso(start),
                "ended_at": _iso(t), "channel": self.rng.choice(["web_widget", "in_app"]),
                "topic": "Export of supplier list", "agent_name": agent,
                "rating": self.rng.choice([4, 5, None]), "messages": msgs,
            })  # fmt: skip

    def pixels(self, p: _Person) -> None:
        n = self.rng.randint(5, 9)
        for i, t in enumerate(self.times(p, n, start=max(p.created, BASE_DATE - timedelta(days=300)))):
            cid, cname = _CAMPAIGNS[i % len(_CAMPAIGNS)]
            kind = ["email_open", "email_click", "page_view"][i % 3]
            self.add("tracking_pixels", {
                "pixel_event_id": self.next_id("PX", 7),
                "contact_id": p.contact_id if kind != "page_view" else None,
                "cookie_id": self.cookies[p.key][-1] if kind == "page_view" else None,
                "campaign_id": cid, "campaign_name": cname, "pixel_type": kind, "occurred_at": _iso(t),
                "url": None if kind == "email_open" else f"https://www.piconext.com/campaign/{cid.lower()}",
                "ip_address": p.ips[i % len(p.ips)] if kind != "email_open" else None,
                "user_agent": _BROWSERS[i % len(_BROWSERS)][1] if kind != "email_open" else "Microsoft Outlook 16.0",
            })  # fmt: skip

    def downloads(self, p: _Person) -> None:
        n = self.rng.randint(2, 4)
        for i, t in enumerate(self.times(p, n, start=max(p.created - timedelta(days=30), BASE_DATE - timedelta(days=700)))):
            cid, title, ctype = _CONTENT[(i + p.number) % len(_CONTENT)]
            self.add("content_downloads", {
                "download_id": self.next_id("DL"), "contact_id": p.contact_id, "cookie_id": self.cookies[p.key][-1],
                "content_id": cid, "content_title": title, "content_type": ctype, "downloaded_at": _iso(t),
                "ip_address": p.ips[i % len(p.ips)], "job_title_given": p.job_title if i == 0 else None,
                "referrer": _REFERRERS[2 + i % 4],
            })  # fmt: skip

    def registrations(self, p: _Person) -> None:
        evs = [_EVENTS[3], _EVENTS[1]] if p.country == "US" else [_EVENTS[0], _EVENTS[1], _EVENTS[2]]
        if p.key not in {"typical", "marketing_only"}:
            evs = evs[:2]
        for i, (eid, name, etype, edate, loc) in enumerate(evs):
            day = date.fromisoformat(edate)
            reg = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - timedelta(days=self.rng.randint(10, 60))
            reg = min(reg, BASE_DATE - timedelta(days=1, hours=self.rng.randint(0, 12)))  # never after "now"
            held = day < BASE_DATE.date()
            attendance = ("attended" if i != 1 else "no_show") if held else "registered"
            scanned = attendance == "attended" and etype in {"conference", "tradeshow"}
            note = None
            if scanned:
                note = (f"Met {p.given} at booth, interested in NFC tags for 40k SKUs. Also talked to her "
                        f"colleague Dimitris (d.georgiou@{p.email.split('@')[1]}, +30 69 5555 0123). Follow up Q1."
                        if p.key == "marketing_only" else
                        f"Badge scan: {p.name}, wants ledger demo. Send deck to {p.email} and cc {self.rng.choice(STAFF)}.")
            self.add("event_registrations", {
                "registration_id": self.next_id("REG"), "contact_id": p.contact_id, "event_id": eid,
                "event_name": name, "event_type": etype, "event_date": edate, "event_location": loc,
                "registered_at": _iso(reg), "attendance": attendance,
                "badge_scanned_by": SPONSORS[(p.number + i) % len(SPONSORS)] if scanned else None,
                "badge_scan_note": note, "shared_with_sponsors": "yes" if etype != "webinar" else "no",
            })  # fmt: skip

    def subscriptions(self, p: _Person) -> None:
        lists = ["newsletter", "events"] if p.key in {"typical", "marketing_only", "terminated"} else ["newsletter"]
        for i, lst in enumerate(lists):
            sub = self.between(p.created, p.created + timedelta(days=60))
            unsub = None
            if p.terminated:
                unsub = p.terminated + timedelta(minutes=10)
            elif i == 1 and p.key == "typical":
                unsub = _dt("2026-07-03T18:22:05Z")
            self.add("marketing_subscriptions", {
                "subscription_id": self.next_id("SUB"), "contact_id": p.contact_id, "email": p.email, "list": lst,
                "status": "unsubscribed" if unsub else "subscribed",
                "consent_source": "account_settings" if p.has_account else "event_registration",
                "consent_wording_version": "v3.1", "subscribed_at": _iso(sub),
                "unsubscribed_at": _iso(unsub) if unsub else None,
            })  # fmt: skip

    def opt_outs(self, p: _Person) -> None:
        rows: list[tuple[str, str, str | None]] = [("marketing_email", "unsubscribe_link", None)]
        if p.key == "typical":
            rows = [("marketing_email", "unsubscribe_link", "List: events"), ("sms", "sms_stop", None)]
        elif p.country == "US":
            rows = [("sale_or_sharing", "global_privacy_control", "GPC signal honoured for browser and email")]
        elif p.key == "marketing_only":
            rows = [("phone", "support_request", "Asked by email not to be called by sales (request handled by Aisha Bello)")]
        for (channel, source, note), t in zip(rows, self.times(p, len(rows)), strict=True):
            if p.key == "typical" and channel == "marketing_email":
                t = _dt("2026-07-03T18:22:05Z")
            self.add("opt_out_preferences", {
                "preference_id": self.next_id("OPT"), "contact_id": p.contact_id, "email": p.email,
                "channel": channel, "source": source, "recorded_at": _iso(t), "note": note,
            })  # fmt: skip

    # -- logs (small personas; the heavy persona is streamed by _write_heavy_logs) ----------------
    def _log_context(self, p: _Person) -> tuple[list[str], list[str | None], list[str]]:
        devices: list[str | None] = list(self.devices[p.key]) or [None]
        return self.cookies[p.key], devices, list(p.ips)

    def access_logs(self, p: _Person) -> None:
        cookies, devices, ips = self._log_context(p)
        session = f"S-{self.hex(12).upper()}"
        for k, t in enumerate(self.times(p, p.access_events)):
            if k % 12 == 0:
                session = f"S-{self.hex(12).upper()}"
            acct: str | None = p.account_id
            ck: str | None = cookies[k % len(cookies)]
            r = self.rng.random()
            if r < 0.1:
                acct = None  # before log-in: only the cookie links the entry to the person
            elif r < 0.15:
                ck = None  # API call: no cookie
            browser, ua = _BROWSERS[(p.number + k // 40) % len(_BROWSERS)]
            page = _PAGES[self.rng.randrange(len(_PAGES))]
            self.logs_access.append({
                "event_id": f"AL-{p.number:04X}{k:012X}", "occurred_at": _iso(t), "account_id": acct,
                "cookie_id": ck, "session_id": session, "ip_address": ips[k % len(ips)], "browser": browser,
                "user_agent": ua, "method": "POST" if page.startswith("/api") and k % 3 == 0 else "GET",
                "page": page, "status_code": self.rng.choice([200] * 12 + [302, 404, 500]),
                "referrer": _REFERRERS[self.rng.randrange(len(_REFERRERS))],
                "device_id": devices[k % len(devices)],
            })  # fmt: skip

    def screen_logs(self, p: _Person) -> None:
        cookies, _, _ = self._log_context(p)
        session = f"S-{self.hex(12).upper()}"
        for k, t in enumerate(self.times(p, p.screen_events)):
            if k % 10 == 0:
                session = f"S-{self.hex(12).upper()}"
            action = _ACTIONS[self.rng.randrange(4)]
            self.logs_screen.append({
                "event_id": f"SI-{p.number:04X}{k:012X}", "occurred_at": _iso(t), "account_id": p.account_id,
                "cookie_id": cookies[0], "session_id": session, "screen": _SCREENS[self.rng.randrange(len(_SCREENS))],
                "element": None if action == "view" else _ELEMENTS[1 + self.rng.randrange(len(_ELEMENTS) - 1)],
                "action": action, "duration_ms": self.rng.randint(500, 120_000) if action == "view" else None,
            })  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Writers
# ------------------------------------------------------------------------------------------------


def _write_sqlite(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    con = sqlite3.connect(path)
    try:
        with con:
            for table, cols in _TABLES.items():
                con.execute(f"CREATE TABLE {table} (\n{cols}\n)")
                data = rows.get(table, [])
                if not data:
                    continue
                names = list(data[0])
                con.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    [tuple(r[n] for n in names) for r in data],
                )
            con.execute("CREATE INDEX accounts_email ON accounts (lower(email))")
            con.execute("CREATE INDEX contacts_email ON company_contacts (lower(email))")
            con.execute("CREATE INDEX orders_account ON orders (account_id)")
            con.execute("CREATE INDEX devices_account ON devices (account_id)")
        con.execute("VACUUM")
    finally:
        con.close()


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def _write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if row[c] is None else row[c] for c in columns])


def _write_partitioned(root: Path, schema: pa.Schema, rows: list[dict[str, Any]], stem: str) -> None:
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"])):
        by_month[r["occurred_at"][:7]].append(r)
    for month, items in sorted(by_month.items()):
        folder = root / f"month={month}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(items, schema=schema), folder / f"{stem}.parquet")


def _write_heavy_logs(root: Path, p: _Person, cookies: list[str], devices: list[str], seed: int,
                      chunk_size: int = 50_000) -> None:  # fmt: skip
    """Stream the heavy persona's events in time order, chunk by chunk (bounded memory)."""
    rng = random.Random(seed * 7 + 1)
    start = int(p.activity_start.timestamp())
    end = int(p.activity_end.timestamp())
    for kind, total in (("access_logs", p.access_events), ("screen_interactions", p.screen_events)):
        if total <= 0:
            continue
        step = (end - start) / total
        schema = ACCESS_LOG_SCHEMA if kind == "access_logs" else SCREEN_SCHEMA
        prefix = "AL" if kind == "access_logs" else "SI"
        for c, lo in enumerate(range(0, total, chunk_size)):
            hi = min(total, lo + chunk_size)
            epochs = [start + int(k * step + rng.random() * step * 0.9) for k in range(lo, hi)]
            ts = pc.strftime(pa.array(epochs, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
            n = hi - lo
            cols: dict[str, Any] = {
                "event_id": [f"{prefix}-{p.number:04X}{k:012X}" for k in range(lo, hi)],
                "occurred_at": ts,
                "account_id": [p.account_id] * n,
                "cookie_id": [cookies[k % len(cookies)] for k in range(lo, hi)],
                "session_id": [f"S-{p.number:04X}{k // 25:08X}" for k in range(lo, hi)],
            }
            if kind == "access_logs":
                picks = [rng.randrange(len(_PAGES)) for _ in range(n)]
                cols |= {
                    "ip_address": [p.ips[(k // 25) % len(p.ips)] for k in range(lo, hi)],
                    "browser": [_BROWSERS[(k // 5000) % 2][0] for k in range(lo, hi)],
                    "user_agent": [_BROWSERS[(k // 5000) % 2][1] for k in range(lo, hi)],
                    "method": ["GET" if i % 7 else "POST" for i in picks],
                    "page": [_PAGES[i] for i in picks],
                    "status_code": [200 if i % 11 else 304 for i in picks],
                    "referrer": [None if i % 3 else "https://www.piconext.com/" for i in picks],
                    "device_id": [devices[(k // 25) % len(devices)] for k in range(lo, hi)],
                }
            else:
                acts = [rng.randrange(4) for _ in range(n)]
                cols |= {
                    "screen": [_SCREENS[(a + k) % len(_SCREENS)] for a, k in zip(acts, range(lo, hi), strict=True)],
                    "element": [None if a == 0 else _ELEMENTS[1 + (a + k) % (len(_ELEMENTS) - 1)]
                                for a, k in zip(acts, range(lo, hi), strict=True)],
                    "action": [_ACTIONS[a] for a in acts],
                    "duration_ms": [1000 + (k * 37) % 60_000 if a == 0 else None
                                    for a, k in zip(acts, range(lo, hi), strict=True)],
                }
            table = pa.table(cols, schema=schema)
            months = pc.utf8_slice_codeunits(table["occurred_at"], 0, 7)
            for month in sorted(set(months.to_pylist())):
                part = table.filter(pc.equal(months, month))
                folder = root / kind / f"month={month}"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(part, folder / f"heavy-{c:05d}.parquet")
            del table, cols, epochs, ts


# ------------------------------------------------------------------------------------------------
# Config
# ------------------------------------------------------------------------------------------------

DEMO_CONFIG = '''\
# Exporter configuration for the PicoNext DEMO store (generated by exporter.demo; rebuilding the
# store rewrites this file). Format: docs/architecture.md, "Configuration".
#
# Identity graph (several hops, all bound as parameters):
#   email      --app/identities[0]-->  account_id, customer_id
#   email      --app/identities[1]-->  contact_id
#   account_id --app/identities[2..6]--> contact_id, device_id, cookie_id, order_id, ledger_address
#   contact_id --app/identities[7]-->  cookie_id
#   account_id --files/identities[0]--> chat_id
# Device identifiers and IP addresses are NOT unique to one person (a shared office laptop and an
# office NAT address exist in the demo data): no stream matches on a device id or an IP alone.
# Every column of every table is exported or excluded below with its reason (`exporter audit`);
# password hashes, card tokens and document numbers are selected and withheld by the catalog.
# CSV files: UTF-8 with a header row; an empty cell means null.

[export]
inline_limit = 1000
pdf_rows = 100

# Other people in free text (GDPR Art. 15(4), docs/redaction.md): the staff directory, so that a
# colleague named in a support reply is replaced by "[staff member N]" like the agent who signed it.
[redaction]
staff_names_file = "staff.txt"
phone_regions = ["DE", "GB", "US", "FR"]

# Other customers and business contacts the stores know: their full names in free text become
# "[person N]" (and, once replaced, their first and last names too); the subject's own name never.
[[redaction.names_from]]
source = "app"
query = "SELECT display_name FROM accounts"

[[redaction.names_from]]
source = "app"
query = "SELECT full_name FROM company_contacts"

# Named recipients (CJEU C-154/21). Demo names are fictitious.
[recipients.payment_processor]
names = ["Demo PayCo Europe Ltd. (fictitious)"]

[recipients.email_delivery]
names = ["MailRelay Demo Inc. (fictitious)"]

[recipients.it_infrastructure]
names = ["Demo Cloud Hosting EU B.V. (fictitious)"]

[recipients.customer_service]
names = ["HelpDeskly Demo Ltd. (fictitious)"]

[recipients.analytics]
names = ["Insight Analytics Demo GmbH (fictitious)"]

[recipients.order_fulfillment]
names = ["FulfilNow Demo Logistics Inc. (fictitious)"]

[recipients.event_campaign_management]
names = ["EventStack Demo Inc. (fictitious)"]

[recipients.website_management]
names = ["SiteOps Demo LLC (fictitious)"]

[recipients.auditors]
names = ["Demo Audit & Assurance LLP (fictitious)"]

[recipients.distributors_resellers]
names = ["Alpine Trade Partners GmbH", "Hellas Digital Distribution S.A.", "WestCoast SaaS Resellers LLC", "Albion Channel Partners Ltd"]

[recipients.event_partners_sponsors]
names = ["CloudLedger Inc.", "SupplyChainX AG", "TagWorks Ltd"]

# ---------------------------------------------------------------------------------------------
[sources.app]
kind = "sql"
url = "sqlite:///piconext.sqlite"

[[sources.app.identities]]
needs = ["email"]
query = "SELECT account_id, customer_id, email FROM accounts WHERE lower(email) IN :email ORDER BY account_id"
yields = { account_id = "account_id", customer_id = "customer_id" }

[[sources.app.identities]]
needs = ["email"]
query = "SELECT contact_id, email FROM company_contacts WHERE lower(email) IN :email ORDER BY contact_id"
yields = { contact_id = "contact_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT contact_id, account_id FROM company_contacts WHERE account_id IN :account_id ORDER BY contact_id"
yields = { contact_id = "contact_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT DISTINCT device_id, account_id FROM devices WHERE account_id IN :account_id ORDER BY device_id"
yields = { device_id = "device_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT cookie_id, account_id FROM cookies WHERE account_id IN :account_id ORDER BY cookie_id"
yields = { cookie_id = "cookie_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT order_id, account_id FROM orders WHERE account_id IN :account_id ORDER BY order_id"
yields = { order_id = "order_id" }

[[sources.app.identities]]
needs = ["account_id"]
query = "SELECT ledger_address, account_id FROM ledger_wallets WHERE account_id IN :account_id ORDER BY ledger_address"
yields = { ledger_address = "ledger_address" }

[[sources.app.identities]]
needs = ["contact_id"]
query = "SELECT cookie_id, contact_id FROM cookies WHERE contact_id IN :contact_id ORDER BY cookie_id"
yields = { cookie_id = "cookie_id" }

[[sources.app.streams]]
category = "account"
needs = ["account_id"]
query = """SELECT a.account_id, a.customer_id, a.email, a.display_name, a.given_name, a.family_name, a.phone, a.locale,
  a.country, a.region, a.timezone, a.plan, a.role, a.status, a.mfa_status, a.created_at, a.last_login_at,
  a.terminated_at, a.termination_reason, a.password_hash, a.security_question, a.security_answer_hash,
  w.ledger_address, w.created_at AS ledger_wallet_created_at
  FROM accounts a LEFT JOIN ledger_wallets w ON w.account_id = a.account_id
  WHERE a.account_id IN :account_id ORDER BY a.account_id"""

[[sources.app.streams]]
category = "company_contact"
needs = ["contact_id"]
query = """SELECT contact_id, account_id, full_name, email, phone, job_title, company_name, address_line, city,
  postal_code, country, source, created_at, updated_at, lead_score, sales_owner
  FROM company_contacts WHERE contact_id IN :contact_id ORDER BY contact_id"""

[[sources.app.streams]]
category = "company_profile"
needs = ["contact_id"]
query = """SELECT profile_id, contact_id, company_name, industry, company_size, headquarters_city,
  headquarters_country, website, role_in_company, source, created_at, updated_at, enrichment_ref
  FROM company_profiles WHERE contact_id IN :contact_id ORDER BY created_at, profile_id"""

[[sources.app.streams]]
category = "payment_cards"
needs = ["customer_id"]
query = """SELECT card_id, customer_id, brand, last4, exp_month, exp_year, cardholder_name, billing_postal_code,
  billing_country, default_card, added_at, removed_at, card_token, raw_card_number
  FROM payment_cards WHERE customer_id IN :customer_id ORDER BY added_at, card_id"""

[[sources.app.streams]]
category = "billing"
needs = ["customer_id"]
query = """SELECT invoice_id, invoice_number, customer_id, issued_at, period_start, period_end, description,
  currency, subtotal, tax, total, status, paid_at, billing_name, billing_address, billing_city,
  billing_postal_code, billing_country, vat_id, card_last4
  FROM invoices WHERE customer_id IN :customer_id ORDER BY issued_at, invoice_id"""

[[sources.app.streams]]
category = "orders"
needs = ["order_id"]
query = """SELECT order_id, customer_id, account_id, ordered_at, product_name, sku, quantity, currency, unit_price,
  total, status, channel, distributor_name, delivery_address, fulfilled_at
  FROM orders WHERE order_id IN :order_id ORDER BY ordered_at, order_id"""

[[sources.app.streams]]
category = "content_posts"
needs = ["account_id"]
query = """SELECT post_id, account_id, posted_at, updated_at, content_type, title, body, file_name,
  file_created_at, submitted_from, device_id, visibility, ledger_tx_hash, moderation_flag
  FROM content_posts WHERE account_id IN :account_id ORDER BY posted_at, post_id"""

[[sources.app.streams]]
category = "ledger_postings"
needs = ["ledger_address"]
query = """SELECT posting_id, ledger_address, post_id, network, tx_hash, block_number, posted_at, content_hash,
  payload_summary
  FROM ledger_postings WHERE lower(ledger_address) IN :ledger_address ORDER BY posted_at, posting_id"""

[[sources.app.streams]]
category = "devices"
needs = ["account_id", "device_id"]
query = """SELECT device_id, account_id, device_type, manufacturer, model, os_name, os_version, carrier,
  app_version, first_seen_at, last_seen_at, push_token
  FROM devices WHERE account_id IN :account_id AND device_id IN :device_id
  ORDER BY first_seen_at, device_id, account_id"""

[[sources.app.streams]]
category = "cookies"
needs = ["cookie_id"]
query = """SELECT cookie_id, account_id, contact_id, name, domain, purpose, consent, first_set_at, last_seen_at,
  expires_at
  FROM cookies WHERE cookie_id IN :cookie_id ORDER BY first_set_at, cookie_id"""

[[sources.app.streams]]
category = "communications"
needs = ["contact_id"]
query = """SELECT message_id, contact_id, account_id, sent_at, channel, kind, subject_line, to_address,
  delivery_status, provider_message_id
  FROM communications WHERE contact_id IN :contact_id ORDER BY sent_at, message_id"""

[[sources.app.streams]]
category = "identity_verification"
needs = ["account_id"]
query = """SELECT verification_id, account_id, checked_at, reason, method, document_type, document_country, result,
  fraud_score, ip_address, document_number
  FROM identity_verifications WHERE account_id IN :account_id ORDER BY checked_at, verification_id"""

[[sources.app.streams]]
category = "personalisation"
needs = ["account_id"]
query = """SELECT item_id, account_id, kind, name, value, source, updated_at, model_version
  FROM personalisation WHERE account_id IN :account_id ORDER BY updated_at, item_id"""

[[sources.app.streams]]
category = "third_party_disclosures"
needs = ["contact_id"]
query = """SELECT disclosure_id, contact_id, disclosed_at, recipient_type, recipient_name, purpose, data_disclosed,
  basis, event_id
  FROM third_party_disclosures WHERE contact_id IN :contact_id ORDER BY disclosed_at, disclosure_id"""

[[sources.app.streams]]
category = "deletion_records"
needs = ["contact_id"]
query = """SELECT deletion_id, contact_id, account_id, deleted_at, reason, what_was_deleted, performed_by
  FROM deletion_records WHERE contact_id IN :contact_id ORDER BY deleted_at, deletion_id"""

# ---------------------------------------------------------------------------------------------
# Flat files. `match` maps identifier type -> field; a record matches if ANY listed field holds one
# of the subject's values of that type. Records are read in file order.
[sources.files]
kind = "files"

[[sources.files.identities]]
needs = ["account_id"]
path = "support_chats.jsonl"
format = "jsonl"
match = { account_id = "account_id" }
yields = { chat_id = "chat_id" }

[[sources.files.identities]]
# a support e-mail's reply-to address is the customer's own second address (same type as the
# request's e-mail: followed to a fixpoint, and checked against other people's accounts)
needs = ["account_id"]
path = "support_emails.jsonl"
format = "jsonl"
match = { account_id = "account_id" }
yields = { email = "reply_to" }

[[sources.files.streams]]
category = "support_emails"
needs = ["account_id"]
path = "support_emails.jsonl"
format = "jsonl"
encoding = "utf-8"
match = { account_id = "account_id" }

[[sources.files.streams]]
category = "support_chats"
needs = ["chat_id"]
path = "support_chats.jsonl"
format = "jsonl"
encoding = "utf-8"
match = { chat_id = "chat_id" }

[[sources.files.streams]]
category = "tracking_pixels"
needs = ["contact_id", "cookie_id"]
path = "tracking_pixels.jsonl"
format = "jsonl"
encoding = "utf-8"
match = { contact_id = "contact_id", cookie_id = "cookie_id" }

[[sources.files.streams]]
category = "content_downloads"
needs = ["contact_id"]
path = "content_downloads.jsonl"
format = "jsonl"
encoding = "utf-8"
match = { contact_id = "contact_id" }

[[sources.files.streams]]
category = "marketing_subscriptions"
needs = ["contact_id"]
path = "marketing_subscriptions.csv"
format = "csv"
encoding = "utf-8"
match = { contact_id = "contact_id" }

[[sources.files.streams]]
category = "opt_out_preferences"
needs = ["contact_id"]
path = "opt_out_preferences.csv"
format = "csv"
encoding = "utf-8"
match = { contact_id = "contact_id" }

[[sources.files.streams]]
category = "event_registrations"
needs = ["contact_id"]
path = "event_registrations.csv"
format = "csv"
encoding = "utf-8"
match = { contact_id = "contact_id" }

# ---------------------------------------------------------------------------------------------
# Hive-partitioned Parquet logs (month=YYYY-MM). The partition column is not selected.
[sources.logs]
kind = "parquet"

[[sources.logs.streams]]
category = "access_logs"
needs = ["account_id", "cookie_id"]
path = "logs/access_logs/**/*.parquet"
match = { account_id = "account_id", cookie_id = "cookie_id" }
columns = ["event_id", "occurred_at", "account_id", "cookie_id", "session_id", "ip_address", "browser", "user_agent", "method", "page", "status_code", "referrer", "device_id"]
order_by = ["occurred_at", "event_id"]

[[sources.logs.streams]]
category = "screen_interactions"
needs = ["account_id", "cookie_id"]
path = "logs/screen_interactions/**/*.parquet"
match = { account_id = "account_id", cookie_id = "cookie_id" }
columns = ["event_id", "occurred_at", "account_id", "cookie_id", "session_id", "screen", "element", "action", "duration_ms"]
order_by = ["occurred_at", "event_id"]

# ---------------------------------------------------------------------------------------------
# Columns no stream exports, on purpose, with the reason (`exporter audit` lists everything else).
[[sources.app.exclude]]
table = "invoices"
columns = ["gl_account"]
reason = "not_personal"
note = "PicoNext's general-ledger revenue account for the product line, the same on every customer's invoice."

[[sources.app.exclude]]
table = "orders"
columns = ["margin_pct"]
reason = "not_personal"
note = "PicoNext's margin on the product, set per product and the same for every buyer."

[[sources.logs.exclude]]
table = "logs/access_logs/**/*.parquet"
columns = ["month"]
reason = "not_personal"
note = "Hive partition key: the year and month of occurred_at, which is exported."

[[sources.logs.exclude]]
table = "logs/screen_interactions/**/*.parquet"
columns = ["month"]
reason = "not_personal"
note = "Hive partition key: the year and month of occurred_at, which is exported."
'''


# ------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------


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
    demo_config_path(dest).write_text(DEMO_CONFIG, encoding="utf-8")
    return dest

