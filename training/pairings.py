"""Mentor pairing 老带新: pairing (onboarding, and the handover a rotation asks for), shadow
logs 跟岗记录, the mentor's assessment and HR's sign-off, extension and early end, and the
weekly reminder of a missing log. Plain functions over a session; they flush, audit and
notify, and never commit. Ranking mentors lives in `training.mentors`."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from compliance import limits
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, ForbiddenError, InvalidError
from compliance.limits import checked_text
from compliance.models import StaffMember, User, conflicted_staff_ids
from compliance.settings import get_setting
from compliance.timeutil import local_today

from . import notify
from .mentors import mentor_loads, suggest_mentors  # noqa: F401  (suggest_mentors re-exported)
from .models import OPEN_PAIRING_STATUSES, MentorPairing, OnboardingPlan, ShadowLog
from .onboarding import refresh_plan
from .people import is_new_staff

logger = logging.getLogger(__name__)


# --- pairing --------------------------------------------------------------------------------


def _check_pairing_people(session: Session, mentor: StaffMember, mentee: StaffMember) -> None:
    if mentor.id == mentee.id:
        raise InvalidError(
            "training.mentor_is_mentee",
            N_("A staff member cannot mentor themselves."),
            field="mentor",
        )
    for person, role in ((mentor, "mentor"), (mentee, "mentee")):
        if person.status != "active":
            raise DomainError(
                "training.not_active",
                N_("%(name)s is not an active staff member."),
                field=role,
                name=person.name,
            )
    open_pairing = session.scalar(
        sa.select(MentorPairing)
        .where(
            MentorPairing.mentee_id == mentee.id,
            MentorPairing.status.in_(OPEN_PAIRING_STATUSES),
        )
        .limit(1)
    )
    if open_pairing is not None:
        raise ConflictError(
            "training.open_pairing",
            N_("%(name)s already has an open pairing with %(mentor)s."),
            name=mentee.name,
            mentor=open_pairing.mentor.name,
        )


def _check_weeks(weeks: int) -> None:
    if not 1 <= int(weeks) <= 52:
        raise InvalidError(
            "training.mentor_weeks",
            N_("Mentor pairing lasts between 1 and 52 weeks."),
            field="weeks",
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
    Raises a DomainError if the two are the same person, either is not active, the mentee
    already has an open pairing, or `weeks` is not positive.
    """
    if weeks < 1:
        raise InvalidError(
            "training.handover_weeks", N_("A pairing lasts at least one week."), field="weeks"
        )
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


def create_pairing(
    session: Session,
    actor: User | None,
    mentor: StaffMember,
    mentee: StaffMember,
    starts_on: date,
    weeks: int | None = None,
    note: str | None = None,
    today: date | None = None,
) -> MentorPairing:
    """HR pairs a mentor with a new staff member (kind "onboarding"); both are notified.

    `weeks` defaults to the mentee's plan (or `training.mentor_weeks`). Raises DomainError
    when the mentor is the mentee, is not active, is new, is at the mentoring limit or has a
    conflict of interest with the mentee; ConflictError when the mentee already has an open
    pairing; InvalidError for weeks outside 1..52.
    """
    today = today or local_today()
    _check_pairing_people(session, mentor, mentee)
    if is_new_staff(session, mentor.id, today=today):
        raise DomainError(
            "training.mentor_is_new",
            N_("%(name)s is new staff and cannot mentor yet."),
            field="mentor",
            name=mentor.name,
        )
    max_mentees = int(get_setting(session, "training.max_mentees"))
    load = mentor_loads(session, [mentor.id]).get(mentor.id, 0)
    if load >= max_mentees:
        raise DomainError(
            "training.mentor_limit",
            N_("%(name)s already mentors %(count)s people (limit %(limit)s)."),
            field="mentor",
            name=mentor.name,
            count=load,
            limit=max_mentees,
        )
    if mentee.id in conflicted_staff_ids(session, mentor.id):
        raise DomainError(
            "training.conflict_of_interest",
            N_("%(mentor)s and %(mentee)s have a recorded conflict of interest."),
            field="mentor",
            mentor=mentor.name,
            mentee=mentee.name,
        )
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == mentee.id)
    )
    if weeks is None:
        weeks = plan.mentor_weeks if plan else int(get_setting(session, "training.mentor_weeks"))
    _check_weeks(weeks)
    assignment = mentee.current_assignment
    pairing = MentorPairing(
        kind="onboarding",
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        post_id=assignment.post_id if assignment else None,
        plan_id=plan.id if plan else None,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(weeks=int(weeks)) - timedelta(days=1),
        status="active",
        note=(note or "").strip() or None,
        created_by_id=actor.id if actor else None,
    )
    session.add(pairing)
    session.flush()
    record(session, actor, "mentor_pairing.create", pairing)
    notify.pairing_created(session, pairing)
    logger.info("pairing %s: mentor %s mentee %s", pairing.id, mentor.id, mentee.id)
    return pairing


