"""The first roster import, row by row through the single-record services (one audit event and
a savepoint per created record). Kept only as the baseline of `bench/roster_import.py`; the pages
use the preview/confirm import of `service` and the batched `applying`.

Validate every row first, then apply all rows or none.

Columns (Chinese or English headers, any order): 工号 staff number, 姓名 name, 电话 phone,
入职日期 hire date, 场所编码 site code, 岗位编码 post code, 窗口编号 window code, 状态 status.
A row creates a staff member or updates the one with the same staff number, and sets their current
assignment (post + site + window). No Flask imports: the page owns the transaction and rolls it
back when `import_roster` reports errors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...audit import record
from ...domain import N_ as _
from ...domain import DomainError
from ...models import STAFF_STATUSES, Post, Site, StaffMember, User, Window
from ..services import (
    PHONE_RE,
    assign,
    create_staff,
    current_assignment,
    update_assignment,
    update_staff,
)
from .reading import RowError, parse_date, read_rows, text

logger = logging.getLogger(__name__)

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


class RosterRowsError(DomainError):
    """Some rows break a rule; nothing is imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            "org.roster_rows",
            _("Nothing was imported: fix the rows listed below and upload again."),
            details=[(e.message, {**e.params, "row": e.row}) for e in errors],
        )
        self.rows = errors


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


_text = text
_parse_date = parse_date


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
