"""Small shared pieces: the users of a role, month bounds and the closed-month lookup."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.models import User, UserRole

from ..models import MonthClose

MONTH_CLOSE_ROLES = ("discipline", "admin")
READ_ROLES = ("admin", "inspector", "hr", "discipline", "leader")
APPEAL_DECIDERS = ("discipline",)


def users_with_role(session: Session, *roles: str) -> list[User]:
    return list(
        session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(roles), User.active)
            .distinct()
            .order_by(User.id)
        )
    )


def closed_month(session: Session, year: int, month: int, site_ids=None) -> MonthClose | None:
    """The close in force for the month (None while it is open). A close covers every site, so
    `site_ids` (a reader's scope) does not change the answer; read its `ScoreSnapshot` rows
    with `site_id` among the scope."""
    return session.scalars(
        sa.select(MonthClose).where(
            MonthClose.month == date(year, month, 1), MonthClose.status == "closed"
        )
    ).first()
