"""The law: what the catalog says about each category and what each jurisdiction's rules require.

* :mod:`.catalog` — categories, purposes, legal bases, recipients, retention, sources (catalog/*.toml);
* :mod:`.jurisdictions` — the access right per law (catalog/jurisdictions/*.toml): GDPR Art. 15,
  UK GDPR + DPA 2018, CCPA/CPRA + 11 CCR §7024, Utah;
* :mod:`.deadlines` — the response deadline (Art. 12(3), CCPA §1798.130(a)(2)); :mod:`.clock` what the
  controller did to the clock (extension, UK Art. 12A stops); :mod:`.dates` the calendar arithmetic
  (Reg. 1182/71, business days, public holidays);
* :mod:`.disclosures` — who actually received the data and what was sold or shared, from the
  person's own logs (Art. 15(1)(c), CCPA §1798.115);
* :mod:`.retention` — concrete retention dates per record (Art. 15(1)(d));
* :mod:`.overdue` — records past their retention date: a statement for the subject, a finding for the operator;
* :mod:`.timeline` — the request's life: identity check, stop-the-clock, clarification, receipt
  confirmation, a late answer;
* :mod:`.findings` — findings for the operator (``Finding``), blocking ones held until acknowledged.
"""
