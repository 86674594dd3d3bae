"""How much of a category the report shows, and how wide its fixed-width text is.

The limits keep report.pdf readable and fast to lay out (GDPR Art. 12(1): concise, intelligible);
what is cut is always in the data files, and the report says so.
"""

#: Records with at most this many columns are shown as a table; wider ones as definition lists.
MAX_TABLE_COLUMNS = 6
#: Categories with at most this many shown records keep the full per-record detail; above it, a
#: category with ``pdf_columns`` in the catalog gets a compact table of those columns only.
FULL_DETAIL_ROWS = 3
#: Longest text in one cell of a compact table (the full value is in the data files).
MAX_COMPACT_CHARS = 160
#: Longest text shown in one cell; the full value is in the data files.
MAX_CELL_CHARS = 1200
#: At most this many lines for one nested value.
MAX_CELL_LINES = 40
#: At most this many most-frequent values shown per field.
MAX_TOP_VALUES = 10
#: At most this many rows rendered per category, whatever the caller passes.
MAX_ROWS = 500
#: Compact tables are shown in report.pdf as *listings*: fixed-width text, columns aligned with
#: spaces. WeasyPrint lays out every table cell as its own boxes (about 2,500 Python calls each; a
#: third of a typical report's render time once went to two 100-row log tables); a line of text costs
#: about a tenth of a table row. With more rows than this, a listing gives one line per record and
#: cuts long values with "…"; with this many or fewer, long values wrap inside their column, so the
#: reader loses nothing the table showed. index.html keeps the real tables (browsers are fast at them).
LISTING_MIN_ROWS = 20
#: Characters per listing line: the PDF's text width (171 mm) in 7.5 pt Noto Sans Mono (0.6 em).
LISTING_WIDTH = 104
#: Listing lines per block (blocks alternate in shade, so the eye can follow a line across).
LISTING_BLOCK = 5
#: Record cards (categories showing at most FULL_DETAIL_ROWS records) are set in report.pdf the way
#: listings are: fixed-width lines, a field title and its value per row, two short fields side by
#: side, long values wrapped under their own column. As 4-column tables they cost about 8 ms of
#: WeasyPrint time per row, a sixth of a typical report; a line of text costs about 1.4 ms.
#: index.html keeps the table cards. Field titles wider than this many columns wrap.
CARD_TITLE_WIDTH = 22
