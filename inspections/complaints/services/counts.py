"""Complaints and patrol findings of the same check item counted together: e.g. "一次性告知 not
done" found on patrol and upheld from complaints, per item, for a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import scope_filter
from compliance.models import User
from compliance.timeutil import local_day_bounds_utc

from ...models import CheckItem, CheckItemVersion, Finding
from ..models import ConductRecord
from .access import visible_clause

# Who reads the combined counts: they read both findings and complaints.
COUNT_ROLES = ("admin", "discipline", "leader")


@dataclass
class ItemCount:
    item_id: int
    code: str
    category: str
    text_zh: str
    text_en: str
    is_integrity: bool
    findings: int
    complaints: int

    @property
    def total(self) -> int:
        return self.findings + self.complaints

    def text(self, locale) -> str:
        return self.text_en if str(locale).startswith("en") else self.text_zh


def item_counts(
    session: Session,
    user: User | None,
    date_from: date,
    date_to: date,
    *,
    site_ids=None,
    staff_member_id: int | None = None,
) -> list[ItemCount]:
    """Per check item: patrol findings found in the period and upheld complaints received in it,
    over what `user` may see (None: everything). Items with neither are left out; most first."""
    start = local_day_bounds_utc(date_from)[0]
    end = local_day_bounds_utc(date_to)[1]
    findings = (
        sa.select(CheckItemVersion.item_id, sa.func.count(Finding.id))
        .join(CheckItemVersion, CheckItemVersion.id == Finding.item_version_id)
        .where(Finding.found_at >= start, Finding.found_at < end)
        .group_by(CheckItemVersion.item_id)
    )
    complaints = (
        sa.select(ConductRecord.check_item_id, sa.func.count(ConductRecord.id))
        .where(
            ConductRecord.kind == "complaint",
            ConductRecord.outcome == "upheld",
            ConductRecord.check_item_id.is_not(None),
            ConductRecord.received_on >= date_from,
            ConductRecord.received_on <= date_to,
            visible_clause(session, user),
        )
        .group_by(ConductRecord.check_item_id)
    )
    if user is not None:
        findings = findings.where(scope_filter(user, Finding.site_id, session))
    if site_ids is not None:
        findings = findings.where(Finding.site_id.in_(list(site_ids)))
        complaints = complaints.where(ConductRecord.site_id.in_(list(site_ids)))
    if staff_member_id:
        findings = findings.where(Finding.staff_member_id == staff_member_id)
        complaints = complaints.where(ConductRecord.staff_member_id == staff_member_id)
    found = dict(session.execute(findings).all())
    upheld = dict(session.execute(complaints).all())
    ids = set(found) | set(upheld)
    if not ids:
        return []
    rows = session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .where(CheckItem.id.in_(ids))
    ).all()
    out = [
        ItemCount(
            item_id=item.id,
            code=item.code,
            category=item.category,
            text_zh=version.text_zh,
            text_en=version.text_en,
            is_integrity=item.is_integrity,
            findings=found.get(item.id, 0),
            complaints=upheld.get(item.id, 0),
        )
        for item, version in rows
    ]
    out.sort(key=lambda r: (-r.total, r.code))
    return out
