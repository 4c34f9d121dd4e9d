"""Domain rules of training courses and sessions: the catalogue, scheduling with its
invitation rules, attendance, minutes and cancellation. Plain functions over a session; they
flush, audit and notify, and never commit. Onboarding plans live in `training.onboarding`,
mentor pairings and shadow logs in `training.pairings`; who is new and what they completed in
`training.people` (re-exported here). Split by concern; everything public is re-exported here."""

from __future__ import annotations

from ..people import completed_course_ids, is_new_staff, new_staff_ids
from .courses import COURSE_FIELDS, save_course
from .scheduling import (
    CoverageGap,
    SchedulingConflict,
    coverage_gaps,
    find_conflicts,
    invite_to_session,
    resolve_invitees,
    schedule_session,
)
from .sessions import cancel_session, mark_attendance, save_minutes, staff_sessions

__all__ = [
    "COURSE_FIELDS",
    "CoverageGap",
    "SchedulingConflict",
    "cancel_session",
    "completed_course_ids",
    "coverage_gaps",
    "find_conflicts",
    "invite_to_session",
    "is_new_staff",
    "mark_attendance",
    "new_staff_ids",
    "resolve_invitees",
    "save_course",
    "save_minutes",
    "schedule_session",
    "staff_sessions",
]
