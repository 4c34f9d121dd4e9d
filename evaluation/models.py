"""The monthly assessment (百分制考评): the scheme (考评办法) in versions, appeals (申诉) against
findings, and month closes with their frozen score snapshots.

Stable names other packages read (the bulletin builds on them):

- `Scheme` (table `evaluation_scheme`): one version of the rules, effective from a month.
- `MonthClose` (table `evaluation_month_close`): one close of one month (`month` = its first day)
  for every site; `status` "closed" or "reopened" (a re-opened close stays as history; closing
  again adds a new row). At most one row per month is "closed". `scheme_id` is the version the
  month was closed with.
- `ScoreSnapshot` (table `evaluation_score_snapshot`): per close, one row per subject
  (`subject_kind` "staff", "window" or "site", `subject_id` its id) with `name`, `site_id`,
  `window_id`, `post_id`, `score`, `rank` (1 = best within its kind), `stars` (0-5), `card`
  ("none", "yellow", "red"), `deductions`, `bonuses` (both positive totals), `major_count`,
  `critical_count` and `detail`: the itemised list, each item a dict
  `{"kind", "ref_kind", "ref_id", "points", "label", "on"}` (points signed: deductions negative).
- `Appeal` (table `evaluation_appeal`): a staff member's appeal against one finding.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import User

SUBJECT_KINDS = ("staff", "window", "site")
CARDS = ("none", "yellow", "red")
CLOSE_STATUSES = ("closed", "reopened")
APPEAL_STATUSES = ("open", "upheld", "accepted")
# What an itemised line of a score stands for.
ITEM_KINDS = (
    "finding",  # a finding about the subject: the item's points x the severity multiplier
    "repeat",  # the same check item again in the month: the repeat step per repetition
    "joint",  # a share of a mentee's finding (the mentor) or a window's (its keeper)
    "complaint",  # an upheld complaint
    "overdue",  # a rectification past its deadline: per working day, capped
    "commendation",  # a bonus (capped per month)
)


class Scheme(Base):
    """One version of the assessment rules (考评办法). Never edited: a change is a new version
    effective from a month; a month uses the newest version effective on its first day, and a
    closed month keeps the version it was closed with."""

    __tablename__ = "evaluation_scheme"
    __table_args__ = (
        sa.UniqueConstraint("version"),
        sa.CheckConstraint("base_score > 0", name="base_positive"),
        sa.CheckConstraint(
            "mentor_share >= 0 AND mentor_share <= 1 AND keeper_share >= 0 AND keeper_share <= 1",
            name="shares_valid",
        ),
        sa.CheckConstraint("close_day >= 1 AND close_day <= 28", name="close_day_valid"),
        sa.CheckConstraint("appeal_days >= 0", name="appeal_days_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column()
    effective_from: Mapped[date] = mapped_column(sa.Date, index=True)  # a month's first day
    name: Mapped[str] = mapped_column(sa.String(120))
    base_score: Mapped[float] = mapped_column(default=100.0)
    # Finding deduction = the check item's points x the multiplier of the finding's severity.
    multiplier_minor: Mapped[float] = mapped_column(default=1.0)
    multiplier_major: Mapped[float] = mapped_column(default=1.0)
    multiplier_critical: Mapped[float] = mapped_column(default=1.0)
    complaint_points: Mapped[float] = mapped_column(default=5.0)
    overdue_points_per_day: Mapped[float] = mapped_column(default=0.5)
    overdue_cap: Mapped[float] = mapped_column(default=5.0)  # per rectification and month
    repeat_step: Mapped[float] = mapped_column(default=1.0)  # per repetition of an item
    commendation_points: Mapped[float] = mapped_column(default=2.0)
    commendation_cap: Mapped[float] = mapped_column(default=6.0)  # per subject and month
    mentor_share: Mapped[float] = mapped_column(default=0.2)  # 连带扣分 of a mentee's findings
    keeper_share: Mapped[float] = mapped_column(default=0.5)  # of a window's own findings
    # Window/site score = base - own deductions + own bonuses - weight x (base - staff average).
    window_staff_weight: Mapped[float] = mapped_column(default=1.0)
    site_staff_weight: Mapped[float] = mapped_column(default=1.0)
    # [[minimum score, stars], ...], e.g. [[98, 5], [95, 4], [90, 3]]; no star with a card.
    star_thresholds: Mapped[list] = mapped_column(sa.JSON, default=list)
    yellow_below: Mapped[float] = mapped_column(default=90.0)
    yellow_major_count: Mapped[int] = mapped_column(default=2)  # 0: not used
    red_below: Mapped[float] = mapped_column(default=80.0)
    red_on_critical: Mapped[bool] = mapped_column(default=True)
    appeal_days: Mapped[int] = mapped_column(default=3)  # working days after the finding
    close_day: Mapped[int] = mapped_column(default=5)  # of the next month
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()

    def multiplier(self, severity: str) -> float:
        return {
            "minor": self.multiplier_minor,
            "major": self.multiplier_major,
            "critical": self.multiplier_critical,
        }.get(severity, 1.0)


class Appeal(Base):
    """A staff member's (or the window keeper's) appeal against a finding. A discipline officer
    who did not make the finding decides: upheld (the finding stands) or accepted (the finding
    is voided and its rectification cancelled, through inspections)."""

    __tablename__ = "evaluation_appeal"
    __table_args__ = (
        enum_check("status", APPEAL_STATUSES),
        sa.Index("ix_evaluation_appeal_status_filed", "status", "filed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    staff_member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    month: Mapped[date] = mapped_column(sa.Date, index=True)  # the finding's month
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)

    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    photos: Mapped[list[AppealPhoto]] = relationship(
        cascade="all, delete-orphan", order_by="AppealPhoto.photo_id"
    )

    __mapper_args__ = {"version_id_col": version}


class AppealPhoto(Base):
    """A photo attached to an appeal (stored by inspections' photo handling)."""

    __tablename__ = "evaluation_appeal_photo"

    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_appeal.id", ondelete="CASCADE"), primary_key=True
    )
    photo_id: Mapped[int] = mapped_column(sa.ForeignKey("photo.id"), primary_key=True)


