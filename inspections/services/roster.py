"""Who is on duty: the active windows of a site and the staff assigned to each on a day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.models import Assignment, Leave, Site, StaffMember, Window


@dataclass
class DutyEntry:
    window: Window
    staff: StaffMember
    on_leave: bool


@dataclass
class SiteRoster:
    site: Site
    windows: list[Window]
    duty: dict[int, list[DutyEntry]] = field(default_factory=dict)  # window id -> entries

    def staff_ids(self) -> set[int]:
        return {e.staff.id for entries in self.duty.values() for e in entries}

    def entry_for(self, staff_id: int) -> DutyEntry | None:
        for entries in self.duty.values():
            for e in entries:
                if e.staff.id == staff_id:
                    return e
        return None


def site_roster(session: Session, site: Site, day: date) -> SiteRoster:
    """Active windows of the site and who should be at each on `day` (current assignments; a
    staff member on approved leave is flagged). Two SQL statements whatever the size."""
    windows = list(
        session.scalars(
            sa.select(Window)
            .where(Window.site_id == site.id, Window.is_active.is_(True))
            .order_by(Window.code)
        )
    )
    on_leave = (
        sa.exists()
        .where(
            Leave.staff_member_id == StaffMember.id, Leave.starts_on <= day, Leave.ends_on >= day
        )
        .correlate(StaffMember)
        .label("on_leave")
    )
    rows = session.execute(
        sa.select(Assignment.window_id, StaffMember, on_leave)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .join(Window, Window.id == Assignment.window_id)
        .where(
            Window.site_id == site.id,
            Window.is_active.is_(True),
            StaffMember.status == "active",
            Assignment.started_on <= day,
            sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
        )
        .order_by(Assignment.window_id, StaffMember.name, StaffMember.id)
    ).all()
    by_id = {w.id: w for w in windows}
    roster = SiteRoster(site=site, windows=windows)
    for window_id, member, leave in rows:
        roster.duty.setdefault(window_id, []).append(
            DutyEntry(by_id[window_id], member, bool(leave))
        )
    return roster
