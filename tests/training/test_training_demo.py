"""The demo data shows the training module: courses of each kind, past sessions with attendance
and minutes, a plan for each new staff member, pairings with shadow logs."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.demo import load_demo
from training.models import (
    COURSE_KINDS,
    Course,
    MentorPairing,
    OnboardingPlan,
    SessionAttendee,
    ShadowLog,
    TrainingSession,
)
from training.services import new_staff_ids


def test_demo_has_training_records(app):
    summary = load_demo(app, db.session)  # as `compliance seed-demo` does: no request context
    db.session.commit()
    assert summary["training_courses"] >= 6
    assert set(db.session.scalars(sa.select(Course.kind))) == set(COURSE_KINDS)
    titles = " ".join(db.session.scalars(sa.select(Course.title)))
    assert "岗前培训" in titles and "一网通办" in titles and "纪律作风" in titles
    assert (
        db.session.scalar(
            sa.select(sa.func.count(SessionAttendee.id)).where(SessionAttendee.status.is_not(None))
        )
        > 0
    )
    assert (
        db.session.scalar(sa.select(TrainingSession.id).where(TrainingSession.minutes.is_not(None)))
        is not None
    )
    planned = set(db.session.scalars(sa.select(OnboardingPlan.staff_member_id)))
    assert new_staff_ids(db.session) <= planned and planned
    assert db.session.scalar(sa.select(sa.func.count(MentorPairing.id))) >= 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ShadowLog.id)).where(ShadowLog.confirmed_at.is_(None))
        )
        >= 1
    )  # something for the demo mentor to confirm
