"""The row generator's state and helpers (seeded randomness, ids, made-up phone numbers)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from faker import Faker

from .people import STAFF, _Person


class _Base:
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
