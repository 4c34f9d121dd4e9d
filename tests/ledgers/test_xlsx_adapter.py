"""The adapter over openpyxl's internals: what it relies on is still there, and it still takes
effect. When one of these fails after an openpyxl upgrade, read compliance/ledgers/xlsx_adapter.py:
adapt it to the new openpyxl (and the pin in pyproject.toml), or write cells through the public
API there (slower, see the module's docstring)."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from compliance.ledgers.xlsx_adapter import check_internals, install_fast_rows, text_cell

from .conftest import sheet_xml

ADVICE = (
    "openpyxl changed under the ledger writer (compliance/ledgers/xlsx_adapter.py): adapt the "
    "adapter to this openpyxl and its pin in pyproject.toml, or use the public API there"
)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_the_openpyxl_internals_the_adapter_relies_on_are_there():
    problems = check_internals()
    assert not problems, f"{ADVICE}: " + "; ".join(problems)


def test_the_fast_row_binding_takes_effect_on_a_write_only_sheet():
    # openpyxl's own binding would make "=1+1" a formula and "#N/A" an error value; the adapter
    # binds plain strings as strings. If the sheet no longer calls the replaced conversion, the
    # first row below comes out as a formula and an error value.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    install_fast_rows(ws)
    ws.append(["=1+1", "#N/A", 7, 2.5, True, None, "文本"])
    data = _save(wb)
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml, ADVICE
    row = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert row == ("=1+1", "#N/A", 7, 2.5, True, None, "文本"), ADVICE


def test_text_cells_hold_text_with_a_quote_prefix_and_keep_their_style():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    install_fast_rows(ws)
    ws.append([text_cell(ws, "=SUM(A1)", quote_prefix=True), text_cell(ws, "#REF!")])
    data = _save(wb)
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml, ADVICE
    cells = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
    assert [c.value for c in cells] == ["=SUM(A1)", "#REF!"], ADVICE
    assert [c.data_type for c in cells] == ["s", "s"], ADVICE
    assert cells[0].quotePrefix is True and not cells[1].quotePrefix, ADVICE


def test_unstyled_cells_wrap_and_rows_take_their_fixed_height():
    # If openpyxl stops writing the Normal style's alignment or the row attributes, cells of
    # a ledger no longer wrap (one line, cut off) or rows lose their height on paper.
    import zipfile

    from openpyxl.styles import Alignment

    from compliance.ledgers.xlsx_adapter import set_row_height, wrap_by_default

    wb = Workbook(write_only=True)
    wrap_by_default(wb, Alignment(wrap_text=True, vertical="top"))
    ws = wb.create_sheet("s")
    install_fast_rows(ws)
    set_row_height(ws, 1, 33)
    ws.append(["第一行\n第二行"])
    del ws.row_dimensions[1]
    ws.append(["x"])
    data = _save(wb)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        styles = zf.read("xl/styles.xml").decode()
    normal = styles.split("<cellStyleXfs")[1].split("</cellStyleXfs>")[0]
    assert 'wrapText="1"' in normal and 'vertical="top"' in normal, ADVICE
    xml = sheet_xml(data)
    assert '<row r="1" ht="33" customHeight="1">' in xml and '<row r="2">' in xml, ADVICE
