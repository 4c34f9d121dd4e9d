"""Domain rules of training: courses, sessions, attendance, onboarding plans, mentor pairings,
shadow logs and sign-off. Plain functions over a session; they flush and never commit."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
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

logger = logging.getLogger(__name__)

declare("training.new_staff_days", 180)
declare("training.max_mentees", 2)
declare("training.handover_weeks", 2)


def _(message: str) -> str:
    """Mark a message for extraction; views translate it (services stay free of Flask)."""
    return message


class TrainingError(ValueError):
    """A user-facing reason a training action was refused: an English msgid plus its parameters."""

    def __init__(self, message: str, **params) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


# --- contract used by other packages -------------------------------------------------------


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
        sa.select(MentorPairing.id).where(
            MentorPairing.mentee_id == staff_member_id,
            MentorPairing.kind == "onboarding",
            MentorPairing.status == "signed_off",
        ).limit(1)
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


def new_staff_ids(session: Session, site_ids: set[int] | None = None,
                  today: date | None = None) -> set[int]:
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


def _check_pairing_people(session: Session, mentor: StaffMember, mentee: StaffMember) -> None:
    if mentor.id == mentee.id:
        raise TrainingError(_("A staff member cannot mentor themselves."))
    for person in (mentor, mentee):
        if person.status != "active":
            raise TrainingError(_("%(name)s is not an active staff member."), name=person.name)
    open_pairing = session.scalar(
        sa.select(MentorPairing).where(
            MentorPairing.mentee_id == mentee.id,
            MentorPairing.status.in_(("active", "assessed")),
        ).limit(1)
    )
    if open_pairing is not None:
        raise TrainingError(
            _("%(name)s already has an open pairing with %(mentor)s."),
            name=mentee.name, mentor=open_pairing.mentor.name,
        )


def create_handover_pairing(
    session: Session,
    actor: User | None,
    mentor: StaffMember,
    mentee: StaffMember,
    starts_on: date,
    weeks: int = 2,
    post=None,
) -> MentorPairing:
    """Pair the previous holder of a post (mentor) with its successor (mentee) for a handover.

    Not limited by the mentor's load: the handover follows from the rotation itself.
    Raises TrainingError if the two are the same person, either is not active, the mentee
    already has an open pairing, or `weeks` is not positive.
    """
    if weeks < 1:
        raise TrainingError(_("A pairing lasts at least one week."))
    _check_pairing_people(session, mentor, mentee)
    pairing = MentorPairing(
        kind="handover",
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        post_id=post.id if post is not None else None,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=weeks) - timedelta(days=1),
        status="active",
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(pairing)
    session.flush()
    record(session, actor, "mentor_pairing.create", pairing)
    logger.info("handover pairing %s: mentor %s mentee %s", pairing.id, mentor.id, mentee.id)
    return pairing

