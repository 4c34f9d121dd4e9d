"""Onboarding plans: created on hire from the template (idempotently, by the job or by hand),
progress, late flags, completion."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.scheduler import run_job
from training.models import MentorPairing, OnboardingPlan, OnboardingTemplate
from training.onboarding import ensure_onboarding_plan, plan_progress, save_template


def test_plan_without_template_takes_active_pre_job_courses(app, make_staff, make_course, today):
    pj = make_course(kind="pre_job")
    make_course(kind="pre_job", is_active=False)
    make_course(kind="thematic_meeting")
    person = make_staff(hired_on=today - timedelta(days=3))
    plan = ensure_onboarding_plan(db.session, None, person)
    assert [i.course_id for i in plan.items] == [pj.id]
    assert plan.mentor_weeks == 12
    assert plan.items[0].due_on == person.hired_on + timedelta(days=30)
    assert ensure_onboarding_plan(db.session, None, person) is plan
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "onboarding_plan.create"
            )
        )
        == 1
    )


def test_plan_follows_the_default_template(app, make_staff, make_course, make_user, today):
    a, b = make_course(), make_course(kind="discipline")
    admin = make_user(roles=("admin",))
    save_template(
        db.session, admin, None, name="旧方案", mentor_weeks=8, is_default=True, courses={a.id: 7}
    )
    template = save_template(
        db.session,
        admin,
        None,
        name="标准方案",
        mentor_weeks=10,
        is_default=True,
        courses={a.id: 7, b.id: 60},
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OnboardingTemplate.id)).where(
                OnboardingTemplate.is_default.is_(True)
            )
        )
        == 1
    )
    person = make_staff(hired_on=today)
    plan = ensure_onboarding_plan(db.session, None, person)
    assert plan.template_id == template.id and plan.mentor_weeks == 10
    assert {i.course_id: i.due_on for i in plan.items} == {
        a.id: today + timedelta(days=7),
        b.id: today + timedelta(days=60),
    }


def test_job_creates_plans_for_recent_hires_once(app, make_staff, make_course, today):
    make_course()
    recent = make_staff(hired_on=today - timedelta(days=5))
    make_staff(hired_on=today - timedelta(days=400))
    first = run_job(app, "training.onboarding_plans", today)
    assert first.outcome == "success" and first.counts == {"plans_created": 1}
    again = run_job(app, "training.onboarding_plans", today)
    assert again.counts == {"plans_created": 0}
    plans = db.session.scalars(sa.select(OnboardingPlan)).all()
    assert [p.staff_member_id for p in plans] == [recent.id]


def test_progress_flags_late_steps(app, make_staff, make_course, make_session, today):
    course = make_course()
    person = make_staff(hired_on=today - timedelta(days=40))
    plan = ensure_onboarding_plan(db.session, None, person)
    (progress,) = plan_progress(db.session, [plan], today=today)
    late = [m for m, _p in progress.late]
    assert any("was due" in m for m in late)
    assert any("no mentor paired" in m for m in late)
    assert progress.steps_done == 0 and progress.steps_total == 3
    make_session(course=course, day=today - timedelta(days=2), statuses={person: "present"})
    (progress,) = plan_progress(db.session, [plan], today=today)
    assert progress.items[0].done and not progress.items[0].late
    assert progress.percent == 33


def test_plan_completes_after_courses_and_sign_off(
    app, make_staff, make_course, make_session, today
):
    from training.onboarding import refresh_plan

    course = make_course()
    person = make_staff(hired_on=today - timedelta(days=10))
    mentor = make_staff(hired_on=today - timedelta(days=2000))
    plan = ensure_onboarding_plan(db.session, None, person)
    db.session.add(
        MentorPairing(
            kind="onboarding",
            mentor_id=mentor.id,
            mentee_id=person.id,
            starts_on=today,
            ends_on=today,
            status="signed_off",
        )
    )
    db.session.flush()
    refresh_plan(db.session, None, person.id, today=today)
    assert plan.status == "active"  # the course is still missing
    make_session(course=course, day=today, statuses={person: "late"})
    refresh_plan(db.session, None, person.id, today=today)
    assert plan.status == "completed" and plan.completed_on == today


def test_plans_page_lists_progress_and_creates_missing_plans(
    client_for, make_staff, make_course, today
):
    make_course()
    newbie = make_staff(hired_on=today - timedelta(days=3), name="刚入职")
    hr = client_for("hr")
    body = hr.get("/training/plans").get_data(as_text=True)
    assert "刚入职" in body  # listed as new staff without a plan
    hr.post("/training/plans/create", data={"staff_member_id": newbie.id})
    plan = db.session.scalar(sa.select(OnboardingPlan))
    assert plan.staff_member_id == newbie.id
    assert "刚入职" in hr.get(f"/training/plans/{plan.id}").get_data(as_text=True)


def test_admin_edits_a_template_with_courses(client_for, make_course):
    course = make_course(title="服务规范")
    admin = client_for("admin")
    response = admin.post(
        "/training/templates/new",
        data={
            "name": "窗口新人",
            "mentor_weeks": "12",
            "is_default": "y",
            "is_active": "y",
            f"course_{course.id}": "1",
            f"days_{course.id}": "14",
        },
    )
    assert response.status_code == 302
    template = db.session.scalar(sa.select(OnboardingTemplate))
    assert template.is_default and [(i.course_id, i.due_days) for i in template.items] == [
        (course.id, 14)
    ]
    assert client_for("hr").get(f"/training/templates/{template.id}/edit").status_code == 403


def test_staff_record_shows_plan_sessions_and_pairings(
    client_for, make_staff, make_course, make_session, user_for, login, app, today
):
    from training.pairings import create_pairing

    course = make_course(title="岗前培训乙")
    newbie = make_staff(hired_on=today - timedelta(days=3), name="新同事")
    mentor = make_staff(site=newbie.site, hired_on=today - timedelta(days=2000), name="老同事")
    ensure_onboarding_plan(db.session, None, newbie)
    make_session(course=course, day=today, statuses={newbie: "present"})
    create_pairing(db.session, None, mentor, newbie, today, today=today)
    db.session.commit()
    hr = client_for("hr")
    body = hr.get(f"/training/staff/{newbie.id}").get_data(as_text=True)
    assert "岗前培训乙" in body and "老同事" in body
    assert "新同事" in hr.get(f"/training/staff/{mentor.id}").get_data(as_text=True)
    me = app.test_client()
    login(me, user_for(newbie))
    assert me.get(f"/training/staff/{newbie.id}").status_code == 302  # to "my training"
    assert me.get(f"/training/staff/{mentor.id}").status_code == 403


def test_scoped_reader_sees_training_audit_events(client_for, make_site, make_staff, today):
    site = make_site()
    person = make_staff(site=site, hired_on=today)
    plan = ensure_onboarding_plan(db.session, None, person)
    db.session.commit()
    from compliance.audit_views import scope_clause

    hr = client_for("hr", sites=[site])
    visible = db.session.scalars(
        sa.select(AuditEvent.entity_id).where(
            AuditEvent.action == "onboarding_plan.create", scope_clause(hr.user)
        )
    ).all()
    assert visible == [str(plan.id)]
    other = client_for("hr", sites=[make_site()])
    assert (
        db.session.scalars(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.action == "onboarding_plan.create", scope_clause(other.user)
            )
        ).all()
        == []
    )
