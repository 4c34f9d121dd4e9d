"""Rectifications (整改), their append-only timeline, the people responsible for windows and
areas, and the holiday calendar for working-day deadlines. Conduct records (complaints and
commendations) live in `inspections/complaints/models.py` and are re-exported here."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Site, StaffMember, User, Window

from ..complaints.models import (  # noqa: F401  (re-exported: conduct records used to live here)
    COMPLAINT_OUTCOMES,
    CONDUCT_KINDS,
    CONDUCT_SOURCES,
    ConductRecord,
)
from ..models import CATEGORIES, SEVERITIES, Finding, Photo

# "rejected" means reopened after a rejected response: it waits for a new response.
# "cancelled": its finding was voided (an accepted appeal of the monthly assessment).
STATUSES = ("open", "responded", "rejected", "verified", "cancelled")
OPEN_STATUSES = ("open", "responded", "rejected")
AWAITING_RESPONSE = ("open", "rejected")
SOURCES = ("finding", "complaint")
EVENT_KINDS = (
    "opened",
    "responded",
    "verified",
    "rejected",
    "fixed_on_spot",
    "reassigned",
    "comment",
    "reminded",
    "overdue",
    "escalated",
    "cancelled",
)
OFFENCE_LEVELS = ("reminder", "written_notice", "talk")
HOLIDAY_KINDS = ("holiday", "workday")  # workday: an adjusted working day (调休) on a weekend


class Rectification(Base):
    """The closed loop on one finding or one upheld complaint.

    `version` is an optimistic-lock counter: two people acting on the same version, exactly one
    succeeds.
    """

    __tablename__ = "rectification"
    __table_args__ = (
        enum_check("status", STATUSES),
        enum_check("source", SOURCES),
        enum_check("severity", SEVERITIES),
        enum_check("category", CATEGORIES),
        sa.CheckConstraint("finding_id IS NOT NULL OR complaint_id IS NOT NULL", name="has_origin"),
        sa.CheckConstraint("rejection_count >= 0", name="rejections_non_negative"),
        sa.Index("ix_rectification_status_deadline", "status", "deadline_on"),
        sa.Index("ix_rectification_site_opened", "site_id", "opened_at"),
        sa.Index("ix_rectification_responsible_status", "responsible_staff_id", "status"),
        sa.Index("ix_rectification_status_responded", "status", "responded_at"),
        # closed and opened in a period, counted from the index alone (dashboards, year review)
        sa.Index(
            "ix_rectification_closed_counts", "closed_on", "status", "closed_on_time", "site_id"
        ),
        sa.Index("ix_rectification_opened_counts", "opened_on", "status", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16), default="finding")
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conduct_record.id"), unique=True
    )
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    category: Mapped[str] = mapped_column(sa.String(16), index=True)
    severity: Mapped[str] = mapped_column(sa.String(8), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    responsible_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    supervisor_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    opened_on: Mapped[date] = mapped_column(sa.Date)  # local date the clock started
    first_deadline_on: Mapped[date] = mapped_column(sa.Date)
    deadline_on: Mapped[date] = mapped_column(sa.Date)
    rejection_count: Mapped[int] = mapped_column(default=0)
    responded_at: Mapped[datetime | None] = mapped_column()
    responded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    days_to_close: Mapped[int | None] = mapped_column()
    closed_on_time: Mapped[bool | None] = mapped_column()
    fixed_on_spot: Mapped[bool] = mapped_column(default=False)
    offence_level: Mapped[str | None] = mapped_column(sa.String(16))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    finding: Mapped[Finding | None] = relationship()
    complaint: Mapped[ConductRecord | None] = relationship(foreign_keys=[complaint_id])
    site: Mapped[Site] = relationship()
    window: Mapped[Window | None] = relationship()
    responsible_staff: Mapped[StaffMember | None] = relationship(
        foreign_keys=[responsible_staff_id]
    )
    supervisor_staff: Mapped[StaffMember | None] = relationship(foreign_keys=[supervisor_staff_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    events: Mapped[list[RectificationEvent]] = relationship(
        back_populates="rectification", order_by="RectificationEvent.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue_days(self, today: date) -> int:
        """Calendar days past the deadline (0 when not overdue or closed)."""
        if not self.is_open or today <= self.deadline_on:
            return 0
        return (today - self.deadline_on).days


class RectificationEvent(Base):
    """One entry of a rectification's timeline. Append-only: corrections are new events."""

    __tablename__ = "rectification_event"
    __table_args__ = (enum_check("kind", EVENT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str | None] = mapped_column(sa.Text)
    status_after: Mapped[str] = mapped_column(sa.String(16))
    deadline_after: Mapped[date | None] = mapped_column(sa.Date)
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    rectification: Mapped[Rectification] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        secondary="rectification_event_photo", order_by="Photo.id"
    )


class RectificationEventPhoto(Base):
    """Photos attached to a timeline event (a response, an on-the-spot fix)."""

    __tablename__ = "rectification_event_photo"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("rectification_event.id"), primary_key=True)
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"), primary_key=True, index=True)


class WindowKeeper(Base):
    """The staff member an administrator names as responsible for a window's findings, and an
    optional supervisor. Without a row, the window's current assignee is responsible."""

    __tablename__ = "window_keeper"

    window_id: Mapped[int] = mapped_column(sa.ForeignKey("window.id"), primary_key=True)
    keeper_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    supervisor_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    window: Mapped[Window] = relationship()
    keeper: Mapped[StaffMember | None] = relationship(foreign_keys=[keeper_staff_id])
    supervisor: Mapped[StaffMember | None] = relationship(foreign_keys=[supervisor_staff_id])


class AreaKeeper(Base):
    """The keeper of a site's public areas (hall, waiting area...) and the site's default
    rectification supervisor."""

    __tablename__ = "area_keeper"

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), primary_key=True)
    keeper_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    supervisor_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    site: Mapped[Site] = relationship()
    keeper: Mapped[StaffMember | None] = relationship(foreign_keys=[keeper_staff_id])
    supervisor: Mapped[StaffMember | None] = relationship(foreign_keys=[supervisor_staff_id])


class Holiday(Base):
    """A public holiday (not a working day) or an adjusted working day on a weekend (调休)."""

    __tablename__ = "holiday"
    __table_args__ = (enum_check("kind", HOLIDAY_KINDS),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8), default="holiday")
    name: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
