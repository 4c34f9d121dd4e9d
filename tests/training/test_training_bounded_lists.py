"""Training's bounded lists: the plans list pages in the database (late plans filtered there,
progress computed for the page only) and the HR panel asks for the rows it shows and the
counts; the database's "late" agrees with the plan progress."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.pagination import PER_PAGE
from tests.statements import count_statements
from training import onboarding as onb
from training.models import OnboardingPlan
from training.onboarding import ensure_onboarding_plan
from training.pairings import create_pairing


def _statements(client, url):
    client.get(url)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter["n"], response.get_data(as_text=True)


def _hires(site, make_staff, today, n, days_ago):
    people = [make_staff(site=site, hired_on=today - timedelta(days=days_ago)) for _ in range(n)]
    for member in people:
        ensure_onboarding_plan(db.session, None, member)
    db.session.commit()
    return people


def test_late_in_the_database_agrees_with_plan_progress(
    app, make_site, make_staff, make_course, make_session, today
):
    site = make_site()
    course = make_course()
    late = _hires(site, make_staff, today, 3, 200)
    fresh = _hires(site, make_staff, today, 2, 1)
    # One of the late ones was paired long ago and attended the course.
    mentor = make_staff(site=site, hired_on=today - timedelta(days=4000))
    create_pairing(db.session, None, mentor, late[0], today - timedelta(days=150), today=today)
    make_session(
        course=course, site=site, day=today - timedelta(days=2), statuses={late[0]: "present"}
    )
    db.session.commit()
    plans = db.session.scalars(
        sa.select(OnboardingPlan).where(OnboardingPlan.status == "active")
    ).all()
    by_progress = {
        p.plan.id for p in onb.plan_progress(db.session, list(plans), today) if p.is_late
    }
    by_database = set(
        db.session.scalars(
            sa.select(OnboardingPlan.id).where(
                OnboardingPlan.status == "active", onb.late_clause(today)
            )
        )
    )
    assert by_database == by_progress
    assert {p.id for p in plans if p.staff_member_id in {m.id for m in fresh}}.isdisjoint(
        by_database
    )


def test_plans_list_and_hr_panel_are_bounded(app, client_for, make_site, make_staff, today):
    site = make_site()
    hr = client_for("hr")
    _hires(site, make_staff, today, 3, 200)
    urls = ["/training/plans", "/training/plans?show=late", "/training/plans?show=all"]
    few = {url: _statements(hr, url)[0] for url in urls}
    panel_few, _html = _statements(hr, "/dashboard")
    _hires(site, make_staff, today, 40, 200)
    for url in urls:
        n, html = _statements(hr, url)
        assert n == few[url], url
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert body.count("<tr") == PER_PAGE
    n, html = _statements(hr, "/training/plans?show=late&page=2")
    assert n == few["/training/plans?show=late"]
    assert "show=late" in html.split('class="pager"', 1)[1]  # the filter is kept in the links
    panel_many, html = _statements(hr, "/dashboard")
    assert panel_many == panel_few
    assert ">43<" in html  # the late count
