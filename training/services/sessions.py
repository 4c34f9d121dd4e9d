"""A scheduled session's life: attendance, minutes of a meeting, cancellation, and the
sessions of one person."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.models import User
from compliance.timeutil import local_today, to_local

from .. import notify
from ..models import ATTENDANCE_STATUSES, SessionAttendee, TrainingSession
from ..onboarding import refresh_plan


def _refuse_cancelled(ts: TrainingSession) -> None:
    if ts.status == "cancelled":
        raise ConflictError("training.session_cancelled", N_("The session is cancelled."))


def cancel_session(session: Session, actor: User | None, ts: TrainingSession, reason: str) -> None:
    """Cancel a session that has not been marked and tell the invited people.

    Raises InvalidError without a reason; ConflictError when already cancelled or when
    attendance was already marked.
    """
    if not (reason or "").strip():
        raise InvalidError("training.reason_required", N_("A reason is required."), field="reason")
    _refuse_cancelled(ts)
    if any(a.status for a in ts.attendees):
        raise ConflictError(
            "training.attendance_marked",
            N_("Attendance has been marked; the session cannot be cancelled."),
        )
    before = snapshot(ts)
    ts.status = "cancelled"
    session.flush()
    record(session, actor, "training_session.cancel", ts, before=before, reason=reason.strip())
    notify.session_people(session, ts, [a.staff_member_id for a in ts.attendees], notify.CANCELLED)


def mark_attendance(
    session: Session,
    actor: User | None,
    ts: TrainingSession,
    staff_member_id: int | None,
    status: str,
    today: date | None = None,
) -> SessionAttendee:
    """Mark one invited person present, late, absent or excused (marking again corrects it);
    completes their onboarding plan when this was the last step.

    Raises InvalidError for an unknown status; ConflictError for a cancelled session, a
    session whose day has not come, or a person who was not invited.
    """
    if status not in ATTENDANCE_STATUSES:
        raise InvalidError(
            "training.attendance_status", N_("Unknown attendance status."), field="status"
        )
    _refuse_cancelled(ts)
    today = today or local_today()
    if to_local(ts.starts_at).date() > today:
        raise ConflictError(
            "training.attendance_too_early",
            N_("Attendance can be marked from the day of the session."),
        )
    row = None
    if staff_member_id is not None:
        row = session.scalar(
            sa.select(SessionAttendee).where(
                SessionAttendee.session_id == ts.id,
                SessionAttendee.staff_member_id == staff_member_id,
            )
        )
    if row is None:
        raise ConflictError(
            "training.not_invited",
            N_("This person is not invited to the session."),
            field="staff_member_id",
        )
    if row.status == status:
        return row
    before = snapshot(row)
    row.status = status
    row.marked_at = utcnow()
    row.marked_by_id = actor.id if actor else None
    session.flush()
    record(session, actor, "session_attendee.mark", row, before=before)
    refresh_plan(session, actor, staff_member_id, today=today)
    return row


def save_minutes(
    session: Session, actor: User | None, ts: TrainingSession, minutes: str
) -> TrainingSession:
    """Keep the minutes of a meeting. Raises DomainError for a course that is not a meeting,
    ConflictError for a cancelled session, InvalidError for empty minutes."""
    if not ts.course.is_meeting:
        raise DomainError("training.minutes_not_meeting", N_("Only meetings keep minutes."))
    _refuse_cancelled(ts)
    text = (minutes or "").strip()
    if not text:
        raise InvalidError("training.minutes_empty", N_("The minutes are empty."), field="minutes")
    before = snapshot(ts)
    ts.minutes = text
    ts.minutes_by_id = actor.id if actor else None
    ts.minutes_at = utcnow()
    session.flush()
    record(session, actor, "training_session.minutes", ts, before=before)
    return ts


def staff_sessions(session: Session, staff_member_id: int, now: datetime | None = None):
    """(upcoming, history) of a person's invitations, as (SessionAttendee, TrainingSession)."""
    now = now or utcnow()
    rows = session.execute(
        sa.select(SessionAttendee, TrainingSession)
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.site))
        .where(SessionAttendee.staff_member_id == staff_member_id)
        .order_by(TrainingSession.starts_at)
    ).all()
    upcoming = [(a, s) for a, s in rows if s.ends_at > now and s.status != "cancelled"]
    history = [(a, s) for a, s in rows if (a, s) not in upcoming]
    history.reverse()
    return upcoming, history
