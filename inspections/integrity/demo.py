"""Demo data: a patrol two days ago found a staff member at the fee window (A08) accepting a gift
(D07 吃拿卡要). The failure became a confidential integrity case, not a rectification; the
discipline officer has been assigned it and recorded an interview. Runs after the rectification
demo (order 160); the complaints demo adds a case that went all the way to closed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from ..services import Target, record_failure, site_roster, start_round, submit_round
from . import services as svc


def load_demo(app, session, demo) -> dict:
    inspector = demo["users"]["inspector"]
    officer = demo["users"]["discipline"]
    today = demo["today"]
    day = today - timedelta(days=2)
    site = demo["sites"]["DM"]
    window = demo["windows"]["A08"]
    roster = site_roster(session, site, day)
    entries = [e for e in roster.duty.get(window.id, []) if not e.on_leave]
    if not entries:
        return {}
    inspection = start_round(
        session, inspector, site, uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, "demo/integrity/1"))
    )
    record_failure(
        session,
        inspector,
        inspection,
        target=Target("staff", entries[-1].staff.id),
        item_code="D07",
        reason="收受办事群众购物卡",
        note="群众反映办理营业执照时被暗示“表示一下”，现场见其抽屉内有购物卡一张。",
        roster=roster,
    )
    started = inspection.started_at - timedelta(days=2)
    inspection.started_at = started.replace(hour=2, minute=10)
    findings = submit_round(
        session,
        inspector,
        inspection,
        day=day,
        require_photos=False,
        at=started.replace(hour=2, minute=25),
    )
    case = svc.open_for_finding(session, inspector, findings[0])
    svc.assign(session, officer, case, officer.id, 10, "由纪检监察室梁军负责初核。", today=day)
    svc.add_entry(
        session,
        officer,
        case,
        "interview",
        "当事人承认收下购物卡，称准备事后退还；已责令当场退还并说明情况。",
        interviewee=entries[-1].staff.name,
        held_on=today - timedelta(days=1),
        today=today,
    )
    return {"integrity_cases": 1}
