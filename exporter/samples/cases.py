"""The sample set: who each sample package is about, under which law, and what a legal reviewer
should check in it (EU GDPR Art. 15, UK GDPR, CCPA categories-only 11 CCR §7024(a)), with the
fixed received date and generation time that make the set reproducible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import demo
from ..api import AccessRequest, ClockStop, VerificationDetails

__all__ = ["SAMPLES", "SAMPLES_DIR", "SAMPLES_HEAVY_EVENTS", "SAMPLES_NOW", "SAMPLES_RECEIVED", "Sample"]

#: The fixed generation time of the samples (three weeks after the requests were received).
SAMPLES_NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
#: The day every sample request was received.
SAMPLES_RECEIVED = dt.date(2026, 11, 2)
#: Access-log events of the heavy user in the samples' demo store (the default store has 20,000).
SAMPLES_HEAVY_EVENTS = 2000
#: The folder under ``--out`` that holds the samples and their index.
SAMPLES_DIR = "samples"


@dataclass(frozen=True)
class Sample:
    """One sample package: who, under which law, and what a reviewer should check in it."""

    id: str  #: folder name and request id
    title: str
    persona: str | None  #: key of :data:`exporter.demo.DEMO_SUBJECTS`; None: a person we hold nothing about
    jurisdiction: str
    about: str  #: who the subject is, in one or two sentences
    review: tuple[str, ...]  #: what a reviewer should look at
    identifiers: tuple[str, ...] = ()  #: default: the persona's e-mail address
    verification: str = "verified"
    country: str | None = None
    clock_stops: tuple[ClockStop, ...] = field(default_factory=tuple)
    verification_details: VerificationDetails | None = None
    confirmation_sent: dt.date | None = None
    #: blocking findings for the operator (exporter.law.findings) this sample is released despite
    acknowledge: tuple[str, ...] = ()

    def request(self) -> AccessRequest:
        ids = self.identifiers or (f"email:{demo.DEMO_SUBJECTS[self.persona or 'typical']}",)
        return AccessRequest.parse(ids, jurisdiction=self.jurisdiction, received=SAMPLES_RECEIVED,
                                   request_id=self.id, verification=self.verification, country=self.country,
                                   clock_stops=self.clock_stops, verification_details=self.verification_details,
                                   confirmation_sent=self.confirmation_sent)


SAMPLES: tuple[Sample, ...] = (
    Sample(
        id="eu-typical-customer",
        title="Typical customer (EU, GDPR Art. 15)",
        persona="typical",
        jurisdiction="eu",
        country="DE",
        about=("Jane Doe, head of procurement at a Berlin company, a business-plan customer since 2024 "
               "with data in all 24 categories. Colleagues with similar names and e-mail addresses, and one "
               "who shares her laptop and office IP address, are in the same store."),
        review=(
            ("The Art. 15(1)(a)-(h) and 15(2) information in the report: purposes with their "
             "legal bases, recipients (named where known), retention with concrete dates, sources, "
             "transfers to the US and their safeguard, automated decisions."),
            ("That nothing of her colleagues John Doe, Janet Doe or Max Mustermann appears, although Max "
             "used her laptop and the office IP address."),
            ("Payment cards show only the last four digits, also the card number she wrote in a support "
             "e-mail; her password hash and security question and answer, the card tokens and her ID "
             "document number are left out of the package. The report names them under \"Held but not "
             "shown\" with the GDPR ground (Art. 5(1)(f), 32) and offers them on request: a draft for the DPO, "
             "since the GDPR, unlike 11 CCR §7024(d), has no rule that forbids giving them."),
            ("Other people in free text (Art. 15(4)): PicoNext staff named in support e-mails and chats "
             "(the agent, and a colleague mentioned in a reply) read \"[staff member N]\"; the report says so "
             "under each of those kinds of data."),
            ("The deadline (one month from 2 November 2026) and the complaint route: the supervisory authority of "
             "Germany, where she lives."),
        ),
    ),
    Sample(
        id="uk-customer",
        title="Customer (UK GDPR, Data (Use and Access) Act 2025)",
        persona="uk",
        jurisdiction="uk",
        country="GB",
        clock_stops=(ClockStop(start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 6),
                               reason="confirmation of your identity"),),
        verification_details=VerificationDetails(
            method="a code we sent to the e-mail address of your account, entered on our request form",
            evidence_type="one-time code", by="PicoNext privacy team", on=dt.date(2026, 11, 6)),
        about=("Olivia Bennett, a category manager at a Manchester retailer and a business-plan customer "
               "since 2024. PicoNext asked her to confirm her identity on 3 November; she answered on "
               "6 November."),
        review=(
            "The UK wording (UK GDPR, DPA 2018) and the ICO as the complaint route.",
            "The stop-the-clock rule: the four days from asking (3 November) to her answer (6 November), both counted (UK GDPR Art. 12A), move the deadline.",
            "Transfers from the UK to the US and the UK safeguard named for them.",
            ("Recipients from her own records: her event registration says it was made available to the sponsors "
             "but her disclosure log holds no disclosure, so the operator is warned (finding disclosure_not_logged) "
             "and the report names the kind of recipient and says why no sponsor is named; the recipients the log "
             "shows nothing for are listed apart as possible ones. Tracking pixels rest on consent (PECR reg. 6)."),
        ),
    ),
    Sample(
        id="ca-categories-only",
        title="California resident verified to a reasonable degree (CCPA categories-only response)",
        persona="california",
        jurisdiction="ca",
        verification="reasonable",
        confirmation_sent=dt.date(2026, 11, 4),
        # his disclosure log shows a disclosure treated as a sale after his GPC opt-out: the export
        # stops on that finding unless the operator acknowledges it (what a reviewer should read)
        acknowledge=("sale_after_opt_out",),
        about=("Carlos Rivera, a San Diego customer. His identity could only be verified to a reasonable "
               "degree of certainty (11 CCR §7062(b)), not to the reasonably high degree specific pieces "
               "need."),
        review=(
            ("That no specific pieces of personal information are disclosed (no data files, no records in "
             "bundle.json or the report) and the reason is stated (11 CCR §7024(a))."),
            ("The CCPA table: for each category of personal information, the sources, the business purposes, "
             "the categories of recipients, and whether it was sold or shared (Civ. Code §1798.110, §1798.115)."),
            ("Recipients and sale from his own records: his disclosure log shows one event sponsor (January 2026) "
             "and one distributor (April 2026), so only these categories are sold, to these kinds of third "
             "party; his Global Privacy Control opt-out of 2 March 2026 is stated, and the distributor "
             "disclosure after it is marked. The export stops on that finding (sale_after_opt_out, exit 8) "
             "until the operator acknowledges it; this sample acknowledges it."),
            ("The sensitive personal information statement, and the period covered: everything collected since "
             "1 January 2022, not only the last 12 months (11 CCR §7024(h))."),
            "The 45-day deadline counted from 2 November 2026.",
            ("The receipt confirmation shown as sent on 4 November 2026 because it was recorded "
             "(11 CCR §7021(a)); without the record the report says it was due, never that it was sent."),
        ),
    ),
    Sample(
        id="eu-marketing-only-contact",
        title="Marketing-only contact, event attendee (EU)",
        persona="marketing_only",
        jurisdiction="eu",
        country="GR",
        about=("Eleni Papadopoulou (written in Greek script), who never had an account: her details come from "
               "an event registration and badge scans, then marketing e-mails, downloads and tracking pixels."),
        review=(
            ("Sources that are not the data subject (Art. 15(1)(g)): event partners (registration and badge "
             "scans), distributors and public sources."),
            "Consent as the legal basis of marketing e-mails and tracking pixels, and the right to withdraw it.",
            "Non-Latin names and addresses in the report and the CSV files.",
            "That another Eleni Papadopoulou at a different company does not appear.",
        ),
    ),
    Sample(
        id="eu-heavy-user",
        title="Heavy user with many log records (EU)",
        persona="heavy_logs",
        jurisdiction="eu",
        country="PL",
        about=(f"Zoë Łukasiewicz, an enterprise user with about {SAMPLES_HEAVY_EVENTS:,} access-log events "
               "and half as many screen interactions (the real system holds far more; this sample is kept "
               "small on purpose)."),
        review=(
            ("How a large category is presented: the report shows the first rows and summaries (counts, first "
             "and last dates, most frequent values), the complete records are in data/*.jsonl and data/*.csv."),
            ("Retention of the logs as a concrete date: 18 months after the last log-in, or earlier if the account "
             "ends."),
        ),
    ),
    Sample(
        id="eu-nothing-held",
        title="Person about whom nothing is held (EU)",
        persona=None,
        identifiers=("email:maria.keller@example.org",),
        jurisdiction="eu",
        country="FR",
        about="A request from an e-mail address that matches nobody in any system.",
        review=(
            ("The confirmation that no personal data is held (Art. 15(1), first part) is clear and the response "
             "still gives the information about rights and the complaint route (the CNIL, France)."),
            "Every category is listed as searched with nothing held.",
        ),
    ),
    Sample(
        id="eu-terminated-account",
        title="Terminated account inside its retention windows (EU)",
        persona="terminated",
        jurisdiction="eu",
        country="BG",
        about=("Ivan Petrov (written in Cyrillic script), whose team account was terminated on 15 October 2026. "
               "His chat transcripts are already deleted; the rest is kept until the retention periods end."),
        review=(
            ("Retention dates counted from the termination (for example account data 3 months after it) and "
             "the categories kept longer for legal obligations (invoices, tax)."),
            "The deletion record of the chat transcripts, and that the transcripts themselves are gone.",
        ),
    ),
)
