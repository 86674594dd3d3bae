"""View model for the report templates: readable titles, dates, codes and nested values.

The templates only lay out what :func:`build_view` returns; every decision about how a value reads
(field titles from the schema, coded values with their explanations, dates with their time zone,
nested values flattened into labelled lines, over-long text cut with a pointer to the data file) is
made here, in plain Python, so that the PDF and the HTML say the same thing (GDPR Art. 12(1), 15).

Nothing here marks text as safe: templates are rendered with autoescape on, and subject data stays
plain ``str``.

Modules, one question each: :mod:`.limits` (how much is shown), :mod:`.formats` (how a value
reads), :mod:`.schema` (what the schema says of a field), :mod:`.values` (a value as lines),
:mod:`.tables` and :mod:`.listing` (records as tables, cards, fixed-width text), :mod:`.records`
(which records a category shows, and how), :mod:`.facts` (a category's Art. 15(1) facts),
:mod:`.notes` (what is withheld, the data files), :mod:`.category` (one category page),
:mod:`.request` (the request page), :mod:`.summary` (summary, legal bases, notices, CCPA table)
and :mod:`.build` (the whole view).
"""

from .formats import Line, format_count, format_date, format_datetime, format_temporal
from .build import build_view
from .schema import field_schema
from .values import describe_value

__all__ = [
    "Line",
    "build_view",
    "describe_value",
    "field_schema",
    "format_count",
    "format_date",
    "format_datetime",
    "format_temporal",
]
