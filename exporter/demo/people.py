"""The demo's people: the personas (fixed identifiers), confusable others and background customers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faker import Faker


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
    """The demo subjects (:data:`DEMO_SUBJECTS`), then the confusable others (:data:`CONFUSABLES`)."""
    return _subjects(heavy_events, heavy_screens) + _confusables()


def _subjects(heavy_events: int, heavy_screens: int) -> list[_Person]:
    """The personas a request names: one table row each (fixed identifiers, dates and addresses)."""
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
    return p


def _confusables() -> list[_Person]:
    """Confusable other people (same surname and company, similar e-mail, a namesake, a shared
    laptop and office IP, another Eleni Papadopoulou): none may appear in a subject's export."""
    all_ = frozenset(ALL_CATEGORIES)
    p: list[_Person] = []
    add = p.append
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
