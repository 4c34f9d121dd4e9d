"""Domain rules of training: courses, sessions, attendance, onboarding plans, mentor pairings,
shadow logs and sign-off. Plain functions over a session; they flush and never commit."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.models import Assignment, Leave, Site, StaffMember, User, Window
from compliance.settings import declare, get_setting
from compliance.timeutil import local_today, to_local

from .errors import CoverageGap, SchedulingConflict, TrainingError, _
from .models import (
    ATTENDANCE_STATUSES,
    ATTENDED_STATUSES,
    COURSE_KINDS,
    Course,
    MentorPairing,
    OnboardingPlan,
    SessionAttendee,
    TrainingSession,
)

logger = logging.getLogger(__name__)

declare("training.new_staff_days", 180)
declare("training.max_mentees", 2)
declare("training.mentor_weeks", 12)
declare("training.pre_job_due_days", 30)
declare("training.pairing_due_days", 14)
declare("training.plan_lookback_days", 90)


# --- contract used by other packages -------------------------------------------------------


def completed_course_ids(session: Session, staff_member_id: int) -> set[int]:
    """Ids of courses the staff member completed: attended (present or late) a session of it."""
    rows = session.scalars(
        sa.select(TrainingSession.course_id)
        .join(SessionAttendee, SessionAttendee.session_id == TrainingSession.id)
        .where(
            SessionAttendee.staff_member_id == staff_member_id,
            SessionAttendee.status.in_(ATTENDED_STATUSES),
            TrainingSession.status != "cancelled",
        )
        .distinct()
    )
    return set(rows)


def is_new_staff(session: Session, staff_member_id: int, today: date | None = None) -> bool:
    """A staff member is new until an onboarding pairing of theirs is signed off (or their
    onboarding plan is completed); without an open plan, only while hired within
    `training.new_staff_days` days."""
    staff = session.get(StaffMember, staff_member_id)
    if staff is None or staff.status == "left":
        return False
    signed_off = session.scalar(
        sa.select(MentorPairing.id)
        .where(
            MentorPairing.mentee_id == staff_member_id,
            MentorPairing.kind == "onboarding",
            MentorPairing.status == "signed_off",
        )
        .limit(1)
    )
    if signed_off is not None:
        return False
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_member_id)
    )
    if plan is not None:
        return plan.status == "active"
    today = today or local_today()
    days = int(get_setting(session, "training.new_staff_days"))
    return staff.hired_on > today - timedelta(days=days)


def new_staff_ids(
    session: Session, site_ids: set[int] | None = None, today: date | None = None
) -> set[int]:
    """Ids of all active staff members who are new (see `is_new_staff`), in one pass."""
    today = today or local_today()
    days = int(get_setting(session, "training.new_staff_days"))
    signed_off = sa.select(MentorPairing.mentee_id).where(
        MentorPairing.kind == "onboarding", MentorPairing.status == "signed_off"
    )
    query = (
        sa.select(StaffMember.id, StaffMember.hired_on, OnboardingPlan.status)
        .outerjoin(OnboardingPlan, OnboardingPlan.staff_member_id == StaffMember.id)
        .where(StaffMember.status == "active", StaffMember.id.not_in(signed_off))
    )
    if site_ids is not None:
        query = query.where(StaffMember.site_id.in_(site_ids))
    result = set()
    for staff_id, hired_on, plan_status in session.execute(query):
        if plan_status is not None:
            if plan_status == "active":
                result.add(staff_id)
        elif hired_on > today - timedelta(days=days):
            result.add(staff_id)
    return result


def _check_pairing_people(session: Session, mentor: StaffMember, mentee: StaffMember) -> None:
    if mentor.id == mentee.id:
        raise TrainingError(_("A staff member cannot mentor themselves."))
    for person in (mentor, mentee):
        if person.status != "active":
            raise TrainingError(_("%(name)s is not an active staff member."), name=person.name)
    open_pairing = session.scalar(
        sa.select(MentorPairing)
        .where(
            MentorPairing.mentee_id == mentee.id,
            MentorPairing.status.in_(("active", "assessed")),
        )
        .limit(1)
    )
    if open_pairing is not None:
        raise TrainingError(
            _("%(name)s already has an open pairing with %(mentor)s."),
            name=mentee.name,
            mentor=open_pairing.mentor.name,
        )


def create_handover_pairing(
    session: Session,
    actor: User | None,
    mentor: StaffMember,
    mentee: StaffMember,
    starts_on: date,
    weeks: int = 2,
    post=None,
) -> MentorPairing:
    """Pair the previous holder of a post (mentor) with its successor (mentee) for a handover.

    Not limited by the mentor's load: the handover follows from the rotation itself.
    Raises TrainingError if the two are the same person, either is not active, the mentee
    already has an open pairing, or `weeks` is not positive.
    """
    if weeks < 1:
        raise TrainingError(_("A pairing lasts at least one week."))
    _check_pairing_people(session, mentor, mentee)
    pairing = MentorPairing(
        kind="handover",
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        post_id=post.id if post is not None else None,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=weeks) - timedelta(days=1),
        status="active",
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(pairing)
    session.flush()
    record(session, actor, "mentor_pairing.create", pairing)
    logger.info("handover pairing %s: mentor %s mentee %s", pairing.id, mentor.id, mentee.id)
    return pairing


# --- courses ------------------------------------------------------------------------------

COURSE_FIELDS = ("code", "title", "kind", "description", "duration_minutes", "is_active")


def save_course(
    session: Session, actor: User | None, course: Course | None = None, **fields
) -> Course:
    """Create a course (course=None) or change one. Raises TrainingError on a duplicate code,
    an unknown kind or a non-positive duration."""
    fields = {k: v for k, v in fields.items() if k in COURSE_FIELDS}
    code = (fields.get("code") or (course.code if course else "")).strip()
    if not code:
        raise TrainingError(_("The course code is empty."))
    fields["code"] = code
    if "kind" in fields and fields["kind"] not in COURSE_KINDS:
        raise TrainingError(_("Unknown course kind."))
    if "duration_minutes" in fields and int(fields["duration_minutes"] or 0) <= 0:
        raise TrainingError(_("The duration must be positive."))
    clash = session.scalar(sa.select(Course.id).where(Course.code == code))
    if clash is not None and (course is None or clash != course.id):
        raise TrainingError(_("A course with code %(code)s already exists."), code=code)
    before = snapshot(course) if course is not None else None
    if course is None:
        course = Course(created_by_id=actor.id if actor else None)
        session.add(course)
    for key, value in fields.items():
        setattr(course, key, value)
    session.flush()
    record(session, actor, "course.update" if before else "course.create", course, before=before)
    return course


# --- sessions: invitations, conflicts, coverage ---------------------------------------------


def _local_dates(starts_at: datetime, ends_at: datetime) -> tuple[date, date]:
    return to_local(starts_at).date(), to_local(ends_at - timedelta(microseconds=1)).date()


def resolve_invitees(
    session: Session,
    *,
    staff_ids: list[int] | None = None,
    site_ids: list[int] | None = None,
    post_ids: list[int] | None = None,
    new_staff: bool = False,
    scope_site_ids: set[int] | None = None,
) -> dict[int, str]:
    """Active staff chosen individually, by site, by current post or as "new staff", each with
    how they were chosen (the first way wins). `scope_site_ids` limits everyone to a scope."""
    chosen: dict[int, str] = {}
    base = sa.select(StaffMember.id).where(StaffMember.status == "active")
    if scope_site_ids is not None:
        base = base.where(StaffMember.site_id.in_(scope_site_ids))
    if staff_ids:
        for sid in session.scalars(base.where(StaffMember.id.in_(staff_ids))):
            chosen.setdefault(sid, "person")
    if site_ids:
        for sid in session.scalars(base.where(StaffMember.site_id.in_(site_ids))):
            chosen.setdefault(sid, "site")
    if post_ids:
        query = base.join(
            Assignment,
            sa.and_(Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)),
        )
        for sid in session.scalars(query.where(Assignment.post_id.in_(post_ids))):
            chosen.setdefault(sid, "post")
    if new_staff:
        for sid in sorted(new_staff_ids(session, scope_site_ids)):
            chosen.setdefault(sid, "new_staff")
    return chosen


def find_conflicts(
    session: Session,
    staff_ids,
    starts_at: datetime,
    ends_at: datetime,
    exclude_session_id: int | None = None,
) -> dict[int, list[tuple[str, dict]]]:
    """Reasons each person cannot attend: approved leave on the session's day(s), or another
    session (not cancelled) overlapping in time. Returns {staff_id: [(msgid, params)]}."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return {}
    first_day, last_day = _local_dates(starts_at, ends_at)
    found: dict[int, list[tuple[str, dict]]] = {}
    leaves = session.execute(
        sa.select(Leave.staff_member_id, Leave.starts_on, Leave.ends_on, Leave.reason).where(
            Leave.staff_member_id.in_(staff_ids),
            Leave.starts_on <= last_day,
            Leave.ends_on >= first_day,
        )
    )
    for sid, leave_from, leave_to, reason in leaves:
        found.setdefault(sid, []).append(
            (
                _("on leave from %(start)s to %(end)s (%(reason)s)"),
                {"start": leave_from.isoformat(), "end": leave_to.isoformat(), "reason": reason},
            )
        )
    overlap = (
        sa.select(SessionAttendee.staff_member_id, TrainingSession.starts_at, Course.title)
        .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .where(
            SessionAttendee.staff_member_id.in_(staff_ids),
            TrainingSession.status != "cancelled",
            TrainingSession.starts_at < ends_at,
            TrainingSession.ends_at > starts_at,
        )
    )
    if exclude_session_id is not None:
        overlap = overlap.where(TrainingSession.id != exclude_session_id)
    for sid, other_start, title in session.execute(overlap):
        found.setdefault(sid, []).append(
            (
                _("already in the session %(title)s at %(time)s"),
                {"title": title, "time": to_local(other_start).strftime("%Y-%m-%d %H:%M")},
            )
        )
    return found


