"""What other feature packages may ask of training (imported at module level by them, so the
dependency direction stays visible: rotation -> training -> inspections)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import (  # noqa: F401  (MentorPairing: read by the monthly assessment)
    ATTENDED_STATUSES,
    OPEN_PAIRING_STATUSES,
    Course,
    MentorPairing,
    SessionAttendee,
    TrainingSession,
)
from .pairings import create_handover_pairing  # noqa: F401  (rotation's handover on a move)


def completed_courses(session: Session, staff_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Completed course ids of several people in few queries (attended a session that was not
    cancelled): the bulk form of `training.people.completed_course_ids`."""
    out: dict[int, set[int]] = defaultdict(set)
    staff_ids = list(staff_ids)
    for start in range(0, len(staff_ids), 5000):
        chunk = staff_ids[start : start + 5000]
        rows = session.execute(
            sa.select(SessionAttendee.staff_member_id, TrainingSession.course_id)
            .join(TrainingSession, SessionAttendee.session_id == TrainingSession.id)
            .where(
                SessionAttendee.staff_member_id.in_(chunk),
                SessionAttendee.status.in_(ATTENDED_STATUSES),
                TrainingSession.status != "cancelled",
            )
            .distinct()
        )
        for staff_id, course_id in rows:
            out[staff_id].add(course_id)
    return {staff_id: frozenset(out.get(staff_id, ())) for staff_id in staff_ids}


def course_titles(session: Session, course_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Course id -> title (all courses, or the given ones)."""
    query = sa.select(Course.id, Course.title)
    if course_ids is not None:
        ids = list(course_ids)
        if not ids:
            return {}
        query = query.where(Course.id.in_(ids))
    return dict(session.execute(query).all())


def active_courses(session: Session) -> list[Course]:
    """Courses that can still be required (for choices on other packages' forms)."""
    return list(session.scalars(sa.select(Course).where(Course.is_active).order_by(Course.code)))
