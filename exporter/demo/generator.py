"""One generator for the whole store: every person's rows, table by table."""

from __future__ import annotations

from .app_rows import _AppRows
from .file_rows import _FileRows
from .people import _Person


class _Gen(_AppRows, _FileRows):
    """Every row of the demo store, person by person (:meth:`person`)."""

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
