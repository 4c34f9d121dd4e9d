"""Reading a 好差评 export (Excel .xlsx or CSV) into a header row and data rows, and guessing which
column holds what. No database: `importer` decides what each row becomes."""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from compliance.domain import N_, DomainError

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# field -> (label msgid, accepted header spellings, normalised)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "external_no": (
        N_("Evaluation number (评价编号)"),
        ("评价编号", "评价单号", "评价id", "评价流水号", "流水号", "编号", "evaluationno", "id"),
    ),
    "rated_at": (
        N_("Evaluation time (评价时间)"),
        ("评价时间", "评价日期", "时间", "日期", "ratedat", "date", "time"),
    ),
    "rating": (
        N_("Rating (评价等级)"),
        ("评价等级", "评价结果", "满意度", "评价", "等级", "rating", "score"),
    ),
    "content": (
        N_("Comment (评价内容)"),
        ("评价内容", "差评内容", "评价意见", "意见建议", "内容", "comment", "content"),
    ),
    "site": (
        N_("Site (办理机构/服务场所)"),
        ("服务场所", "办理机构", "办件机构", "服务大厅", "大厅", "机构", "场所编码", "site"),
    ),
    "window": (N_("Window (窗口)"), ("办理窗口", "窗口", "窗口编号", "window")),
    "staff": (
        N_("Staff member (工作人员)"),
        ("工作人员", "经办人", "受理人", "办理人", "被评价人", "工号", "staff"),
    ),
    "service": (N_("Service item (事项名称)"), ("事项名称", "办理事项", "事项", "service")),
    "complainant_name": (
        N_("Citizen (评价人)"),
        ("评价人", "评价人姓名", "办事人", "申请人", "姓名", "name"),
    ),
    "complainant_phone": (
        N_("Citizen's phone (联系电话)"),
        ("联系电话", "评价人电话", "手机号", "电话", "phone", "mobile"),
    ),
}
REQUIRED_FIELDS = ("external_no", "rated_at", "rating")
DEFAULT_BAD_RATINGS = ["非常不满意", "不满意", "差评", "1", "2"]


class RatingFileError(DomainError):
    """The file as a whole cannot be read: nothing is stored or imported."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("complaints.import_file", message, field="file", **params)


def norm(value: Any) -> str:
    return re.sub(r"[\s_\-（）()*:：]", "", str(value or "")).lower()


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # numbers typed into cells (evaluation numbers, phones, ratings)
    return str(value).strip()


def file_format(filename: str) -> str:
    """ "xlsx" or "csv" by the file name. Raises RatingFileError for anything else (an old .xls
    workbook is refused with the way out)."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".csv") or name.endswith(".txt"):
        return "csv"
    if name.endswith(".xls"):
        raise RatingFileError(
            N_("Old .xls workbooks cannot be read: save the export as .xlsx or .csv and upload it.")
        )
    raise RatingFileError(N_("Upload the platform's export as an Excel .xlsx or a .csv file."))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RatingFileError(N_("The CSV file is neither UTF-8 nor GBK text."))


def _csv_rows(data: bytes) -> list[list[Any]]:
    content = _decode(data)
    if "\x00" in content:
        raise RatingFileError(N_("The file could not be read as CSV text."))
    sample = content[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return [row for row in csv.reader(io.StringIO(content), dialect)]
    except csv.Error as exc:
        raise RatingFileError(N_("The file could not be read as CSV text.")) from exc


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RatingFileError(N_("This is not an Excel .xlsx file."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        logger.info("rating file refused: %s", type(exc).__name__)
        raise RatingFileError(
            N_("The file could not be read; it may be damaged or not an .xlsx workbook.")
        ) from exc
    try:
        if not workbook.worksheets:
            raise RatingFileError(N_("The workbook has no sheet."))
        rows = []
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(list(values or ()))
            if len(rows) > MAX_ROWS + 20:
                break
        return rows
    except RatingFileError:
        raise
    except Exception as exc:
        raise RatingFileError(
            N_("The file could not be read; it may be damaged or not an .xlsx workbook.")
        ) from exc
    finally:
        workbook.close()


def read_table(data: bytes, fmt: str) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """(headers, [(file row number, values)]) of the first sheet; the header row is the first
    non-empty one (exports often start with a title line, which is skipped when it has a single
    cell). Raises RatingFileError for an empty, oversize, unreadable or header-less file."""
    if not data:
        raise RatingFileError(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise RatingFileError(
            N_("The file is too large (at most %(mb)s MB)."), mb=MAX_BYTES // (1024 * 1024)
        )
    raw = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    header_index = None
    for index, values in enumerate(raw[:20]):
        filled = [v for v in values if text(v)]
        if len(filled) >= 2:
            header_index = index
            break
    if header_index is None:
        raise RatingFileError(N_("No header row was found (column titles in the first rows)."))
    headers = [text(v) for v in raw[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise RatingFileError(N_("The column title %(title)s appears twice."), title=h)
        seen.add(h)
    rows = []
    for offset, values in enumerate(raw[header_index + 1 :], start=header_index + 2):
        if not any(text(v) for v in values):
            continue
        rows.append((offset, list(values)))
        if len(rows) > MAX_ROWS:
            raise RatingFileError(N_("Too many rows (at most %(max)s)."), max=MAX_ROWS)
    if not rows:
        raise RatingFileError(N_("The file has no data rows."))
    return headers, rows


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """field -> header, for the headers that match a known spelling (each header used once)."""
    normalised = {norm(h): h for h in headers if h}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, (_label, aliases) in FIELDS.items():
        for alias in aliases:
            header = normalised.get(norm(alias))
            if header and header not in used:
                mapping[field] = header
                used.add(header)
                break
    return mapping


def parse_date(value: Any) -> date | None:
    """A date from a cell: a datetime, an Excel serial number, or text like 2026-03-01 10:22,
    2026/3/1 or 2026年3月1日."""
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
    match = re.match(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", str(value))
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
