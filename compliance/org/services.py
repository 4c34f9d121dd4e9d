"""Organisation rules: sites, windows, posts, staff members, assignments, leave and conflicts.

Plain functions taking `(session, actor, ...)`; they flush and never commit, and every write is
audited in the caller's transaction. A refused change raises `DomainError` (`ConflictError` when it
clashes with existing records) whose message is an English msgid, translated where it is shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..domain import N_ as _
from ..domain import ConflictError, DomainError
from ..models import (
    SITE_KINDS,
    STAFF_STATUSES,
    Assignment,
    Conflict,
    Leave,
    Post,
    Site,
    StaffMember,
    User,
    Window,
)

logger = logging.getLogger(__name__)

CONFLICT_KINDS = ("relative", "interest", "other")
SITE_RANK = {kind: rank for rank, kind in enumerate(SITE_KINDS)}  # centre < hall < station
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,32}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")


# --------------------------------------------------------------------------- helpers


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _optional(value: str | None) -> str | None:
    value = _clean(value)
    return value or None


def _require(value: str | None, field: str, message: str) -> str:
    value = _clean(value)
    if not value:
        raise DomainError("org.required", message, field=field)
    return value


def _check_code(code: str, field: str = "code") -> str:
    if not CODE_RE.match(code):
        raise DomainError(
            "org.code_format",
            _("A code may only contain letters, digits, '-', '_' and '.' (at most 32)."),
            field=field,
        )
    return code


def _insert(
    session: Session, obj: Any, message: str, field: str | None = None, **params: Any
) -> None:
    """Add and flush `obj` in a savepoint. The checks above catch clashes in the normal case; a
    concurrent transaction that slipped past them trips a unique index instead, which becomes the
    same user-facing refusal (409) rather than an internal error."""
    try:
        with session.begin_nested():
            session.add(obj)
            session.flush()
    except IntegrityError as exc:
        logger.info(
            "insert of %s refused by the database: %s", type(obj).__name__, type(exc.orig).__name__
        )
        raise ConflictError("org.duplicate", message, field=field, **params) from exc


def _changed(obj: Any, values: dict) -> dict:
    """Apply `values` to `obj`; return the previous snapshot when something changed, else {}."""
    before = snapshot(obj)
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return before if changed else {}


# --------------------------------------------------------------------------- sites


def _check_site_parent(
    session: Session, site: Site | None, kind: str, parent_id: int | None
) -> None:
    if kind not in SITE_KINDS:
        raise DomainError("org.unknown_kind_site", _("Unknown kind of site."), field="kind")
    if parent_id is None:
        return
    parent = session.get(Site, parent_id)
    if parent is None:
        raise DomainError(
            "org.parent_site_unknown", _("The parent site does not exist."), field="parent_id"
        )
    if site is not None and site.id is not None:
        # Walk up from the new parent: meeting the site itself would close a loop.
        seen: set[int] = set()
        node: Site | None = parent
        while node is not None and node.id not in seen:
            if node.id == site.id:
                raise DomainError(
                    "org.site_cycle",
                    _("A site cannot be placed under itself or one of its own sub-sites."),
                    field="parent_id",
                )
            seen.add(node.id)
            node = node.parent
    if SITE_RANK[parent.kind] >= SITE_RANK[kind]:
        raise DomainError(
            "org.site_kind_order",
            _(
                "This kind of site cannot be placed under that parent: a centre is at the top, "
                "halls below centres, stations below centres or halls."
            ),
            field="parent_id",
        )


def create_site(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name: str,
    kind: str = "centre",
    parent_id: int | None = None,
    address: str | None = None,
    timezone: str = "Asia/Shanghai",
    is_active: bool = True,
) -> Site:
    """Create a site. Raises DomainError (bad or duplicate code, unknown parent, wrong tree order)."""
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Site.id).where(Site.code == code)):
        raise ConflictError(
            "org.site_code_exists",
            _("A site with code %(code)s already exists."),
            field="code",
            code=code,
        )
    _check_site_parent(session, None, kind, parent_id)
    site = Site(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent_id,
        address=_optional(address),
        timezone=timezone or "Asia/Shanghai",
        is_active=is_active,
    )
    _insert(session, site, _("A site with code %(code)s already exists."), "code", code=code)
    record(session, actor, "site.create", site)
    logger.info("site %s created", site.id)
    return site


def update_site(session: Session, actor: User | None, site: Site, **values: Any) -> Site:
    """Change a site (code, name, kind, parent_id, address, timezone, is_active).

    Raises DomainError: duplicate code, a parent that is the site itself or below it, a kind that
    does not fit the tree (centre > hall > station).
    """
    allowed = {"code", "name", "kind", "parent_id", "address", "timezone", "is_active"}
    unknown = set(values) - allowed
    if unknown:
        raise DomainError(
            "org.unknown_field_name",
            _("Unknown field: %(name)s"),
            field=sorted(unknown)[0],
            name=sorted(unknown)[0],
        )
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
        if session.scalar(
            sa.select(Site.id).where(Site.code == values["code"], Site.id != site.id)
        ):
            raise ConflictError(
                "org.site_code_exists",
                _("A site with code %(code)s already exists."),
                field="code",
                code=values["code"],
            )
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    if "address" in values:
        values["address"] = _optional(values["address"])
    kind = values.get("kind", site.kind)
    parent_id = values.get("parent_id", site.parent_id)
    _check_site_parent(session, site, kind, parent_id)
    if "kind" in values:
        child_kinds = session.scalars(sa.select(Site.kind).where(Site.parent_id == site.id)).all()
        if any(SITE_RANK[c] <= SITE_RANK[kind] for c in child_kinds):
            raise DomainError(
                "org.kind_does_not_fit",
                _("This kind does not fit the sites below this one."),
                field="kind",
            )
    before = _changed(site, values)
    if before:
        session.flush()
        record(session, actor, "site.update", site, before=before)
    return site


# --------------------------------------------------------------------------- windows


def create_window(
    session: Session,
    actor: User | None,
    *,
    site_id: int,
    code: str,
    name: str,
    is_active: bool = True,
) -> Window:
    """Create a window at a site. Raises DomainError (unknown site, duplicate code at the site)."""
    if session.get(Site, site_id) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Window.id).where(Window.site_id == site_id, Window.code == code)):
        raise ConflictError(
            "org.window_code_exists",
            _("This site already has a window %(code)s."),
            field="code",
            code=code,
        )
    window = Window(site_id=site_id, code=code, name=name, is_active=is_active)
    _insert(session, window, _("This site already has a window %(code)s."), "code", code=code)
    record(session, actor, "window.create", window)
    return window


def update_window(session: Session, actor: User | None, window: Window, **values: Any) -> Window:
    """Change a window (site_id, code, name, is_active). Raises DomainError like create_window."""
    site_id = values.get("site_id", window.site_id)
    if site_id != window.site_id and session.get(Site, site_id) is None:
        raise DomainError("org.site_unknown", _("The site does not exist."), field="site_id")
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    code = values.get("code", window.code)
    if session.scalar(
        sa.select(Window.id).where(
            Window.site_id == site_id, Window.code == code, Window.id != window.id
        )
    ):
        raise ConflictError(
            "org.window_code_exists",
            _("This site already has a window %(code)s."),
            field="code",
            code=code,
        )
    before = _changed(
        window, {k: v for k, v in values.items() if k in {"site_id", "code", "name", "is_active"}}
    )
    if before:
        session.flush()
        record(session, actor, "window.update", window, before=before)
    return window


# --------------------------------------------------------------------------- posts


def create_post(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name: str,
    is_key: bool = False,
    description: str | None = None,
) -> Post:
    """Create a post. Raises DomainError (bad or duplicate code, missing name)."""
    code = _check_code(_require(code, "code", _("The code is required.")))
    name = _require(name, "name", _("The name is required."))
    if session.scalar(sa.select(Post.id).where(Post.code == code)):
        raise ConflictError(
            "org.post_code_exists",
            _("A post with code %(code)s already exists."),
            field="code",
            code=code,
        )
    post = Post(code=code, name=name, is_key=is_key, description=_optional(description))
    _insert(session, post, _("A post with code %(code)s already exists."), "code", code=code)
    record(session, actor, "post.create", post)
    return post


def update_post(session: Session, actor: User | None, post: Post, **values: Any) -> Post:
    """Change a post (code, name, is_key, description). Raises DomainError like create_post."""
    if "code" in values:
        values["code"] = _check_code(_require(values["code"], "code", _("The code is required.")))
        if session.scalar(
            sa.select(Post.id).where(Post.code == values["code"], Post.id != post.id)
        ):
            raise ConflictError(
                "org.post_code_exists",
                _("A post with code %(code)s already exists."),
                field="code",
                code=values["code"],
            )
    if "name" in values:
        values["name"] = _require(values["name"], "name", _("The name is required."))
    if "description" in values:
        values["description"] = _optional(values["description"])
    before = _changed(
        post, {k: v for k, v in values.items() if k in {"code", "name", "is_key", "description"}}
    )
    if before:
        session.flush()
        record(session, actor, "post.update", post, before=before)
    return post


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


def staff_by_no(session: Session, staff_no: str) -> StaffMember | None:
    return session.scalar(sa.select(StaffMember).where(StaffMember.staff_no == _clean(staff_no)))
