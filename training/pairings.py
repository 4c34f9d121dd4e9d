"""Mentor pairing 老带新: suggesting mentors, pairing, shadow logs 跟岗记录, the mentor's
assessment and HR's sign-off, extension and early end. Plain functions over a session; they
flush and never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.models import Assignment, StaffMember, User, conflicted_staff_ids
from compliance.settings import get_setting
from compliance.timeutil import local_day_bounds_utc, local_today
from inspections import public as inspections_public

from .errors import TrainingError, _
from .models import OPEN_PAIRING_STATUSES, MentorPairing, OnboardingPlan, ShadowLog
from .services import _check_pairing_people, is_new_staff, new_staff_ids

logger = logging.getLogger(__name__)

FINDINGS_WINDOW_DAYS = 90


# --- ranking mentors ----------------------------------------------------------------------


def open_major_findings(session: Session, staff_ids, today: date) -> dict[int, int]:
    """Findings of severity major or critical against each person in the last 90 days that have
    no closed (verified) rectification."""
    since, _end = local_day_bounds_utc(today - timedelta(days=FINDINGS_WINDOW_DAYS))
    return inspections_public.open_major_findings(session, staff_ids, since)


def mentor_loads(session: Session, staff_ids) -> dict[int, int]:
    """Open pairings (active or awaiting sign-off) each person mentors."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return {}
    return dict(
        session.execute(
            sa.select(MentorPairing.mentor_id, sa.func.count(MentorPairing.id))
            .where(
                MentorPairing.mentor_id.in_(staff_ids),
                MentorPairing.status.in_(OPEN_PAIRING_STATUSES),
            )
            .group_by(MentorPairing.mentor_id)
        ).all()
    )


@dataclass
class MentorSuggestion:
    staff: StaffMember
    assignment: Assignment | None
    score: float
    eligible: bool
    years_in_post: float
    load: int
    open_findings: int
    reasons: list[tuple[str, dict]] = field(default_factory=list)


def suggest_mentors(
    session: Session,
    mentee: StaffMember,
    today: date | None = None,
    scope_site_ids: set[int] | None = None,
    limit: int = 10,
) -> list[MentorSuggestion]:
    """Rank possible mentors for a mentee, each with the reasons for its place.

    Candidates are active, not new themselves, and work at the mentee's site or hold the
    mentee's post. Points: same post 40, same window 20, 6 per year in post (up to 5 years),
    minus 10 per current mentee, minus 30 per open major finding. People at the mentoring
    limit or with a recorded conflict of interest are listed last as not eligible.
    """
    today = today or local_today()
    mentee_assignment = mentee.current_assignment
    post_id = mentee_assignment.post_id if mentee_assignment else None
    window_id = mentee_assignment.window_id if mentee_assignment else None
    query = (
        sa.select(StaffMember, Assignment)
        .outerjoin(
            Assignment,
            sa.and_(Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)),
        )
        .where(StaffMember.status == "active", StaffMember.id != mentee.id)
        .options(selectinload(Assignment.post), selectinload(Assignment.window))
    )
    near = [StaffMember.site_id == mentee.site_id]
    if post_id is not None:
        near.append(Assignment.post_id == post_id)
    query = query.where(sa.or_(*near))
    if scope_site_ids is not None:
        query = query.where(StaffMember.site_id.in_(scope_site_ids))
    rows = session.execute(query).all()
    new_ids = new_staff_ids(session, today=today)
    rows = [(s, a) for s, a in rows if s.id not in new_ids]
    ids = [s.id for s, _a in rows]
    loads = mentor_loads(session, ids)
    findings = open_major_findings(session, ids, today)
    conflicted = conflicted_staff_ids(session, mentee.id)
    max_mentees = int(get_setting(session, "training.max_mentees"))
    result = []
    for staff, assignment in rows:
        reasons: list[tuple[str, dict]] = []
        score = 0.0
        eligible = True
        if assignment is not None and post_id is not None and assignment.post_id == post_id:
            score += 40
            reasons.append((_("same post (%(post)s): +40"), {"post": assignment.post.name}))
        if assignment is not None and window_id is not None and assignment.window_id == window_id:
            score += 20
            reasons.append(
                (_("same window (%(window)s): +20"), {"window": assignment.window.label})
            )
        elif staff.site_id == mentee.site_id:
            reasons.append((_("works at the same site"), {}))
        years = 0.0
        if assignment is not None:
            years = max(0.0, (today - assignment.started_on).days / 365.25)
        points = round(min(years, 5.0) * 6, 1)
        score += points
        reasons.append(
            (_("%(years)s years in post: +%(points)s"), {"years": f"{years:.1f}", "points": points})
        )
        load = loads.get(staff.id, 0)
        if load:
            score -= 10 * load
            reasons.append(
                (_("mentoring %(count)s now: -%(points)s"), {"count": load, "points": 10 * load})
            )
        else:
            reasons.append((_("mentoring nobody now"), {}))
        count = findings.get(staff.id, 0)
        rule = _("major or critical findings in the last 90 days without a closed rectification")
        if count:
            score -= 30 * count
            reasons.append(
                (
                    _("%(count)s open findings (%(rule)s): -%(points)s"),
                    {"count": count, "rule": rule, "points": 30 * count},
                )
            )
        else:
            reasons.append((_("no open major findings (%(rule)s)"), {"rule": rule}))
        if load >= max_mentees:
            eligible = False
            reasons.append(
                (
                    _("not eligible: already mentors %(count)s (limit %(limit)s)"),
                    {"count": load, "limit": max_mentees},
                )
            )
        if staff.id in conflicted:
            eligible = False
            reasons.append((_("not eligible: recorded conflict of interest with the mentee"), {}))
        result.append(
            MentorSuggestion(
                staff, assignment, round(score, 1), eligible, years, load, count, reasons
            )
        )
    result.sort(key=lambda s: (not s.eligible, -s.score, -s.years_in_post, s.staff.staff_no))
    return result[:limit]


