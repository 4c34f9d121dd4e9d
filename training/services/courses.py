"""The course catalogue: create and change courses."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.domain import N_, ConflictError, InvalidError
from compliance.models import User

from ..models import COURSE_KINDS, Course

COURSE_FIELDS = ("code", "title", "kind", "description", "duration_minutes", "is_active")


def save_course(
    session: Session, actor: User | None, course: Course | None = None, **fields
) -> Course:
    """Create a course (course=None) or change one.

    Raises InvalidError for an empty code, an unknown kind or a non-positive duration;
    ConflictError for a code another course has.
    """
    fields = {k: v for k, v in fields.items() if k in COURSE_FIELDS}
    code = (fields.get("code") or (course.code if course else "")).strip()
    if not code:
        raise InvalidError(
            "training.course_code_empty", N_("The course code is empty."), field="code"
        )
    fields["code"] = code
    if "kind" in fields and fields["kind"] not in COURSE_KINDS:
        raise InvalidError("training.course_kind", N_("Unknown course kind."), field="kind")
    if "duration_minutes" in fields and int(fields["duration_minutes"] or 0) <= 0:
        raise InvalidError(
            "training.course_duration",
            N_("The duration must be positive."),
            field="duration_minutes",
        )
    clash = session.scalar(sa.select(Course.id).where(Course.code == code))
    if clash is not None and (course is None or clash != course.id):
        raise ConflictError(
            "training.course_code_taken",
            N_("A course with code %(code)s already exists."),
            field="code",
            code=code,
        )
    before = snapshot(course) if course is not None else None
    if course is None:
        course = Course(created_by_id=actor.id if actor else None)
        session.add(course)
    for key, value in fields.items():
        setattr(course, key, value)
    session.flush()
    record(session, actor, "course.update" if before else "course.create", course, before=before)
    return course