def role_in_pairing(user: User | None, pairing: MentorPairing) -> str | None:
    """ "mentor", "mentee" or None for the acting user."""
    if user is None or user.staff_member_id is None:
        return None
    if user.staff_member_id == pairing.mentor_id:
        return "mentor"
    if user.staff_member_id == pairing.mentee_id:
        return "mentee"
    return None


def _require_open(pairing: MentorPairing) -> None:
    if pairing.status not in OPEN_PAIRING_STATUSES:
        raise ConflictError("training.pairing_closed", N_("The pairing is closed."))


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidError("training.reason_required", N_("A reason is required."), field="reason")
    return reason


# --- shadow logs ----------------------------------------------------------------------------


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidError(
            "training.hours_number", N_("Hours must be a number."), field="hours"
        ) from exc
    if not Decimal("0.5") <= hours <= Decimal("12"):
        raise InvalidError(
            "training.hours_range", N_("Hours must be between 0.5 and 12."), field="hours"
        )
    return hours


def add_shadow_log(
    session: Session,
    actor: User,
    pairing: MentorPairing,
    *,
    worked_on: date,
    hours,
    practised: str,
    mentor_comment: str | None = None,
    today: date | None = None,
) -> ShadowLog:
    """The mentor or the mentee writes a shadow log. The mentor's entry is confirmed at once;
    the mentee's waits for the mentor, who is notified.

    Raises ForbiddenError for anyone else; ConflictError for a closed pairing or a date
    outside the pairing or in the future; InvalidError for bad hours, an empty text or a text
    over its limit (`compliance.limits`).
    """
    today = today or local_today()
    role = role_in_pairing(actor, pairing)
    if role is None:
        raise ForbiddenError(
            "training.log_not_in_pairing",
            N_("Only the mentor or the mentee can write shadow logs."),
        )
    _require_open(pairing)
    if worked_on > today:
        raise ConflictError(
            "training.log_in_future", N_("The date is in the future."), field="worked_on"
        )
    if worked_on < pairing.starts_on or worked_on > pairing.ends_on:
        raise ConflictError(
            "training.log_outside_pairing",
            N_("The date is outside the pairing (%(start)s to %(end)s)."),
            field="worked_on",
            start=pairing.starts_on.isoformat(),
            end=pairing.ends_on.isoformat(),
        )
    practised = checked_text(
        practised,
        limits.SHADOW_LOG_TEXT,
        field="practised",
        required=N_("Say what was practised."),
        required_code="training.log_practised_empty",
    )
    mentor_comment = checked_text(mentor_comment, limits.SHADOW_LOG_TEXT, field="mentor_comment")
    log = ShadowLog(
        pairing_id=pairing.id,
        worked_on=worked_on,
        hours=_hours(hours),
        practised=practised,
        author_id=actor.id,
        author_role=role,
    )
    if role == "mentor":
        log.mentor_comment = mentor_comment
        log.confirmed_at = utcnow()
        log.confirmed_by_id = actor.id
    session.add(log)
    session.flush()
    record(session, actor, "shadow_log.create", log)
    if role == "mentee":
        notify.log_to_confirm(session, pairing, log)
    return log


