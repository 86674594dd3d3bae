"""Collecting one subject's records: identities → reads → validation → transforms → files.

* :mod:`.identity` — the subject's identifiers and the identity graph across sources;
* :mod:`.pipeline` — one category's records from every read, matched (:mod:`.owner`), validated
  and written, into a bounded :mod:`.result` (:mod:`.columnar` is its Arrow fast path);
* :mod:`.normalize` — JSON types (the JSON Schemas and their validators are :mod:`exporter.schemas`);
* :mod:`.chain` — what changes in a record before it is written, in order: the :mod:`.transforms`
  (withholding, §7024(d); lone surrogates; card numbers, :mod:`.cards` and :mod:`.card_screens`,
  PCI DSS 3.4; other people's data, :mod:`.redaction`, Art. 15(4));
* :mod:`.writers` — JSONL and CSV files, hashed while written.
"""
