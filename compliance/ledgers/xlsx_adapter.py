"""The one place that touches openpyxl's internals, so that an openpyxl upgrade cannot break the
ledgers silently. Tested with openpyxl 3.1 (pinned in pyproject.toml: ``openpyxl>=3.1,<3.2``);
`tests/ledgers/test_xlsx_adapter.py` fails with a clear message when what is relied on here
changes.

Why internals: a write-only sheet binds every appended value through the public `Cell.value`
setter, which infers the type and scans every string again, and treats text starting with "="
as a formula and text such as "#N/A" as an error value. The ledger writer's converters have
already cleaned every string and chosen every type, so:

- `install_fast_rows(ws)` replaces the sheet's row conversion (``WriteOnlyWorksheet.
  _values_to_row``, called for every appended row) by one that binds plain `str`, `int` and
  `float` values directly (``Cell._value`` and ``Cell.data_type``), passes prepared cells
  through and leaves anything else to openpyxl's own binding;
- `text_cell(ws, text)` makes a cell that holds `text` as a string, never a formula or an error
  value (the public setter cannot);
- `set_row_height(ws, row, height)` fixes the height of the next row of a write-only sheet
  without a RowDimension object per row;
- `wrap_by_default(wb, alignment)` gives the workbook's Normal cell style (``wb._named_styles``)
  an alignment, so every cell without a style of its own wraps: styling each cell instead costs
  about as much as writing it.

Measured with `bench/ledger_rectifications.py`, the public path instead costs about 10% of the
export speed (issue 11).
"""

from __future__ import annotations

from collections.abc import Iterator

import openpyxl
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# The openpyxl minor versions this module was tested with (keep in step with pyproject.toml).
TESTED_MINOR_VERSIONS = ("3.1",)
# Cell attributes bound directly (Cell uses __slots__: a renamed slot fails loudly, not silently).
CELL_SLOTS = ("_value", "data_type", "row", "column")


def check_internals() -> list[str]:
    """What this module relies on that this openpyxl no longer provides (empty: all there)."""
    problems = []
    minor = ".".join(openpyxl.__version__.split(".")[:2])
    if minor not in TESTED_MINOR_VERSIONS:
        problems.append(
            f"openpyxl {openpyxl.__version__} is not a version the ledger writer was tested with "
            f"({', '.join(TESTED_MINOR_VERSIONS)})"
        )
    if not callable(getattr(WriteOnlyWorksheet, "_values_to_row", None)):
        problems.append("WriteOnlyWorksheet._values_to_row is gone")
    slots = set()
    for klass in Cell.__mro__:
        slots.update(getattr(klass, "__slots__", ()))
    problems.extend(f"Cell has no slot {name!r}" for name in CELL_SLOTS if name not in slots)
    named = getattr(openpyxl.Workbook(write_only=True), "_named_styles", None)
    if named is None or "Normal" not in getattr(named, "names", []):
        problems.append("Workbook._named_styles has no 'Normal' style")
    return problems


_HEIGHTS: dict[float, dict[str, str]] = {}


def set_row_height(ws, row: int, height: float) -> None:
    """Give row `row` of write-only sheet `ws` a fixed height, before it is appended (the caller
    deletes the entry once the row is written). The sheet writer reads the row's attributes from
    ``ws.row_dimensions`` as a mapping, so a shared mapping per height stands in for a
    RowDimension object per row."""
    attrs = _HEIGHTS.get(height)
    if attrs is None:
        attrs = _HEIGHTS.setdefault(height, {"ht": f"{height:g}", "customHeight": "1"})
    ws.row_dimensions[row] = attrs


def wrap_by_default(wb, alignment: Alignment) -> None:
    """Give the Normal cell style of `wb` (a new workbook) this alignment: the cells written
    without a style of their own take it (Excel and LibreOffice alike)."""
    wb._named_styles["Normal"].alignment = alignment


def text_cell(
    ws, text: str, *, quote_prefix: bool = False, alignment: Alignment | None = None
) -> Cell:
    """A write-only cell holding `text` as a string (never a formula or an error value).

    `quote_prefix` sets the cell's quotePrefix attribute: how Excel stores a value typed with a
    leading apostrophe, so the text stays text when the cell is edited."""
    cell = WriteOnlyCell(ws)
    cell._value = text
    cell.data_type = "s"
    if quote_prefix:
        cell.quotePrefix = True
    if alignment is not None:
        cell.alignment = alignment
    return cell


def install_fast_rows(ws) -> None:
    """Bind the rows appended to write-only sheet `ws` without openpyxl's second type dispatch
    and character scan: every `str` given must already be clean (no illegal XML character, at
    most 32,767 characters) and is written as a string as it is; text that must not be read as a
    formula or an error value comes as a `text_cell`. A prepared cell is written as given and
    may be given again in a later row (a column's reusable styled template)."""

    def values_to_row(values, row_idx: int) -> Iterator[Cell]:
        cell = WriteOnlyCell(ws)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                cell._value = value
                cell.data_type = "s"
            elif kind is int or kind is float:
                cell._value = value
                cell.data_type = "n"
            elif isinstance(value, Cell):
                # A prepared cell (styled, or a column's reusable template): written as it is,
                # and the plain cell stays free for the next value.
                value.column = col_idx
                value.row = row_idx
                yield value
                continue
            else:
                cell.value = value  # openpyxl's own binding (dates, Decimal, bool...)
            cell.column = col_idx
            cell.row = row_idx
            yield cell
            if cell.has_style or cell.hyperlink:
                cell = WriteOnlyCell(ws)

    ws._values_to_row = values_to_row