class MonthClose(Base):
    """One close of a month for every site, with the scheme version it used."""

    __tablename__ = "evaluation_month_close"
    __table_args__ = (
        enum_check("status", CLOSE_STATUSES),
        sa.Index(
            "uq_evaluation_month_close_closed",
            "month",
            unique=True,
            sqlite_where=sa.text("status = 'closed'"),
            postgresql_where=sa.text("status = 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, index=True)  # the month's first day
    status: Mapped[str] = mapped_column(sa.String(16), default="closed")
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_scheme.id"))
    closed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    staff_count: Mapped[int] = mapped_column(default=0)
    window_count: Mapped[int] = mapped_column(default=0)
    site_count: Mapped[int] = mapped_column(default=0)
    reopened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reopened_at: Mapped[datetime | None] = mapped_column()
    reopen_reason: Mapped[str | None] = mapped_column(sa.Text)

    scheme: Mapped[Scheme] = relationship()
    closed_by: Mapped[User] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class ScoreSnapshot(Base):
    """A frozen score of one staff member, window or site in a closed month."""

    __tablename__ = "evaluation_score_snapshot"
    __table_args__ = (
        enum_check("subject_kind", SUBJECT_KINDS),
        enum_check("card", CARDS),
        sa.UniqueConstraint("close_id", "subject_kind", "subject_id"),
        sa.Index("ix_evaluation_snapshot_kind_rank", "close_id", "subject_kind", "rank"),
        sa.Index("ix_evaluation_snapshot_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_month_close.id", ondelete="CASCADE")
    )
    subject_kind: Mapped[str] = mapped_column(sa.String(8))
    subject_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("post.id"))
    score: Mapped[float] = mapped_column()
    rank: Mapped[int] = mapped_column()
    stars: Mapped[int] = mapped_column(default=0)
    card: Mapped[str] = mapped_column(sa.String(8), default="none")
    deductions: Mapped[float] = mapped_column(default=0.0)
    bonuses: Mapped[float] = mapped_column(default=0.0)
    major_count: Mapped[int] = mapped_column(default=0)
    critical_count: Mapped[int] = mapped_column(default=0)
    detail: Mapped[list] = mapped_column(sa.JSON, default=list)

    close: Mapped[MonthClose] = relationship()