# --- pairing lifecycle --------------------------------------------------------------------


def users_of(session: Session, staff_member_id: int) -> list[User]:
    return list(
        session.scalars(
            sa.select(User).where(User.staff_member_id == staff_member_id, User.active.is_(True))
        )
    )


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
    """HR pairs a mentor with a new staff member (kind "onboarding").

    `weeks` defaults to the mentee's plan (or `training.mentor_weeks`). Raises TrainingError
    when the mentor is the mentee, is new, is at the mentoring limit or has a conflict of
    interest with the mentee, when the mentee already has an open pairing, or weeks is
    outside 1..52.
    """
    today = today or local_today()
    _check_pairing_people(session, mentor, mentee)
    if is_new_staff(session, mentor.id, today=today):
        raise TrainingError(_("%(name)s is new staff and cannot mentor yet."), name=mentor.name)
    max_mentees = int(get_setting(session, "training.max_mentees"))
    load = mentor_loads(session, [mentor.id]).get(mentor.id, 0)
    if load >= max_mentees:
        raise TrainingError(
            _("%(name)s already mentors %(count)s people (limit %(limit)s)."),
            name=mentor.name,
            count=load,
            limit=max_mentees,
        )
    if mentee.id in conflicted_staff_ids(session, mentor.id):
        raise TrainingError(
            _("%(mentor)s and %(mentee)s have a recorded conflict of interest."),
            mentor=mentor.name,
            mentee=mentee.name,
        )
    plan = session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == mentee.id)
    )
    if weeks is None:
        weeks = plan.mentor_weeks if plan else int(get_setting(session, "training.mentor_weeks"))
    if not 1 <= int(weeks) <= 52:
        raise TrainingError(_("Mentor pairing lasts between 1 and 52 weeks."))
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
        raise TrainingError(_("The pairing is closed."))


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise TrainingError(_("Hours must be a number.")) from exc
    if not Decimal("0.5") <= hours <= Decimal("12"):
        raise TrainingError(_("Hours must be between 0.5 and 12."))
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
    the mentee's waits for the mentor. Raises TrainingError for anyone else, a closed pairing,
    a date outside the pairing or in the future, bad hours or an empty text."""
    today = today or local_today()
    role = role_in_pairing(actor, pairing)
    if role is None:
        raise TrainingError(_("Only the mentor or the mentee can write shadow logs."))
    _require_open(pairing)
    if worked_on > today:
        raise TrainingError(_("The date is in the future."))
    if worked_on < pairing.starts_on or worked_on > pairing.ends_on:
        raise TrainingError(
            _("The date is outside the pairing (%(start)s to %(end)s)."),
            start=pairing.starts_on.isoformat(),
            end=pairing.ends_on.isoformat(),
        )
    practised = (practised or "").strip()
    if not practised:
        raise TrainingError(_("Say what was practised."))
    log = ShadowLog(
        pairing_id=pairing.id,
        worked_on=worked_on,
        hours=_hours(hours),
        practised=practised,
        author_id=actor.id,
        author_role=role,
    )
    if role == "mentor":
        log.mentor_comment = (mentor_comment or "").strip() or None
        log.confirmed_at = utcnow()
        log.confirmed_by_id = actor.id
    session.add(log)
    session.flush()
    record(session, actor, "shadow_log.create", log)
    return log


def confirm_shadow_log(
    session: Session, actor: User, log: ShadowLog, mentor_comment: str | None = None
) -> ShadowLog:
    """The mentor confirms a mentee's entry, optionally with a comment. Raises TrainingError
    for anyone but the mentor or an entry already confirmed."""
    if role_in_pairing(actor, log.pairing) != "mentor":
        raise TrainingError(_("Only the mentor can confirm a shadow log."))
    if log.confirmed_at is not None:
        raise TrainingError(_("This entry is already confirmed."))
    before = snapshot(log)
    log.confirmed_at = utcnow()
    log.confirmed_by_id = actor.id
    comment = (mentor_comment or "").strip()
    if comment:
        log.mentor_comment = comment
    session.flush()
    record(session, actor, "shadow_log.confirm", log, before=before)
    return log


def assess_pairing(
    session: Session, actor: User, pairing: MentorPairing, outcome: str, reason: str | None = None
) -> MentorPairing:
    """The mentor assesses the mentee: "ready" sends the pairing to HR for sign-off;
    "needs_more_time" (with a reason) keeps it running. Raises TrainingError for anyone but
    the mentor, a pairing not running, a missing reason, or unconfirmed logs when ready."""
    if role_in_pairing(actor, pairing) != "mentor":
        raise TrainingError(_("Only the mentor can assess the mentee."))
    if pairing.status != "active":
        raise TrainingError(_("The pairing is not running."))
    reason = (reason or "").strip()
    if outcome == "needs_more_time" and not reason:
        raise TrainingError(_("Say why more time is needed."))
    if outcome not in ("ready", "needs_more_time"):
        raise TrainingError(_("Unknown assessment."))
    if outcome == "ready":
        pending = session.scalar(
            sa.select(sa.func.count(ShadowLog.id)).where(
                ShadowLog.pairing_id == pairing.id, ShadowLog.confirmed_at.is_(None)
            )
        )
        if pending:
            raise TrainingError(
                _("Confirm the %(count)s pending shadow logs first."), count=pending
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
    """HR approves the mentor's "ready": the pairing is signed off and the mentee is no longer
    new. Raises TrainingError when the mentor has not assessed the mentee ready, or when the
    approver is the mentor."""
    if pairing.status != "assessed" or pairing.assessment != "ready":
        raise TrainingError(_("The mentor has not assessed the mentee as ready."))
    if role_in_pairing(actor, pairing) == "mentor":
        raise TrainingError(_("The mentor cannot approve their own assessment."))
    today = today or local_today()
    before = snapshot(pairing)
    pairing.status = "signed_off"
    pairing.signed_off_on = today
    pairing.approved_at = utcnow()
    pairing.approved_by_id = actor.id
    session.flush()
    record(session, actor, "mentor_pairing.sign_off", pairing, before=before)
    from .onboarding import refresh_plan

    refresh_plan(session, actor, pairing.mentee_id, today=today)
    logger.info("pairing %s signed off by %s", pairing.id, actor.id)
    return pairing


def extend_pairing(
    session: Session, actor: User, pairing: MentorPairing, weeks: int, reason: str
) -> MentorPairing:
    """Extend an open pairing by 1..26 weeks; one awaiting sign-off goes back to running.
    Raises TrainingError for a closed pairing, bad weeks or a missing reason."""
    _require_open(pairing)
    if not 1 <= int(weeks) <= 26:
        raise TrainingError(_("Extend by 1 to 26 weeks."))
    if not (reason or "").strip():
        raise TrainingError(_("A reason is required."))
    before = snapshot(pairing)
    pairing.ends_on = pairing.ends_on + timedelta(weeks=int(weeks))
    if pairing.status == "assessed":
        pairing.status = "active"
    session.flush()
    record(session, actor, "mentor_pairing.extend", pairing, before=before, reason=reason.strip())
    return pairing


def end_pairing(
    session: Session, actor: User, pairing: MentorPairing, reason: str, today: date | None = None
) -> MentorPairing:
    """End an open pairing early (not signed off). Raises TrainingError for a closed pairing
    or a missing reason."""
    _require_open(pairing)
    if not (reason or "").strip():
        raise TrainingError(_("A reason is required."))
    before = snapshot(pairing)
    pairing.status = "ended"
    pairing.ended_on = today or local_today()
    pairing.end_reason = reason.strip()
    session.flush()
    record(session, actor, "mentor_pairing.end", pairing, before=before, reason=reason.strip())
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
