"""The session pages: scheduling form with refusals and warnings, one-tap attendance,
minutes, cancellation, and the staff member's own training page."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent, Leave
from compliance.notifications import Notification
from training.models import SessionAttendee, TrainingSession
from training.services import completed_course_ids


def _form(course, site, day, staff_ids=(), **extra):
    data = {
        "course_id": course.id,
        "site_id": site.id,
        "place": "三楼培训室",
        "day": day.isoformat(),
        "start_time": "09:00",
        "end_time": "11:00",
        "trainer": "王老师",
        "staff_ids": [str(s) for s in staff_ids],
    }
    data.update(extra)
    return data


def test_hr_schedules_a_session_from_the_form(
    client_for, make_course, make_staff, make_site, today
):
    site = make_site()
    a, b = make_staff(site=site), make_staff(site=site)
    hr = client_for("hr")
    course = make_course()
    response = hr.post(
        "/training/sessions/new", data=_form(course, site, today + timedelta(days=2), [a.id, b.id])
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ts = db.session.scalar(sa.select(TrainingSession))
    assert {x.staff_member_id for x in ts.attendees} == {a.id, b.id}
    page = hr.get(response.headers["Location"]).get_data(as_text=True)
    assert a.name in page and b.name in page


def test_form_lists_refused_people_with_reasons(
    client_for, make_course, make_staff, make_site, today
):
    site = make_site()
    on_leave = make_staff(site=site, name="休假的人")
    day = today + timedelta(days=2)
    db.session.add(Leave(staff_member_id=on_leave.id, starts_on=day, ends_on=day, reason="婚假"))
    db.session.commit()
    hr = client_for("hr")
    response = hr.post(
        "/training/sessions/new", data=_form(make_course(), site, day, [on_leave.id])
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "休假的人" in body and "婚假" in body
    assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 0


def test_form_warns_about_empty_windows_then_accepts_confirmation(
    client_for, make_course, make_staff, make_window, today
):
    window = make_window(code="B07", name="民政")
    only = make_staff(window=window)
    hr = client_for("hr")
    data = _form(make_course(), window.site, today + timedelta(days=2), [only.id])
    body = hr.post("/training/sessions/new", data=data).get_data(as_text=True)
    assert "B07 民政" in body
    assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 0
    response = hr.post("/training/sessions/new", data=dict(data, confirm_gaps="y"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 1


def test_end_before_start_is_a_form_error(client_for, make_course, make_site, today):
    hr = client_for("hr")
    data = _form(make_course(), make_site(), today, end_time="08:00")
    response = hr.post("/training/sessions/new", data=data)
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 0


def test_one_tap_marks_attendance_and_counts_the_course(
    client_for, make_session, make_staff, today
):
    person = make_staff()
    ts = make_session(day=today, invite=[person])
    hr = client_for("hr")
    page = hr.get(f"/training/sessions/{ts.id}/attendance").get_data(as_text=True)
    assert person.name in page and 'value="present"' in page
    response = hr.post(
        f"/training/sessions/{ts.id}/attendance",
        data={"staff_member_id": person.id, "status": "present"},
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(SessionAttendee))
    assert row.status == "present" and row.marked_by_id == hr.user.id
    assert completed_course_ids(db.session, person.id) == {ts.course_id}
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "session_attendee.mark"))
        is not None
    )


def test_one_tap_answers_json_for_the_script(client_for, make_session, make_staff, today):
    person, stranger = make_staff(), make_staff()
    ts = make_session(day=today, invite=[person])
    hr = client_for("hr")
    ok = hr.post(
        f"/training/sessions/{ts.id}/attendance",
        data={"staff_member_id": person.id, "status": "late"},
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200 and ok.get_json()["status"] == "late"
    bad = hr.post(
        f"/training/sessions/{ts.id}/attendance",
        data={"staff_member_id": stranger.id, "status": "present"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 409
    assert bad.get_json()["ok"] is False and bad.get_json()["reason"]  # in the user's language


def test_attendance_cannot_be_marked_before_the_day(client_for, make_session, make_staff, today):
    person = make_staff()
    ts = make_session(day=today + timedelta(days=3), invite=[person])
    hr = client_for("hr")
    hr.post(
        f"/training/sessions/{ts.id}/attendance",
        data={"staff_member_id": person.id, "status": "present"},
    )
    assert db.session.scalar(sa.select(SessionAttendee)).status is None


def test_meeting_keeps_minutes_and_a_course_does_not(client_for, make_session, make_course, today):
    meeting = make_session(course=make_course(kind="thematic_meeting", title="一网通办"), day=today)
    course = make_session(day=today)
    hr = client_for("hr")
    hr.post(f"/training/sessions/{meeting.id}/minutes", data={"minutes": "一、通报网办率。"})
    hr.post(f"/training/sessions/{course.id}/minutes", data={"minutes": "不应保存"})
    assert db.session.get(TrainingSession, meeting.id).minutes == "一、通报网办率。"
    assert db.session.get(TrainingSession, course.id).minutes is None
    assert "一、通报网办率。" in hr.get(f"/training/sessions/{meeting.id}").get_data(as_text=True)


def test_cancel_needs_a_reason_and_frees_people(client_for, make_session, make_staff, today):
    person = make_staff()
    ts = make_session(day=today + timedelta(days=2), invite=[person])
    hr = client_for("hr")
    hr.post(f"/training/sessions/{ts.id}/cancel", data={"reason": ""})
    assert db.session.get(TrainingSession, ts.id).status == "scheduled"
    hr.post(f"/training/sessions/{ts.id}/cancel", data={"reason": "讲师出差"})
    assert db.session.get(TrainingSession, ts.id).status == "cancelled"


def _flashes(page: str) -> list[str]:
    return re.findall(r'<div class="flash flash-\w+" role="status">(.*?)</div>', page, re.S)


def test_invite_more_people_refuses_double_booking(
    client_for, make_session, make_course, make_staff, today
):
    site_staff = make_staff()
    busy = make_staff(site=site_staff.site, name="撞课的人")
    day = today + timedelta(days=2)
    ts = make_session(site=site_staff.site, day=day, invite=[site_staff])
    make_session(course=make_course(title="纪律作风专题会"), day=day, invite=[busy])
    hr = client_for("hr")
    response = hr.post(f"/training/sessions/{ts.id}/invite", data={"staff_ids": [str(busy.id)]})
    # Refused: back on the session's page, which says why and names the person and the clash.
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/sessions/{ts.id}")
    flashes = _flashes(hr.get(response.headers["Location"]).get_data(as_text=True))
    assert any("无法参加" in f for f in flashes), flashes
    assert any("撞课的人" in f and "纪律作风专题会" in f for f in flashes), flashes
    # Nothing was written: no invitation, no audit event, no notification.
    assert {a.staff_member_id for a in db.session.get(TrainingSession, ts.id).attendees} == {
        site_staff.id
    }
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "training_session.invite")
        )
        is None
    )
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_scheduling_form_refuses_a_double_booked_person(
    client_for, make_session, make_course, make_staff, make_site, today
):
    site = make_site()
    busy = make_staff(site=site, name="已有安排的人")
    day = today + timedelta(days=2)
    make_session(course=make_course(title="一网通办专题会"), day=day, invite=[busy])
    hr = client_for("hr")
    response = hr.post("/training/sessions/new", data=_form(make_course(), site, day, [busy.id]))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert any("无法参加" in f for f in _flashes(body)), _flashes(body)
    problems = re.search(r'<ul class="problems">(.*?)</ul>', body, re.S)
    assert (
        problems and "已有安排的人" in problems.group(1) and "一网通办专题会" in problems.group(1)
    )
    assert db.session.scalar(sa.select(sa.func.count(TrainingSession.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_staff_see_their_upcoming_sessions_and_history(
    client_for, make_session, make_course, make_staff, user_for, login, app, today
):
    me = make_staff()
    past = make_session(
        course=make_course(title="岗前培训甲"),
        day=today - timedelta(days=5),
        statuses={me: "present"},
    )
    make_session(course=make_course(title="纪律作风会"), day=today + timedelta(days=5), invite=[me])
    make_session(course=make_course(title="别人的课"), day=today + timedelta(days=5))
    client = app.test_client()
    login(client, user_for(me))
    body = client.get("/training/my").get_data(as_text=True)
    assert "岗前培训甲" in body and "纪律作风会" in body and "别人的课" not in body
    assert past.id


def test_invited_people_are_notified_of_the_session_and_its_cancellation(
    client_for, make_course, make_staff, make_site, user_for, today
):
    site = make_site()
    person = make_staff(site=site)
    account = user_for(person)
    hr = client_for("hr")
    hr.post(
        "/training/sessions/new",
        data=_form(
            make_course(title="纪律作风"),
            site,
            today + timedelta(days=2),
            [person.id],
            confirm_gaps="y",
        ),
    )
    ts = db.session.scalar(sa.select(TrainingSession))
    hr.post(f"/training/sessions/{ts.id}/cancel", data={"reason": "改期"})
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == account.id).order_by(Notification.id)
    ).all()
    assert [n.kind for n in notes] == ["training.session", "training.session"]
    assert all("纪律作风" in n.title for n in notes)
