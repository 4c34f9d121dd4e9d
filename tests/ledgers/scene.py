"""A small supervised world built straight from the models: two sites, a submitted patrol with a
pass and a failure, its finding (with a hostile note and a photo) and the rectification."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from compliance.db import db

HOSTILE_NOTE = '=HYPERLINK("http://x","y")'


def build_scene(make_site, make_window, make_staff, make_user):
    from inspections.models import (
        CheckItem,
        CheckItemVersion,
        CheckResult,
        Finding,
        Inspection,
        Photo,
    )
    from inspections.rectification.models import Rectification, RectificationEvent

    home = make_site(code="HOME", name="本中心")
    other = make_site(code="OTHER", name="他中心")
    win_home = make_window(site=home, code="A03", name="社保")
    win_other = make_window(site=other, code="B01", name="综合")
    staff_home = make_staff(site=home, window=win_home, name="王伟")
    staff_other = make_staff(site=other, window=win_other, name="李娜")
    inspector = make_user(roles=("inspector",), sites=[home, other], display_name="督查张三")
    verifier = make_user(roles=("inspector",), sites=[home, other], display_name="复查李四")

    item = CheckItem(code=f"ATT{uuid.uuid4().hex[:4]}", category="attire", target="staff")
    db.session.add(item)
    db.session.flush()
    version = CheckItemVersion(
        item_id=item.id,
        version=1,
        text_zh="按规定着装佩戴工作牌",
        text_en="Uniform and badge worn",
        severity="major",
        points=2,
    )
    db.session.add(version)
    db.session.flush()
    item.current_version_id = version.id

    made = {}
    for site, window, staff, note, day in (
        (home, win_home, staff_home, HOSTILE_NOTE, 10),
        (other, win_other, staff_other, "未佩戴工牌", 11),
    ):
        at = datetime(2026, 3, day, 1, 30)  # 09:30 in Shanghai
        inspection = Inspection(
            uuid=str(uuid.uuid4()),
            kind="patrol",
            status="submitted",
            site_id=site.id,
            inspector_id=inspector.id,
            started_at=at,
            submitted_at=at,
        )
        db.session.add(inspection)
        db.session.flush()
        passed = CheckResult(
            inspection_id=inspection.id,
            item_version_id=version.id,
            window_id=window.id,
            staff_member_id=staff.id,
            result="pass",
            severity="major",
        )
        failed = CheckResult(
            inspection_id=inspection.id,
            item_version_id=version.id,
            window_id=window.id,
            staff_member_id=staff.id,
            result="fail",
            severity="major",
            reason="未佩戴",
            note=note,
        )
        db.session.add_all([passed, failed])
        db.session.flush()
        finding = Finding(
            inspection_id=inspection.id,
            check_result_id=failed.id,
            item_version_id=version.id,
            category="attire",
            target="staff",
            site_id=site.id,
            window_id=window.id,
            staff_member_id=staff.id,
            severity="major",
            description="按规定着装佩戴工作牌",
            reason="未佩戴",
            note=note,
            found_by_id=inspector.id,
            found_at=at,
        )
        db.session.add(finding)
        db.session.flush()
        photo = Photo(
            sha256=uuid.uuid4().hex * 2,
            storage_key=uuid.uuid4().hex,
            original_format="JPEG",
            width=10,
            height=10,
            size_bytes=100,
            inspection_uuid=inspection.uuid,
            finding_id=finding.id,
            check_result_id=failed.id,
            uploaded_by_id=inspector.id,
        )
        db.session.add(photo)
        rect = Rectification(
            source="finding",
            finding_id=finding.id,
            site_id=site.id,
            window_id=window.id,
            category="attire",
            severity="major",
            title=finding.description,
            responsible_staff_id=staff.id,
            status="open",
            opened_at=at,
            opened_on=date(2026, 3, day),
            first_deadline_on=date(2026, 3, day + 3),
            deadline_on=date(2026, 3, day + 3),
        )
        db.session.add(rect)
        db.session.flush()
        db.session.add(
            RectificationEvent(rectification_id=rect.id, kind="opened", status_after="open", at=at)
        )
        made[site.code] = {
            "inspection": inspection,
            "finding": finding,
            "photo": photo,
            "rect": rect,
            "staff": staff,
        }
    # The home rectification: answered, rejected once, answered again, verified late.
    rect = made["HOME"]["rect"]
    db.session.add(
        RectificationEvent(
            rectification_id=rect.id,
            kind="responded",
            status_after="responded",
            text="已整改",
            at=datetime(2026, 3, 12),
        )
    )
    db.session.add(
        RectificationEvent(
            rectification_id=rect.id,
            kind="rejected",
            status_after="rejected",
            at=datetime(2026, 3, 13),
        )
    )
    db.session.add(
        RectificationEvent(
            rectification_id=rect.id,
            kind="responded",
            status_after="responded",
            text="@已重新佩戴",
            at=datetime(2026, 3, 15, 2),
        )
    )
    rect.status = "verified"
    rect.rejection_count = 1
    rect.responded_at = datetime(2026, 3, 15, 2)
    rect.verified_by_id = verifier.id
    rect.closed_at = datetime(2026, 3, 16, 3)
    rect.closed_on = date(2026, 3, 16)
    rect.closed_on_time = False
    rect.days_to_close = 6
    db.session.commit()
    return {
        "home": home,
        "other": other,
        "inspector": inspector,
        "verifier": verifier,
        "made": made,
        "version": version,
    }
