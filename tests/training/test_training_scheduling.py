"""Scheduling sessions: invitations, refusal of people on leave or double-booked, and the
warning when a window would be left with nobody on duty."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import AuditEvent, Leave
from training.models import SessionAttendee
from training.services import (
    CoverageGap,
    SchedulingConflict,
    resolve_invitees,
    schedule_session,
)


def _schedule(course, site, starts, ends, invitees, **kw):
    return schedule_session(
        db.session,
        None,
        course=course,
        site=site,
        place="培训室",
        starts_at=starts,
        ends_at=ends,
        trainer="王老师",
        invitees=invitees,
        **kw,
    )


def test_schedule_invites_people_and_is_audited(
    app, make_course, make_staff, make_site, slot, today
):
    site = make_site()
    a, b = make_staff(site=site), make_staff(site=site)
    starts, ends = slot(today + timedelta(days=2))
    ts, left_out = _schedule(make_course(), site, starts, ends, {a.id: "person", b.id: "person"})
    db.session.commit()
    assert left_out == {}
    assert {x.staff_member_id for x in ts.attendees} == {a.id, b.id}
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "training_session.create")
    )
    assert event.after["invited"] == sorted([a.id, b.id])


def test_staff_on_leave_is_refused_with_name_and_reason(
    app, make_course, make_staff, make_site, slot, today
):
    site = make_site()
    on_leave, other = make_staff(site=site, name="请假人"), make_staff(site=site)
    day = today + timedelta(days=3)
    db.session.add(Leave(staff_member_id=on_leave.id, starts_on=day, ends_on=day, reason="年休假"))
    db.session.commit()
    starts, ends = slot(day)
    with pytest.raises(SchedulingConflict) as info:
        _schedule(make_course(), site, starts, ends, {on_leave.id: "person", other.id: "person"})
    ((msgid, params),) = info.value.details
    assert params["name"] == "请假人" and params["reason"] == "年休假"
    assert "on leave" in msgid
    assert db.session.scalar(sa.select(sa.func.count(SessionAttendee.id))) == 0


def test_double_booking_is_refused_and_adjacent_sessions_are_not(
    app, make_course, make_staff, make_site, make_session, slot, today
):
    site = make_site()
    busy = make_staff(site=site, name="已排课")
    day = today + timedelta(days=4)
    make_session(site=site, day=day, hour=9, hours=2, invite=[busy])
    starts, ends = slot(day, hour=10, hours=2)  # overlaps 10:00-11:00
    with pytest.raises(SchedulingConflict) as info:
        _schedule(make_course(), site, starts, ends, {busy.id: "person"})
    assert info.value.details[0][1]["name"] == "已排课"
    assert "already in the session" in info.value.details[0][0]
    starts, ends = slot(day, hour=11, hours=1)  # starts when the other ends
    ts, _ = _schedule(make_course(), site, starts, ends, {busy.id: "person"}, confirm_gaps=True)
    assert [a.staff_member_id for a in ts.attendees] == [busy.id]


def test_cancelled_session_does_not_block(
    app, make_course, make_staff, make_site, make_session, slot, today
):
    person = make_staff()
    day = today + timedelta(days=4)
    make_session(day=day, invite=[person], status="cancelled")
    starts, ends = slot(day)
    ts, _ = _schedule(
        make_course(), make_site(), starts, ends, {person.id: "person"}, confirm_gaps=True
    )
    assert len(ts.attendees) == 1


def test_skip_conflicted_leaves_them_out_and_reports_them(
    app, make_course, make_staff, make_site, slot, today
):
    site = make_site()
    on_leave, other = make_staff(site=site), make_staff(site=site)
    day = today + timedelta(days=3)
    db.session.add(
        Leave(
            staff_member_id=on_leave.id,
            starts_on=day - timedelta(days=1),
            ends_on=day + timedelta(days=1),
            reason="病假",
        )
    )
    db.session.commit()
    starts, ends = slot(day)
    ts, left_out = _schedule(
        make_course(),
        site,
        starts,
        ends,
        {on_leave.id: "site", other.id: "site"},
        skip_conflicted=True,
    )
    assert set(left_out) == {on_leave.id}
    assert [a.staff_member_id for a in ts.attendees] == [other.id]


def test_coverage_gap_warns_until_confirmed(app, make_course, make_staff, make_window, slot, today):
    window = make_window(code="A01", name="综合受理")
    a, b = make_staff(window=window), make_staff(window=window)
    starts, ends = slot(today + timedelta(days=5))
    course = make_course()
    # Inviting one of two holders leaves the window covered.
    _schedule(course, window.site, starts, ends, {a.id: "person"})
    db.session.rollback()
    with pytest.raises(CoverageGap) as info:
        _schedule(course, window.site, starts, ends, {a.id: "person", b.id: "person"})
    assert info.value.details[0][1]["window"] == "A01 综合受理"
    ts, _ = _schedule(
        course, window.site, starts, ends, {a.id: "person", b.id: "person"}, confirm_gaps=True
    )
    assert len(ts.attendees) == 2


def test_coverage_counts_the_other_holder_on_leave(
    app, make_course, make_staff, make_window, slot, today
):
    window = make_window()
    a, b = make_staff(window=window), make_staff(window=window)
    day = today + timedelta(days=5)
    db.session.add(Leave(staff_member_id=b.id, starts_on=day, ends_on=day, reason="事假"))
    db.session.commit()
    starts, ends = slot(day)
    with pytest.raises(CoverageGap):
        _schedule(make_course(), window.site, starts, ends, {a.id: "person"})


def test_capacity_and_times_are_checked(app, make_course, make_staff, make_site, slot, today):
    site = make_site()
    people = {make_staff(site=site).id: "site" for _ in range(3)}
    starts, ends = slot(today + timedelta(days=2))
    with pytest.raises(DomainError, match="capacity is 2"):
        _schedule(make_course(), site, starts, ends, people, capacity=2, confirm_gaps=True)
    with pytest.raises(DomainError, match="end after it starts"):
        _schedule(make_course(), site, ends, starts, {})
    with pytest.raises(DomainError, match="no longer active"):
        _schedule(make_course(is_active=False), site, starts, ends, {})


def test_invitations_by_site_post_and_new_staff(app, make_staff, make_site, make_post, today):
    site, other_site = make_site(), make_site()
    post = make_post()
    at_site = make_staff(site=site)
    in_post = make_staff(site=other_site, post=post)
    newcomer = make_staff(site=other_site, hired_on=today - timedelta(days=20))
    make_staff(site=other_site, status="left")
    chosen = resolve_invitees(db.session, site_ids=[site.id], post_ids=[post.id], new_staff=True)
    assert chosen == {at_site.id: "site", in_post.id: "post", newcomer.id: "new_staff"}
    scoped = resolve_invitees(
        db.session, site_ids=[site.id, other_site.id], scope_site_ids={site.id}
    )
    assert scoped == {at_site.id: "site"}
