"""Who may read and act on conduct records.

Readers (administrators, discipline officers, HR, centre heads) see the records of their sites.
A complaint of an integrity matter (its category or check item is an integrity one) is for
discipline officers and administrators only, and never for the person it names: for everyone else
it does not exist (404)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import in_scope, scope_filter
from compliance.domain import N_, ForbiddenError, NotFoundError
from compliance.models import User

from ..models import ConductRecord

READ_ROLES = ("admin", "discipline", "hr", "leader")
RECORD_ROLES = ("admin", "discipline", "hr")
DECIDE_ROLES = ("admin", "discipline")
CALLBACK_ROLES = ("admin", "discipline", "hr")
INTEGRITY_ROLES = ("admin", "discipline")


def can_view(user: User, row: ConductRecord, session: Session | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not user.has_role(*READ_ROLES) or not in_scope(user, row.site_id, session):
        return False
    if row.is_integrity:
        if not user.has_role(*INTEGRITY_ROLES):
            return False
        if user.staff_member_id is not None and user.staff_member_id == row.staff_member_id:
            return False
    return True


def visible_clause(session: Session, user: User | None) -> sa.ColumnElement[bool]:
    """Conduct records `user` may read (None: a system export, all)."""
    if user is None:
        return sa.true()
    if not user.has_role(*READ_ROLES):
        return sa.false()
    clause = scope_filter(user, ConductRecord.site_id, session)
    if not user.has_role(*INTEGRITY_ROLES):
        return sa.and_(clause, ConductRecord.is_integrity.is_(False))
    if user.staff_member_id is not None:
        clause = sa.and_(
            clause,
            sa.or_(
                ConductRecord.is_integrity.is_(False),
                ConductRecord.staff_member_id.is_(None),
                ConductRecord.staff_member_id != user.staff_member_id,
            ),
        )
    return clause


def require_view(user: User, row: ConductRecord | None, session=None) -> ConductRecord:
    if row is None or not can_view(user, row, session):
        raise NotFoundError(
            "complaints.not_found",
            N_("No such complaint or commendation."),
            id=getattr(row, "id", None),
        )
    return row


def require_role(user: User, roles, code: str, message: str) -> None:
    if not user.has_role(*roles):
        raise ForbiddenError(code, message)
