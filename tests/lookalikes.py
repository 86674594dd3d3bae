"""A data estate of look-alike people for the exact-identity tests (tests/test_lookalikes.py).

Every person has an e-mail address that looks like another person's (ß/ss, ligatures, Kelvin sign,
long s, É/é, dotless ı and İ, fullwidth letters, zero-width joiners, Cyrillic and Greek look-alikes,
plus-tags, dots, internationalised domains) and their own records in every kind of source:

* SQL (SQLite or the PostgreSQL server the tests start): ``accounts`` → category ``account``, and
  the identity read ``lower(email) IN :email`` → account_id;
* files: ``marketing.csv`` → ``marketing_subscriptions``, selected by e-mail address;
* Parquet: ``signups.parquet`` (e-mail → cookie id, an identities read) and ``access.parquet``
  (``access_logs`` by cookie id);
* HTTP (a real server on 127.0.0.1): ``/contacts?email=`` → ``company_contact`` and contact_id.
  The API matches *sloppily* (Unicode case folding, the bug this suite exists for), so only the
  exporter's own re-check keeps other people out.

People in :data:`SAME` are one person whose address is stored in different spellings that the
e-mail rule treats as one (ASCII case, NFC/NFD, A-label/U-label domain).

Each person's records carry markers (account, contact and cookie numbers) unique to them, so a test
can scan every byte of a package for anybody else's.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

T0 = "2025-01-01T00:00:00Z"

#: (label, address) of distinct people; every address here is a different person
DISTINCT: tuple[tuple[str, str], ...] = (
    ("ascii", "jane.doss@lookalike.example"),
    ("sharp_s", "jane.doß@lookalike.example"),
    ("office", "office.jane@lookalike.example"),
    ("ligature_ffi", "oﬃce.jane@lookalike.example"),
    ("kate", "kate.doe@lookalike.example"),
    ("kelvin_sign", "\u212aate.doe@lookalike.example"),
    ("sam", "sam.doe@lookalike.example"),
    ("long_s", "ſam.doe@lookalike.example"),
    ("elise_lower", "élise.doe@lookalike.example"),
    ("elise_upper", "ÉLISE.DOE@lookalike.example"),
    ("ivan", "ivan@lookalike.example"),
    ("dotless_i", "ıvan@lookalike.example"),
    ("dotted_capital_i", "İvan@lookalike.example"),
    ("fullwidth_j", "ｊane.roe@lookalike.example"),
    ("plain_jane_roe", "jane.roe@lookalike.example"),
    ("zero_width_joiner", "ja\u200dne.roe@lookalike.example"),
    ("cyrillic_a", "j\u0430ne.roe@lookalike.example"),
    ("greek_omicron", "j\u03bfhn.roe@lookalike.example"),
    ("john_roe", "john.roe@lookalike.example"),
    ("plus_tag", "jane.roe+news@lookalike.example"),
    ("dots", "janeroe@lookalike.example"),
    ("idn_umlaut", "max@münchen.example"),
    ("idn_plain", "max@munchen.example"),
    ("ohm_sign", "\u2126mega@lookalike.example"),
    ("omega", "\u03a9mega@lookalike.example"),
)

#: (label, spelling in SQL, spelling in the CSV/Parquet/HTTP stores, spelling of the request): one person each
SAME: tuple[tuple[str, str, str, str], ...] = (
    ("ascii_case", "Max.Muster@Lookalike.Example", "max.muster@lookalike.example", "MAX.muster@lookalike.EXAMPLE"),
    ("nfc_nfd", unicodedata.normalize("NFD", "zoé.roe@lookalike.example"), "zoé.roe@lookalike.example",
     unicodedata.normalize("NFD", "zoé.roe@lookalike.example")),
    ("a_label", "anna@xn--bcher-kva.example", "anna@bücher.example", "anna@BüCHER.example"),
)


@dataclass(frozen=True)
class Person:
    n: int
    label: str
    sql_email: str
    file_email: str
    request: str

    @property
    def account_id(self) -> str:
        return f"ACC-{900000 + self.n:06d}"

    @property
    def contact_id(self) -> str:
        return f"CON-{900000 + self.n:06d}"

    @property
    def cookie_id(self) -> str:
        return f"ck_{0xABC000000000 + self.n:024x}"

    @property
    def markers(self) -> tuple[str, ...]:
        return (self.account_id, self.contact_id, self.cookie_id)


def people(extra: int = 0) -> list[Person]:
    """The table's people, plus ``extra`` generated look-alikes (a few per kind) for bigger runs."""
    out = [Person(i, label, e, e, e) for i, (label, e) in enumerate(DISTINCT, 1)]
    for label, sql_e, file_e, req in SAME:
        out.append(Person(len(out) + 1, label, sql_e, file_e, req))
    # the base, a dotted and a plus-tagged spelling, and compatibility / homoglyph / invisible variants
    variants = ("{b}", "{h}.{t}", "{b}+x", "{B}ß", "{b}ﬁ", "{b}\u200d", "{b}\u0430", "{b}ſ", "{b}ı", "\uff4a{b}")
    k = 0
    while k < extra:
        base = f"p{k // len(variants):04d}"
        v = variants[k % len(variants)].format(b=base, B=base, h=base[:1], t=base[1:])
        e = f"{v}@bulk.example"
        out.append(Person(len(out) + 1, f"bulk_{k}", e, e, e))
        k += 1
    return out


