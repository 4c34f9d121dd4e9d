"""Courses, sessions and attendance; onboarding plan templates and plans; mentor pairings,
shadow logs (跟岗记录) and the sign-off of a pairing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from compliance.db import Base, enum_check, utcnow
from compliance.models import Post, Site, StaffMember, User

COURSE_KINDS = ("pre_job", "thematic_meeting", "business_skills", "discipline")
SESSION_STATUSES = ("scheduled", "cancelled")
INVITED_VIA = ("person", "site", "post", "new_staff", "plan")
ATTENDANCE_STATUSES = ("present", "late", "absent", "excused")
ATTENDED_STATUSES = ("present", "late")
PLAN_STATUSES = ("active", "completed")
PAIRING_KINDS = ("onboarding", "handover")
# active -> assessed (mentor says ready, waits for HR) -> signed_off; or ended early.
PAIRING_STATUSES = ("active", "assessed", "signed_off", "ended")
OPEN_PAIRING_STATUSES = ("active", "assessed")
ASSESSMENTS = ("ready", "needs_more_time")
LOG_AUTHOR_ROLES = ("mentor", "mentee", "hr")


class Course(Base):
    """A course of a kind: pre-job training 岗前培训, thematic meeting 专题会议, skills, discipline."""

    __tablename__ = "course"
    __table_args__ = (enum_check("kind", COURSE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(24), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    duration_minutes: Mapped[int] = mapped_column(default=120)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_meeting(self) -> bool:
        return self.kind == "thematic_meeting"


class TrainingSession(Base):
    """One scheduled sitting of a course: when, where, who trains and who is invited."""

    __tablename__ = "training_session"
    __table_args__ = (
        enum_check("status", SESSION_STATUSES),
        sa.CheckConstraint("ends_at > starts_at", name="times_ordered"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.Index("ix_training_session_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    place: Mapped[str] = mapped_column(sa.String(120))
    # Naive UTC, shown in local time.
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    trainer: Mapped[str] = mapped_column(sa.String(64))
    capacity: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(16), default="scheduled")
    minutes: Mapped[str | None] = mapped_column(sa.Text)
    minutes_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    minutes_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    site: Mapped[Site] = relationship()
    attendees: Mapped[list[SessionAttendee]] = relationship(
        back_populates="training_session", cascade="all, delete-orphan"
    )


class SessionAttendee(Base):
    """An invitation of one staff member to a session and, once marked, their attendance."""

    __tablename__ = "session_attendee"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "staff_member_id"),
        enum_check("invited_via", INVITED_VIA),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('present', 'late', 'absent', 'excused')",
            name="status_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), index=True)
    invited_via: Mapped[str] = mapped_column(sa.String(16), default="person")
    status: Mapped[str | None] = mapped_column(sa.String(16))
    marked_at: Mapped[datetime | None] = mapped_column()
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    training_session: Mapped[TrainingSession] = relationship(back_populates="attendees")
    staff_member: Mapped[StaffMember] = relationship()


class OnboardingTemplate(Base):
    """What a new staff member must complete and how long mentor pairing lasts (admin-editable)."""

    __tablename__ = "onboarding_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    mentor_weeks: Mapped[int] = mapped_column(default=12)
    is_default: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[OnboardingTemplateCourse]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="OnboardingTemplateCourse.due_days",
    )


class OnboardingTemplateCourse(Base):
    """A course a template requires, due within `due_days` of the hire date."""

    __tablename__ = "onboarding_template_course"
    __table_args__ = (
        sa.UniqueConstraint("template_id", "course_id"),
        sa.CheckConstraint("due_days >= 0", name="due_days_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("onboarding_template.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    due_days: Mapped[int] = mapped_column(default=30)

    template: Mapped[OnboardingTemplate] = relationship(back_populates="items")
    course: Mapped[Course] = relationship()


class OnboardingPlan(Base):
    """A new staff member's plan, copied from a template on hire so later template edits
    do not rewrite what was asked of them."""

    __tablename__ = "onboarding_plan"
    __table_args__ = (enum_check("status", PLAN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"), unique=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("onboarding_template.id"))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    mentor_weeks: Mapped[int] = mapped_column(default=12)
    # A mentor should be paired within this date, and the pairing signed off by `sign_off_due_on`.
    pairing_due_on: Mapped[date] = mapped_column(sa.Date)
    sign_off_due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    staff_member: Mapped[StaffMember] = relationship()
    template: Mapped[OnboardingTemplate | None] = relationship()
    items: Mapped[list[OnboardingPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="OnboardingPlanItem.due_on"
    )


class OnboardingPlanItem(Base):
    __tablename__ = "onboarding_plan_item"
    __table_args__ = (sa.UniqueConstraint("plan_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("onboarding_plan.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    due_on: Mapped[date] = mapped_column(sa.Date)

    plan: Mapped[OnboardingPlan] = relationship(back_populates="items")
    course: Mapped[Course] = relationship()


class MentorPairing(Base):
    """A mentor (veteran) paired with a mentee (new or rotated staff) for a shadowing period."""

    __tablename__ = "mentor_pairing"
    __table_args__ = (
        enum_check("kind", PAIRING_KINDS),
        enum_check("status", PAIRING_STATUSES),
        sa.CheckConstraint(
            "assessment IS NULL OR assessment IN ('ready', 'needs_more_time')",
            name="assessment_valid",
        ),
        sa.CheckConstraint("mentor_id <> mentee_id", name="distinct_people"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        sa.Index("ix_mentor_pairing_mentor_status", "mentor_id", "status"),
        sa.Index("ix_mentor_pairing_mentee_status", "mentee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="onboarding")
    mentor_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    mentee_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_member.id"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("post.id"))
    plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("onboarding_plan.id"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    # Planned end; moved by an extension.
    ends_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    note: Mapped[str | None] = mapped_column(sa.String(500))
    assessment: Mapped[str | None] = mapped_column(sa.String(16))
    assessment_reason: Mapped[str | None] = mapped_column(sa.Text)
    assessed_at: Mapped[datetime | None] = mapped_column()
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column()
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    signed_off_on: Mapped[date | None] = mapped_column(sa.Date)
    ended_on: Mapped[date | None] = mapped_column(sa.Date)
    end_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mentor: Mapped[StaffMember] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[StaffMember] = relationship(foreign_keys=[mentee_id])
    post: Mapped[Post | None] = relationship()
    plan: Mapped[OnboardingPlan | None] = relationship()
    logs: Mapped[list[ShadowLog]] = relationship(
        back_populates="pairing", order_by="ShadowLog.worked_on"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PAIRING_STATUSES


class ShadowLog(Base):
    """One shadowing entry 跟岗记录; an entry by the mentee waits for the mentor's confirmation."""

    __tablename__ = "shadow_log"
    __table_args__ = (
        enum_check("author_role", LOG_AUTHOR_ROLES),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
        sa.Index("ix_shadow_log_pairing_day", "pairing_id", "worked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(sa.ForeignKey("mentor_pairing.id"))
    worked_on: Mapped[date] = mapped_column(sa.Date)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1))
    practised: Mapped[str] = mapped_column(sa.Text)
    mentor_comment: Mapped[str | None] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    author_role: Mapped[str] = mapped_column(sa.String(8))
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    pairing: Mapped[MentorPairing] = relationship(back_populates="logs")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
