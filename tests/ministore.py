"""A small data estate of two people for end-to-end tests of source faults and adversarial data.

``MiniStore(root)`` writes, for Ann (the subject) and Bob (somebody else):

* a SQL database (a SQLite file, or the PostgreSQL database at ``sql_url``) with ``accounts`` and
  ``personalisation`` (``personalisation_rows`` rows for Ann, read in batches of ``batch_size``);
* ``support_emails.jsonl`` and ``marketing.csv`` (a ``files`` source);
* optionally an ``http`` source (``http_url``) serving support chats at
  ``/accounts/{account_id}/chats``;

and ``exporter.toml`` for all of it. Tests then break one piece on purpose.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ANN = {"email": "ann.example@example.com", "account_id": "ACC-000001", "contact_id": "CON-000001",
       "name": "Ann Example", "phone": "+44 20 7946 0001"}
BOB = {"email": "bob.other@example.com", "account_id": "ACC-000002", "contact_id": "CON-000002",
       "name": "Bob Other", "phone": "+44 20 7946 0002"}
PEOPLE = (ANN, BOB)
T0 = "2025-01-01T00:00:00Z"


def account_row(p: dict[str, str]) -> dict[str, Any]:
    return {"account_id": p["account_id"], "contact_id": p["contact_id"], "email": p["email"],
            "display_name": p["name"], "phone": p["phone"], "status": "active", "created_at": T0}


def personalisation_rows(p: dict[str, str], n: int, start: int) -> list[dict[str, Any]]:
    return [{"item_id": f"PRS-{start + i:06d}", "account_id": p["account_id"], "kind": "setting",
             "name": f"setting {i}", "value": "dark", "source": "you_chose",
             "updated_at": f"2025-02-{1 + i % 28:02d}T10:00:00Z"} for i in range(n)]


def email_row(p: dict[str, str], n: int, body: str = "Hello, my invoice is wrong.") -> dict[str, Any]:
    return {"message_id": f"EM-{n:07d}", "ticket_id": f"TCK-{n:06d}", "account_id": p["account_id"],
            "direction": "from_you", "sent_at": f"2025-03-{1 + n % 28:02d}T09:00:00Z",
            "from_address": p["email"], "to_address": "support@piconext.com", "subject_line": "Invoice",
            "body": body, "agent_name": None, "ticket_status": "closed", "ticket_closed_at": None}


def chat_row(p: dict[str, str], n: int) -> dict[str, Any]:
    return {"chat_id": f"CHT-{n:06d}", "account_id": p["account_id"], "started_at": "2025-04-01T10:00:00Z",
            "ended_at": "2025-04-01T10:05:00Z", "channel": "web_widget", "topic": "Export",
            "agent_name": "Priya Raman", "rating": 5,
            "messages": [{"at": "2025-04-01T10:00:00Z", "from": "subject", "text": "Export fails."},
                         {"at": "2025-04-01T10:01:00Z", "from": "agent", "text": "Fixed now."}]}


MARKETING_HEADER = ["subscription_id", "contact_id", "email", "list", "status", "consent_source", "subscribed_at",
                    "unsubscribed_at"]


def marketing_csv(encoding: str = "utf-8", extra_name: str = "") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MARKETING_HEADER)
    for i, p in enumerate(PEOPLE, 1):
        w.writerow([f"SUB-{i:06d}", p["contact_id"], p["email"], "newsletter", "subscribed", "signup_form",
                    T0, extra_name])
    return buf.getvalue().encode(encoding)


class MiniStore:
    def __init__(self, root: Path, *, sql_url: str | None = None, http_url: str | None = None,
                 personalisation_rows: int = 5, batch_size: int = 1000, http_retries: int = 1,
                 http_timeout: float = 2.0) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.sql_url = sql_url or f"sqlite:///{root / 'app.sqlite'}"
        self.http_url = http_url
        self.n_personalisation = personalisation_rows
        self.batch_size = batch_size
        self.http_retries = http_retries
        self.http_timeout = http_timeout
        self.emails = [email_row(ANN, 1), email_row(BOB, 2), email_row(ANN, 3)]
        self.chats = {ANN["account_id"]: [chat_row(ANN, 1)], BOB["account_id"]: [chat_row(BOB, 2)]}
        self.write_sql()
        self.write_emails()
        (root / "marketing.csv").write_bytes(marketing_csv())
        self.config = root / "exporter.toml"
        self.config.write_text(self.config_text(), encoding="utf-8")

    # -- data -----------------------------------------------------------------------------------
    def write_sql(self) -> None:
        engine = sa.create_engine(self.sql_url)
        meta = sa.MetaData()
        text = sa.Text
        accounts = sa.Table("accounts", meta, *(sa.Column(c, text) for c in account_row(ANN)))
        pers = sa.Table("personalisation", meta, *(sa.Column(c, text) for c in personalisation_rows(ANN, 1, 0)[0]))
        with engine.begin() as con:
            meta.drop_all(con)
            meta.create_all(con)
            con.execute(accounts.insert(), [account_row(p) for p in PEOPLE])
            con.execute(pers.insert(), personalisation_rows(ANN, self.n_personalisation, 1)
                        + personalisation_rows(BOB, 3, 900_000))
        engine.dispose()

    def write_emails(self, extra_lines: list[bytes] | None = None) -> None:
        lines = [json.dumps(r).encode() for r in self.emails] + (extra_lines or [])
        (self.root / "support_emails.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    # -- config ---------------------------------------------------------------------------------
    def config_text(self) -> str:
        url_line = (f'url = "{self.sql_url}"' if self.sql_url.startswith("sqlite")
                    else 'url_env = "MINI_DB_URL"')
        text = f'''
[export]
inline_limit = 1000
pdf_rows = 50

[sources.app]
kind = "sql"
{url_line}
batch_size = {self.batch_size}
connect_timeout = 2

[[sources.app.identities]]
needs = ["email"]
query = "SELECT account_id, contact_id, email FROM accounts WHERE lower(email) IN :email ORDER BY account_id"
yields = {{ account_id = "account_id", contact_id = "contact_id" }}

[[sources.app.streams]]
category = "account"
needs = ["account_id"]
query = "SELECT account_id, email, display_name, phone, status, created_at FROM accounts WHERE account_id IN :account_id"

[[sources.app.streams]]
category = "personalisation"
needs = ["account_id"]
query = "SELECT * FROM personalisation WHERE account_id IN :account_id ORDER BY item_id"

[sources.files]
kind = "files"

[[sources.files.streams]]
category = "support_emails"
needs = ["account_id"]
path = "support_emails.jsonl"
match = {{ account_id = "account_id" }}

[[sources.files.streams]]
category = "marketing_subscriptions"
needs = ["contact_id"]
path = "marketing.csv"
encoding = "utf-8"
match = {{ contact_id = "contact_id" }}
'''
        if self.http_url:
            text += f'''
[sources.support_api]
kind = "http"
base_url = "{self.http_url}"
timeout = {self.http_timeout}
max_retries = {self.http_retries}
backoff = 0.01

[[sources.support_api.streams]]
category = "support_chats"
needs = ["account_id"]
endpoint = "/accounts/{{account_id}}/chats"
records = "data"
'''
        return text + self.not_applicable_text()

    def not_applicable_text(self) -> str:
        """Every catalog category this store has no stream for, declared not applicable (so that a
        package of the mini store is complete; a test removes it to see ``not_searched``)."""
        from exporter.law.catalog import load_catalog

        covered = {"account", "personalisation", "support_emails", "marketing_subscriptions"}
        if self.http_url:
            covered.add("support_chats")
        lines = [f'{c.id} = "The mini test store holds no data of this kind."'
                 for c in load_catalog() if c.id not in covered]
        return "\n[not_applicable]\n" + "\n".join(lines) + "\n"

    def env(self) -> dict[str, str]:
        return {"MINI_DB_URL": self.sql_url}