def confirm_shadow_log(
    session: Session, actor: User, log: ShadowLog, mentor_comment: str | None = None
) -> ShadowLog:
    """The mentor confirms a mentee's entry, optionally with a comment. Raises ForbiddenError
    for anyone but the mentor, ConflictError for an entry already confirmed, InvalidError for a
    comment over its limit."""
    if role_in_pairing(actor, log.pairing) != "mentor":
        raise ForbiddenError(
            "training.log_confirm_not_mentor", N_("Only the mentor can confirm a shadow log.")
        )
    if log.confirmed_at is not None:
        raise ConflictError("training.log_confirmed", N_("This entry is already confirmed."))
    comment = checked_text(mentor_comment, limits.SHADOW_LOG_TEXT, field="mentor_comment")
    before = snapshot(log)
    log.confirmed_at = utcnow()
    log.confirmed_by_id = actor.id
    if comment:
        log.mentor_comment = comment
    session.flush()
    record(session, actor, "shadow_log.confirm", log, before=before)
    return log


# --- assessment, sign-off, extension, early end ---------------------------------------------


def assess_pairing(
    session: Session, actor: User, pairing: MentorPairing, outcome: str, reason: str | None = None
) -> MentorPairing:
    """The mentor assesses the mentee: "ready" sends the pairing to HR for sign-off;
    "needs_more_time" (with a reason) keeps it running. Raises ForbiddenError for anyone but
    the mentor; ConflictError for a pairing not running or unconfirmed logs when ready;
    InvalidError for a missing reason or an unknown outcome."""
    if role_in_pairing(actor, pairing) != "mentor":
        raise ForbiddenError(
            "training.assess_not_mentor", N_("Only the mentor can assess the mentee.")
        )
    if pairing.status != "active":
        raise ConflictError("training.pairing_not_running", N_("The pairing is not running."))
    reason = (reason or "").strip()
    if outcome == "needs_more_time" and not reason:
        raise InvalidError(
            "training.assess_reason", N_("Say why more time is needed."), field="reason"
        )
    if outcome not in ("ready", "needs_more_time"):
        raise InvalidError("training.assess_outcome", N_("Unknown assessment."), field="outcome")
    if outcome == "ready":
        pending = session.scalar(
            sa.select(sa.func.count(ShadowLog.id)).where(
                ShadowLog.pairing_id == pairing.id, ShadowLog.confirmed_at.is_(None)
            )
        )
        if pending:
            raise ConflictError(
                "training.logs_pending",
                N_("Confirm the %(count)s pending shadow logs first."),
                count=pending,
            )
    before = snapshot(pairing)
    pairing.assessment = outcome
    pairing.assessment_reason = reason or None
    pairing.assessed_at = utcnow()
    pairing.assessed_by_id = actor.id
    if outcome == "ready":
        pairing.status = "assessed"
    session.flush()
    record(session, actor, "mentor_pairing.assess", pairing, before=before, reason=reason or None)
    return pairing


def approve_sign_off(
    session: Session, actor: User, pairing: MentorPairing, today: date | None = None
) -> MentorPairing:
    """HR approves the mentor's "ready": the pairing is signed off, the mentee is no longer
    new (their plan completes when this was the last step) and both are notified. Raises
    ConflictError when the mentor has not assessed the mentee ready, ForbiddenError when the
    approver is the mentor."""
    if pairing.status != "assessed" or pairing.assessment != "ready":
        raise ConflictError(
            "training.not_assessed_ready", N_("The mentor has not assessed the mentee as ready.")
        )
    if role_in_pairing(actor, pairing) == "mentor":
        raise ForbiddenError(
            "training.mentor_approves_own", N_("The mentor cannot approve their own assessment.")
        )
    today = today or local_today()
    before = snapshot(pairing)
    pairing.status = "signed_off"
    pairing.signed_off_on = today
    pairing.approved_at = utcnow()
    pairing.approved_by_id = actor.id
    session.flush()
    record(session, actor, "mentor_pairing.sign_off", pairing, before=before)
    refresh_plan(session, actor, pairing.mentee_id, today=today)
    notify.signed_off(session, pairing)
    logger.info("pairing %s signed off by %s", pairing.id, actor.id)
    return pairing


