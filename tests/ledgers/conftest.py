"""Helpers for reading exported workbooks back, with openpyxl and with a second reader."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook


def sheet_rows(data: bytes, sheet: int = 0) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=False)
    ws = wb.worksheets[sheet]
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def calamine_rows(data: bytes, sheet: int = 0) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return wb.get_sheet_by_index(sheet).to_python()


def sheet_xml(data: bytes, index: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(f"xl/worksheets/sheet{index}.xml").decode()


def data_rows(data: bytes) -> list[tuple]:
    """The records of a tabular ledger (below the title row and the header)."""
    return sheet_rows(data)[2:]


@pytest.fixture
def async_threshold(app, monkeypatch):
    def set_to(rows: int):
        monkeypatch.setitem(app.config, "EXPORT_ASYNC_ROWS", rows)

    return set_to
