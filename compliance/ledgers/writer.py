"""The one Excel writer every ledger goes through, on openpyxl's write-only (streaming) mode.

Rows are appended as they come from the database and flushed to a temporary sheet file by
openpyxl, so an export never holds its rows in memory. Widths and freeze panes are set before the
first append (write-only mode ignores them afterwards); date and number formats are carried by one
reusable styled cell per column instead of a styled cell object per value.

User text is always written as a string. Text that a spreadsheet would treat as a formula or
a command (starting with =, +, -, @, tab or CR) gets the `quotePrefix` cell attribute, which is how
Excel itself stores a value typed with a leading apostrophe: the text is kept exactly, shown as text,
and stays text when the cell is edited. Characters an xlsx file cannot hold are removed.

Every sheet is set up for printing (`printing`): A4, landscape when the columns need it, fitted
to the page width, the header row repeated on every page, the ledger's title in the page header
and "Page N of M" in the footer. Text columns wrap; a row whose text needs more than a few lines
gets a capped height, so one long note cannot run over pages. Text longer than Excel's cell limit
is cut, and the parameters sheet says how many cells were cut.

Cells are bound through `xlsx_adapter`, the only module that touches openpyxl's internals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension

from .printing import lines_of, print_setup, row_height, wrapped_lines
from .xlsx_adapter import install_fast_rows, set_row_height, text_cell, wrap_by_default

COLUMN_TYPES = ("text", "user_text", "int", "float", "date", "datetime", "link", "enum")
DEFAULT_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "int": "0",
    "float": "0.00",
}
MAX_CELL_CHARS = 32767
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 forbids these; openpyxl raises IllegalCharacterError on them (e.g. \x0b from a paste).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAPPED_TYPES = ("text", "user_text", "link", "enum")
PAGE_FOOTER = "Page &P of &N"


def clean_text(value: Any) -> str | None:
    """A value as text an xlsx cell can hold: illegal characters removed, length capped."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    return text


