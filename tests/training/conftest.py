"""Fixtures for the training tests: courses, sessions at a local time, and linked users."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest

from compliance.db import db
from compliance.timeutil import local_to_utc, local_today

_n = itertools.count(1)


@pytest.fixture
def today() -> date:
    return local_today()


@pytest.fixture
def make_course(app):
    """make_course(kind="pre_job", title=None) -> Course (committed)."""
    from training.models import Course

    def make(kind="pre_job", title=None, code=None, **kw):
        n = next(_n)
        course = Course(code=code or f"C{n:04d}", title=title or f"课程{n}", kind=kind, **kw)
        db.session.add(course)
        db.session.commit()
        return course

    return make


def local_slot(day: date, hour: int = 9, hours: int = 2) -> tuple[datetime, datetime]:
    start = local_to_utc(datetime.combine(day, time(hour, 0)))
    return start, start + timedelta(hours=hours)


@pytest.fixture
def make_session(app, make_course, make_site):
    """make_session(course=None, site=None, day=..., hour=9, hours=2, invite=[staff...],
    statuses={staff: status}) -> TrainingSession, bypassing the scheduling rules (fixtures)."""
    from training.models import SessionAttendee, TrainingSession

    def make(course=None, site=None, day=None, hour=9, hours=2, invite=(), statuses=None, **kw):
        course = course or make_course()
        site = site or make_site()
        starts, ends = local_slot(day or local_today() + timedelta(days=1), hour, hours)
        ts = TrainingSession(
            course_id=course.id,
            site_id=site.id,
            place="培训室",
            starts_at=starts,
            ends_at=ends,
            trainer="王老师",
            **kw,
        )
        db.session.add(ts)
        db.session.flush()
        statuses = statuses or {}
        for person in list(invite) + [p for p in statuses if p not in invite]:
            db.session.add(
                SessionAttendee(
                    session_id=ts.id, staff_member_id=person.id, status=statuses.get(person)
                )
            )
        db.session.commit()
        return ts

    return make


@pytest.fixture
def user_for(make_user):
    """user_for(staff_member, roles=("staff",)) -> a User linked to that staff member."""

    def make(staff_member, roles=("staff",)):
        return make_user(roles=roles, sites=[staff_member.site], staff_member=staff_member)

    return make


@pytest.fixture
def slot():
    """slot(day, hour=9, hours=2) -> (starts_at, ends_at) naive UTC for a local time."""
    return local_slot
