"""The view model's old home: :mod:`exporter.render.view` answers it now, module by module.

Kept so that ``from exporter.render.context import build_view`` (and the names the tests use) keep
working; new code imports from :mod:`exporter.render.view`.
"""

from __future__ import annotations

from .view.category import _category_view as _category_view
from .view.formats import Line, format_count, format_date, format_datetime, format_temporal
from .view.formats import readable_dates as readable_dates
from .view.summary import _notice_view as _notice_view
from .view.build import build_view
from .view.limits import CARD_TITLE_WIDTH as CARD_TITLE_WIDTH
from .view.limits import FULL_DETAIL_ROWS as FULL_DETAIL_ROWS
from .view.limits import LISTING_MIN_ROWS as LISTING_MIN_ROWS
from .view.limits import LISTING_WIDTH as LISTING_WIDTH
from .view.limits import MAX_ROWS as MAX_ROWS
from .view.limits import MAX_TABLE_COLUMNS as MAX_TABLE_COLUMNS
from .view.listing import _card_rows as _card_rows
from .view.listing import _listing as _listing
from .view.schema import field_schema
from .view.values import describe_value

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
