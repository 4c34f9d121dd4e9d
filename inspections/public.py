"""What other feature packages may ask of inspections (imported at module level by them, so the
dependency direction stays visible: training -> inspections, never the reverse).

The figures of `services.stats` and `rectification.services.stats` (rounds, findings by
category and month, the most frequent check items, rectified and on time, commendations and
complaints) are offered here for reports built elsewhere, e.g. an assessment bulletin: each is
one aggregate statement over a `compliance.periods.Period`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import Finding
from .rectification.models import Rectification
from .rectification.services.stats import (  # noqa: F401  (figures for other packages)
    conduct_by_month,
    conduct_totals,
    open_by_age,
    rectification_totals,
    rectified_by_month,
)
from .services.stats import (  # noqa: F401  (figures for other packages)
    findings_by_category,
    findings_by_month,
    frequent_items,
    rounds_by_kind,
    rounds_by_month,
)


def open_major_findings(
    session: Session, staff_ids: Iterable[int], since: datetime
) -> dict[int, int]:
    """Per person: findings of severity major or critical found at or after `since` (naive UTC)
    whose rectification is not verified (closed). People with none are left out."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return {}
    query = (
        sa.select(Finding.staff_member_id, sa.func.count(Finding.id))
        .outerjoin(Rectification, Rectification.finding_id == Finding.id)
        .where(
            Finding.staff_member_id.in_(staff_ids),
            Finding.severity.in_(("major", "critical")),
            Finding.found_at >= since,
            sa.or_(Rectification.id.is_(None), Rectification.status != "verified"),
        )
        .group_by(Finding.staff_member_id)
    )
    return dict(session.execute(query).all())
