"""The shared streaming writer: typed cells, header, formula neutralising, illegal characters."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from compliance.ledgers.writer import Column, ExportInfo, LedgerWriter, clean_text

from .conftest import calamine_rows, sheet_xml

COLUMNS = [
    Column("no", "序号", "int", 6),
    Column("at", "时间", "datetime", 17),
    Column("on", "日期", "date", 12),
    Column("note", "备注", "user_text", 40),
    Column("score", "分值", "float", 8),
    Column("status", "状态", "enum", 10, choices={"open": "open"}),
    Column("photos", "照片", "link", 30),
]
HOSTILE = ['=HYPERLINK("http://x","y")', "+1+2", "-3", "@SUM(A1)", "\tcmd", "\rcmd", "=1+1"]


def write(rows, columns=COLUMNS, enum_labels=None) -> bytes:
    info = ExportInfo(
        "测试台账", [("从", "2026-01-01")], "督查 (discipline)", datetime(2026, 2, 1, 9, 30)
    )
    writer = LedgerWriter(
        columns,
        [c.label for c in columns],
        info,
        enum_labels=enum_labels or {"status": {"open": "未整改"}},
    )
    for row in rows:
        writer.append(row)
    buffer = io.BytesIO()
    writer.finish(buffer)
    return buffer.getvalue()


def test_formula_like_user_text_is_stored_as_text_not_formula():
    data = write([(i, None, None, text, None, None, None) for i, text in enumerate(HOSTILE, 1)])
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for offset, text in enumerate(HOSTILE):
        cell = ws.cell(row=3 + offset, column=4)
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    assert [r[3] for r in calamine_rows(data)[2:]] == HOSTILE


def test_characters_excel_cannot_hold_are_removed_instead_of_crashing():
    data = write([(1, None, None, "a\x0bb\x00c\x1fd", None, None, None)])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.cell(row=3, column=4).value == "abcd"
    assert clean_text("x" * 40000).__len__() == 32767


def test_cells_are_typed_dates_numbers_and_local_times():
    stored = datetime(2026, 3, 1, 1, 30)  # naive UTC as stored -> 09:30 in Shanghai
    aware = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    data = write(
        [
            (1, stored, date(2026, 3, 5), "备注", 2.5, "open", ["http://a/1", "http://a/2"]),
            (2, aware, None, None, 3, None, "http://a/3"),
        ]
    )
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.cell(row=3, column=1).value == 1
    assert ws.cell(row=3, column=1).data_type == "n"
    at = ws.cell(row=3, column=2)
    assert at.value == datetime(2026, 3, 1, 9, 30)
    assert at.is_date and at.number_format == "yyyy-mm-dd hh:mm"
    assert ws.cell(row=4, column=2).value == datetime(2026, 3, 1, 9, 30)
    on = ws.cell(row=3, column=3)
    assert on.is_date and on.value == datetime(2026, 3, 5) and on.number_format == "yyyy-mm-dd"
    assert ws.cell(row=3, column=5).value == 2.5
    assert ws.cell(row=3, column=6).value == "未整改"
    assert ws.cell(row=3, column=7).value == "http://a/1\nhttp://a/2"
    assert ws.cell(row=4, column=7).value == "http://a/3"


def test_header_is_bold_frozen_filtered_and_columns_have_widths():
    data = write([(1, None, None, "x", None, None, None), (2, None, None, "y", None, None, None)])
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.cell(row=1, column=1).value == "测试台账"
    assert [c.value for c in ws[2]] == [c.label for c in COLUMNS]
    assert all(c.font.b for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:G4"
    assert ws.column_dimensions["D"].width == 40
    assert ws.column_dimensions["A"].width == 6


def test_parameters_sheet_names_what_who_when_and_row_count():
    data = write([(1, None, None, "x", None, None, None)] * 3)
    wb = load_workbook(io.BytesIO(data))
    params = {row[0]: row[1] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert params["Ledger"] == "测试台账"
    assert params["从"] == "2026-01-01"
    assert params["Exported by"] == "督查 (discipline)"
    assert params["Exported at"] == datetime(2026, 2, 1, 9, 30)
    assert params["Rows"] == 3


def test_unexpected_values_in_a_number_column_are_written_not_crashing():
    from decimal import Decimal

    columns = [Column("n", "n", "int", 6), Column("x", "x", "float", 6)]
    data = write([({"a": 1}, Decimal("1.5")), (True, None)], columns=columns)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.cell(row=3, column=1).value == "{'a': 1}"
    assert ws.cell(row=3, column=2).value == 1.5
    assert ws.cell(row=4, column=1).value is True


def test_user_text_in_the_parameters_sheet_is_never_a_formula():
    """Filters typed by the user, the exporting user's name: text in the parameters sheet, with
    the quote prefix that keeps it text when edited (issue 11)."""
    hostile = [(f"filter {i}", text) for i, text in enumerate(HOSTILE)]
    info = ExportInfo(
        "测试台账", hostile, '=HYPERLINK("http://x","y") (user)', datetime(2026, 2, 1)
    )
    writer = LedgerWriter(COLUMNS, [c.label for c in COLUMNS], info)
    buffer = io.BytesIO()
    writer.finish(buffer)
    data = buffer.getvalue()
    xml = sheet_xml(data, index=2)
    assert "<f>" not in xml and "<f " not in xml
    ws = load_workbook(io.BytesIO(data)).worksheets[1]
    cells = {row[0].value: row[1] for row in ws.iter_rows(min_row=2) if len(row) > 1}
    for label, text in hostile:
        assert cells[label].value == text and cells[label].data_type == "s"
        assert cells[label].quotePrefix is True
    assert cells["Exported by"].value == '=HYPERLINK("http://x","y") (user)'
    assert cells["Exported by"].quotePrefix is True
    assert [r[1] for r in calamine_rows(data, sheet=1)[2 : 2 + len(hostile)]] == HOSTILE


def test_rows_get_the_height_of_their_wrapped_text_capped_and_cut_text_is_counted():
    """Readers keep the default row height when they open a file, so the writer sets it: a
    two-line note two lines, a 5,000-character note at most eight (not 30 pages), and a text
    over Excel's cell limit is cut and counted on the parameters sheet."""
    short, two_lines, long_note = "短", "第一行\n第二行", "很长的备注" * 1000
    data = write(
        [
            (1, None, None, short, None, None, None),
            (2, None, None, two_lines, None, None, None),
            (3, None, None, long_note, None, None, None),
            (4, None, None, "x" * 40_000, None, None, None),
        ]
    )
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    assert ws.row_dimensions[3].height is None
    assert ws.row_dimensions[4].height == 33 and ws.row_dimensions[4].customHeight
    assert ws.row_dimensions[5].height == 123 and ws.row_dimensions[6].height == 123
    assert ws.cell(row=5, column=4).value == long_note  # the whole note stays in the cell
    assert len(ws.cell(row=6, column=4).value) == 32767
    params = {row[0]: row[1] for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert params["Texts cut"].startswith("1 cell(s) held more than 32,767 characters")


def test_sheets_are_set_up_for_printing():
    data = write([(1, None, None, "x", None, None, None)])
    wb = load_workbook(io.BytesIO(data))
    ws, params = wb.worksheets
    assert ws.page_setup.paperSize == "9" or ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "landscape"  # the columns are wider than portrait
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$2:$2"
    assert ws.oddHeader.center.text == "测试台账"
    assert ws.oddFooter.center.text == "Page &P of &N"
    assert params.page_setup.orientation == "portrait" and params.page_setup.fitToWidth == 1
