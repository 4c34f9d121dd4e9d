"""Figures for dashboards, the year in review and other packages: rounds made and findings, by
kind, category, month, day and check item. Each function is one aggregate statement (counted in
the database, whatever the number of rows) over a `compliance.periods.Period`, whose site set is
the reader's scope (already narrowed by any site filter).

Definitions (the period summary ledger counts the same way): a round counts when it was
submitted in the period (`submitted_at`); a finding when it was found in the period
(`found_at`); spot checks count the drawn inspectors' round, once."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from compliance.periods import Period, by_bucket, utc_edges

from ..models import (
    CATEGORIES,
    INSPECTION_KINDS,
    CheckItem,
    CheckItemVersion,
    Finding,
    Inspection,
    InspectionInspector,
)


def _submitted_in(period: Period):
    lo, hi = period.utc_bounds
    return sa.and_(
        Inspection.status == "submitted",
        Inspection.submitted_at >= lo,
        Inspection.submitted_at < hi,
        period.site_clause(Inspection.site_id),
    )


def rounds_by_kind(session: Session, period: Period) -> dict[str, int]:
    """Submitted patrols and spot checks: {"patrol": n, "spot_check": n}."""
    rows = session.execute(
        sa.select(Inspection.kind, sa.func.count())
        .where(_submitted_in(period))
        .group_by(Inspection.kind)
    ).all()
    counts = dict(rows)
    return {kind: counts.get(kind, 0) for kind in INSPECTION_KINDS}


def rounds_by_month(session: Session, period: Period) -> list[dict[str, int]]:
    """Per month of the period (oldest first): {"patrol": n, "spot_check": n}."""
    edges = period.month_edges_utc()
    out = [dict.fromkeys(INSPECTION_KINDS, 0) for _ in range(len(edges) - 1)]
    for month, kind, count in session.execute(
        by_bucket(Inspection.submitted_at, edges, _submitted_in(period), Inspection.kind)
    ):
        out[month][kind] = count
    return out


def rounds_by_day(session: Session, user_id: int, days: list[date]) -> list[dict[str, int]]:
    """One inspector's submitted rounds per local day (their patrols, and the spot checks whose
    team they were drawn into): [{"patrol": n, "spot_check": n}] in the order of `days`."""
    edges = utc_edges([*days, days[-1] + timedelta(days=1)])
    team = sa.select(InspectionInspector.inspection_id).where(
        InspectionInspector.user_id == user_id
    )
    mine = sa.and_(
        Inspection.status == "submitted",
        sa.or_(Inspection.inspector_id == user_id, Inspection.id.in_(team)),
    )
    out = [dict.fromkeys(INSPECTION_KINDS, 0) for _ in days]
    for day, kind, count in session.execute(
        by_bucket(Inspection.submitted_at, edges, mine, Inspection.kind)
    ):
        out[day][kind] = count
    return out


def _found_in(period: Period):
    lo, hi = period.utc_bounds
    return sa.and_(
        Finding.found_at >= lo, Finding.found_at < hi, period.site_clause(Finding.site_id)
    )


def findings_by_category(session: Session, period: Period) -> dict[str, int]:
    """Findings per category (every category present, 0 when none)."""
    counts = dict(
        session.execute(
            sa.select(Finding.category, sa.func.count())
            .where(_found_in(period))
            .group_by(Finding.category)
        ).all()
    )
    return {category: counts.get(category, 0) for category in CATEGORIES}


def findings_by_month(session: Session, period: Period) -> list[dict[str, int]]:
    """Per month of the period (oldest first): findings per category."""
    edges = period.month_edges_utc()
    out = [dict.fromkeys(CATEGORIES, 0) for _ in range(len(edges) - 1)]
    for month, category, count in session.execute(
        by_bucket(Finding.found_at, edges, _found_in(period), Finding.category)
    ):
        out[month][category] = count
    return out


def frequent_items(session: Session, period: Period, limit: int = 8) -> list[dict]:
    """The check items failed most often in the period, most frequent first (ties by code):
    [{"item_id", "code", "category", "text_zh", "text_en", "count"}]. Findings recorded without a
    check item (e.g. entered by hand) are not counted here."""
    checked = aliased(CheckItemVersion)
    current = aliased(CheckItemVersion)
    # Count per checklist version first (one pass over the period's findings, no join), then
    # join the few dozen versions to their items.
    per_version = (
        sa.select(Finding.item_version_id.label("version_id"), sa.func.count().label("n"))
        .where(_found_in(period), Finding.item_version_id.is_not(None))
        .group_by(Finding.item_version_id)
        .subquery()
    )
    count = sa.func.sum(per_version.c.n).label("n")
    rows = session.execute(
        sa.select(
            CheckItem.id,
            CheckItem.code,
            CheckItem.category,
            current.text_zh,
            current.text_en,
            count,
        )
        .select_from(per_version)
        .join(checked, checked.id == per_version.c.version_id)
        .join(CheckItem, CheckItem.id == checked.item_id)
        .outerjoin(current, current.id == CheckItem.current_version_id)
        .group_by(
            CheckItem.id, CheckItem.code, CheckItem.category, current.text_zh, current.text_en
        )
        .order_by(count.desc(), CheckItem.code)
        .limit(limit)
    ).all()
    return [
        {
            "item_id": item_id,
            "code": code,
            "category": category,
            "text_zh": text_zh or code,
            "text_en": text_en or code,
            "count": int(n),  # sum() of counts is a numeric on PostgreSQL
        }
        for item_id, code, category, text_zh, text_en, n in rows
    ]
