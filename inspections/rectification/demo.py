"""Demo data: rectifications in each state (open, overdue, responded, rejected, verified, fixed on
the spot) and keepers for the main centre. Runs after the patrol demo (order 150); the complaints
demo (inspections/complaints/demo.py) follows."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from compliance.timeutil import local_to_utc

from ..models import Finding
from ..photos import store_photo
from . import services as svc
from .models import AreaKeeper, WindowKeeper

DEMO_FINDINGS = [
    # (staff index, days ago, category, severity, description)
    (2, 0, "attire", "minor", "未按规定佩戴工作牌"),
    (2, 5, "conduct", "major", "服务用语不规范，未做到一次性告知"),
    (5, 12, "attendance", "major", "工作时间离岗未报备"),
    (8, 3, "hygiene", "minor", "窗口台面杂物未清理"),
    (11, 9, "conduct", "critical", "与办事群众发生争执"),
    (14, 1, "attire", "minor", "未统一着工装"),
    (20, 2, "attendance", "minor", "上班时间玩手机"),
]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 140, 90)).save(out, "PNG")
    return out.getvalue()


def load_demo(app, session, demo) -> dict:
    staff = demo["staff"]
    users = demo["users"]
    today = demo["today"]
    inspector, inspector2 = users["inspector"], users["inspector2"]
    centre = demo["sites"]["DM"]
    # The centre's hall keeper and supervisor; window A01 with a named keeper.
    session.add(
        AreaKeeper(site_id=centre.id, keeper_staff_id=staff[0].id, supervisor_staff_id=staff[1].id)
    )
    session.add(
        WindowKeeper(
            window_id=demo["windows"]["A01"].id,
            keeper_staff_id=staff[0].id,
            supervisor_staff_id=staff[1].id,
        )
    )
    session.flush()

    rects = []
    for index, days_ago, category, severity, text in DEMO_FINDINGS:
        member = staff[index]
        assignment = member.current_assignment
        found_at = local_to_utc(datetime.combine(today - timedelta(days=days_ago), time(9, 30)))
        finding = Finding(
            category=category,
            target="staff",
            site_id=member.site_id,
            window_id=assignment.window_id if assignment else None,
            staff_member_id=member.id,
            severity=severity,
            description=text,
            found_by_id=inspector.id,
            found_at=found_at,
            created_at=found_at,
        )
        session.add(finding)
        session.flush()
        rects.append(svc.open_for_finding(session, inspector, finding))
    staff_user = users["staff"]
    # An area finding, fixed on the spot with a photo.
    area = Finding(
        category="hygiene",
        target="area",
        site_id=centre.id,
        severity="minor",
        description="等候区地面有积水",
        found_by_id=inspector.id,
    )
    session.add(area)
    session.flush()
    area_rect = svc.open_for_finding(session, inspector, area)
    photo = store_photo(
        session,
        inspector,
        _png(),
        upload_folder=app.config["UPLOAD_FOLDER"],
        finding_id=area.id,
    )
    svc.fix_on_spot(
        session, inspector, area_rect, "已当场拖干并放置提示牌", [photo], witness="大厅值班长"
    )

    # The staff demo user's recent finding gets a response waiting for verification.
    svc.respond(session, staff_user, rects[1], "已重新学习一次性告知制度，并在窗口张贴告知清单。")
    # Another response was rejected once and is open again.
    resp_user = svc.users_for_staff(session, [staff[5].id]).get(staff[5].id)
    if resp_user is None:
        from compliance.accounts import create_user

        resp_user = create_user(
            session,
            None,
            username="staff2",
            display_name=staff[5].name,
            roles=["staff"],
            password="demo-pass-2026",
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_codes=["DM"],
            staff_member_id=staff[5].id,
        )
    svc.respond(session, resp_user, rects[2], "已说明情况。")
    svc.reject(session, inspector2, rects[2], "未提供离岗审批记录，请补充。")
    # One closed on time.
    svc.respond(session, resp_user, rects[2], "已补充离岗审批记录并签字确认。")
    svc.verify(session, inspector, rects[2], "材料齐全，同意销号。")

    return {"rectifications": len(rects) + 2}
