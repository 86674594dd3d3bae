"""Collecting one subject's records: identities → reads → validation → transforms → files.

* :mod:`.identity` — the subject's identifiers and the identity graph across sources;
* :mod:`.pipeline` — one category's records from every read, matched, validated and written
  (:mod:`.columnar` is its Arrow fast path);
* :mod:`.schemas` — the JSON Schema of each category; :mod:`.normalize`, :mod:`.transforms`,
  :mod:`.redaction` — what changes in a record before it is written (Art. 15(4));
* :mod:`.writers` — JSONL and CSV files, hashed while written.
"""
