"""Rows of the flat files (JSON Lines, CSV) and the Parquet logs, one method per file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .base import _Base
from .people import ALT_EMAIL, BASE_DATE, SPONSORS, STAFF, _Person, _dt, _iso
from .tables import _ACTIONS, _BROWSERS, _CAMPAIGNS, _CONTENT, _ELEMENTS, _EVENTS, _PAGES, _REFERRERS, _SCREENS


class _FileRows(_Base):
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
