"""The functions the rotation module relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.domain import DomainError
from compliance.models import AuditEvent
from training.models import Course, MentorPairing, SessionAttendee, TrainingSession
from training.public import create_handover_pairing
from training.services import completed_course_ids, is_new_staff


def _session_of(course, site, status_by_staff, days_ago=3):
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days_ago)
    s = TrainingSession(
        course=course,
        site=site,
        place="会议室",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        trainer="王老师",
    )
    db.session.add(s)
    db.session.flush()
    for staff, status in status_by_staff.items():
        db.session.add(SessionAttendee(session_id=s.id, staff_member_id=staff.id, status=status))
    db.session.commit()
    return s


def test_handover_pairing_is_created_and_audited(app, make_staff, make_user, make_post):
    post = make_post(is_key=True)
    old, new = make_staff(post=post), make_staff(post=post)
    actor = make_user(roles=("hr",))
    pairing = create_handover_pairing(db.session, actor, old, new, date(2026, 3, 2), post=post)
    db.session.commit()
    assert pairing.kind == "handover" and pairing.status == "active"
    assert pairing.ends_on == date(2026, 3, 15)
    assert pairing.post_id == post.id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "mentor_pairing.create")
    )
    assert event.entity_id == str(pairing.id) and event.actor_id == actor.id


def test_handover_pairing_refuses_same_person_and_second_open_pairing(app, make_staff):
    a, b, c = make_staff(), make_staff(), make_staff()
    with pytest.raises(DomainError):
        create_handover_pairing(db.session, None, a, a, date(2026, 3, 2))
    create_handover_pairing(db.session, None, a, b, date(2026, 3, 2))
    with pytest.raises(DomainError, match="already has an open pairing"):
        create_handover_pairing(db.session, None, c, b, date(2026, 3, 2))


def test_completed_courses_count_present_and_late_only(app, make_staff, make_site):
    site = make_site()
    a, b = make_staff(site=site), make_staff(site=site)
    c1 = Course(code="PJ1", title="岗前培训", kind="pre_job")
    c2 = Course(code="TM1", title="一网通办", kind="thematic_meeting")
    c3 = Course(code="BS1", title="业务技能", kind="business_skills")
    db.session.add_all([c1, c2, c3])
    db.session.commit()
    _session_of(c1, site, {a: "present", b: "absent"})
    _session_of(c2, site, {a: "late", b: "excused"})
    _session_of(c3, site, {a: None})
    assert completed_course_ids(db.session, a.id) == {c1.id, c2.id}
    assert completed_course_ids(db.session, b.id) == set()


def test_new_staff_until_signed_off(app, make_staff):
    today = date.today()
    veteran = make_staff(hired_on=today - timedelta(days=800))
    newbie = make_staff(hired_on=today - timedelta(days=10))
    assert is_new_staff(db.session, newbie.id)
    assert not is_new_staff(db.session, veteran.id)
    db.session.add(
        MentorPairing(
            kind="onboarding",
            mentor_id=veteran.id,
            mentee_id=newbie.id,
            starts_on=today,
            ends_on=today + timedelta(weeks=12),
            status="signed_off",
        )
    )
    db.session.commit()
    assert not is_new_staff(db.session, newbie.id)
