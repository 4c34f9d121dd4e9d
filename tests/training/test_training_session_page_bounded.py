"""A training session's page does not list everyone in scope: people are invited by staff code
(with suggestions as you type), so the page and its statements stay the same size with 5 or 150
people in scope, and with 3 or 40 attendees the statements are the same."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from tests.statements import count_statements
from training.models import TrainingSession


def _statements(client, url):
    client.get(url)
    with count_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter["n"], response.get_data(as_text=True)


def test_session_page_does_not_grow_with_the_staff_in_scope(
    client_for, make_session, make_staff, make_site, make_post, today
):
    site = make_site()
    post = make_post()  # one post for everyone (the page lists posts, a handful)
    invited = [make_staff(site=site, post=post) for _ in range(3)]
    ts = make_session(site=site, day=today + timedelta(days=3), invite=invited)
    hr = client_for("hr")
    few, html_few = _statements(hr, f"/training/sessions/{ts.id}")
    for _ in range(150):
        make_staff(site=site, post=post)
    many, html_many = _statements(hr, f"/training/sessions/{ts.id}")
    assert many == few
    assert abs(len(html_many) - len(html_few)) < 200  # no option per person in scope
    assert 'name="invite_staff_nos"' in html_many and "data-staff-search" in html_many
    # More attendees: more rows, the same statements.
    crowd = [make_staff(site=site, post=post) for _ in range(40)]
    big = make_session(site=site, day=today + timedelta(days=4), invite=crowd)
    n, html = _statements(hr, f"/training/sessions/{big.id}")
    assert n == few and html.count("/training/staff/") >= 40


def test_invite_by_staff_codes_and_refuse_unknown_codes(
    client_for, make_session, make_staff, make_site, today
):
    site = make_site()
    first = make_staff(site=site)
    a, b = make_staff(site=site), make_staff(site=site)
    elsewhere = make_staff()  # outside the HR officer's sites
    ts = make_session(site=site, day=today + timedelta(days=3), invite=[first])
    hr = client_for("hr", sites=[site])
    response = hr.post(
        f"/training/sessions/{ts.id}/invite",
        data={"invite_staff_nos": f"{a.staff_no}, {b.staff_no}，{elsewhere.staff_no} NOPE"},
    )
    assert response.status_code == 302
    page = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert elsewhere.staff_no in page and "NOPE" in page  # named as unknown
    db.session.expire_all()
    assert {x.staff_member_id for x in db.session.get(TrainingSession, ts.id).attendees} == {
        first.id
    }
    response = hr.post(
        f"/training/sessions/{ts.id}/invite",
        data={"invite_staff_nos": f"{a.staff_no} {b.staff_no}"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    attendees = db.session.get(TrainingSession, ts.id).attendees
    assert {x.staff_member_id for x in attendees} == {first.id, a.id, b.id}
    assert {x.invited_via for x in attendees if x.staff_member_id in (a.id, b.id)} == {"person"}


def test_schedule_a_session_inviting_by_staff_code(
    client_for, make_course, make_staff, make_site, today
):
    site = make_site()
    a, b = make_staff(site=site), make_staff(site=site)
    hr = client_for("hr")
    form = {
        "course_id": make_course().id,
        "site_id": site.id,
        "place": "三楼培训室",
        "day": (today + timedelta(days=2)).isoformat(),
        "start_time": "09:00",
        "end_time": "11:00",
        "trainer": "王老师",
    }
    refused = hr.post("/training/sessions/new", data=form | {"invite_staff_nos": "NOPE"})
    assert refused.status_code == 200 and "NOPE" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(TrainingSession)) is None
    page = hr.get("/training/sessions/new").get_data(as_text=True)
    assert a.name not in page  # nobody is listed; codes are typed
    response = hr.post(
        "/training/sessions/new", data=form | {"invite_staff_nos": f"{a.staff_no} {b.staff_no}"}
    )
    assert response.status_code == 302
    ts = db.session.scalar(sa.select(TrainingSession))
    assert {x.staff_member_id for x in ts.attendees} == {a.id, b.id}
