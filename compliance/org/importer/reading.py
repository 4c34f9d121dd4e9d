"""Reading a roster workbook: the columns, the file checks and the downloadable template.

Columns (Chinese or English headers, any order): 工号 staff number, 姓名 name, 电话 phone,
入职日期 hire date, 场所编码 site code, 岗位编码 post code, 窗口编号 window code, 状态 status.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel

from ...domain import N_ as _
from ...domain import InvalidError

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_CELL = 200  # characters; longer than any column's rule, refused before anything else

# key -> (Chinese header used in the template, accepted header spellings)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "staff_no": ("工号", ("工号", "staffno", "staffnumber", "staffnum", "number", "no")),
    "name": ("姓名", ("姓名", "name", "fullname")),
    "phone": ("电话", ("电话", "手机", "联系电话", "phone", "mobile", "tel", "telephone")),
    "hired_on": ("入职日期", ("入职日期", "hiredate", "hiredon", "hired", "dateofhire")),
    "site": ("场所编码", ("场所编码", "场所代码", "site", "sitecode")),
    "post": ("岗位编码", ("岗位编码", "岗位代码", "post", "postcode")),
    "window": ("窗口编号", ("窗口编号", "窗口编码", "窗口", "window", "windowcode", "windowno")),
    "status": ("状态", ("状态", "status")),
}
REQUIRED = ("staff_no", "name", "hired_on", "site", "post")

# The template's example row carries this staff number; any staff number starting with one of
# these prefixes is an example, skipped with a message and never matched to a real person.
EXAMPLE_PREFIXES = ("示例", "EXAMPLE")
EXAMPLE_ROW = [
    "示例-0001",
    "示例姓名",
    "13800000000",
    date(2024, 3, 1),
    "示例场所",
    "示例岗位",
    "",
    "在岗",
]


class RosterFileError(InvalidError):
    """The file as a whole cannot be read (not xlsx, corrupt, too large, headers missing)."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("org.roster_file", message, field="file", **params)


@dataclass
class RowError:
    row: int  # the spreadsheet row number (the header is row 1)
    message: str  # English msgid
    params: dict = field(default_factory=dict)
    column: str | None = None  # the column key at fault, if one

    def __str__(self) -> str:
        return f"row {self.row}: " + (self.message % self.params if self.params else self.message)


def is_example(staff_no: str) -> bool:
    return staff_no.upper().startswith(EXAMPLE_PREFIXES)


def _norm_header(value: Any) -> str:
    return re.sub(r"[\s_\-（）()*]", "", str(value or "")).lower()


_HEADER_LOOKUP = {
    _norm_header(alias): key for key, (_zh, aliases) in COLUMNS.items() for alias in aliases
}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # staff numbers and phones typed as numbers
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            converted = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            return None
        return converted.date() if isinstance(converted, datetime) else None
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", str(value).strip())
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


_UNREADABLE = _("The file could not be read; it may be damaged or not an .xlsx workbook.")


def read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column key: raw value}) for every non-empty row of the first sheet.

    Raises RosterFileError for an oversize, non-xlsx or corrupt file or missing columns.
    """
    if len(data) > MAX_BYTES:
        raise RosterFileError(
            _("The file is too large (at most %(mb)s MB)."), mb=MAX_BYTES // (1024 * 1024)
        )
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise RosterFileError(_("This is not an Excel .xlsx file."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        logger.info("roster file refused: %s", type(exc).__name__)
        raise RosterFileError(_UNREADABLE) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise RosterFileError(_("The workbook has no sheet."))
        rows_iter = sheet.iter_rows(values_only=True)
        try:
            header = next(rows_iter)
        except StopIteration as exc:
            raise RosterFileError(_("The sheet is empty.")) from exc
        except Exception as exc:
            raise RosterFileError(_UNREADABLE) from exc
        positions: dict[str, int] = {}
        for index, title in enumerate(header or ()):
            key = _HEADER_LOOKUP.get(_norm_header(title))
            if key and key not in positions:
                positions[key] = index
        missing = [COLUMNS[k][0] for k in REQUIRED if k not in positions]
        if missing:
            raise RosterFileError(
                _("Missing column(s): %(columns)s. Use the template."), columns="、".join(missing)
            )
        rows: list[tuple[int, dict[str, Any]]] = []
        try:
            for number, values in enumerate(rows_iter, start=2):
                values = values or ()
                row = {key: values[i] if i < len(values) else None for key, i in positions.items()}
                if all(text(v) == "" for v in row.values()):
                    continue
                rows.append((number, row))
                if len(rows) > MAX_ROWS:
                    raise RosterFileError(_("Too many rows (at most %(max)s)."), max=MAX_ROWS)
        except RosterFileError:
            raise
        except Exception as exc:
            raise RosterFileError(_UNREADABLE) from exc
        if not rows:
            raise RosterFileError(_("The sheet has no data rows."))
        return rows
    finally:
        workbook.close()


NOTES = [
    ["列", "必填", "说明"],
    ["工号", "是", "每人唯一。系统中已有该工号的人员将被更新（导入前会先列出每项变化供确认）。"],
    ["姓名", "是", "最多 64 个字。"],
    ["电话", "否", "留空则不改动已有电话。"],
    ["入职日期", "是", "日期，例如 2024-03-01。"],
    ["场所编码", "是", "系统中已有的场所编码（见“组织机构”）。"],
    ["岗位编码", "是", "系统中已有的岗位编码。"],
    ["窗口编号", "否", "该场所下的窗口编号；留空表示不固定窗口。"],
    ["状态", "否", "在岗 / 停职 / 离职，留空：新人为在岗，已有人员不改动。"],
    [],
    ["示例行", "", "工号以“示例”开头的行是示例，导入时跳过，不会匹配任何人员。可直接删除。"],
    [
        "导入步骤",
        "",
        "上传后先显示预览：新增哪些人、每人哪些字段由什么改为什么、哪些行有错误；确认后才写入。",
    ],
]


def template_workbook() -> bytes:
    """The downloadable template: Chinese headers, one clearly fake example row (skipped by the
    importer) and a notes sheet (说明) explaining each column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append([zh for zh, _aliases in COLUMNS.values()])
    ws.append(EXAMPLE_ROW)
    ws["D2"].number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGH", (12, 10, 16, 14, 12, 12, 12, 8), strict=True):
        ws.column_dimensions[column].width = width
    notes = wb.create_sheet("说明")
    for line in NOTES:
        notes.append(line)
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