def _csv(persons: Iterable[Person]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["subscription_id", "contact_id", "email", "list", "status", "consent_source", "subscribed_at"])
    for p in persons:
        w.writerow([f"SUB-{900000 + p.n:06d}", p.contact_id, p.file_email, "newsletter", "subscribed",
                    "signup_form", T0])
    return buf.getvalue().encode("utf-8")


def contact_record(p: Person) -> dict[str, Any]:
    return {"contact_id": p.contact_id, "full_name": f"Person {p.n}", "email": p.file_email,
            "company_name": "Lookalike Ltd", "country": "DE", "source": "account_signup",
            "created_at": T0, "updated_at": T0}


def write_store(root: Path, persons: list[Person], *, sql_url: str | None = None,
                http_url: str | None = None) -> Path:
    """Write every store and ``exporter.toml``; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    url = sql_url or f"sqlite:///{root / 'app.sqlite'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    accounts = sa.Table("accounts", meta, *(sa.Column(c, sa.Text) for c in
                                            ("account_id", "email", "display_name", "status", "created_at")))
    with engine.begin() as con:
        meta.drop_all(con)
        meta.create_all(con)
        con.execute(accounts.insert(), [{"account_id": p.account_id, "email": p.sql_email,
                                          "display_name": f"Person {p.n}", "status": "active",
                                          "created_at": T0} for p in persons])
    engine.dispose()
    (root / "marketing.csv").write_bytes(_csv(persons))
    pq.write_table(pa.table({"email": [p.file_email for p in persons],
                             "cookie_id": [p.cookie_id for p in persons]}), root / "signups.parquet")
    logs = {"event_id": [], "occurred_at": [], "cookie_id": [], "ip_address": [], "browser": [], "page": [],
            "status_code": []}
    for p in persons:
        for j in range(2):
            logs["event_id"].append(f"AL-{p.n:012X}{j:04X}")
            logs["occurred_at"].append(f"2025-05-0{1 + j}T10:00:00Z")
            logs["cookie_id"].append(p.cookie_id)
            logs["ip_address"].append("198.51.100.7")
            logs["browser"].append("Firefox")
            logs["page"].append("/pricing")
            logs["status_code"].append(200)
    pq.write_table(pa.table(logs), root / "access.parquet")
    url_line = f'url = "{url}"' if url.startswith("sqlite") else 'url_env = "LOOKALIKE_DB_URL"'
    text = f'''
[export]
inline_limit = 1000
pdf_rows = 20

[sources.app]
kind = "sql"
{url_line}

[[sources.app.identities]]
needs = ["email"]
query = "SELECT account_id, email FROM accounts WHERE lower(email) IN :email ORDER BY account_id"
yields = {{ account_id = "account_id" }}

[[sources.app.streams]]
category = "account"
needs = ["account_id"]
query = "SELECT account_id, email, display_name, status, created_at FROM accounts WHERE account_id IN :account_id"

[sources.files]
kind = "files"

[[sources.files.streams]]
category = "marketing_subscriptions"
needs = ["email"]
path = "marketing.csv"
match = {{ email = "email" }}

[sources.lake]
kind = "parquet"

[[sources.lake.identities]]
needs = ["email"]
path = "signups.parquet"
match = {{ email = "email" }}
columns = ["email", "cookie_id"]
order_by = ["cookie_id"]
yields = {{ cookie_id = "cookie_id" }}

[[sources.lake.streams]]
category = "access_logs"
needs = ["cookie_id"]
path = "access.parquet"
match = {{ cookie_id = "cookie_id" }}
order_by = ["occurred_at", "event_id"]
'''
    if http_url:
        text += f'''
[sources.crm]
kind = "http"
base_url = "{http_url}"
max_retries = 1
backoff = 0.01

[[sources.crm.identities]]
needs = ["email"]
endpoint = "/contacts"
query = {{ email = "{{email}}" }}
records = "data"
yields = {{ contact_id = "contact_id" }}

[[sources.crm.streams]]
category = "company_contact"
needs = ["email"]
endpoint = "/contacts"
query = {{ email = "{{email}}" }}
records = "data"
'''
    config = root / "exporter.toml"
    config.write_text(text, encoding="utf-8")
    return config


def sloppy_contacts(persons: list[Person]):  # type: ignore[no-untyped-def]
    """A werkzeug handler for ``/contacts?email=``: matches by Unicode case folding (wrongly)."""
    from werkzeug import Request, Response

    def handler(request: Request) -> Response:
        asked = str(request.args.get("email", "")).casefold()
        rows = [contact_record(p) for p in persons if p.file_email.casefold() == asked]
        return Response(json.dumps({"data": rows}), content_type="application/json")

    return handler