def coverage_gaps(
    session: Session,
    staff_ids,
    starts_at: datetime,
    ends_at: datetime,
    exclude_session_id: int | None = None,
) -> list[Window]:
    """Windows that would have nobody on duty during the session: every active holder of the
    window is invited, on leave, or in another session at that time."""
    staff_ids = set(staff_ids)
    if not staff_ids:
        return []
    window_ids = set(
        session.scalars(
            sa.select(Assignment.window_id).where(
                Assignment.staff_member_id.in_(staff_ids),
                Assignment.ended_on.is_(None),
                Assignment.window_id.is_not(None),
            )
        )
    )
    if not window_ids:
        return []
    holders: dict[int, set[int]] = {}
    for window_id, sid in session.execute(
        sa.select(Assignment.window_id, Assignment.staff_member_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Assignment.window_id.in_(window_ids),
            Assignment.ended_on.is_(None),
            StaffMember.status == "active",
        )
    ):
        holders.setdefault(window_id, set()).add(sid)
    others = {sid for ids in holders.values() for sid in ids} - staff_ids
    busy = set(find_conflicts(session, others, starts_at, ends_at, exclude_session_id))
    gap_ids = [wid for wid, ids in holders.items() if not (ids - staff_ids - busy)]
    if not gap_ids:
        return []
    return list(
        session.scalars(
            sa.select(Window).where(Window.id.in_(gap_ids)).order_by(Window.site_id, Window.code)
        )
    )