def needs_neutralising(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


@dataclass
class Column:
    """One column of a ledger: `key` names the value, `label` is a lazy_gettext string."""

    key: str
    label: Any
    type: str = "text"
    width: float = 14
    number_format: str | None = None
    choices: dict[str, Any] | None = None  # for "enum": stored value -> lazy label
    wrap: bool | None = None  # wrap long text in the cell (default: the text types)

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {self.type!r}")
        if self.number_format is None:
            self.number_format = DEFAULT_FORMATS.get(self.type)
        if self.wrap is None:
            self.wrap = self.type in WRAPPED_TYPES


@dataclass
class ExportInfo:
    """What the parameters block says about an export."""

    title: str
    parameters: list[tuple[str, str]] = field(default_factory=list)  # (label, value), translated
    exported_by: str = ""
    exported_at: datetime | None = None  # local, naive
    truncated: int = 0  # cells cut at Excel's limit (set by the writer)


class LedgerWriter:
    """Streams one tabular ledger into a workbook: a data sheet (title row, bold frozen header with
    autofilter, typed cells, print setup) and a parameters sheet written when the row count is
    known.

    Labels must already be translated strings (the caller forces the user's locale); so must
    `labels_block` (the parameters sheet's labels and "page_footer", the footer with &P and &N)."""

    def __init__(
        self,
        columns: Sequence[Column],
        labels: Sequence[str],
        info: ExportInfo,
        timezone: str = "Asia/Shanghai",
        sheet_title: str | None = None,
        enum_labels: dict[str, dict[str, str]] | None = None,
        parameters_title: str = "Parameters",
        labels_block: dict[str, str] | None = None,
    ):
        self.columns = list(columns)
        self.info = info
        self.tz = ZoneInfo(timezone)
        self.rows_written = 0
        self.truncated = 0
        self.parameters_title = parameters_title
        self.labels_block = labels_block or {}
        self.wb = Workbook(write_only=True)
        # Cells without a style of their own wrap their text at the top of the row: no style
        # per cell is needed for that (a styled cell costs about as much as writing it).
        wrap_by_default(self.wb, WRAP)
        self.ws = self.wb.create_sheet(_sheet_name(sheet_title or info.title))
        self._row_lines = 1  # the most lines a wrapped cell of the row being converted needs
        # One converter per column; every string a cell gets has been through `text`.
        self._plan = [
            (index, self._converter(column, (enum_labels or {}).get(column.key)))
            for index, column in enumerate(self.columns)
        ]
        install_fast_rows(self.ws)
        # Widths, freeze panes and the fit-to-page flag only take effect before the first append.
        for index, column in enumerate(self.columns, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = column.width
        self.ws.freeze_panes = "A3"
        print_setup(
            self.ws,
            title=clean_text(info.title) or "",
            footer=self.labels_block.get("page_footer", PAGE_FOOTER),
            widths=[c.width for c in self.columns],
            header_rows="2:2",
        )
        title = WriteOnlyCell(self.ws, value=clean_text(info.title))
        title.font = TITLE_FONT
        self.ws.append([title])
        header = []
        height = row_height(
            lines_of([clean_text(x) for x in labels], [c.width for c in self.columns])
        )
        if height is not None:
            self.ws.row_dimensions[2] = RowDimension(self.ws, index=2, ht=height, customHeight=True)
        for label in labels:
            cell = WriteOnlyCell(self.ws, value=clean_text(label))
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            header.append(cell)
        self.ws.append(header)
        self.header_row = 2

    # -- per-column conversion -------------------------------------------------------------
    def _converter(self, column: Column, enum_labels: dict[str, str] | None) -> Callable | None:
        """A function turning a stored value (never None) into what the cell gets: a plain value,
        or a prepared cell for dates (their number format), wrapped and neutralised text."""
        kind = column.type
        search, sub = _ILLEGAL.search, _ILLEGAL.sub
        ws = self.ws
        writer = self
        width = column.width
        # Text shorter than this fits one line of the column whatever its characters are.
        one_line = max(int((width - 1.5) / 2), 1)

        if column.wrap:
            seen: dict[str, int] = {}  # lines of texts met before (names, item texts repeat)

            def cell_for(value: str):
                # Every cell wraps (the workbook's Normal style); the row gets the height of its
                # tallest text, so a long text is estimated here.
                if len(value) > one_line or "\n" in value:
                    lines = seen.get(value)
                    if lines is None:
                        lines = wrapped_lines(value, width)
                        if len(seen) > 4096:
                            seen.clear()
                        seen[value] = lines
                    if lines > writer._row_lines:
                        writer._row_lines = lines
                if value[0] in FORMULA_TRIGGERS:
                    return text_cell(ws, value, quote_prefix=True, alignment=WRAP)
                return value
        else:

            def cell_for(value: str):
                if value[0] in FORMULA_TRIGGERS:
                    return text_cell(ws, value, quote_prefix=True, alignment=WRAP)
                return value

        def text(value):
            if type(value) is not str:
                value = str(value)
            if search(value) is not None:
                value = sub("", value)
            if len(value) > MAX_CELL_CHARS:
                value = value[: MAX_CELL_CHARS - 1] + "…"
                writer.truncated += 1
            if not value:
                return None
            return cell_for(value)

        if kind in ("text", "user_text"):
            return text
        if kind == "enum":
            mapping = enum_labels or {}

            def enum(value):
                label = mapping.get(value)
                return cell_for(label) if label else text(value)

            return enum
        if kind == "link":

            def links(value):
                if not isinstance(value, str):
                    value = "\n".join(value)
                return text(value)

            return links
        if kind in ("date", "datetime") or (kind == "float" and column.number_format):
            template = WriteOnlyCell(ws)
            template.number_format = column.number_format
            template.alignment = TOP
            if kind == "datetime":
                tz = self.tz

                def moment(value):
                    if value.tzinfo is None:  # stored naive UTC; Excel has no time zones
                        value = value.replace(tzinfo=UTC)
                    template.value = value.astimezone(tz).replace(tzinfo=None)
                    return template

                return moment
            if kind == "date":

                def day(value):
                    template.value = value.date() if isinstance(value, datetime) else value
                    return template

                return day

            def number(value):
                template.value = float(value)
                return template

            return number

        def plain(value):
            if type(value) is int or type(value) is float:
                return value
            if isinstance(value, int | float | Decimal | date):  # bool, Decimal, dates
                return value
            return text(value)  # anything else (a dict, a UUID...) as text, never a crash

        return plain

    def append(self, values: Sequence[Any]) -> None:
        """Append one record (values in column order, as the database holds them)."""
        row = list(values)
        self._row_lines = 1
        for index, conv in self._plan:
            value = row[index]
            if value is not None:
                row[index] = conv(value)
        if self._row_lines > 1:
            # Readers keep the default height when they open a file: give the row the height
            # of its wrapped text (capped), before it is written.
            row_no = self.header_row + self.rows_written + 1
            set_row_height(self.ws, row_no, row_height(self._row_lines))
            self.ws.append(row)
            del self.ws.row_dimensions[row_no]  # written; keep nothing per row
            self.rows_written += 1
            return
        self.ws.append(row)
        self.rows_written += 1

    def write_rows(
        self,
        rows: Iterable[Sequence[Any]],
        progress: Callable[[int], None] | None = None,
        every: int = 1000,
    ) -> int:
        for values in rows:
            self.append(values)
            if progress is not None and self.rows_written % every == 0:
                progress(self.rows_written)
        if progress is not None:
            progress(self.rows_written)
        return self.rows_written

    def finish(self, target) -> int:
        """Close the data sheet (autofilter over what was written), add the parameters sheet and
        save to `target` (a path or a binary file object). Returns the row count."""
        last_row = self.header_row + self.rows_written
        last_col = get_column_letter(max(len(self.columns), 1))
        self.ws.auto_filter.ref = f"A{self.header_row}:{last_col}{last_row}"
        self.info.truncated = self.truncated
        write_parameters_sheet(
            self.wb, self.parameters_title, self.info, self.rows_written, self.labels_block
        )
        self.wb.save(target)
        return self.rows_written


def write_parameters_sheet(
    wb: Workbook, sheet_title: str, info: ExportInfo, row_count: int, labels: dict[str, str]
) -> None:
    """The parameters block: what, which filters, who exported, when, how many rows, and how many
    texts were cut at Excel's cell limit (when any were). Printable like the data sheets."""
    ws = wb.create_sheet(_sheet_name(sheet_title))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 64
    print_setup(
        ws,
        title=clean_text(info.title) or "",
        footer=labels.get("page_footer", PAGE_FOOTER),
        widths=[22, 64],
        landscape=False,
    )
    title = WriteOnlyCell(ws, value=clean_text(info.title))
    title.font = TITLE_FONT
    ws.append([title])

    def bold(text):
        cell = WriteOnlyCell(ws, value=clean_text(text))
        cell.font = HEADER_FONT
        cell.alignment = WRAP
        return cell

    ws.append([bold(labels.get("ledger", "Ledger")), _safe_text_cell(ws, info.title)])
    for label, value in info.parameters:
        ws.append([bold(label), _safe_text_cell(ws, value)])
    ws.append(
        [bold(labels.get("exported_by", "Exported by")), _safe_text_cell(ws, info.exported_by)]
    )
    when = WriteOnlyCell(ws, value=info.exported_at)
    when.number_format = "yyyy-mm-dd hh:mm:ss"
    when.alignment = Alignment(horizontal="left", vertical="top")
    ws.append([bold(labels.get("exported_at", "Exported at")), when])
    count = WriteOnlyCell(ws, value=row_count)
    count.alignment = Alignment(horizontal="left", vertical="top")
    ws.append([bold(labels.get("rows", "Rows")), count])
    if info.truncated:
        template = labels.get(
            "truncated_value",
            "%(n)s cell(s) held more than 32,767 characters (Excel's limit for one cell) and "
            "were cut; the full text is kept in the system.",
        )
        ws.append(
            [
                bold(labels.get("truncated", "Texts cut")),
                _safe_text_cell(ws, template % {"n": info.truncated}),
            ]
        )


def _safe_text_cell(ws, value) -> WriteOnlyCell:
    """User text (a filter typed by the user, a name) as a string, never a formula."""
    text = clean_text(value) or ""
    return text_cell(ws, text, quote_prefix=bool(text) and needs_neutralising(text), alignment=WRAP)


def _sheet_name(title: str) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\."""
    name = re.sub(r"[\[\]:*?/\\]", " ", clean_text(title) or "Sheet").strip() or "Sheet"
    return name[:31]
