"""Reading cases: the ones a user may see narrowed by the list's filters, their counts, and the
concluded cases the monthly assessment reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from compliance.access import scope_filter
from compliance.models import User
from compliance.timeutil import local_today

from ...models import CheckItem, CheckItemVersion
from ..models import (
    DEADLINE_STATUSES,
    OPEN_CASE_STATUSES,
    SUBSTANTIATED,
    IntegrityCase,
)
from .access import CASE_ROLES


@dataclass
class CaseFilters:
    status: str | None = None  # one of CASE_STATUSES, or "open"
    overdue: bool = False
    mine: bool = False
    awaiting_approval: bool = False
    site_id: int | None = None
    conclusion: str | None = None
    accused_staff_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def visible_clause(session: Session, user: User | None) -> sa.ColumnElement[bool]:
    """Cases `user` may see (None: a system export, every case)."""
    if user is None:
        return sa.true()
    if not user.has_role(*CASE_ROLES):
        return sa.false()
    clause = scope_filter(user, IntegrityCase.site_id, session)
    if user.staff_member_id is not None:
        clause = sa.and_(
            clause,
            sa.or_(
                IntegrityCase.accused_staff_id.is_(None),
                IntegrityCase.accused_staff_id != user.staff_member_id,
            ),
        )
    return clause


def filtered_query(
    session: Session, user: User, filters: CaseFilters, today: date | None = None
) -> sa.Select:
    today = today or local_today()
    query = sa.select(IntegrityCase).where(visible_clause(session, user))
    if filters.status == "open":
        query = query.where(IntegrityCase.status.in_(OPEN_CASE_STATUSES))
    elif filters.status:
        query = query.where(IntegrityCase.status == filters.status)
    if filters.overdue:
        query = query.where(
            IntegrityCase.status.in_(DEADLINE_STATUSES), IntegrityCase.deadline_on < today
        )
    if filters.mine:
        query = query.where(IntegrityCase.officer_id == user.id)
    if filters.awaiting_approval:
        query = query.where(
            IntegrityCase.status == "verified",
            IntegrityCase.conclusion.is_not(None),
            IntegrityCase.proposed_by_id != user.id,
        )
    if filters.site_id:
        query = query.where(IntegrityCase.site_id == filters.site_id)
    if filters.conclusion:
        query = query.where(IntegrityCase.conclusion == filters.conclusion)
    if filters.accused_staff_id:
        query = query.where(IntegrityCase.accused_staff_id == filters.accused_staff_id)
    if filters.date_from:
        query = query.where(IntegrityCase.registered_on >= filters.date_from)
    if filters.date_to:
        query = query.where(IntegrityCase.registered_on <= filters.date_to)
    return query


def with_people():
    return (
        selectinload(IntegrityCase.site),
        selectinload(IntegrityCase.accused),
        selectinload(IntegrityCase.officer),
        selectinload(IntegrityCase.window),
    )


def counts_for(session: Session, user: User, today: date | None = None) -> dict[str, int]:
    """Open, overdue, awaiting the user's approval and assigned to the user, over what they see."""
    today = today or local_today()
    sub = (
        sa.select(
            IntegrityCase.status,
            IntegrityCase.deadline_on,
            IntegrityCase.officer_id,
            IntegrityCase.conclusion,
            IntegrityCase.proposed_by_id,
        )
        .where(visible_clause(session, user))
        .subquery()
    )
    row = session.execute(
        sa.select(
            sa.func.count().filter(sub.c.status.in_(OPEN_CASE_STATUSES)),
            sa.func.count().filter(sub.c.status == "registered"),
            sa.func.count().filter(sub.c.status.in_(DEADLINE_STATUSES), sub.c.deadline_on < today),
            sa.func.count().filter(
                sub.c.status == "verified",
                sub.c.conclusion.is_not(None),
                sub.c.proposed_by_id != user.id,
            ),
            sa.func.count().filter(
                sub.c.status.in_(OPEN_CASE_STATUSES), sub.c.officer_id == user.id
            ),
        )
    ).one()
    return dict(zip(("open", "unassigned", "overdue", "to_approve", "mine"), row, strict=True))


@dataclass(frozen=True)
class Conclusion:
    """A concluded case as the monthly assessment reads it."""

    case_id: int
    number: str
    site_id: int
    window_id: int | None
    staff_member_id: int | None
    check_item_id: int | None
    check_item_code: str | None
    points: int | None  # the item's current points (deduction), when the case names an item
    conclusion: str
    concluded_on: date
    measure: str | None


def conclusions_between(
    session: Session,
    date_from: date,
    date_to: date,
    *,
    site_ids=None,
    conclusions=SUBSTANTIATED,
) -> list[Conclusion]:
    """Cases whose conclusion was approved between the two dates (inclusive), by default those
    found substantiated (属实) or partly substantiated (部分属实)."""
    query = (
        sa.select(
            IntegrityCase,
            CheckItem.code,
            CheckItemVersion.points,
        )
        .outerjoin(CheckItem, CheckItem.id == IntegrityCase.check_item_id)
        .outerjoin(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .where(
            IntegrityCase.status.in_(("concluded", "handled", "closed")),
            IntegrityCase.concluded_on >= date_from,
            IntegrityCase.concluded_on <= date_to,
            IntegrityCase.conclusion.in_(list(conclusions)),
        )
        .order_by(IntegrityCase.concluded_on, IntegrityCase.id)
    )
    if site_ids is not None:
        query = query.where(IntegrityCase.site_id.in_(list(site_ids)))
    return [
        Conclusion(
            case_id=case.id,
            number=case.number,
            site_id=case.site_id,
            window_id=case.window_id,
            staff_member_id=case.accused_staff_id,
            check_item_id=case.check_item_id,
            check_item_code=code,
            points=points,
            conclusion=case.conclusion,
            concluded_on=case.concluded_on,
            measure=case.measure,
        )
        for case, code, points in session.execute(query).all()
    ]
