"""Who actually received the person's data, and whether they opted out of its sale — from their own
records, not from the catalog's list of possible recipients.

CJEU C-154/21 (Österreichische Post): the right of access (GDPR Art. 15(1)(c)) gives the identity
of the recipients that actually received the person's data; categories of recipients only where
they cannot be identified. The CCPA asks per category of personal information whether it was sold
or shared and to whom (Cal. Civ. Code §1798.115(a)(2)), and forbids selling or sharing after the
consumer opted out (§1798.120(d); an opt-out preference signal such as Global Privacy Control is
an opt-out, 11 CCR §7025).

Two catalog tables name the records that answer these questions (``catalog/categories.toml``):

* ``[disclosure_log]`` — the category that records every disclosure to an outside organisation
  (field names for the recipient kind, name, date, data and purpose; ``kinds``: the recipient kinds
  every disclosure to which is logged there; ``data_from``: which categories of data a disclosure
  to a kind draws on);
* ``[opt_out_log]`` — the category that records opt-outs (which channel values mean "sale or
  sharing", which source values mean an opt-out preference signal).

One module per question:

* :mod:`.logs` — what the logs say: while a category is collected, :class:`LogObserver` keeps a
  bounded summary of these records (per recipient: count, first and last date, data items; per
  opt-out: the earliest date), nothing else; :class:`Logs` holds the summaries and whether each
  log was read completely;
* :mod:`.recipients` — who received the data (Art. 15(1)(c)): :func:`annotate` marks every
  category's recipients ``disclosed`` (the log shows a disclosure, named from the log),
  ``receives`` (a service provider that holds the data for us, named from the configuration, or
  the catalog's reason why not) or ``possible`` (a logged kind that, per the searched log, never
  received this person's data); :func:`summary` is the jurisdiction block's listing and
  :func:`recipients_notice` its render-ready notice;
* :mod:`.sale` — CCPA sold/shared and the opt-out (§1798.115, §1798.120): :func:`opt_out`,
  :func:`sales_after_opt_out`, :func:`sale_items`;
* :mod:`.findings` — the operator's findings from the logs (:func:`findings`).

All subject-facing text comes from the rules files.
"""

from __future__ import annotations

from .findings import findings
from .logs import MAX_RECIPIENTS, LogObserver, Logs, observer_for
from .recipients import annotate, recipients_notice, summary
from .sale import opt_out, sale_items, sales_after_opt_out

__all__ = [
    "MAX_RECIPIENTS",
    "LogObserver",
    "Logs",
    "annotate",
    "findings",
    "observer_for",
    "opt_out",
    "recipients_notice",
    "sale_items",
    "sales_after_opt_out",
    "summary",
]
