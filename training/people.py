"""Who a training rule is about: what a person completed, whether they are still new, and the
accounts to notify. The lowest layer of the package: every service imports it, it imports none
of them. The package's settings are declared here for the same reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.models import StaffMember, User
from compliance.settings import declare, get_setting
from compliance.timeutil import local_today

from .models import (
    ATTENDED_STATUSES,
    MentorPairing,
    OnboardingPlan,
    SessionAttendee,
    TrainingSession,
)

declare("training.new_staff_days", 180)
declare("training.max_mentees", 2)
declare("training.mentor_weeks", 12)
declare("training.pre_job_due_days", 30)
declare("training.pairing_due_days", 14)
declare("training.plan_lookback_days", 90)


def completed_course_ids(session: Session, staff_member_id: int) -> set[int]:
    """Ids of courses the staff member completed: attended (present or late) a session of it."""
    rows = session.scalars(
        sa.select(TrainingSession.course_id)
        .join(SessionAttendee, SessionAttendee.session_id == TrainingSession.id)
        .where(
            SessionAttendee.staff_member_id == staff_member_id,
            SessionAttendee.status.in_(ATTENDED_STATUSES),
            TrainingSession.status != "cancelled",
        )
        .distinct()
    )
    return set(rows)


def is_new_staff(session: Session, staff_member_id: int, today: date | None = None) -> bool:
    """A staff member is new until an onboarding pairing of theirs is signed off (or their
    onboarding plan is completed); without an open plan, only while hired within
    `training.new_staff_days` days."""
    staff = session.get(StaffMember, staff_member_id)
    if staff is None or staff.status == "left":
        return False
    signed_off = session.scalar(
        sa.select(MentorPairing.id)
        .where(
            MentorPairing.mentee_id == staff_member_id,
            MentorPairing.kind == "onboarding",
            MentorPairing.status == "signed_off",
        )
        .limit(1)
    )
    if signed_off is not None:
        return False
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_member_id)
    )
    if plan is not None:
        return plan.status == "active"
    today = today or local_today()
    days = int(get_setting(session, "training.new_staff_days"))
    return staff.hired_on > today - timedelta(days=days)


def new_staff_ids(
    session: Session, site_ids: set[int] | None = None, today: date | None = None
) -> set[int]:
    """Ids of all active staff members who are new (see `is_new_staff`), in one pass."""
    today = today or local_today()
    days = int(get_setting(session, "training.new_staff_days"))
    signed_off = sa.select(MentorPairing.mentee_id).where(
        MentorPairing.kind == "onboarding", MentorPairing.status == "signed_off"
    )
    query = (
        sa.select(StaffMember.id, StaffMember.hired_on, OnboardingPlan.status)
        .outerjoin(OnboardingPlan, OnboardingPlan.staff_member_id == StaffMember.id)
        .where(StaffMember.status == "active", StaffMember.id.not_in(signed_off))
    )
    if site_ids is not None:
        query = query.where(StaffMember.site_id.in_(site_ids))
    result = set()
    for staff_id, hired_on, plan_status in session.execute(query):
        if plan_status is not None:
            if plan_status == "active":
                result.add(staff_id)
        elif hired_on > today - timedelta(days=days):
            result.add(staff_id)
    return result


def users_of(session: Session, staff_member_id: int) -> list[User]:
    """The active accounts of one staff member (usually one, or none)."""
    return users_of_staff(session, [staff_member_id])


def users_of_staff(session: Session, staff_ids: Iterable[int]) -> list[User]:
    """The active accounts of several staff members."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return []
    return list(
        session.scalars(
            sa.select(User).where(User.staff_member_id.in_(staff_ids), User.active.is_(True))
        )
    )
