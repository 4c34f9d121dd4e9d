"""What other feature packages may ask of inspections (imported at module level by them, so the
dependency direction stays visible: training -> inspections, never the reverse).

- `open_major_findings`: training's mentor suggestions (mentors with open major findings rank lower);
- `upheld_complaints`: upheld complaints per staff member, window or site in a period;
- `integrity_conclusions`: integrity cases concluded 属实 / 部分属实 in a period (the monthly
  assessment's record of them);
- `CATEGORY_LABELS`: the names of the check categories (在岗/着装/卫生/服务规范);
- the figures of `services.stats` and `rectification.services.stats` (rounds, findings by
  category and month, the most frequent check items, rectified and on time, commendations and
  complaints) for reports built elsewhere, e.g. an assessment bulletin: each is one aggregate
  statement over a `compliance.periods.Period`;
- `void_finding`: the monthly assessment's accepted appeal voids a finding and cancels its
  rectification (inspections writes its own tables);
- `working_days_after` / `calendar_overrides` / `is_working_day`: the working-day calendar;
- `store_photo` / `verify_image`: the photo handling, reused for appeal photos;
- the models the assessment's aggregate statements read (`Finding`, `CheckItemVersion`,
  `Rectification`, `ConductRecord`, `WindowKeeper`, `Photo`), read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.timeutil import to_local

from .complaints.models import ConductRecord
from .forms import CATEGORY_LABELS  # noqa: F401  (the check categories' names, for reports)
from .integrity.models import SUBSTANTIATED
from .integrity.services.queries import Conclusion, conclusions_between
from .models import CheckItemVersion, Finding, Photo  # noqa: F401  (read by evaluation)
from .photos import MIME_TYPES, photo_path, store_photo, verify_image  # noqa: F401
from .rectification.models import Rectification, WindowKeeper  # noqa: F401
from .rectification.services.calendar import (  # noqa: F401  (the working-day calendar)
    add_working_days,
    calendar_overrides,
    is_working_day,
)
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
from .services.voiding import void_finding  # noqa: F401  (an accepted appeal)


def open_major_findings(
    session: Session, staff_ids: Iterable[int], since: datetime
) -> dict[int, int]:
    """Per person: findings of severity major or critical found at or after `since` (naive UTC)
    whose rectification is not verified (closed). People with none are left out. Integrity
    findings are not counted (they are confidential cases of the discipline office)."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return {}
    query = (
        sa.select(Finding.staff_member_id, sa.func.count(Finding.id))
        .outerjoin(Rectification, Rectification.finding_id == Finding.id)
        .where(
            Finding.staff_member_id.in_(staff_ids),
            Finding.severity.in_(("major", "critical")),
            Finding.is_integrity.is_(False),
            Finding.found_at >= since,
            sa.or_(Rectification.id.is_(None), Rectification.status != "verified"),
        )
        .group_by(Finding.staff_member_id)
    )
    return dict(session.execute(query).all())


@dataclass(frozen=True)
class UpheldComplaint:
    """An upheld complaint as the assessment reads it: about a staff member, a window (nobody
    named) or a site as a whole."""

    complaint_id: int
    subject: str  # "staff", "window" or "site"
    site_id: int
    window_id: int | None
    staff_member_id: int | None
    check_item_id: int | None
    severity: str
    source: str
    received_on: date
    decided_on: date | None


def upheld_complaints(
    session: Session, date_from: date, date_to: date, site_ids: Iterable[int] | None = None
) -> list[UpheldComplaint]:
    """Complaints received between the two dates (inclusive) and upheld, per staff member,
    window or site (see `subject`). Integrity complaints are left out: they are read as integrity
    cases through `integrity_conclusions`."""
    query = (
        sa.select(ConductRecord)
        .where(
            ConductRecord.kind == "complaint",
            ConductRecord.outcome == "upheld",
            ConductRecord.is_integrity.is_(False),
            ConductRecord.received_on >= date_from,
            ConductRecord.received_on <= date_to,
        )
        .order_by(ConductRecord.received_on, ConductRecord.id)
    )
    if site_ids is not None:
        query = query.where(ConductRecord.site_id.in_(list(site_ids)))
    return [
        UpheldComplaint(
            complaint_id=row.id,
            subject=row.subject,
            site_id=row.site_id,
            window_id=row.window_id,
            staff_member_id=row.staff_member_id,
            check_item_id=row.check_item_id,
            severity=row.severity,
            source=row.source,
            received_on=row.received_on,
            decided_on=to_local(row.decided_at).date() if row.decided_at else None,
        )
        for row in session.scalars(query)
    ]


def integrity_conclusions(
    session: Session,
    date_from: date,
    date_to: date,
    site_ids: Iterable[int] | None = None,
    conclusions: Iterable[str] = SUBSTANTIATED,
) -> list[Conclusion]:
    """Integrity cases whose conclusion was approved between the two dates (inclusive): by
    default those found substantiated (属实) or partly substantiated (部分属实), with the accused
    staff member, site, window, check item (code and points) and the measure taken. For the
    monthly assessment; the case itself stays confidential to the discipline office."""
    return conclusions_between(
        session, date_from, date_to, site_ids=site_ids, conclusions=tuple(conclusions)
    )
