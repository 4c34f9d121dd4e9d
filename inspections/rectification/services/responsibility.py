"""Who is responsible for a finding: the window's keeper or current assignee, the site's area
keeper, or the staff member themselves; who supervises them; and the users behind them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import site_tree_ids
from compliance.audit import record
from compliance.models import Assignment, StaffMember, User, UserRole

from ..models import AreaKeeper, WindowKeeper


def window_assignee_id(session: Session, window_id: int) -> int | None:
    """The staff member currently assigned to a window (the longest-serving one if several)."""
    return session.scalar(
        sa.select(Assignment.staff_member_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Assignment.window_id == window_id,
            Assignment.ended_on.is_(None),
            StaffMember.status == "active",
        )
        .order_by(Assignment.started_on, Assignment.id)
        .limit(1)
    )


def window_assignees(session: Session, window_ids: Sequence[int]) -> dict[int, int]:
    """The current assignee of each window (the longest-serving one), in one query."""
    if not window_ids:
        return {}
    rows = session.execute(
        sa.select(Assignment.window_id, Assignment.staff_member_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(
            Assignment.window_id.in_(window_ids),
            Assignment.ended_on.is_(None),
            StaffMember.status == "active",
        )
        .order_by(Assignment.started_on.desc(), Assignment.id.desc())
    ).all()
    return {window_id: staff_id for window_id, staff_id in rows}  # the earliest start wins


def responsible_for(
    session: Session,
    *,
    target: str,
    site_id: int,
    window_id: int | None,
    staff_member_id: int | None,
) -> tuple[int | None, int | None]:
    """(responsible staff id, supervisor staff id) for a finding's target.

    A staff finding is the staff member's own; a window finding goes to the window's keeper (or,
    without one, its current assignee); an area finding to the site's area keeper. The supervisor
    is the window's named supervisor, else the site's.
    """
    if target == "staff" and staff_member_id and not window_id:
        # The supervisor of a staff finding follows the window the person works at.
        window_id = session.scalar(
            sa.select(Assignment.window_id).where(
                Assignment.staff_member_id == staff_member_id, Assignment.ended_on.is_(None)
            )
        )
    window_keeper = session.get(WindowKeeper, window_id) if window_id else None
    area_keeper = session.get(AreaKeeper, site_id)
    if target == "staff" and staff_member_id:
        responsible = staff_member_id
    elif window_id:
        responsible = (
            window_keeper.keeper_staff_id if window_keeper else None
        ) or window_assignee_id(session, window_id)
    else:
        responsible = area_keeper.keeper_staff_id if area_keeper else None
    supervisor = (window_keeper.supervisor_staff_id if window_keeper else None) or (
        area_keeper.supervisor_staff_id if area_keeper else None
    )
    if supervisor == responsible:
        supervisor = None
    return responsible, supervisor


def users_for_staff(session: Session, staff_ids: Iterable[int | None]) -> dict[int, User]:
    """The active user linked to each staff member (staff id -> user)."""
    ids = {i for i in staff_ids if i}
    if not ids:
        return {}
    users = session.scalars(
        sa.select(User).where(User.staff_member_id.in_(ids), User.active.is_(True))
    )
    return {u.staff_member_id: u for u in users}


def users_with_role_for_site(
    session: Session, role: str, site_id: int, _cache: dict | None = None
) -> list[User]:
    """Active users holding `role` whose scope includes the site."""
    cache = _cache if _cache is not None else {}
    key = ("role", role)
    if key not in cache:
        users = list(
            session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role, User.active.is_(True))
                .order_by(User.id)
            )
        )
        cache[key] = [
            (u, None if u.all_sites else site_tree_ids(session, u.scope_site_ids)) for u in users
        ]
    return [u for u, ids in cache[key] if ids is None or site_id in ids]


# --- keepers --------------------------------------------------------------------------------


def set_window_keeper(
    session: Session,
    actor: User,
    window_id: int,
    keeper_staff_id: int | None,
    supervisor_staff_id: int | None,
) -> WindowKeeper:
    """Name (or clear) a window's keeper and supervisor; audited."""
    row = session.get(WindowKeeper, window_id) or WindowKeeper(window_id=window_id)
    return _save_keeper(
        session, actor, row, f"window:{window_id}", keeper_staff_id, supervisor_staff_id
    )


def set_area_keeper(
    session: Session,
    actor: User,
    site_id: int,
    keeper_staff_id: int | None,
    supervisor_staff_id: int | None,
) -> AreaKeeper:
    """Name (or clear) a site's area keeper and supervisor; audited."""
    row = session.get(AreaKeeper, site_id) or AreaKeeper(site_id=site_id)
    return _save_keeper(
        session, actor, row, f"site:{site_id}", keeper_staff_id, supervisor_staff_id
    )


def _save_keeper(session, actor, row, entity_id, keeper_id, supervisor_id):
    before = (
        {"keeper": row.keeper_staff_id, "supervisor": row.supervisor_staff_id}
        if row.keeper_staff_id or row.supervisor_staff_id
        else None
    )
    row.keeper_staff_id, row.supervisor_staff_id = keeper_id, supervisor_id
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "keeper.update",
        entity_type="Keeper",
        entity_id=entity_id,
        before=before,
        after={"keeper": keeper_id, "supervisor": supervisor_id},
    )
    return row
