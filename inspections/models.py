"""Check items (versioned), inspections (patrols and spot checks), check results, findings and
photos. Rectifications build on `Finding` in `inspections/rectification/`."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance import limits
from compliance.db import Base, enum_check, utcnow
from compliance.models import Site, StaffMember, User, Window

CATEGORIES = ("attendance", "attire", "hygiene", "conduct")
TARGETS = ("staff", "window", "area")
SEVERITIES = ("minor", "major", "critical")
SEVERITY_RANK = {"minor": 1, "major": 2, "critical": 3}
INSPECTION_KINDS = ("patrol", "spot_check")
INSPECTION_STATUSES = ("draft", "submitted")
RESULTS = ("pass", "fail", "excused", "na")
DRAW_TARGET_KINDS = ("window", "staff")
DRAW_STATUSES = ("drawn", "done", "published")
# Why a submitted round looks implausible (flagged for the discipline office, never blocked).
FLAG_CODES = ("too_fast", "far_from_site")


class CheckItem(Base):
    """One line of the checklist. Its wording lives in versions; editing adds a version."""

    __tablename__ = "check_item"
    __table_args__ = (enum_check("category", CATEGORIES), enum_check("target", TARGETS))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    category: Mapped[str] = mapped_column(sa.String(16), index=True)
    target: Mapped[str] = mapped_column(sa.String(8))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    # An integrity item (廉政事项: 吃拿卡要, 擅自收费...): a failure is a confidential lead for the
    # discipline office (an integrity case), never a staff rectification.
    is_integrity: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("check_item_version.id", use_alter=True, name="fk_check_item_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current_version: Mapped[CheckItemVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class CheckItemVersion(Base):
    """The wording, severity and points an item had; results point here, so past inspections
    keep what they were checked against."""

    __tablename__ = "check_item_version"
    __table_args__ = (
        sa.UniqueConstraint("item_id", "version"),
        enum_check("severity", SEVERITIES),
        sa.CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("check_item.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    text_zh: Mapped[str] = mapped_column(sa.String(200))
    text_en: Mapped[str] = mapped_column(sa.String(200))
    severity: Mapped[str] = mapped_column(sa.String(8))
    points: Mapped[int] = mapped_column(default=1)
    photo_required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    item: Mapped[CheckItem] = relationship(foreign_keys=[item_id])

    def text(self, locale: str) -> str:
        return self.text_en if str(locale).startswith("en") else self.text_zh


class Inspection(Base):
    """A patrol round or a spot check of one site, keyed by a client-generated UUID."""

    __tablename__ = "inspection"
    __table_args__ = (
        enum_check("kind", INSPECTION_KINDS),
        enum_check("status", INSPECTION_STATUSES),
        sa.Index("ix_inspection_site_submitted", "site_id", "submitted_at"),
        # The list by date: filter by site and order newest first (scanned backwards), and the
        # same order for readers of every site.
        sa.Index("ix_inspection_site_started_id", "site_id", "started_at", "id"),
        sa.Index("ix_inspection_started_id", "started_at", "id"),
        # rounds per period and kind from the index alone (dashboards, year in review)
        sa.Index("ix_inspection_submitted_counts", "submitted_at", "status", "kind", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="patrol")
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)  # server time
    submitted_at: Mapped[datetime | None] = mapped_column()  # server time
    device_started_at: Mapped[datetime | None] = mapped_column()  # the phone's clock, as UTC
    device_submitted_at: Mapped[datetime | None] = mapped_column()
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    location_accuracy_m: Mapped[float | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(sa.Text)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))  # API idempotency
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Spot checks: the draw behind them and the drawn target (a window or a staff member).
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draw.id"), index=True)
    target_window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    target_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    failure_count: Mapped[int] = mapped_column(default=0)

    site: Mapped[Site] = relationship()
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    results: Mapped[list[CheckResult]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )
    target_window: Mapped[Window | None] = relationship(foreign_keys=[target_window_id])
    target_staff: Mapped[StaffMember | None] = relationship(foreign_keys=[target_staff_id])
    team: Mapped[list[InspectionInspector]] = relationship(
        cascade="all, delete-orphan", order_by="InspectionInspector.position"
    )
    flags: Mapped[list[InspectionFlag]] = relationship(
        cascade="all, delete-orphan", order_by="InspectionFlag.id"
    )
    roster: Mapped[InspectionRoster | None] = relationship(cascade="all, delete-orphan")

    @property
    def duration_seconds(self) -> int | None:
        if self.submitted_at is None:
            return None
        return max(0, int((self.submitted_at - self.started_at).total_seconds()))

    @property
    def is_opened(self) -> bool:
        """A spot check's clock starts when the first drawn inspector opens it (before that
        `started_at` is the time of the draw); a patrol starts when it is created."""
        return not self.team or any(m.opened_at is not None for m in self.team)

    @property
    def credited_ids(self) -> list[int]:
        """Who took part: a patrol's inspector; a spot check's inspectors who signed it."""
        if not self.team:
            return [self.inspector_id]
        return [m.user_id for m in self.team if m.signed_at is not None]


class CheckResult(Base):
    """The outcome of one check item for one target in one inspection, stored for every result
    but a pass (fail, excused, ...): a submitted inspection's passes are derived from its
    `InspectionRoster` (see `inspections/check_results.py`). Inspections submitted before the
    roster existed and not representable by one keep their pass rows."""

    __tablename__ = "check_result"
    __table_args__ = (
        enum_check("result", RESULTS),
        enum_check("severity", SEVERITIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(sa.ForeignKey("check_item_version.id"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    result: Mapped[str] = mapped_column(sa.String(8), default="pass")
    severity: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str | None] = mapped_column(sa.String(limits.PATROL_REASON))
    note: Mapped[str | None] = mapped_column(sa.Text)
    photo_sha256: Mapped[list | None] = mapped_column(sa.JSON)  # API: photos the client will send
    # Who marked a failure (two inspectors may work on one spot check); None for passes.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    inspection: Mapped[Inspection] = relationship(back_populates="results")
    item_version: Mapped[CheckItemVersion] = relationship()
    window: Mapped[Window | None] = relationship()
    staff_member: Mapped[StaffMember | None] = relationship()


class InspectionRoster(Base):
    """Who and what a submitted inspection checked, so its passes need no rows: the targets in
    the order they were checked (`[window id, staff id]`; `[null, null]` is the site's area) and
    the item versions that applied to each kind of target (`{"area": [...], "window": [...],
    "staff": [...]}`, in checklist order). Every target/version pair without a `CheckResult` row
    passed; `check_results.expand` lists them. `pass_count` is how many that makes."""

    __tablename__ = "inspection_roster"

    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True
    )
    targets: Mapped[list] = mapped_column(sa.JSON)
    versions: Mapped[dict] = mapped_column(sa.JSON)
    pass_count: Mapped[int] = mapped_column(default=0)


class Finding(Base):
    """A failed check item for a staff member, window or area, with evidence."""

    __tablename__ = "finding"
    __table_args__ = (
        enum_check("severity", SEVERITIES),
        enum_check("target", TARGETS),
        enum_check("category", CATEGORIES),
        # The list by date (filter by site or person, newest first, the id breaking ties; a
        # b-tree is scanned backwards for DESC) and the same order for readers of every site.
        sa.Index("ix_finding_site_found_id", "site_id", "found_at", "id"),
        sa.Index("ix_finding_staff_found_id", "staff_member_id", "found_at", "id"),
        sa.Index("ix_finding_found_id", "found_at", "id"),
        # period counts by category from the index alone (dashboards, year in review)
        sa.Index("ix_finding_found_category", "found_at", "category", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspection.id"), index=True)
    check_result_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("check_result.id"), unique=True
    )
    item_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_item_version.id"))
    category: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str] = mapped_column(sa.String(8))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"))
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"), index=True)
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    severity: Mapped[str] = mapped_column(sa.String(8), index=True)
    description: Mapped[str] = mapped_column(sa.String(300))  # the item text as checked
    reason: Mapped[str | None] = mapped_column(sa.String(limits.PATROL_REASON))
    note: Mapped[str | None] = mapped_column(sa.Text)
    found_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether the item was an integrity item when this was found: the finding then went to the
    # discipline office as an integrity case (its subject never sees it as their own finding).
    is_integrity: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Voided after an accepted appeal (申诉成立): kept with its evidence, but no longer counts.
    voided_at: Mapped[datetime | None] = mapped_column()
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.Text)

    inspection: Mapped[Inspection | None] = relationship()
    item_version: Mapped[CheckItemVersion | None] = relationship()
    site: Mapped[Site] = relationship()
    window: Mapped[Window | None] = relationship()
    staff_member: Mapped[StaffMember | None] = relationship()
    found_by: Mapped[User | None] = relationship(foreign_keys=[found_by_id])


class Photo(Base):
    """An uploaded image. The original is kept outside static folders under a server-generated
    name; pages show the re-encoded copy and the thumbnail."""

    __tablename__ = "photo"
    __table_args__ = (sa.UniqueConstraint("inspection_uuid", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)  # server-generated name
    original_format: Mapped[str] = mapped_column(sa.String(8))  # JPEG, PNG, WEBP
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()
    inspection_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    finding_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    check_result_id: Mapped[int | None] = mapped_column(sa.ForeignKey("check_result.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class InspectionInspector(Base):
    """The inspectors assigned to a spot check (the drawn team); position 0 leads.

    Each member opens the check (the first opening starts its clock) and signs it: the check is
    submitted when every member has signed. A signature keeps the server time, the phone's time
    and browser, an optional remark, and the failures it covered (check result ids), so a later
    signer can add failures but not change what an earlier one confirmed."""

    __tablename__ = "inspection_inspector"

    inspection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None] = mapped_column()  # server time
    signed_at: Mapped[datetime | None] = mapped_column()  # server time
    device_signed_at: Mapped[datetime | None] = mapped_column()  # the phone's clock, as UTC
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    signature_note: Mapped[str | None] = mapped_column(sa.Text)
    signed_result_ids: Mapped[list | None] = mapped_column(sa.JSON)

    user: Mapped[User] = relationship()


class InspectionFlag(Base):
    """Why a submitted round looks implausible: too fast for its windows, or recorded far from
    the site. Flags inform the discipline office; they never block a submission."""

    __tablename__ = "inspection_flag"
    __table_args__ = (
        enum_check("code", FLAG_CODES),
        sa.UniqueConstraint("inspection_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(sa.String(16))
    # The figures behind the flag, e.g. {"seconds": 40, "windows": 12, "minimum": 180}.
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Draw(Base):
    """A recorded random selection (双随机): both pools, the exclusions (回避) in force, the seed
    from the system's secure random source, and the result. Re-running it from the stored pools
    and seed gives the same result."""

    __tablename__ = "draw"
    __table_args__ = (
        enum_check("target_kind", DRAW_TARGET_KINDS),
        enum_check("status", DRAW_STATUSES),
        sa.CheckConstraint("inspectors_per_target >= 1", name="per_target_positive"),
        sa.UniqueConstraint("schedule_id", "drawn_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    target_kind: Mapped[str] = mapped_column(sa.String(8))
    site_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # the filter used
    post_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    target_pool: Mapped[list] = mapped_column(sa.JSON)  # sorted ids of windows or staff
    inspector_pool: Mapped[list] = mapped_column(sa.JSON)  # sorted user ids
    exclusions: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # "target id" -> [user ids]
    target_count: Mapped[int | None] = mapped_column()
    target_percent: Mapped[int | None] = mapped_column()
    inspectors_per_target: Mapped[int] = mapped_column(default=2)
    seed: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[list] = mapped_column(sa.JSON)  # [{"target": id, "inspectors": [ids]}]
    status: Mapped[str] = mapped_column(sa.String(16), default="drawn", index=True)
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draw_schedule.id"))
    drawn_on: Mapped[date] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    inspections: Mapped[list[Inspection]] = relationship(order_by="Inspection.id", viewonly=True)


class DrawSchedule(Base):
    """A recurring draw (e.g. weekly per site) with the same pools and rules."""

    __tablename__ = "draw_schedule"
    __table_args__ = (
        enum_check("target_kind", DRAW_TARGET_KINDS),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_valid"),
        sa.CheckConstraint("inspectors_per_target >= 1", name="per_target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    target_kind: Mapped[str] = mapped_column(sa.String(8))
    site_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    post_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    inspector_ids: Mapped[list] = mapped_column(sa.JSON)
    target_count: Mapped[int | None] = mapped_column()
    target_percent: Mapped[int | None] = mapped_column()
    inspectors_per_target: Mapped[int] = mapped_column(default=2)
    weekday: Mapped[int] = mapped_column(default=0)  # Monday = 0
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PatrolPlan(Base):
    """How many patrol rounds a site expects per working day (admin setting)."""

    __tablename__ = "patrol_plan"
    __table_args__ = (sa.CheckConstraint("rounds_per_day >= 0", name="rounds_non_negative"),)

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), primary_key=True)
    rounds_per_day: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
