"""Key-post rotation: per-post policies and qualifications, posts that check each other,
exemptions (暂缓轮岗), rotation plans and their moves."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Assignment, Post, Site, StaffMember, User, Window

PLAN_STATUSES = ("draft", "submitted", "returned", "approved", "executed")
EDITABLE_PLAN_STATUSES = ("draft", "returned")
MOVE_STATUSES = ("planned", "executed", "blocked")
QUALIFICATION_KINDS = ("required", "recommended")


class RotationPolicy(Base):
    """The rotation rules of one key post; a key post without a row uses the default settings."""

    __tablename__ = "rotation_policy"
    __table_args__ = (
        sa.CheckConstraint("max_tenure_months > 0", name="tenure_positive"),
        sa.CheckConstraint("min_interval_months >= 0", name="interval_non_negative"),
        sa.CheckConstraint("cooling_off_months >= 0", name="cooling_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), unique=True)
    max_tenure_months: Mapped[int] = mapped_column(default=36)
    min_interval_months: Mapped[int] = mapped_column(default=12)
    cooling_off_months: Mapped[int] = mapped_column(default=36)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    post: Mapped[Post] = relationship()


class PostQualification(Base):
    """A course linked to a key post: `required` ones must be completed before taking the post
    (a hard rule); `recommended` ones only make the planner prefer people who have them."""

    __tablename__ = "post_qualification"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "course_id"),
        enum_check("kind", QUALIFICATION_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="required")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship()


class PostCheckPair(Base):
    """Two posts that check each other (e.g. approval and fee collection): people with a
    recorded conflict may not hold them at the same time. Stored with the lower post id first."""

    __tablename__ = "post_check_pair"
    __table_args__ = (
        sa.UniqueConstraint("post_a_id", "post_b_id"),
        sa.CheckConstraint("post_a_id < post_b_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_a_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    post_b_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post_a: Mapped[Post] = relationship(foreign_keys=[post_a_id])
    post_b: Mapped[Post] = relationship(foreign_keys=[post_b_id])


class RotationExemption(Base):
    """暂缓轮岗: one person's rotation postponed until `ends_on`, with a reason and an approver."""

    __tablename__ = "rotation_exemption"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.Index("ix_rotation_exemption_staff_dates", "staff_member_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_member: Mapped[StaffMember] = relationship()
    approved_by: Mapped[User] = relationship(foreign_keys=[approved_by_id])

    def is_active_on(self, day: date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on


class RotationPlan(Base):
    """A set of moves: drafted (from a proposal or by hand), submitted, approved or returned by
    someone other than its author, then executed move by move on their dates."""

    __tablename__ = "rotation_plan"
    __table_args__ = (
        enum_check("status", PLAN_STATUSES),
        sa.Index("ix_rotation_plan_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    planning_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    candidate_ids: Mapped[list | None] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    executed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    moves: Mapped[list[RotationMove]] = relationship(
        back_populates="plan", order_by="RotationMove.id", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_PLAN_STATUSES


class RotationMove(Base):
    """One person leaving their current assignment (`from_assignment`) for a seat: the post, site
    and window of `seat_assignment`, held at planning time by `predecessor` (who hands over)."""

    __tablename__ = "rotation_move"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "staff_member_id"),
        enum_check("status", MOVE_STATUSES),
        sa.Index("ix_rotation_move_due", "status", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("rotation_plan.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), index=True)
    from_assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id"))
    seat_assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id"))
    predecessor_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    to_post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"))
    to_site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    to_window_id: Mapped[int | None] = mapped_column(sa.ForeignKey("window.id"))
    effective_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    executed_at: Mapped[datetime | None] = mapped_column()
    new_assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment.id"))
    handover_pairing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mentor_pairing.id"))
    note: Mapped[str | None] = mapped_column(sa.String(500))

    plan: Mapped[RotationPlan] = relationship(back_populates="moves")
    staff_member: Mapped[StaffMember] = relationship(foreign_keys=[staff_member_id])
    predecessor: Mapped[StaffMember] = relationship(foreign_keys=[predecessor_id])
    from_assignment: Mapped[Assignment] = relationship(foreign_keys=[from_assignment_id])
    seat_assignment: Mapped[Assignment] = relationship(foreign_keys=[seat_assignment_id])
    to_post: Mapped[Post] = relationship(foreign_keys=[to_post_id])
    to_site: Mapped[Site] = relationship(foreign_keys=[to_site_id])
    to_window: Mapped[Window | None] = relationship(foreign_keys=[to_window_id])
