"""The demo store's tables (SQLite DDL), flat-file columns, Parquet log schemas and the vocabularies rows draw from."""

from __future__ import annotations

import pyarrow as pa


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
