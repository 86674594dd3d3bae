"""Columnar fast path: a whole Arrow record batch at a time, no Python object per record.

Sources that can hand over Arrow record batches (``read_arrow``, e.g. the Parquet source) are
processed column by column with Arrow kernels: the batch is checked against a *conservative*
columnar compilation of the category schema, and its JSONL and CSV lines are built by Arrow string
kernels straight into one buffer that is hashed and written. The result is byte-for-byte what the
record path (:meth:`exporter.collect.pipeline._Run.batch`: ``to_pylist`` → map → normalise → transform →
validate → ``orjson``/``csv``) produces — tests/test_streaming.py checks that on generated data.

* :mod:`.columns` — the batch as renamed, normalised, JSON-typed columns;
* :mod:`.check` — is the batch valid? (:class:`ColumnarValidator`);
* :mod:`.regex` — which schema patterns RE2 reads as the validator does;
* :mod:`.encode` — the JSONL and CSV lines of the columns.

Whenever the fast path cannot *prove* it would do the same as the record path, the batch goes the
record path instead (exactly, including its error messages):

* a column of a type the fast path does not encode (nested values, floats that are not finite …);
* a schema keyword or ``format`` the columnar check does not implement (the category never uses
  the fast path);
* a row the columnar check does not accept. The check only ever accepts what the compiled
  validator accepts (its regular expressions are strict subsets: no 29 February, no leap second,
  upper-case ``T``/``Z`` …), so a row it refuses may still be valid — the record path decides;
* a batch a record transform may change that the columnar path may not apply
  (:meth:`exporter.collect.chain.TransformChain.apply_columns`): a string that could hold a payment
  card number (:mod:`exporter.collect.card_screens`), any record of a category whose free text is
  redacted. Withheld columns are dropped here.
"""

from __future__ import annotations

from .check import FORMAT_RE2, ColumnarValidator
from .columns import (Col, Columns, Unsupported, day_counts, prepare_columns, rows_as_dicts, string_min_max,
                      value_counts)
from .encode import buffer_bytes, csv_lines, json_lines
from .regex import re2_pattern

__all__ = [
    "FORMAT_RE2",
    "Col",
    "ColumnarValidator",
    "Columns",
    "Unsupported",
    "buffer_bytes",
    "csv_lines",
    "day_counts",
    "json_lines",
    "prepare_columns",
    "re2_pattern",
    "rows_as_dicts",
    "string_min_max",
    "value_counts",
]
