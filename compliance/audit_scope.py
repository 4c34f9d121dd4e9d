"""Reading the audit trail: which events a user may read, the filters of the trail page, and how
an event's before/after values are shown.

Administrators and discipline officers read the trail. A user limited to some sites sees the events
about records of those sites (sites, windows, staff, assignments, leave, and whatever feature
packages declare with `register_audit_scope`) plus the events they caused themselves.

Some records are confidential to a few roles (integrity cases: discipline officers and
administrators). A package declares them with `restrict_audit_entities`; a reader without one of
those roles never sees their events, not even the ones they caused themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .access import scope_ids
from .models import Assignment, AuditEvent, Leave, Site, StaffMember, User, Window
from .timeutil import local_day_bounds_utc

#: entity_type -> function(site_ids) returning a SELECT of the entity ids (as strings) in scope.
_SCOPED_ENTITIES: dict[str, Callable[[set[int]], sa.Select]] = {}


def register_audit_scope(entity_type: str, ids_in_sites: Callable[[set[int]], sa.Select]) -> None:
    """Declare how to tell which `entity_type` events a site-scoped reader may see.

    `ids_in_sites(site_ids)` returns a SELECT of one string column: the ids of the records of that
    type that belong to those sites.
    """
    _SCOPED_ENTITIES[entity_type] = ids_in_sites


#: entity_type -> the roles that may read its events (anyone else never sees them).
_RESTRICTED_ENTITIES: dict[str, frozenset[str]] = {}


def restrict_audit_entities(entity_types: Iterable[str], roles: Iterable[str]) -> None:
    """Declare record types whose audit events only holders of `roles` may read (within their
    site scope as usual)."""
    for entity_type in entity_types:
        _RESTRICTED_ENTITIES[entity_type] = frozenset(roles)


def restricted_clause(user: User | None) -> sa.ColumnElement[bool]:
    """Leaves out the events of confidential record types `user` may not read (None: a system
    export, everything)."""
    if user is None:
        return sa.true()
    hidden = sorted(t for t, roles in _RESTRICTED_ENTITIES.items() if not user.has_role(*roles))
    return AuditEvent.entity_type.not_in(hidden) if hidden else sa.true()


def _ids_where(model, site_column) -> Callable[[set[int]], sa.Select]:
    return lambda site_ids: sa.select(sa.cast(model.id, sa.String)).where(site_column.in_(site_ids))


register_audit_scope("Site", _ids_where(Site, Site.id))
register_audit_scope("Window", _ids_where(Window, Window.site_id))
register_audit_scope("StaffMember", _ids_where(StaffMember, StaffMember.site_id))
register_audit_scope("Assignment", _ids_where(Assignment, Assignment.site_id))
register_audit_scope(
    "Leave",
    lambda site_ids: (
        sa.select(sa.cast(Leave.id, sa.String))
        .join(StaffMember, StaffMember.id == Leave.staff_member_id)
        .where(StaffMember.site_id.in_(site_ids))
    ),
)


def site_events_clause(site_ids: set[int]) -> sa.ColumnElement[bool]:
    """Events about records that belong to the given sites."""
    if not site_ids:
        return sa.false()
    return sa.or_(
        *(
            sa.and_(
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id.in_(ids_in_sites(site_ids)),
            )
            for entity_type, ids_in_sites in _SCOPED_ENTITIES.items()
        )
    )


def scope_clause(user: User | None) -> sa.ColumnElement[bool]:
    """Which audit events `user` may read (None: a system export, everything)."""
    site_ids = scope_ids(user) if user is not None else None
    restricted = restricted_clause(user)
    if site_ids is None:
        return restricted
    return sa.and_(restricted, sa.or_(AuditEvent.actor_id == user.id, site_events_clause(site_ids)))


@dataclass
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def events_query(session: Session, filters: AuditFilters, user: User) -> sa.Select:
    """Audit events matching the filters that `user` may read, newest first.

    `action` matches a whole action ("user.create") or a prefix ending with a dot ("user.").
    """
    stmt = sa.select(AuditEvent).where(scope_clause(user)).order_by(AuditEvent.id.desc())
    if filters.actor:
        # Filter on the indexed actor_id; "system" is the name of events without a user.
        name = filters.actor.strip()
        if name == "system":
            stmt = stmt.where(AuditEvent.actor_id.is_(None))
        else:
            actor_id = session.scalar(sa.select(User.id).where(User.username == name))
            stmt = stmt.where(AuditEvent.actor_id == actor_id if actor_id else sa.false())
    if filters.action:
        action = filters.action.strip()
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type.strip())
    if filters.entity_id:
        stmt = stmt.where(AuditEvent.entity_id == filters.entity_id.strip())
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= local_day_bounds_utc(filters.date_from)[0])
    if filters.date_to:
        stmt = stmt.where(AuditEvent.at < local_day_bounds_utc(filters.date_to)[1])
    return stmt


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def diff_rows(before: dict | None, after: dict | None) -> list[dict]:
    """One row per field of before/after: its old and new value and whether it changed."""
    before = before or {}
    after = after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old = before.get(key)
        new = after.get(key)
        rows.append(
            {
                "field": key,
                "before": _display(old) if key in before else "",
                "after": _display(new) if key in after else "",
                "changed": key not in before or key not in after or old != new,
            }
        )
    return rows
