"""Demo data of rotation: policies for the demo key posts, a check pair, a recorded conflict and
one exemption; course qualifications once the training demo has created its courses."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from compliance.audit import record
from compliance.demo import register_demo
from compliance.models import Conflict
from compliance.timeutil import local_to_utc
from training.models import Course, SessionAttendee, TrainingSession

from .models import PostCheckPair, PostQualification, RotationExemption, RotationPolicy
from .services import tenure_board

# post code -> (max tenure, min interval, cooling-off) in months
POLICIES = {"CGSP": (36, 12, 36), "SFSK": (36, 12, 36), "SHJJ": (36, 12, 36)}
# post code -> [(course code, kind)]: courses of the training demo, looked up by code; skipped
# when the course does not exist. 收费收款 handles cash: the integrity course is required.
QUALIFICATIONS = {
    "SFSK": [("DS-LZ", "required")],
    "SHJJ": [("BS-SB", "recommended")],
    "CGSP": [("DS-LZ", "recommended")],
}
INTEGRITY_COURSE = "DS-LZ"


def load_demo(app, session, demo) -> dict:
    posts = demo["posts"]
    today = demo["today"]
    admin = demo["users"]["admin"]
    for code, (tenure, interval, cooling) in POLICIES.items():
        if code in posts:
            session.add(
                RotationPolicy(
                    post_id=posts[code].id,
                    max_tenure_months=tenure,
                    min_interval_months=interval,
                    cooling_off_months=cooling,
                    updated_by_id=admin.id,
                )
            )
    if "CGSP" in posts and "SFSK" in posts:
        low, high = sorted((posts["CGSP"].id, posts["SFSK"].id))
        session.add(
            PostCheckPair(
                post_a_id=low, post_b_id=high, reason="审批与收费相互制约", created_by_id=admin.id
            )
        )
    session.flush()
    board = tenure_board(session, today)
    exemptions = 0
    # Postpone the rotation of one holder who is due within the year: he is retiring soon.
    soon = [r for r in board if 0 < r.days_left <= 365] or [r for r in board if r.days_left > 0]
    if soon:
        row = soon[0]
        exemption = RotationExemption(
            staff_member_id=row.staff.id,
            reason="临近退休，暂缓轮岗",
            approved_by_id=demo["users"]["discipline"].id,
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=400),
            created_by_id=demo["users"]["hr"].id,
        )
        session.add(exemption)
        session.flush()
        record(session, demo["users"]["hr"], "rotation_exemption.create", exemption)
        exemptions = 1
    # Two relatives: one holds a key post, the other a non-key post at another window.
    conflicts = 0
    holders = [r.staff for r in board]
    others = [s for s in demo["staff"] if s not in holders]
    if holders and others:
        a, b = sorted((holders[-1].id, others[0].id))
        exists = session.scalar(
            sa.select(Conflict.id).where(Conflict.staff_a_id == a, Conflict.staff_b_id == b)
        )
        if not exists:
            session.add(
                Conflict(
                    staff_a_id=a,
                    staff_b_id=b,
                    kind="relative",
                    reason="夫妻关系",
                    recorded_by_id=demo["users"]["hr"].id,
                )
            )
            conflicts = 1
    session.flush()
    return {
        "rotation_policies": len(POLICIES),
        "rotation_exemptions": exemptions,
        "rotation_conflicts": conflicts,
    }


def load_qualifications(app, session, demo) -> dict:
    """After the training demo: link its courses to the key posts (skipped if absent), and record
    a past integrity session attended by the key-post holders but one, so the required course
    matters to the planner."""
    posts = demo["posts"]
    codes = {c for items in QUALIFICATIONS.values() for c, _kind in items}
    courses = dict(
        session.execute(sa.select(Course.code, Course.id).where(Course.code.in_(codes))).all()
    )
    added = 0
    for post_code, items in QUALIFICATIONS.items():
        for course_code, kind in items:
            if post_code in posts and course_code in courses:
                session.add(
                    PostQualification(
                        post_id=posts[post_code].id, course_id=courses[course_code], kind=kind
                    )
                )
                added += 1
    attended = 0
    if INTEGRITY_COURSE in courses:
        day = demo["today"] - timedelta(days=75)
        starts = local_to_utc(datetime.combine(day, time(15, 0)))
        ts = TrainingSession(
            course_id=courses[INTEGRITY_COURSE],
            site_id=demo["sites"]["DM"].id,
            place="中心一楼会议室",
            trainer="纪检 梁军",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            status="scheduled",
            created_by_id=demo["users"]["hr"].id,
        )
        session.add(ts)
        session.flush()
        holders = [r.staff for r in tenure_board(session, demo["today"])]
        for member in holders[:-1]:
            session.add(
                SessionAttendee(
                    session_id=ts.id,
                    staff_member_id=member.id,
                    invited_via="post",
                    status="present",
                )
            )
            attended += 1
        record(session, demo["users"]["hr"], "training_session.create", ts)
    session.flush()
    return {"rotation_qualifications": added, "rotation_integrity_attendees": attended}


def init_app(app) -> None:
    register_demo(app, load_demo, order=300)
    register_demo(app, load_qualifications, order=450)
