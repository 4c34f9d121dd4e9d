"""Staff members and their assignments (post, site, window, from/to dates)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...audit import record, snapshot
from ...domain import N_ as _
from ...domain import ConflictError, DomainError
from ...models import (
    STAFF_STATUSES,
    Assignment,
    Post,
    Site,
    StaffMember,
    User,
    Window,
)
from .common import (
    PHONE_RE,
    _changed,
    _clean,
    _insert,
    _optional,
    _require,
    logger,
)

# --------------------------------------------------------------------------- staff members


def _check_staff_values(session: Session, values: dict, staff_id: int | None) -> None:
    if "staff_no" in values:
        values["staff_no"] = _require(
            values["staff_no"], "staff_no", _("The staff number is required.")
        )
        if len(values["staff_no"]) > 32:
            raise DomainError(
                "org.staff_number_too_long",
                _("The staff number is too long (at most 32 characters)."),
                field="staff_no",
            )
        clash = sa.select(StaffMember.id).where(StaffMember.staff_no == values["staff_no"])
        if staff_id is not None:
            clash = clash.where(StaffMember.id != staff_id)
        if session.scalar(clash):
            raise ConflictError(
                "org.staff_number_used",
                _("Staff number %(staff_no)s is already used."),
                field="staff_no",
                staff_no=values["staff_no"],
            )
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
        if len(values["name"]) > 64:
            raise DomainError(
                "org.name_too_long",
                _("The name is too long (at most 64 characters)."),
                field="name",
            )
    if "phone" in values:
        values["phone"] = _optional(values["phone"])
        if values["phone"] and not PHONE_RE.match(values["phone"]):
            raise DomainError(
                "org.phone_number_not_valid", _("The phone number is not valid."), field="phone"
            )
    if "hired_on" in values and not isinstance(values["hired_on"], date):
        raise DomainError(
            "org.hire_date_required", _("The hire date is required."), field="hired_on"
        )
    if "status" in values and values["status"] not in STAFF_STATUSES:
        raise DomainError("org.unknown_status", _("Unknown status."), field="status")
    if "site_id" in values and session.get(Site, values["site_id"]) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")


def create_staff(
    session: Session,
    actor: User | None,
    *,
    staff_no: str,
    name: str,
    hired_on: date,
    site_id: int,
    phone: str | None = None,
    status: str = "active",
) -> StaffMember:
    """Create a staff member. Raises DomainError (duplicate staff number, bad phone/status/site)."""
    values = {
        "staff_no": staff_no,
        "name": name,
        "phone": phone,
        "hired_on": hired_on,
        "status": status,
        "site_id": site_id,
    }
    _check_staff_values(session, values, None)
    member = StaffMember(**values)
    _insert(
        session,
        member,
        _("Staff number %(staff_no)s is already used."),
        "staff_no",
        staff_no=values["staff_no"],
    )
    record(session, actor, "staff.create", member)
    logger.info("staff member %s created", member.id)
    return member


def update_staff(
    session: Session,
    actor: User | None,
    member: StaffMember,
    *,
    today: date | None = None,
    **values: Any,
) -> StaffMember:
    """Change a staff member (staff_no, name, phone, hired_on, status, site_id).

    Setting the status to "left" ends the current assignment on `today` (never before the day it
    started). Raises DomainError (duplicate staff number, bad phone/status/site).
    """
    values = {
        k: v
        for k, v in values.items()
        if k in {"staff_no", "name", "phone", "hired_on", "status", "site_id"}
    }
    _check_staff_values(session, values, member.id)
    was_status = member.status
    before = _changed(member, values)
    if not before:
        return member
    session.flush()
    record(session, actor, "staff.update", member, before=before)
    if member.status == "left" and was_status != "left":
        current = current_assignment(session, member.id)
        if current is not None:
            end_on = max(today or date.today(), current.started_on)
            end_assignment(session, actor, current, end_on)
    return member


# --------------------------------------------------------------------------- assignments


def current_assignment(session: Session, staff_member_id: int) -> Assignment | None:
    return session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == staff_member_id, Assignment.ended_on.is_(None)
        )
    )


def _overlapping(
    session: Session,
    staff_member_id: int,
    starts: date,
    ends: date | None,
    exclude_ids: Iterable[int] = (),
) -> Assignment | None:
    query = sa.select(Assignment).where(
        Assignment.staff_member_id == staff_member_id,
        sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= starts),
    )
    if ends is not None:
        query = query.where(Assignment.started_on <= ends)
    exclude = [i for i in exclude_ids if i is not None]
    if exclude:
        query = query.where(Assignment.id.not_in(exclude))
    return session.scalars(query.order_by(Assignment.started_on).limit(1)).first()


def _check_assignment_refs(
    session: Session, post_id: int, site_id: int, window_id: int | None
) -> None:
    if session.get(Post, post_id) is None:
        raise DomainError("org.post_unknown", _("The post does not exist."), field="post_id")
    if session.get(Site, site_id) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")
    if window_id is not None:
        window = session.get(Window, window_id)
        if window is None:
            raise DomainError(
                "org.window_unknown", _("The window does not exist."), field="window_id"
            )
        if window.site_id != site_id:
            raise DomainError(
                "org.window_not_chosen_site",
                _("The window is not at the chosen site."),
                field="window_id",
            )


def assign(
    session: Session,
    actor: User | None,
    member: StaffMember,
    *,
    post_id: int,
    site_id: int,
    started_on: date,
    window_id: int | None = None,
    ended_on: date | None = None,
    note: str | None = None,
) -> Assignment:
    """Give a staff member a post (and usually a window) from `started_on`.

    An open-ended assignment becomes the current one: the previous current assignment ends the
    day before. A staff member's home site follows their current assignment. Raises DomainError when
    the dates are out of order, the new assignment would not start after the current one, the
    range overlaps another assignment, or a post/site/window is unknown or mismatched.
    """
    if not isinstance(started_on, date):
        raise DomainError(
            "org.start_date_required", _("The start date is required."), field="started_on"
        )
    if ended_on is not None and ended_on < started_on:
        raise DomainError(
            "org.end_date_before_start",
            _("The end date is before the start date."),
            field="ended_on",
        )
    _check_assignment_refs(session, post_id, site_id, window_id)
    current = current_assignment(session, member.id)
    ended_previous = None
    if ended_on is None and current is not None:
        if current.started_on >= started_on:
            raise ConflictError(
                "org.new_assignment_start_after",
                _("The new assignment must start after the current one, which started on %(day)s."),
                field="started_on",
                day=current.started_on.isoformat(),
            )
        ended_previous = current
    clash = _overlapping(
        session,
        member.id,
        started_on,
        ended_on,
        exclude_ids=[ended_previous.id] if ended_previous else [],
    )
    if clash is not None:
        raise ConflictError(
            "org.assignment_overlap",
            _("The dates overlap another assignment (%(start)s to %(end)s)."),
            field="started_on",
            start=clash.started_on.isoformat(),
            end=clash.ended_on.isoformat() if clash.ended_on else "-",
        )
    if ended_previous is not None:
        end_assignment(session, actor, ended_previous, started_on - timedelta(days=1))
    assignment = Assignment(
        staff_member_id=member.id,
        post_id=post_id,
        site_id=site_id,
        window_id=window_id,
        started_on=started_on,
        ended_on=ended_on,
        note=_optional(note),
    )
    _insert(
        session, assignment, _("This staff member already has a current assignment."), "started_on"
    )
    record(session, actor, "assignment.create", assignment)
    if ended_on is None and member.site_id != site_id:
        update_staff(session, actor, member, site_id=site_id)
    logger.info(
        "staff member %s assigned to post %s (assignment %s)", member.id, post_id, assignment.id
    )
    return assignment


def end_assignment(
    session: Session, actor: User | None, assignment: Assignment, ended_on: date
) -> Assignment:
    """End an assignment on `ended_on` (inclusive). Raises DomainError if it would end before it starts."""
    if ended_on < assignment.started_on:
        raise DomainError(
            "org.end_date_before_start",
            _("The end date is before the start date."),
            field="ended_on",
        )
    before = snapshot(assignment)
    assignment.ended_on = ended_on
    session.flush()
    record(session, actor, "assignment.end", assignment, before=before)
    return assignment


def update_assignment(
    session: Session, actor: User | None, assignment: Assignment, **values: Any
) -> Assignment:
    """Correct an assignment (post_id, site_id, window_id, started_on, ended_on, note).

    Raises DomainError when the dates are out of order, overlap another assignment of the same
    person, or would leave two current assignments.
    """
    values = {
        k: v
        for k, v in values.items()
        if k in {"post_id", "site_id", "window_id", "started_on", "ended_on", "note"}
    }
    if "note" in values:
        values["note"] = _optional(values["note"])
    post_id = values.get("post_id", assignment.post_id)
    site_id = values.get("site_id", assignment.site_id)
    window_id = values.get("window_id", assignment.window_id)
    started_on = values.get("started_on", assignment.started_on)
    ended_on = values.get("ended_on", assignment.ended_on)
    if not isinstance(started_on, date):
        raise DomainError(
            "org.start_date_required", _("The start date is required."), field="started_on"
        )
    if ended_on is not None and ended_on < started_on:
        raise DomainError(
            "org.end_date_before_start",
            _("The end date is before the start date."),
            field="ended_on",
        )
    _check_assignment_refs(session, post_id, site_id, window_id)
    clash = _overlapping(
        session, assignment.staff_member_id, started_on, ended_on, exclude_ids=[assignment.id]
    )
    if clash is not None:
        if clash.ended_on is None and ended_on is None:
            raise ConflictError(
                "org.staff_member_current_assignment",
                _("This staff member already has a current assignment."),
                field="ended_on",
            )
        raise ConflictError(
            "org.assignment_overlap",
            _("The dates overlap another assignment (%(start)s to %(end)s)."),
            field="started_on",
            start=clash.started_on.isoformat(),
            end=clash.ended_on.isoformat() if clash.ended_on else "-",
        )
    before = _changed(assignment, values)
    if before:
        session.flush()
        record(session, actor, "assignment.update", assignment, before=before)
    return assignment


def staff_by_no(session: Session, staff_no: str) -> StaffMember | None:
    return session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == _clean(staff_no)))
