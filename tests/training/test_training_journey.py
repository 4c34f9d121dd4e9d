"""How the issue is judged: a new hire gets an onboarding plan, attends the pre-job sessions,
is paired with a suggested mentor, logs shadowing for the period, and is signed off by mentor
and HR; each step shows in their record."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.scheduler import run_job
from training.models import MentorPairing, OnboardingPlan, ShadowLog, TrainingSession
from training.services import is_new_staff


def test_new_hire_onboarding_journey(
    app,
    make_site,
    make_post,
    make_window,
    make_staff,
    make_course,
    user_for,
    login,
    client_for,
    today,
):
    site = make_site()
    post = make_post(name="综合受理")
    win_a, win_b = make_window(site=site), make_window(site=site)
    hired = today - timedelta(days=28)
    newbie = make_staff(site=site, post=post, window=win_a, name="小林", hired_on=hired)
    veteran = make_staff(
        site=site,
        post=post,
        window=win_a,
        name="老王",
        hired_on=today - timedelta(days=3000),
        started_on=today - timedelta(days=1500),
    )
    make_staff(site=site, post=post, window=win_b, hired_on=today - timedelta(days=900))
    courses = [
        make_course(kind="pre_job", title="岗前培训：服务规范"),
        make_course(kind="pre_job", title="岗前培训：业务系统"),
    ]
    hr = client_for("hr")
    mentee_client, mentor_client = app.test_client(), app.test_client()
    login(mentee_client, user_for(newbie))
    login(mentor_client, user_for(veteran))

    # 1. The plan on hire (the daily job).
    assert run_job(app, "training.onboarding_plans", hired).counts == {"plans_created": 1}
    plan = db.session.scalar(sa.select(OnboardingPlan))
    assert plan.staff_member_id == newbie.id and len(plan.items) == 2
    assert "岗前培训：服务规范" in mentee_client.get("/training/my").get_data(as_text=True)

    # 2. Pre-job sessions, invited as new staff, attendance marked by HR on the day.
    for i, course in enumerate(courses):
        day = today + timedelta(days=i)  # today and tomorrow, marked on the day
        response = hr.post(
            "/training/sessions/new",
            data={
                "course_id": course.id,
                "site_id": site.id,
                "place": "培训室",
                "day": day.isoformat(),
                "start_time": "14:00",
                "end_time": "16:00",
                "trainer": "人事",
                "invite_new_staff": "y",
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    sessions = db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.id)).all()
    assert [[a.staff_member_id for a in s.attendees] for s in sessions] == [[newbie.id]] * 2
    hr.post(
        f"/training/sessions/{sessions[0].id}/attendance",
        data={"staff_member_id": newbie.id, "status": "present"},
    )
    from training.services import mark_attendance

    mark_attendance(
        db.session,
        hr.user,
        db.session.get(TrainingSession, sessions[1].id),
        newbie.id,
        "late",
        today=today + timedelta(days=1),
    )
    db.session.commit()

    # 3. Paired with the top suggestion.
    page = hr.get(f"/training/pairings/new?mentee={newbie.id}").get_data(as_text=True)
    first = re.search(r'name="mentor_id" id="m(\d+)"', page)
    assert first and int(first.group(1)) == veteran.id
    start = today - timedelta(days=21)
    response = hr.post(
        f"/training/pairings/new?mentee={newbie.id}",
        data={"mentor_id": veteran.id, "starts_on": start.isoformat(), "weeks": "3", "note": ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    pairing = db.session.scalar(sa.select(MentorPairing))
    assert (pairing.mentor_id, pairing.mentee_id, pairing.plan_id) == (
        veteran.id,
        newbie.id,
        plan.id,
    )

    # 4. Shadow logs each week: the mentee writes, the mentor confirms; the mentor writes too.
    for week in range(3):
        worked = start + timedelta(weeks=week, days=1)
        writer = mentee_client if week % 2 == 0 else mentor_client
        response = writer.post(
            f"/training/pairings/{pairing.id}/logs",
            data={
                "worked_on": worked.isoformat(),
                "hours": "4",
                "practised": f"第{week + 1}周跟岗",
                "mentor_comment": "",
            },
        )
        assert response.status_code == 302
    pending = db.session.scalars(sa.select(ShadowLog).where(ShadowLog.confirmed_at.is_(None))).all()
    assert len(pending) == 2
    assert "第1周跟岗" in mentor_client.get("/training/my").get_data(as_text=True)
    for log in pending:
        mentor_client.post(f"/training/logs/{log.id}/confirm", data={"mentor_comment": "认真"})
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ShadowLog.id)).where(ShadowLog.confirmed_at.is_not(None))
        )
        == 3
    )

    # 5. Mentor says ready, HR approves.
    mentor_client.post(
        f"/training/pairings/{pairing.id}/assess", data={"outcome": "ready", "reason": "能独立办理"}
    )
    assert db.session.get(MentorPairing, pairing.id).status == "assessed"
    assert "小林" in hr.get("/dashboard").get_data(as_text=True)  # awaiting approval panel
    hr.post(f"/training/pairings/{pairing.id}/approve")
    pairing = db.session.get(MentorPairing, pairing.id)
    assert pairing.status == "signed_off"
    assert not is_new_staff(db.session, newbie.id)
    assert db.session.get(OnboardingPlan, plan.id).status == "completed"

    # Every step is in the record and the audit trail.
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {
        "onboarding_plan.create",
        "training_session.create",
        "session_attendee.mark",
        "mentor_pairing.create",
        "shadow_log.create",
        "shadow_log.confirm",
        "mentor_pairing.assess",
        "mentor_pairing.sign_off",
        "onboarding_plan.complete",
    } <= actions
    record = hr.get(f"/training/plans/{plan.id}").get_data(as_text=True)
    assert "老王" in record and "岗前培训：业务系统" in record
    mine = mentee_client.get("/training/my").get_data(as_text=True)
    assert "第3周跟岗" in mine and "老王" in mine