def _conflict_details(session: Session, conflicts: dict[int, list[tuple[str, dict]]]):
    names = dict(
        session.execute(
            sa.select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(list(conflicts)))
        ).all()
    )
    details = []
    for sid in sorted(conflicts, key=lambda i: names.get(i, "")):
        for msgid, params in conflicts[sid]:
            details.append((msgid, dict(params, name=names.get(sid, str(sid)))))
    return details


def _check_invitations(
    session: Session,
    invitees: dict[int, str],
    starts_at,
    ends_at,
    exclude_session_id,
    skip_conflicted: bool,
    confirm_gaps: bool,
):
    """Apply the scheduling rules; returns (invitees kept, {staff_id: reasons} left out)."""
    conflicts = find_conflicts(session, invitees, starts_at, ends_at, exclude_session_id)
    if conflicts and not skip_conflicted:
        raise SchedulingConflict(
            _("%(count)s invited people cannot attend; remove them or choose to leave them out."),
            details=_conflict_details(session, conflicts),
            count=len(conflicts),
        )
    kept = {sid: via for sid, via in invitees.items() if sid not in conflicts}
    gaps = coverage_gaps(session, kept, starts_at, ends_at, exclude_session_id)
    if gaps and not confirm_gaps:
        raise CoverageGap(
            _("This session would leave %(count)s windows with nobody on duty."),
            details=[
                (_("%(site)s window %(window)s"), {"site": w.site.name, "window": w.label})
                for w in gaps
            ],
            count=len(gaps),
        )
    return kept, conflicts


