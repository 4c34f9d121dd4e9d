"""Roster import from Excel: validate every row first, then apply all rows or none.

Columns (Chinese or English headers, any order): 工号 staff number, 姓名 name, 电话 phone,
入职日期 hire date, 场所编码 site code, 岗位编码 post code, 窗口编号 window code, 状态 status.
A row creates a staff member or updates the one with the same staff number, and sets their current
assignment (post + site + window). No Flask imports: the page owns the transaction and rolls it
back when `import_roster` reports errors.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy.orm import Session

from ..audit import record
from ..domain import N_ as _
from ..domain import DomainError
from ..models import STAFF_STATUSES, Post, Site, StaffMember, User, Window
from .services import (
    PHONE_RE,
    assign,
    create_staff,
    current_assignment,
    update_assignment,
    update_staff,
)

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


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
STATUS_WORDS = {
    "active": "active",
    "在岗": "active",
    "在职": "active",
    "正常": "active",
    "suspended": "suspended",
    "停职": "suspended",
    "暂停": "suspended",
    "left": "left",
    "离职": "left",
    "离岗": "left",
}


class RosterFileError(DomainError):
    """The file as a whole cannot be read (not xlsx, corrupt, too large, headers missing)."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__("org.roster_file", message, field="file", **params)


class RosterRowsError(DomainError):
    """Some rows break a rule; nothing is imported. `details` lists (msgid, params) per row, with
    the spreadsheet row number in params["row"]."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            "org.roster_rows",
            _("Nothing was imported: fix the rows listed below and upload again."),
            details=[(e.message, {**e.params, "row": e.row}) for e in errors],
        )
        self.rows = errors


@dataclass
class RowError:
    row: int  # the spreadsheet row number (the header is row 1)
    message: str  # English msgid
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"row {self.row}: " + (self.message % self.params if self.params else self.message)


@dataclass
class RowPlan:
    row: int
    staff_no: str
    name: str
    phone: str | None
    hired_on: date
    site: Site
    post: Post
    window: Window | None
    status: str | None
    existing: StaffMember | None


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _norm_header(value: Any) -> str:
    return re.sub(r"[\s_\-（）()*]", "", str(value or "")).lower()


_HEADER_LOOKUP = {
    _norm_header(alias): key for key, (_zh, aliases) in COLUMNS.items() for alias in aliases
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # staff numbers and phones typed as numbers
    return str(value).strip()


def _parse_date(value: Any) -> date | None:
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
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


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
        raise RosterFileError(
            _("The file could not be read; it may be damaged or not an .xlsx workbook.")
        ) from exc
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
            raise RosterFileError(
                _("The file could not be read; it may be damaged or not an .xlsx workbook.")
            ) from exc
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
                if all(_text(v) == "" for v in row.values()):
                    continue
                rows.append((number, row))
                if len(rows) > MAX_ROWS:
                    raise RosterFileError(_("Too many rows (at most %(max)s)."), max=MAX_ROWS)
        except RosterFileError:
            raise
        except Exception as exc:
            raise RosterFileError(
                _("The file could not be read; it may be damaged or not an .xlsx workbook.")
            ) from exc
        if not rows:
            raise RosterFileError(_("The sheet has no data rows."))
        return rows
    finally:
        workbook.close()


def validate_rows(
    session: Session, rows: list[tuple[int, dict[str, Any]]], scope: set[int] | None
) -> tuple[list[RowPlan], list[RowError]]:
    """Check every row against the database (a fixed number of queries). Returns plans and errors."""
    sites = {s.code: s for s in session.scalars(sa.select(Site))}
    posts = {p.code: p for p in session.scalars(sa.select(Post))}
    windows = {(w.site_id, w.code): w for w in session.scalars(sa.select(Window))}
    numbers = {_text(r.get("staff_no")) for _n, r in rows} - {""}
    existing: dict[str, StaffMember] = {}
    for chunk_start in range(0, len(numbers), 500):
        chunk = sorted(numbers)[chunk_start : chunk_start + 500]
        existing.update(
            {
                m.staff_no: m
                for m in session.scalars(
                    sa.select(StaffMember).where(StaffMember.staff_no.in_(chunk))
                )
            }
        )

    plans: list[RowPlan] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for number, raw in rows:
        problems: list[RowError] = []

        def bad(message: str, _number: int = number, _problems: list = problems, **params) -> None:
            _problems.append(RowError(_number, message, params))

        staff_no = _text(raw.get("staff_no"))
        name = _text(raw.get("name"))
        phone = _text(raw.get("phone")) or None
        hired_raw = raw.get("hired_on")
        hired_on = _parse_date(hired_raw)
        site_code = _text(raw.get("site"))
        post_code = _text(raw.get("post"))
        window_code = _text(raw.get("window"))
        status_text = _text(raw.get("status"))

        if not staff_no:
            bad(_("The staff number (工号) is missing."))
        elif len(staff_no) > 32:
            bad(_("The staff number (工号) is too long."))
        elif staff_no in first_seen:
            bad(
                _("Staff number %(staff_no)s appears again (first on row %(first)s)."),
                staff_no=staff_no,
                first=first_seen[staff_no],
            )
        else:
            first_seen[staff_no] = number
        if not name:
            bad(_("The name (姓名) is missing."))
        elif len(name) > 64:
            bad(_("The name (姓名) is too long."))
        if phone and not PHONE_RE.match(phone):
            bad(_("The phone number (电话) %(phone)s is not valid."), phone=phone)
        if hired_on is None:
            if _text(hired_raw):
                bad(
                    _("The hire date (入职日期) %(value)s is not a date (use 2024-03-01)."),
                    value=_text(hired_raw),
                )
            else:
                bad(_("The hire date (入职日期) is missing."))
        site = sites.get(site_code)
        if not site_code:
            bad(_("The site code (场所编码) is missing."))
        elif site is None or (scope is not None and site.id not in scope):
            bad(_("Unknown site code (场所编码) %(code)s."), code=site_code)
            site = None
        post = posts.get(post_code)
        if not post_code:
            bad(_("The post code (岗位编码) is missing."))
        elif post is None:
            bad(_("Unknown post code (岗位编码) %(code)s."), code=post_code)
        window = None
        if window_code and site is not None:
            window = windows.get((site.id, window_code))
            if window is None:
                bad(
                    _("Site %(site)s has no window %(code)s (窗口编号)."),
                    site=site_code,
                    code=window_code,
                )
        status = None
        if status_text:
            status = STATUS_WORDS.get(status_text.lower())
            if status not in STAFF_STATUSES:
                bad(
                    _("Unknown status (状态) %(value)s: use 在岗, 停职 or 离职."), value=status_text
                )
        member = existing.get(staff_no)
        if member is not None and scope is not None and member.site_id not in scope:
            bad(
                _("Staff number %(staff_no)s belongs to someone outside your sites."),
                staff_no=staff_no,
            )
        if problems:
            errors.extend(problems)
            continue
        plans.append(
            RowPlan(number, staff_no, name, phone, hired_on, site, post, window, status, member)
        )
    return plans, errors


def _apply(session: Session, actor: User | None, plan: RowPlan, today: date) -> str:
    """Apply one validated row; returns "created", "updated" or "unchanged"."""
    if plan.existing is None:
        member = create_staff(
            session,
            actor,
            staff_no=plan.staff_no,
            name=plan.name,
            phone=plan.phone,
            hired_on=plan.hired_on,
            site_id=plan.site.id,
            status=plan.status or "active",
        )
        if member.status != "left":
            assign(
                session,
                actor,
                member,
                post_id=plan.post.id,
                site_id=plan.site.id,
                window_id=plan.window.id if plan.window else None,
                started_on=plan.hired_on,
                note="花名册导入",
            )
        return "created"

    member = plan.existing
    values: dict[str, Any] = {"name": plan.name, "hired_on": plan.hired_on, "site_id": plan.site.id}
    if plan.phone is not None:
        values["phone"] = plan.phone
    if plan.status is not None:
        values["status"] = plan.status
    changes = {k: v for k, v in values.items() if getattr(member, k) != v}
    if changes:
        update_staff(session, actor, member, today=today, **changes)
    if member.status == "left":
        return "updated" if changes else "unchanged"
    window_id = plan.window.id if plan.window else None
    current = current_assignment(session, member.id)
    if current is not None and (current.post_id, current.site_id, current.window_id) == (
        plan.post.id,
        plan.site.id,
        window_id,
    ):
        return "updated" if changes else "unchanged"
    if current is not None and current.started_on >= today:
        update_assignment(
            session, actor, current, post_id=plan.post.id, site_id=plan.site.id, window_id=window_id
        )
    else:
        assign(
            session,
            actor,
            member,
            post_id=plan.post.id,
            site_id=plan.site.id,
            window_id=window_id,
            started_on=max(today, plan.hired_on),
            note="花名册导入",
        )
    return "updated"


def import_roster(
    session: Session,
    actor: User | None,
    data: bytes,
    *,
    filename: str = "",
    scope: set[int] | None = None,
    today: date | None = None,
) -> ImportResult:
    """Validate every row, then apply all of them; on any error nothing is written.

    Raises RosterFileError when the file itself is unusable and RosterRowsError listing every bad
    row otherwise (a rule broken while applying is reported the same way; the caller's unit of
    work then rolls back the rows applied before it).
    """
    today = today or date.today()
    rows = read_rows(data)
    result = ImportResult(rows=len(rows))
    plans, errors = validate_rows(session, rows, scope)
    if errors:
        raise RosterRowsError(errors)
    for plan in plans:
        try:
            outcome = _apply(session, actor, plan, today)
        except DomainError as exc:
            raise RosterRowsError([RowError(plan.row, exc.message, exc.params)]) from exc
        setattr(result, outcome, getattr(result, outcome) + 1)
    record(
        session,
        actor,
        "roster.import",
        entity_type="RosterImport",
        entity_id=None,
        after={
            "filename": filename[:200],
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    logger.info(
        "roster import: %s created, %s updated, %s unchanged",
        result.created,
        result.updated,
        result.unchanged,
    )
    return result


def template_workbook() -> bytes:
    """The downloadable template: Chinese headers, one example row, and a notes sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append([zh for zh, _aliases in COLUMNS.values()])
    ws.append(["DM0001", "张三", "13800000000", date(2024, 3, 1), "DM", "ZHSL", "A01", "在岗"])
    ws["D2"].number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGH", (12, 10, 16, 14, 12, 12, 12, 8), strict=True):
        ws.column_dimensions[column].width = width
    notes = wb.create_sheet("说明")
    notes.append(["列", "必填", "说明"])
    notes.append(["工号", "是", "工号唯一；已有工号的人员将被更新"])
    notes.append(["姓名", "是", ""])
    notes.append(["电话", "否", ""])
    notes.append(["入职日期", "是", "日期，例如 2024-03-01"])
    notes.append(["场所编码", "是", "系统中已有的场所编码"])
    notes.append(["岗位编码", "是", "系统中已有的岗位编码"])
    notes.append(["窗口编号", "否", "该场所下的窗口编号"])
    notes.append(["状态", "否", "在岗 / 停职 / 离职，默认在岗"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
