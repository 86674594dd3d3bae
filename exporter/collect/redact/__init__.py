"""The parts of third-party redaction (GDPR / UK GDPR Art. 15(4), Recital 63; docs/redaction.md).

A copy of the subject's data must not adversely affect the rights and freedoms of others. The
face is :mod:`exporter.collect.redaction` (the :class:`~exporter.collect.redaction.Redactor` and
what callers import); each module here answers one question it asks:

* :mod:`.emails` — where are e-mail addresses in a text, and which key compares them;
* :mod:`.phones` — where are plausible phone numbers in a text, and when are two the same;
* :mod:`.names` — where are the names of known people in a text (word by word);
* :mod:`.stores` — which other people's names the stores know (``[redaction] names_from``);
* :mod:`.settings` — what to redact, from ``[redaction]`` in the configuration;
* :mod:`.notice` — the placeholder words and the sentence the package shows.
"""