def schedule_session(
    session: Session,
    actor: User | None,
    *,
    course: Course,
    site: Site,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    trainer: str,
    capacity: int | None = None,
    invitees: dict[int, str] | None = None,
    skip_conflicted: bool = False,
    confirm_gaps: bool = False,
) -> tuple[TrainingSession, dict[int, list[tuple[str, dict]]]]:
    """Schedule a session of a course and invite people (`invitees`: {staff_id: how chosen}).

    Raises TrainingError for bad times, an inactive course or too many invitees;
    SchedulingConflict when invitees are on leave or in an overlapping session (unless
    `skip_conflicted`, which leaves them out); CoverageGap when a window would have nobody on
    duty (unless `confirm_gaps`). Returns the session and the people left out with reasons.
    """
    if ends_at <= starts_at:
        raise TrainingError(_("The session must end after it starts."))
    if not course.is_active:
        raise TrainingError(_("The course %(title)s is no longer active."), title=course.title)
    if not (place or "").strip() or not (trainer or "").strip():
        raise TrainingError(_("Place and trainer are required."))
    if capacity is not None and capacity <= 0:
        raise TrainingError(_("The capacity must be positive."))
    invitees = invitees or {}
    kept, left_out = _check_invitations(
        session, invitees, starts_at, ends_at, None, skip_conflicted, confirm_gaps
    )
    if capacity is not None and len(kept) > capacity:
        raise TrainingError(
            _("%(count)s people invited but the capacity is %(capacity)s."),
            count=len(kept),
            capacity=capacity,
        )
    ts = TrainingSession(
        course_id=course.id,
        site_id=site.id,
        place=place.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        trainer=trainer.strip(),
        capacity=capacity,
        status="scheduled",
        created_by_id=actor.id if actor else None,
    )
    session.add(ts)
    session.flush()
    for sid, via in sorted(kept.items()):
        session.add(SessionAttendee(session_id=ts.id, staff_member_id=sid, invited_via=via))
    session.flush()
    after = snapshot(ts)
    after["invited"] = sorted(kept)
    after["left_out"] = sorted(left_out)
    record(session, actor, "training_session.create", ts, after=after)
    logger.info("training session %s scheduled with %s invitees", ts.id, len(kept))
    return ts, left_out


