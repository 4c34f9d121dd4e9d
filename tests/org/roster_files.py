"""Helpers of the roster import tests: workbooks, uploads, and a snapshot of the staff tables."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import Workbook

from compliance.db import db
from compliance.models import Assignment, AuditEvent, StaffMember
from compliance.org.models import RosterImport

HEADERS = ["工号", "姓名", "电话", "入职日期", "场所编码", "岗位编码", "窗口编号", "状态"]


def workbook(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "roster.xlsx"):
    return client.post(
        "/org/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def preview_token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    match = re.search(r"/org/import/([A-Za-z0-9_\-]+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def confirm(client, token: str, sha256: str | None = None):
    if sha256 is None:
        sha256 = db.session.scalar(
            sa.select(RosterImport.sha256).where(RosterImport.token == token)
        )
    return client.post(f"/org/import/{token}/confirm", data={"sha256": sha256})


def staff_snapshot() -> dict:
    """Every staff member's fields and assignments (to compare before and after)."""
    db.session.expire_all()
    people = {
        m.staff_no: (m.name, m.phone, m.hired_on, m.status, m.site_id)
        for m in db.session.scalars(sa.select(StaffMember))
    }
    assignments = {
        a.id: (a.staff_member_id, a.post_id, a.site_id, a.window_id, a.started_on, a.ended_on)
        for a in db.session.scalars(sa.select(Assignment))
    }
    return {"people": people, "assignments": assignments}


def staff_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(StaffMember.id)))


def roster_events(user_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.actor_id == user_id,
                sa.or_(
                    AuditEvent.action.like("staff.%"),
                    AuditEvent.action.like("assignment.%"),
                    AuditEvent.action.like("roster.%"),
                ),
            )
            .order_by(AuditEvent.id)
        )
    )
