"""Print setup shared by every ledger sheet: A4, landscape when the columns need it, fitted to
the page width (as many pages down as the rows need), the header row repeated on every page, the
ledger's title in the page header and "Page N of M" in the footer, narrow margins.

Also the row heights: a reader does not size a row to its wrapped text when it opens a file
(LibreOffice keeps the default height, and the second line of a cell prints over the next row),
so a row whose wrapped text needs several lines gets the height of those lines, estimated from
the text and the column width, and at most `MAX_ROW_LINES` lines: a 5,000-character note cannot
make one row taller than a page; the rest of its text stays in the cell, readable on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl.worksheet.page import PageMargins

# Width (in Excel's character units) that fits an A4 portrait page at 100% with the margins
# below; wider sheets are printed landscape (and scaled to the width when wider still).
PORTRAIT_MAX_WIDTH = 100
LINE_HEIGHT_PT = 15.0
MAX_ROW_LINES = 8  # a row of wrapped text is at most this many lines tall (120 pt) on paper
PAPER_A4 = 9  # the paperSize code of A4 in SpreadsheetML


def header_text(text: str) -> str:
    """Text for a page header or footer: `&` starts a code there, `&&` is a literal ampersand;
    Excel allows 255 characters for a header section."""
    return text.replace("&", "&&")[:240]


def print_setup(
    ws,
    *,
    title: str,
    footer: str,
    widths: Sequence[float],
    header_rows: str | None = None,
    landscape: bool | None = None,
) -> None:
    """Set up how `ws` (a write-only sheet, before its first row) prints.

    `footer` is the translated "Page &P of &N" (the codes Excel and LibreOffice replace with the
    page number and count); `header_rows` is e.g. "2:2", repeated at the top of every page."""
    if landscape is None:
        landscape = sum(widths) > PORTRAIT_MAX_WIDTH
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    setup = ws.page_setup
    setup.paperSize = PAPER_A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as needed
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = header_text(title)
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = footer
    ws.oddFooter.center.size = 9
    if header_rows:
        ws.print_title_rows = header_rows


def display_width(text: str) -> int:
    """Character units the text takes on one line, about: a character of three UTF-8 bytes
    (Chinese) counts twice, one of two bytes one and a half (computed in C: it runs on every
    long text of an export)."""
    return len(text) + (len(text.encode("utf-8", "surrogatepass")) - len(text)) // 2


def wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of `width` character units needs for `text` (an estimate)."""
    per_line = max(width - 1.5, 1.0)
    lines = 0
    for part in text.split("\n"):
        lines += max(1, math.ceil(display_width(part) / per_line))
        if lines > MAX_ROW_LINES:
            break
    return lines


def row_height(lines: int) -> float | None:
    """The height of a row whose tallest cell needs `lines` lines (None: one line, the default
    height), capped at `MAX_ROW_LINES` lines."""
    if lines <= 1:
        return None
    return min(lines, MAX_ROW_LINES) * LINE_HEIGHT_PT + 3


def lines_of(values, widths) -> int:
    """The lines the tallest of `values` (texts, or None) needs in columns of `widths`."""
    most = 1
    for value, width in zip(values, widths, strict=False):
        if isinstance(value, str) and value:
            most = max(most, wrapped_lines(value, width))
    return most