def invite_to_session(
    session: Session,
    actor: User | None,
    ts: TrainingSession,
    invitees: dict[int, str],
    skip_conflicted: bool = False,
    confirm_gaps: bool = False,
) -> tuple[list[int], dict[int, list[tuple[str, dict]]]]:
    """Invite more people to a scheduled session, with the same rules as scheduling.
    Raises TrainingError (cancelled or full session), SchedulingConflict, CoverageGap."""
    if ts.status == "cancelled":
        raise TrainingError(_("The session is cancelled."))
    existing = {a.staff_member_id for a in ts.attendees}
    new = {sid: via for sid, via in invitees.items() if sid not in existing}
    if not new:
        raise TrainingError(_("Everyone chosen is already invited."))
    kept, left_out = _check_invitations(
        session, new, ts.starts_at, ts.ends_at, ts.id, skip_conflicted, confirm_gaps
    )
    if ts.capacity is not None and len(existing) + len(kept) > ts.capacity:
        raise TrainingError(
            _("%(count)s people invited but the capacity is %(capacity)s."),
            count=len(existing) + len(kept),
            capacity=ts.capacity,
        )
    for sid, via in sorted(kept.items()):
        session.add(SessionAttendee(session_id=ts.id, staff_member_id=sid, invited_via=via))
    session.flush()
    record(
        session,
        actor,
        "training_session.invite",
        ts,
        before={"invited": sorted(existing)},
        after={"invited": sorted(existing | set(kept)), "left_out": sorted(left_out)},
    )
    return sorted(kept), left_out


def cancel_session(session: Session, actor: User | None, ts: TrainingSession, reason: str) -> None:
    """Cancel a session that has not been marked. Raises TrainingError without a reason, when
    already cancelled, or when attendance was already marked."""
    if not (reason or "").strip():
        raise TrainingError(_("A reason is required."))
    if ts.status == "cancelled":
        raise TrainingError(_("The session is cancelled."))
    if any(a.status for a in ts.attendees):
        raise TrainingError(_("Attendance has been marked; the session cannot be cancelled."))
    before = snapshot(ts)
    ts.status = "cancelled"
    session.flush()
    record(session, actor, "training_session.cancel", ts, before=before, reason=reason.strip())


def mark_attendance(
    session: Session,
    actor: User | None,
    ts: TrainingSession,
    staff_member_id: int,
    status: str,
    today: date | None = None,
) -> SessionAttendee:
    """Mark one invited person present, late, absent or excused (marking again corrects it).

    Raises TrainingError for an unknown status, a cancelled session, a session whose day has
    not come, or a person who was not invited.
    """
    if status not in ATTENDANCE_STATUSES:
        raise TrainingError(_("Unknown attendance status."))
    if ts.status == "cancelled":
        raise TrainingError(_("The session is cancelled."))
    today = today or local_today()
    if to_local(ts.starts_at).date() > today:
        raise TrainingError(_("Attendance can be marked from the day of the session."))
    row = session.scalar(
        sa.select(SessionAttendee).where(
            SessionAttendee.session_id == ts.id, SessionAttendee.staff_member_id == staff_member_id
        )
    )
    if row is None:
        raise TrainingError(_("This person is not invited to the session."))
    if row.status == status:
        return row
    before = snapshot(row)
    row.status = status
    row.marked_at = utcnow()
    row.marked_by_id = actor.id if actor else None
    session.flush()
    record(session, actor, "session_attendee.mark", row, before=before)
    from .onboarding import refresh_plan

    refresh_plan(session, actor, staff_member_id, today=today)
    return row


def save_minutes(
    session: Session, actor: User | None, ts: TrainingSession, minutes: str
) -> TrainingSession:
    """Keep the minutes of a meeting. Raises TrainingError for a course that is not a meeting,
    empty minutes or a cancelled session."""
    if not ts.course.is_meeting:
        raise TrainingError(_("Only meetings keep minutes."))
    if ts.status == "cancelled":
        raise TrainingError(_("The session is cancelled."))
    text = (minutes or "").strip()
    if not text:
        raise TrainingError(_("The minutes are empty."))
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
        .options(sa.orm.joinedload(TrainingSession.course), sa.orm.joinedload(TrainingSession.site))
        .where(SessionAttendee.staff_member_id == staff_member_id)
        .order_by(TrainingSession.starts_at)
    ).all()
    upcoming = [(a, s) for a, s in rows if s.ends_at > now and s.status != "cancelled"]
    history = [(a, s) for a, s in rows if (a, s) not in upcoming]
    history.reverse()
    return upcoming, history
