"""Scheduling sessions: whom to invite, who cannot attend (leave, another session), which
windows would be left with nobody on duty, and the session with its invitations."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.models import Assignment, Leave, Site, StaffMember, User, Window
from compliance.timeutil import to_local

from .. import notify
from ..models import Course, SessionAttendee, TrainingSession
from ..people import new_staff_ids

logger = logging.getLogger(__name__)


class SchedulingConflict(ConflictError):
    """Some invited people cannot attend: on leave or already in an overlapping session.
    `details` names each person with the reason; the page offers to leave them out."""


class CoverageGap(ConflictError):
    """The session would leave windows with nobody on duty: `details` names the windows; the
    page asks for an explicit confirmation (`confirm_gaps`)."""


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
    session (not cancelled) overlapping in time. Returns {staff_id: [(msgid, params)]}; each
    reason names the person."""
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
                N_("%(name)s is on leave from %(start)s to %(end)s (%(reason)s)"),
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
                N_("%(name)s is already in the session %(title)s at %(time)s"),
                {"title": title, "time": to_local(other_start).strftime("%Y-%m-%d %H:%M")},
            )
        )
    if found:
        names = dict(
            session.execute(
                sa.select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(list(found)))
            ).all()
        )
        for sid, reasons in found.items():
            for _msgid, params in reasons:
                params["name"] = names.get(sid, str(sid))
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


def _conflict_details(conflicts: dict[int, list[tuple[str, dict]]]) -> list[tuple[str, dict]]:
    """One line per person and reason, by name."""
    return [
        reason
        for sid in sorted(conflicts, key=lambda i: conflicts[i][0][1]["name"])
        for reason in conflicts[sid]
    ]


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
            "training.invitees_cannot_attend",
            N_("%(count)s invited people cannot attend; remove them or choose to leave them out."),
            details=_conflict_details(conflicts),
            count=len(conflicts),
        )
    kept = {sid: via for sid, via in invitees.items() if sid not in conflicts}
    gaps = coverage_gaps(session, kept, starts_at, ends_at, exclude_session_id)
    if gaps and not confirm_gaps:
        raise CoverageGap(
            "training.coverage_gap",
            N_("This session would leave %(count)s windows with nobody on duty."),
            details=[
                (N_("%(site)s window %(window)s"), {"site": w.site.name, "window": w.label})
                for w in gaps
            ],
            count=len(gaps),
        )
    return kept, conflicts


def _over_capacity(count: int, capacity: int) -> DomainError:
    return DomainError(
        "training.over_capacity",
        N_("%(count)s people invited but the capacity is %(capacity)s."),
        field="capacity",
        count=count,
        capacity=capacity,
    )


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
    """Schedule a session of a course, invite people (`invitees`: {staff_id: how chosen}) and
    notify them. Returns the session and the people left out with reasons.

    Raises InvalidError for bad times, a missing place or trainer or a bad capacity;
    DomainError for an inactive course or more invitees than the capacity; SchedulingConflict
    when invitees are on leave or in an overlapping session (unless `skip_conflicted`, which
    leaves them out); CoverageGap when a window would have nobody on duty (unless
    `confirm_gaps`).
    """
    if ends_at <= starts_at:
        raise InvalidError(
            "training.session_times",
            N_("The session must end after it starts."),
            field="ends_at",
        )
    if not course.is_active:
        raise DomainError(
            "training.course_inactive",
            N_("The course %(title)s is no longer active."),
            field="course",
            title=course.title,
        )
    if not (place or "").strip() or not (trainer or "").strip():
        raise InvalidError(
            "training.place_trainer_required",
            N_("Place and trainer are required."),
            field="place" if not (place or "").strip() else "trainer",
        )
    if capacity is not None and capacity <= 0:
        raise InvalidError(
            "training.capacity_positive", N_("The capacity must be positive."), field="capacity"
        )
    invitees = invitees or {}
    kept, left_out = _check_invitations(
        session, invitees, starts_at, ends_at, None, skip_conflicted, confirm_gaps
    )
    if capacity is not None and len(kept) > capacity:
        raise _over_capacity(len(kept), capacity)
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
    notify.session_people(session, ts, sorted(kept), notify.INVITED)
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
    """Invite more people to a scheduled session, with the same rules as scheduling, and notify
    them. Raises ConflictError (cancelled session), DomainError (everyone already invited, over
    the capacity), SchedulingConflict, CoverageGap."""
    if ts.status == "cancelled":
        raise ConflictError("training.session_cancelled", N_("The session is cancelled."))
    existing = {a.staff_member_id for a in ts.attendees}
    new = {sid: via for sid, via in invitees.items() if sid not in existing}
    if not new:
        raise DomainError("training.already_invited", N_("Everyone chosen is already invited."))
    kept, left_out = _check_invitations(
        session, new, ts.starts_at, ts.ends_at, ts.id, skip_conflicted, confirm_gaps
    )
    if ts.capacity is not None and len(existing) + len(kept) > ts.capacity:
        raise _over_capacity(len(existing) + len(kept), ts.capacity)
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
    notify.session_people(session, ts, sorted(kept), notify.INVITED)
    return sorted(kept), left_out