def extend_pairing(
    session: Session, actor: User, pairing: MentorPairing, weeks: int, reason: str
) -> MentorPairing:
    """Extend an open pairing by 1..26 weeks; one awaiting sign-off goes back to running.
    Raises ConflictError for a closed pairing, InvalidError for bad weeks or a missing
    reason."""
    _require_open(pairing)
    if not 1 <= int(weeks) <= 26:
        raise InvalidError("training.extend_weeks", N_("Extend by 1 to 26 weeks."), field="weeks")
    reason = _require_reason(reason)
    before = snapshot(pairing)
    pairing.ends_on = pairing.ends_on + timedelta(weeks=int(weeks))
    if pairing.status == "assessed":
        pairing.status = "active"
    session.flush()
    record(session, actor, "mentor_pairing.extend", pairing, before=before, reason=reason)
    return pairing


def end_pairing(
    session: Session, actor: User, pairing: MentorPairing, reason: str, today: date | None = None
) -> MentorPairing:
    """End an open pairing early (not signed off). Raises ConflictError for a closed pairing,
    InvalidError for a missing reason."""
    _require_open(pairing)
    reason = _require_reason(reason)
    before = snapshot(pairing)
    pairing.status = "ended"
    pairing.ended_on = today or local_today()
    pairing.end_reason = reason
    session.flush()
    record(session, actor, "mentor_pairing.end", pairing, before=before, reason=reason)
    return pairing


# --- weekly logs --------------------------------------------------------------------------


def missed_log_weeks(session: Session, run_on: date) -> list[tuple[MentorPairing, date]]:
    """Running pairings whose last full week before `run_on` has no shadow log, with that
    week's first day. Weeks count from the pairing's start."""
    pairings = session.scalars(
        sa.select(MentorPairing)
        .where(
            MentorPairing.status == "active",
            MentorPairing.starts_on <= run_on - timedelta(days=7),
        )
        .options(selectinload(MentorPairing.mentor), selectinload(MentorPairing.mentee))
    ).all()
    weeks: dict[int, date] = {}
    for p in pairings:
        index = (run_on - p.starts_on).days // 7 - 1
        week_start = p.starts_on + timedelta(weeks=index)
        if week_start <= p.ends_on:
            weeks[p.id] = week_start
    if not weeks:
        return []
    logged: set[int] = set()
    days = session.execute(
        sa.select(ShadowLog.pairing_id, ShadowLog.worked_on).where(
            ShadowLog.pairing_id.in_(list(weeks)), ShadowLog.worked_on >= min(weeks.values())
        )
    ).all()
    for pairing_id, worked_on in days:
        start = weeks[pairing_id]
        if start <= worked_on < start + timedelta(days=7):
            logged.add(pairing_id)
    return [(p, weeks[p.id]) for p in pairings if p.id in weeks and p.id not in logged]


def remind_missing_logs(session: Session, run_on: date) -> tuple[int, int]:
    """Remind the mentor of each running pairing whose last full week has no shadow log.
    One reminder per pairing and missed week (the dedupe key names the week), however often
    this runs during the following week. Returns (missed weeks, reminders sent)."""
    missed = missed_log_weeks(session, run_on)
    reminded = 0
    for pairing, week_start in missed:
        reminded += notify.log_missing(session, pairing, week_start)
    return len(missed), reminded
