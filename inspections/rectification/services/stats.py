"""Figures of the rectification loop and of conduct records for dashboards, the year in review
and other packages. Each function is one aggregate statement over a `compliance.periods.Period`
(or a site set and a day), counted in the database.

Definitions (the period summary ledger counts the same way): a rectification is "rectified" in
the period when it was verified (closed) on a local day of the period, and "on time" when that
closure met its deadline (`closed_on_time`); commendations and complaints count by the day they
were received."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.periods import Period, by_bucket, site_clause

from ..models import OPEN_STATUSES, ConductRecord, Rectification

# Open rectifications by age in days since they were opened: 0-3, 4-7, 8-14, 15-30, 31+.
AGE_LIMITS = (3, 7, 14, 30)


def _closed_in(period: Period):
    return sa.and_(
        Rectification.status == "verified",
        Rectification.closed_on >= period.start,
        Rectification.closed_on <= period.end,
        period.site_clause(Rectification.site_id),
    )


def rectification_totals(session: Session, period: Period, today: date) -> dict[str, int]:
    """{"rectified", "on_time", "opened", "still_open"}: closed in the period (and of those on
    time); opened in the period, and of those still open on `today`."""
    opened_in = sa.and_(
        Rectification.opened_on >= period.start,
        Rectification.opened_on <= period.end,
        period.site_clause(Rectification.site_id),
    )
    # two range queries (closed in, opened in), each served by its index, not one pass over
    # every rectification ever opened
    closed = (
        sa.select(
            sa.func.count(),
            sa.func.count().filter(Rectification.closed_on_time.is_(True)),
        )
        .where(_closed_in(period))
        .subquery()
    )
    opened = (
        sa.select(
            sa.func.count(),
            sa.func.count().filter(Rectification.status.in_(OPEN_STATUSES)),
        )
        .where(opened_in)
        .subquery()
    )
    row = session.execute(
        sa.select(*closed.c, *opened.c).select_from(closed.join(opened, sa.true()))
    ).one()
    return dict(zip(("rectified", "on_time", "opened", "still_open"), row, strict=True))


def rectified_by_month(session: Session, period: Period) -> list[dict[str, int]]:
    """Per month of the period (oldest first): {"rectified": n, "on_time": n}."""
    edges = period.month_edges()
    out = [{"rectified": 0, "on_time": 0} for _ in range(len(edges) - 1)]
    counts = (sa.func.count(), sa.func.count().filter(Rectification.closed_on_time.is_(True)))
    for month, rectified, on_time in session.execute(
        by_bucket(Rectification.closed_on, edges, _closed_in(period), aggregates=counts)
    ):
        out[month] = {"rectified": rectified, "on_time": on_time}
    return out


def open_by_age(session: Session, site_ids, today: date) -> list[dict[str, int]]:
    """Rectifications open on `today` at the sites `site_ids` (None: all) by days since they
    were opened (AGE_LIMITS buckets, youngest first): [{"within": n, "overdue": n}] (overdue: the deadline has passed)."""
    whens = [
        (Rectification.opened_on >= today - timedelta(days=limit), index)
        for index, limit in enumerate(AGE_LIMITS)
    ]
    sub = (
        sa.select(
            sa.case(*whens, else_=len(AGE_LIMITS)).label("age"),
            (Rectification.deadline_on < today).label("late"),
        )
        .where(
            Rectification.status.in_(OPEN_STATUSES),
            site_clause(site_ids, Rectification.site_id),
        )
        .subquery()
    )
    out = [{"within": 0, "overdue": 0} for _ in range(len(AGE_LIMITS) + 1)]
    for age, late, count in session.execute(
        sa.select(sub.c.age, sub.c.late, sa.func.count()).group_by(sub.c.age, sub.c.late)
    ):
        out[age]["overdue" if late else "within"] += count
    return out


def _received_in(period: Period):
    return sa.and_(
        ConductRecord.received_on >= period.start,
        ConductRecord.received_on <= period.end,
        period.site_clause(ConductRecord.site_id),
    )


def conduct_totals(session: Session, period: Period) -> dict[str, int]:
    """{"commendation", "complaint", "upheld"} received in the period (upheld: complaints found
    true so far)."""
    row = session.execute(
        sa.select(
            sa.func.count().filter(ConductRecord.kind == "commendation"),
            sa.func.count().filter(ConductRecord.kind == "complaint"),
            sa.func.count().filter(
                ConductRecord.kind == "complaint", ConductRecord.outcome == "upheld"
            ),
        ).where(_received_in(period))
    ).one()
    return dict(zip(("commendation", "complaint", "upheld"), row, strict=True))


def conduct_by_month(session: Session, period: Period) -> list[dict[str, int]]:
    """Per month of the period: {"commendation": n, "complaint": n}."""
    edges = period.month_edges()
    out = [{"commendation": 0, "complaint": 0} for _ in range(len(edges) - 1)]
    for month, kind, count in session.execute(
        by_bucket(ConductRecord.received_on, edges, _received_in(period), ConductRecord.kind)
    ):
        out[month][kind] = count
    return out
