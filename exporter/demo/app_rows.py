"""Rows of the application database (piconext.sqlite), one method per table."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from .base import _Base
from .people import BASE_DATE, DISTRIBUTORS, SPONSORS, STAFF, TEST_PAN, _Person, _iso
from .tables import _EVENTS


class _AppRows(_Base):
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
