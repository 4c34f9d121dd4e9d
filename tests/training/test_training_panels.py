"""The HR dashboard's training panels ask the database for the rows they show and the counts
(issue 17): the late count is per person (a course one newcomer attended is not attended by
another), the first reason shown is the plan progress's, and the statements are the same with
one late plan as with many."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_login import login_user

from compliance.access import scope_ids
from compliance.db import db, utcnow
from tests.statements import count_statements
from training import onboarding as onb
from training.models import OnboardingPlan
from training.onboarding import ensure_onboarding_plan
from training.pairings import create_pairing
from training.services import stats
from training.views.panels import render_hr_panel


def _newcomers(site, make_staff, today, n, *, mentor):
    """`n` newcomers hired 40 days ago, paired in time: their only overdue step is the pre-job
    course (due after 30 days)."""
    people = [make_staff(site=site, hired_on=today - timedelta(days=40)) for _ in range(n)]
    for member in people:
        ensure_onboarding_plan(db.session, None, member)
        create_pairing(db.session, None, mentor, member, today - timedelta(days=35), today=today)
    db.session.commit()
    return people


def _panel(app, user):
    with app.test_request_context("/dashboard"):
        login_user(user)
        render_hr_panel(user)  # warm: per-request caches (scope, settings)
        with count_statements() as counter:
            html = str(render_hr_panel(user) or "")
        return counter["n"], html


def test_a_course_counts_as_attended_only_for_who_attended_it(
    app, make_site, make_staff, make_course, make_session, make_user, today
):
    site = make_site()
    course = make_course(title="服务规范")
    mentors = [make_staff(site=site, hired_on=today - timedelta(days=4000)) for _ in range(2)]
    attended, missed = _newcomers(site, make_staff, today, 1, mentor=mentors[0]) + _newcomers(
        site, make_staff, today, 1, mentor=mentors[1]
    )
    make_session(
        course=course, site=site, day=today - timedelta(days=3), statuses={attended: "present"}
    )
    db.session.commit()
    plans = db.session.scalars(sa.select(OnboardingPlan)).all()
    progress = {p.plan.staff_member_id: p for p in onb.plan_progress(db.session, plans, today)}
    assert not progress[attended.id].is_late and progress[missed.id].is_late
    late_ids = set(db.session.scalars(sa.select(OnboardingPlan.id).where(onb.late_clause(today))))
    assert late_ids == {progress[missed.id].plan.id}
    rows, counts = stats.onboarding_progress(db.session, None, today)
    assert counts == {"active": 2, "late": 1}
    assert [(r["name"], r["late"], r["done"], r["total"]) for r in rows] == [
        (missed.name, True, 1, 3),
        (attended.name, False, 2, 3),
    ]
    hr = make_user(roles=("hr",))
    _n, html = _panel(app, hr)
    assert '<span class="tag red">1</span>' in html
    assert missed.name in html and attended.name not in html
    assert "服务规范" in html


def test_hr_panel_runs_three_statements_with_one_late_plan_and_with_many(
    app, make_site, make_staff, make_course, make_user, today
):
    site = make_site()
    make_course(title="首问负责制")
    mentor = make_staff(site=site, hired_on=today - timedelta(days=4000))
    hr = make_user(roles=("hr",))
    _newcomers(site, make_staff, today, 1, mentor=mentor)
    one, html_one = _panel(app, hr)
    assert '<span class="tag red">1</span>' in html_one
    # Many more late plans, for every reason (an overdue course, no mentor, no sign-off), and
    # pairings waiting for approval.
    mentors = [make_staff(site=site, hired_on=today - timedelta(days=4000)) for _ in range(6)]
    for m in mentors:
        _newcomers(site, make_staff, today, 1, mentor=m)
    unpaired = [make_staff(site=site, hired_on=today - timedelta(days=25)) for _ in range(3)]
    for member in unpaired:
        ensure_onboarding_plan(db.session, None, member)
    long_ago = [make_staff(site=site, hired_on=today - timedelta(days=200)) for _ in range(3)]
    for member, m in zip(long_ago, mentors, strict=False):
        ensure_onboarding_plan(db.session, None, member)
        pairing = create_pairing(
            db.session, None, m, member, today - timedelta(days=190), today=today
        )
        pairing.status, pairing.assessed_at = "assessed", utcnow()
    db.session.commit()
    many, html_many = _panel(app, hr)
    assert many == one == 3
    assert '<span class="tag amber">3</span>' in html_many
    # The figures and first reasons are the plan progress's.
    with app.test_request_context("/dashboard"):
        rows, counts = stats.onboarding_progress(db.session, scope_ids(hr), today, limit=100)
    plans = db.session.scalars(
        sa.select(OnboardingPlan).order_by(OnboardingPlan.starts_on, OnboardingPlan.id)
    ).all()
    late = [p for p in onb.plan_progress(db.session, plans, today) if p.is_late]
    assert counts["late"] == len(late) == 13
    assert f'<span class="tag red">{len(late)}</span>' in html_many
    with app.test_request_context("/dashboard"):
        from training.views.common import _training_msg

        for p in late[:8]:
            assert f"{p.plan.staff_member.name}</a>: {_training_msg(p.late[0])}" in html_many
