"""This package's figures in the period summary (汇总表): patrols, spot checks and findings,
rectifications (closed, on time, overdue, the on-time rate), complaints and commendations."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_pgettext as _lp

from compliance.ledgers import (
    register_summary_metric,
    register_summary_rate,
    scope_clause,
    site_clause,
)
from compliance.ledgers.summary import utc_bounds
from compliance.timeutil import local_today

from .models import Finding, Inspection
from .rectification.models import ConductRecord, Rectification


def _inspections_of(kind: str):
    def count(session, user, filters, start, end) -> int:
        lo, hi = utc_bounds(start, end)
        return (
            session.scalar(
                sa.select(sa.func.count(Inspection.id))
                .where(
                    Inspection.kind == kind,
                    Inspection.status == "submitted",
                    Inspection.submitted_at >= lo,
                    Inspection.submitted_at < hi,
                )
                .where(scope_clause(user, Inspection.site_id, session))
                .where(site_clause(filters, Inspection.site_id))
            )
            or 0
        )

    return count


def _findings_stmt(session, user, filters, start, end):
    lo, hi = utc_bounds(start, end)
    return (
        sa.select(Finding.category, sa.func.count(Finding.id))
        .where(Finding.found_at >= lo, Finding.found_at < hi)
        .where(scope_clause(user, Finding.site_id, session))
        .where(site_clause(filters, Finding.site_id))
        .group_by(Finding.category)
    )


def _findings(session, user, filters, start, end) -> int:
    return sum(n for _c, n in session.execute(_findings_stmt(session, user, filters, start, end)))


def _findings_by_category(category_labels):
    def breakdown(session, user, filters, start, end) -> dict:
        counts = dict(session.execute(_findings_stmt(session, user, filters, start, end)).all())
        return {str(label): counts.get(key, 0) for key, label in category_labels.items()}

    return breakdown


def _rect_scope(stmt, session, user, filters):
    return stmt.where(scope_clause(user, Rectification.site_id, session)).where(
        site_clause(filters, Rectification.site_id)
    )


def _rectified(on_time: bool):
    def count(session, user, filters, start, end) -> int:
        stmt = sa.select(sa.func.count(Rectification.id)).where(
            Rectification.status == "verified",
            Rectification.closed_on >= start,
            Rectification.closed_on <= end,
        )
        if on_time:
            stmt = stmt.where(Rectification.closed_on_time.is_(True))
        return session.scalar(_rect_scope(stmt, session, user, filters)) or 0

    return count


def _overdue(session, user, filters, start, end) -> int:
    """Rectifications whose deadline fell in the period and that missed it."""
    today = local_today()
    stmt = sa.select(sa.func.count(Rectification.id)).where(
        Rectification.deadline_on >= start,
        Rectification.deadline_on <= end,
        sa.or_(
            Rectification.closed_on > Rectification.deadline_on,
            sa.and_(Rectification.closed_on.is_(None), Rectification.deadline_on < today),
        ),
    )
    return session.scalar(_rect_scope(stmt, session, user, filters)) or 0


def _conduct(kind: str):
    def count(session, user, filters, start, end) -> int:
        return (
            session.scalar(
                sa.select(sa.func.count(ConductRecord.id))
                .where(
                    ConductRecord.kind == kind,
                    ConductRecord.received_on >= start,
                    ConductRecord.received_on <= end,
                )
                .where(scope_clause(user, ConductRecord.site_id, session))
                .where(site_clause(filters, ConductRecord.site_id))
            )
            or 0
        )

    return count


def register_figures(app, category_labels: dict) -> None:
    """Register the figures (`category_labels`: the labels of the check categories)."""
    inspections = _lp("summary area", "Inspections")
    rectification = _lp("summary area", "Rectification")
    conduct = _lp("summary area", "Complaints and commendations")
    for order, key, label, func, group, monthly, breakdown, chart in (
        (
            10,
            "patrols",
            _lp("summary figure", "Patrols"),
            _inspections_of("patrol"),
            inspections,
            1,
            0,
            0,
        ),
        (
            11,
            "spot_checks",
            _lp("summary figure", "Spot checks"),
            _inspections_of("spot_check"),
            inspections,
            1,
            0,
            0,
        ),
        (12, "findings", _lp("summary figure", "Findings"), _findings, inspections, 1, 0, 1),
        (
            13,
            "findings_by_category",
            _lp("summary figure", "Findings by category"),
            _findings_by_category(category_labels),
            inspections,
            0,
            1,
            0,
        ),
        (
            20,
            "rectified",
            _lp("summary figure", "Rectifications closed"),
            _rectified(False),
            rectification,
            1,
            0,
            0,
        ),
        (
            21,
            "rectified_on_time",
            _lp("summary figure", "Closed on time"),
            _rectified(True),
            rectification,
            1,
            0,
            0,
        ),
        (
            22,
            "overdue",
            _lp("summary figure", "Past their deadline"),
            _overdue,
            rectification,
            1,
            0,
            0,
        ),
        (
            50,
            "complaints",
            _lp("summary figure", "Complaints"),
            _conduct("complaint"),
            conduct,
            0,
            0,
            0,
        ),
        (
            51,
            "commendations",
            _lp("summary figure", "Commendations"),
            _conduct("commendation"),
            conduct,
            0,
            0,
            0,
        ),
    ):
        register_summary_metric(
            app,
            key,
            label,
            func,
            group,
            order=order,
            monthly=bool(monthly),
            breakdown=bool(breakdown),
            chart=bool(chart),
        )
    register_summary_rate(
        app,
        "on_time_rate",
        _lp("summary figure", "On-time rectification rate"),
        "rectified_on_time",
        "rectified",
        rectification,
        order=23,
    )
