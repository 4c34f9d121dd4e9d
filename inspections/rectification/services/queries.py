"""Reading rectifications: what a user may see narrowed by the board's filters, the counts over
such a list, and the verification queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance.access import scope_filter
from compliance.models import User
from compliance.timeutil import local_today

from ...models import SEVERITIES
from ..models import OPEN_STATUSES, Rectification
from .permissions import SUPERVISING_ROLES


@dataclass
class Filters:
    status: str | None = None  # one of STATUSES, or "open" meaning not closed
    overdue: bool = False
    site_id: int | None = None
    category: str | None = None
    severity: str | None = None
    responsible_staff_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None


def filtered_query(
    session: Session, user: User, filters: Filters, today: date | None = None
) -> sa.Select:
    """Rectifications the user may see (supervising roles: their sites; others: their own),
    narrowed by the filters. Not ordered."""
    today = today or local_today()
    query = sa.select(Rectification)
    if user.has_role(*SUPERVISING_ROLES):
        query = query.where(scope_filter(user, Rectification.site_id, session))
    else:
        mine = user.staff_member_id or -1
        query = query.where(
            sa.or_(
                Rectification.responsible_staff_id == mine,
                Rectification.supervisor_staff_id == mine,
            )
        )
    if filters.status == "open":
        query = query.where(Rectification.status.in_(OPEN_STATUSES))
    elif filters.status:
        query = query.where(Rectification.status == filters.status)
    if filters.overdue:
        query = query.where(
            Rectification.status.in_(OPEN_STATUSES), Rectification.deadline_on < today
        )
    if filters.site_id:
        query = query.where(Rectification.site_id == filters.site_id)
    if filters.category:
        query = query.where(Rectification.category == filters.category)
    if filters.severity:
        query = query.where(Rectification.severity == filters.severity)
    if filters.responsible_staff_id:
        query = query.where(Rectification.responsible_staff_id == filters.responsible_staff_id)
    if filters.source:
        query = query.where(Rectification.source == filters.source)
    if filters.date_from:
        query = query.where(Rectification.opened_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Rectification.opened_on <= filters.date_to)
    return query


def counts_for(session: Session, query: sa.Select, today: date | None = None) -> dict[str, int]:
    """Counts by status, overdue and on-time closure over a filtered query."""
    today = today or local_today()
    sub = query.with_only_columns(
        Rectification.status,
        Rectification.deadline_on,
        Rectification.closed_on_time,
        Rectification.days_to_close,
    ).subquery()
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(sub.c.status == "open"),
            sa.func.count().filter(sub.c.status == "responded"),
            sa.func.count().filter(sub.c.status == "rejected"),
            sa.func.count().filter(sub.c.status == "verified"),
            sa.func.count().filter(sub.c.status.in_(OPEN_STATUSES), sub.c.deadline_on < today),
            sa.func.count().filter(sub.c.closed_on_time.is_(True)),
            sa.func.avg(sub.c.days_to_close),
        )
    ).one()
    total, open_, responded, rejected, verified, overdue, on_time, avg_days = row
    return {
        "total": total,
        "open": open_,
        "responded": responded,
        "rejected": rejected,
        "verified": verified,
        "overdue": overdue,
        "on_time": on_time,
        "on_time_rate": round(100 * on_time / verified) if verified else None,
        "avg_days_to_close": round(float(avg_days), 1) if avg_days is not None else None,
    }


def with_people():
    """Loader options for list pages (no N+1): the people, site and window joined into the
    page's one statement, so a list runs the same statements whatever its rows refer to."""
    return (
        joinedload(Rectification.responsible_staff),
        joinedload(Rectification.site),
        joinedload(Rectification.window),
        joinedload(Rectification.supervisor_staff),
    )


def verification_queue(session: Session, user: User) -> sa.Select:
    """Responses waiting for verification in the user's scope, oldest response first."""
    return (
        sa.select(Rectification)
        .where(
            Rectification.status == "responded", scope_filter(user, Rectification.site_id, session)
        )
        .order_by(Rectification.responded_at, Rectification.id)
    )


def severity_choices() -> tuple[str, ...]:
    return SEVERITIES
