"""Integrity cases (问题线索): confidential leads for the discipline office, opened by a failure
on an integrity check item or an upheld complaint of an integrity category, with their
append-only timeline and evidence photos."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Site, StaffMember, User, Window

from ..complaints.models import ConductRecord
from ..models import CheckItem, Finding, Photo

# registered -> assigned (an officer, a deadline) -> verified (初核 done) -> concluded (a conclusion
# proposed and approved by a second person) -> handled (a measure) -> closed.
CASE_STATUSES = ("registered", "assigned", "verified", "concluded", "handled", "closed")
OPEN_CASE_STATUSES = ("registered", "assigned", "verified", "concluded", "handled")
# The deadline runs until the conclusion is approved.
DEADLINE_STATUSES = ("assigned", "verified")
CASE_SOURCES = ("finding", "complaint")
# 属实 / 部分属实 / 不属实
CONCLUSIONS = ("substantiated", "partly_substantiated", "unsubstantiated")
SUBSTANTIATED = ("substantiated", "partly_substantiated")
# 提醒谈话 / 批评教育 / 诫勉谈话 / 通报批评 / 移送 (to the competent authority)
MEASURES = ("reminder_talk", "criticism", "admonishment", "circulated_criticism", "referral")
EVENT_KINDS = (
    "registered",
    "assigned",
    "note",
    "interview",
    "evidence",
    "verified",
    "conclusion_proposed",
    "conclusion_approved",
    "conclusion_returned",
    "handled",
    "accused_notified",
    "closed",
    "reminded",
    "overdue",
    "escalated",
)
ENTRY_KINDS = ("note", "interview", "evidence")


class IntegrityCase(Base):
    """One lead. The accused (被反映人) is never its responsible person: an officer of the
    discipline office is. Only discipline officers and administrators in scope see it; the
    accused sees its conclusion once notified. `version` is an optimistic-lock counter."""

    __tablename__ = "integrity_case"
    __table_args__ = (
        enum_check("status", CASE_STATUSES),
        enum_check("source", CASE_SOURCES),
        enum_check("conclusion", CONCLUSIONS),
        enum_check("measure", MEASURES),
        sa.CheckConstraint("finding_id IS NOT NULL OR complaint_id IS NOT NULL", name="has_origin"),
        sa.Index("ix_integrity_case_status_deadline", "status", "deadline_on"),
        sa.Index("ix_integrity_case_site_registered", "site_id", "registered_on"),
        sa.Index("ix_integrity_case_conclusion_on", "conclusion", "concluded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conduct_record.id"), unique=True
    )
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    accused_staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_member.id"), index=True
    )
    check_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_item.id"))
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="registered")
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    registered_on: Mapped[date] = mapped_column(sa.Date)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column()
    first_deadline_on: Mapped[date | None] = mapped_column(sa.Date)
    deadline_on: Mapped[date | None] = mapped_column(sa.Date)
    verified_at: Mapped[datetime | None] = mapped_column()
    verification_summary: Mapped[str | None] = mapped_column(sa.Text)
    conclusion: Mapped[str | None] = mapped_column(sa.String(24))
    conclusion_reason: Mapped[str | None] = mapped_column(sa.Text)
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime | None] = mapped_column()
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column()
    concluded_on: Mapped[date | None] = mapped_column(sa.Date)
    measure: Mapped[str | None] = mapped_column(sa.String(24))
    measure_on: Mapped[date | None] = mapped_column(sa.Date)
    measure_note: Mapped[str | None] = mapped_column(sa.Text)
    accused_notified_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    finding: Mapped[Finding | None] = relationship()
    complaint: Mapped[ConductRecord | None] = relationship()
    site: Mapped[Site] = relationship()
    window: Mapped[Window | None] = relationship()
    accused: Mapped[StaffMember | None] = relationship()
    check_item: Mapped[CheckItem | None] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    events: Mapped[list[IntegrityCaseEvent]] = relationship(
        back_populates="case", order_by="IntegrityCaseEvent.id"
    )

    @property
    def number(self) -> str:
        """The case number shown on pages and in the ledger, e.g. XS2026-00042."""
        return f"XS{self.registered_on:%Y}-{self.id:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    @property
    def awaiting_approval(self) -> bool:
        return self.status == "verified" and self.conclusion is not None

    def overdue_days(self, today: date) -> int:
        """Calendar days past the deadline while the case is still being verified."""
        if self.status not in DEADLINE_STATUSES or self.deadline_on is None:
            return 0
        return max(0, (today - self.deadline_on).days)


class IntegrityCaseEvent(Base):
    """One entry of a case's timeline (a step, a note, an interview, evidence). Append-only."""

    __tablename__ = "integrity_case_event"
    __table_args__ = (enum_check("kind", EVENT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("integrity_case.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text: Mapped[str | None] = mapped_column(sa.Text)
    status_after: Mapped[str] = mapped_column(sa.String(16))
    deadline_after: Mapped[date | None] = mapped_column(sa.Date)
    data: Mapped[dict | None] = mapped_column(sa.JSON)

    case: Mapped[IntegrityCase] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        secondary="integrity_event_photo", order_by="Photo.id"
    )


class IntegrityEventPhoto(Base):
    """Evidence photos attached to a timeline entry."""

    __tablename__ = "integrity_event_photo"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("integrity_case_event.id"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"), primary_key=True, index=True)
