"""Conduct records (complaints and commendations), the complaint categories, the callbacks
(回访) that close a complaint, and the 好差评 imports with their saved column mappings."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Site, StaffMember, User, Window

from ..models import SEVERITIES, CheckItem

CONDUCT_KINDS = ("complaint", "commendation")
# letter; rating: 好差评 (差评); hotline: 12345; walk_in: on site; other.
CONDUCT_SOURCES = ("letter", "rating", "hotline", "walk_in", "other")
COMPLAINT_OUTCOMES = ("pending", "upheld", "not_upheld")
# What a complaint is about: a staff member, a window (nobody named) or the site as a whole.
COMPLAINT_SUBJECTS = ("staff", "window", "site")
# verifying (核实中) -> concluded (upheld / not upheld, waiting for the callback) -> closed.
COMPLAINT_STATUSES = ("verifying", "concluded", "closed")
OPEN_COMPLAINT_STATUSES = ("verifying", "concluded")
CALLBACK_METHODS = ("phone", "sms", "visit", "wechat", "other")
IMPORT_STATUSES = ("preview", "applied")
IMPORT_FORMATS = ("xlsx", "csv")


class ComplaintCategory(Base):
    """A kind of complaint (服务态度, 吃拿卡要...), optionally mapped to a check item. An integrity
    category sends an upheld complaint to the discipline office as an integrity case."""

    __tablename__ = "complaint_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(64))
    check_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_item.id"))
    is_integrity: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    check_item: Mapped[CheckItem | None] = relationship()

    def name(self, locale) -> str:
        return self.name_en if str(locale).startswith("en") else self.name_zh


class ConductRecord(Base):
    """A complaint (投诉: 差评 from 好差评, the 12345 hotline, a letter, on site) about a staff
    member, a window or a site, or a commendation (表扬) of a staff member.

    A complaint is verified (核实) by a deadline in working days, concluded (upheld or not, with
    reasons; upheld opens a rectification or, for integrity matters, an integrity case) and closed
    only after a callback to the citizen (回访). `version` is an optimistic-lock counter.
    """

    __tablename__ = "conduct_record"
    __table_args__ = (
        enum_check("kind", CONDUCT_KINDS),
        enum_check("source", CONDUCT_SOURCES),
        enum_check("outcome", COMPLAINT_OUTCOMES),
        enum_check("severity", SEVERITIES),
        enum_check("subject", COMPLAINT_SUBJECTS),
        enum_check("status", COMPLAINT_STATUSES),
        sa.CheckConstraint(
            "subject <> 'staff' OR staff_member_id IS NOT NULL", name="staff_subject_named"
        ),
        sa.CheckConstraint(
            "subject <> 'window' OR window_id IS NOT NULL", name="window_subject_named"
        ),
        sa.UniqueConstraint("source", "external_no"),
        sa.Index("ix_conduct_record_staff_received", "staff_member_id", "received_on"),
        sa.Index("ix_conduct_record_site_received", "site_id", "received_on"),
        sa.Index("ix_conduct_record_status_due", "status", "verify_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(
        sa.String(8), default="staff", server_default=sa.text("'staff'")
    )
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint_category.id"))
    check_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_item.id"), index=True)
    is_integrity: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    received_on: Mapped[date] = mapped_column(sa.Date)
    text: Mapped[str] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(64))  # letter no., ticket no.
    external_no: Mapped[str | None] = mapped_column(sa.String(64))  # 好差评 evaluation number
    complainant_name: Mapped[str | None] = mapped_column(sa.String(64))
    complainant_phone: Mapped[str | None] = mapped_column(sa.String(32))
    severity: Mapped[str] = mapped_column(sa.String(8), default="minor")
    # Complaints only: the loop.
    status: Mapped[str | None] = mapped_column(sa.String(16))
    verify_due_on: Mapped[date | None] = mapped_column(sa.Date)
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    verification_note: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    close_note: Mapped[str | None] = mapped_column(sa.Text)
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rating_import.id"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    __mapper_args__ = {"version_id_col": version}

    staff_member: Mapped[StaffMember | None] = relationship()
    window: Mapped[Window | None] = relationship()
    site: Mapped[Site] = relationship()
    category: Mapped[ComplaintCategory | None] = relationship()
    check_item: Mapped[CheckItem | None] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    callbacks: Mapped[list[ComplaintCallback]] = relationship(
        back_populates="complaint", order_by="ComplaintCallback.called_at, ComplaintCallback.id"
    )

    @property
    def is_open(self) -> bool:
        return self.kind == "complaint" and self.status in OPEN_COMPLAINT_STATUSES

    def verification_overdue_days(self, today: date) -> int:
        """Calendar days past the verification deadline while still being verified."""
        if self.status != "verifying" or self.verify_due_on is None or today <= self.verify_due_on:
            return 0
        return (today - self.verify_due_on).days


class ComplaintCallback(Base):
    """One attempt to call the citizen back (回访): when, by whom, how, whether they were reached
    and, if so, whether they are satisfied. Append-only."""

    __tablename__ = "complaint_callback"
    __table_args__ = (
        enum_check("method", CALLBACK_METHODS),
        sa.CheckConstraint("reached OR satisfied IS NULL", name="satisfied_only_when_reached"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("conduct_record.id"), index=True)
    called_at: Mapped[datetime] = mapped_column()  # UTC
    called_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    method: Mapped[str] = mapped_column(sa.String(8))
    reached: Mapped[bool] = mapped_column()
    satisfied: Mapped[bool | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[ConductRecord] = relationship(back_populates="callbacks")
    called_by: Mapped[User] = relationship()


class RatingImportProfile(Base):
    """A 好差评 platform export format: which column holds what (saved once, reused for every
    file of that source), the ratings that count as 差评, and the site for rows naming none."""

    __tablename__ = "rating_import_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # field -> column header
    bad_ratings: Mapped[list] = mapped_column(sa.JSON, default=list)
    default_site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    default_site: Mapped[Site | None] = relationship()


class RatingImport(Base):
    """One uploaded 好差评 export: kept until applied so the preview and the import read the same
    bytes. Applying creates the complaints (idempotent by evaluation number)."""

    __tablename__ = "rating_import"
    __table_args__ = (
        enum_check("status", IMPORT_STATUSES),
        enum_check("file_format", IMPORT_FORMATS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("rating_import_profile.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_format: Mapped[str] = mapped_column(sa.String(8))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int] = mapped_column()
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    headers: Mapped[list] = mapped_column(sa.JSON, default=list)
    row_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="preview")
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    applied_at: Mapped[datetime | None] = mapped_column()
    created_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # What applying it did: {"skipped": [[row, msgid, params]...], "errors": [...]}.
    result: Mapped[dict | None] = mapped_column(sa.JSON)

    profile: Mapped[RatingImportProfile] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
