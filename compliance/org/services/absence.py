"""Approved leave and recorded conflicts of interest (回避); who is on duty on a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...audit import record
from ...domain import N_ as _
from ...domain import ConflictError, DomainError
from ...models import (
    Assignment,
    Conflict,
    Leave,
    StaffMember,
    User,
    Window,
)
from .common import (
    CONFLICT_KINDS,
    _changed,
    _insert,
    _require,
)

# --------------------------------------------------------------------------- leave


def _check_leave(
    session: Session,
    staff_member_id: int,
    starts_on: date,
    ends_on: date,
    reason: str,
    leave_id: int | None,
) -> str:
    if not isinstance(starts_on, date):
        raise DomainError(
            "org.first_day_required", _("The first day is required."), field="starts_on"
        )
    if not isinstance(ends_on, date):
        raise DomainError("org.last_day_required", _("The last day is required."), field="ends_on")
    if ends_on < starts_on:
        raise DomainError(
            "org.last_day_leave_before",
            _("The last day of leave is before the first day."),
            field="ends_on",
        )
    reason = _require(reason, "reason", _("The reason is required."))
    if len(reason) > 200:
        raise DomainError(
            "org.reason_too_long",
            _("The reason is too long (at most 200 characters)."),
            field="reason",
        )
    query = sa.select(Leave).where(
        Leave.staff_member_id == staff_member_id,
        Leave.starts_on <= ends_on,
        Leave.ends_on >= starts_on,
    )
    if leave_id is not None:
        query = query.where(Leave.id != leave_id)
    clash = session.scalars(query.limit(1)).first()
    if clash is not None:
        raise ConflictError(
            "org.leave_overlap",
            _("This overlaps leave already recorded (%(start)s to %(end)s)."),
            field="starts_on",
            start=clash.starts_on.isoformat(),
            end=clash.ends_on.isoformat(),
        )
    return reason


def create_leave(
    session: Session,
    actor: User | None,
    member: StaffMember,
    *,
    starts_on: date,
    ends_on: date,
    reason: str,
) -> Leave:
    """Record approved leave (inclusive dates). Raises DomainError (dates out of order, overlap,
    missing reason)."""
    reason = _check_leave(session, member.id, starts_on, ends_on, reason, None)
    leave = Leave(
        staff_member_id=member.id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        approved_by_id=actor.id if actor is not None else None,
    )
    session.add(leave)
    session.flush()
    record(session, actor, "leave.create", leave)
    return leave


def update_leave(session: Session, actor: User | None, leave: Leave, **values: Any) -> Leave:
    """Change leave dates or reason. Raises DomainError like create_leave."""
    starts_on = values.get("starts_on", leave.starts_on)
    ends_on = values.get("ends_on", leave.ends_on)
    reason = _check_leave(
        session,
        leave.staff_member_id,
        starts_on,
        ends_on,
        values.get("reason", leave.reason),
        leave.id,
    )
    before = _changed(leave, {"starts_on": starts_on, "ends_on": ends_on, "reason": reason})
    if before:
        session.flush()
        record(session, actor, "leave.update", leave, before=before)
    return leave


# --------------------------------------------------------------------------- conflicts


def create_conflict(
    session: Session,
    actor: User | None,
    staff_a_id: int,
    staff_b_id: int,
    *,
    kind: str = "relative",
    reason: str,
) -> Conflict:
    """Record a conflict of interest (回避) between two staff members, lower id first.

    Raises DomainError (same person twice, unknown person, unknown kind, already recorded).
    """
    if staff_a_id == staff_b_id:
        raise DomainError(
            "org.conflict_needs_two_different",
            _("A conflict needs two different staff members."),
            field="staff_b",
        )
    found = set(
        session.scalars(
            sa.select(StaffMember.id).where(StaffMember.id.in_([staff_a_id, staff_b_id]))
        )
    )
    if found != {staff_a_id, staff_b_id}:
        raise DomainError(
            "org.staff_member_unknown", _("The staff member does not exist."), field="staff_b"
        )
    if kind not in CONFLICT_KINDS:
        raise DomainError("org.unknown_kind_conflict", _("Unknown kind of conflict."), field="kind")
    reason = _require(reason, "reason", _("The reason is required."))
    low, high = sorted((staff_a_id, staff_b_id))
    if session.scalar(
        sa.select(Conflict.id).where(Conflict.staff_a_id == low, Conflict.staff_b_id == high)
    ):
        raise ConflictError(
            "org.conflict_recorded", _("This conflict is already recorded."), field="staff_b"
        )
    conflict = Conflict(
        staff_a_id=low,
        staff_b_id=high,
        kind=kind,
        reason=reason[:200],
        recorded_by_id=actor.id if actor is not None else None,
    )
    _insert(session, conflict, _("This conflict is already recorded."), "staff_b")
    record(session, actor, "conflict.create", conflict)
    return conflict


def update_conflict(
    session: Session, actor: User | None, conflict: Conflict, *, kind: str, reason: str
) -> Conflict:
    """Change the kind or reason of a recorded conflict. Raises DomainError."""
    if kind not in CONFLICT_KINDS:
        raise DomainError("org.unknown_kind_conflict", _("Unknown kind of conflict."), field="kind")
    reason = _require(reason, "reason", _("The reason is required."))[:200]
    before = _changed(conflict, {"kind": kind, "reason": reason})
    if before:
        session.flush()
        record(session, actor, "conflict.update", conflict, before=before)
    return conflict


# --------------------------------------------------------------------------- queries


def on_duty(
    session: Session, site_ids: Iterable[int] | None, day: date
) -> list[tuple[Window, StaffMember, bool]]:
    """Who should be at which window on `day`: (window, staff member, on_leave) per active staff
    member whose assignment covers the day, for windows at `site_ids` (None = every site).

    One SQL query whatever the number of windows: leave is an EXISTS column.
    """
    on_leave = (
        sa.exists()
        .where(
            Leave.staff_member_id == StaffMember.id, Leave.starts_on <= day, Leave.ends_on >= day
        )
        .correlate(StaffMember)
        .label("on_leave")
    )
    query = (
        sa.select(Window, StaffMember, on_leave)
        .join(Assignment, Assignment.window_id == Window.id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Window.is_active.is_(True),
            StaffMember.status == "active",
            Assignment.started_on <= day,
            sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
        )
        .order_by(Window.site_id, Window.code, StaffMember.name, StaffMember.id)
    )
    if site_ids is not None:
        ids = list(site_ids)
        if not ids:
            return []
        query = query.where(Window.site_id.in_(ids))
    return [(window, member, bool(leave)) for window, member, leave in session.execute(query)]
