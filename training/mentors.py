"""Suggesting mentors for a new staff member: candidates near the mentee, ranked with the
reasons for their place (same post or window, years in post, current mentees, open major
findings), and who is not eligible and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from compliance.domain import N_
from compliance.models import Assignment, StaffMember, conflicted_staff_ids
from compliance.settings import get_setting
from compliance.timeutil import local_day_bounds_utc, local_today
from inspections import public as inspections_public

from .models import OPEN_PAIRING_STATUSES, MentorPairing
from .people import new_staff_ids

FINDINGS_WINDOW_DAYS = 90


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
            reasons.append((N_("same post (%(post)s): +40"), {"post": assignment.post.name}))
        if assignment is not None and window_id is not None and assignment.window_id == window_id:
            score += 20
            reasons.append(
                (N_("same window (%(window)s): +20"), {"window": assignment.window.label})
            )
        elif staff.site_id == mentee.site_id:
            reasons.append((N_("works at the same site"), {}))
        years = 0.0
        if assignment is not None:
            years = max(0.0, (today - assignment.started_on).days / 365.25)
        points = round(min(years, 5.0) * 6, 1)
        score += points
        reasons.append(
            (
                N_("%(years)s years in post: +%(points)s"),
                {"years": f"{years:.1f}", "points": points},
            )
        )
        load = loads.get(staff.id, 0)
        if load:
            score -= 10 * load
            reasons.append(
                (N_("mentoring %(count)s now: -%(points)s"), {"count": load, "points": 10 * load})
            )
        else:
            reasons.append((N_("mentoring nobody now"), {}))
        count = findings.get(staff.id, 0)
        rule = N_("major or critical findings in the last 90 days without a closed rectification")
        if count:
            score -= 30 * count
            reasons.append(
                (
                    N_("%(count)s open findings (%(rule)s): -%(points)s"),
                    {"count": count, "rule": rule, "points": 30 * count},
                )
            )
        else:
            reasons.append((N_("no open major findings (%(rule)s)"), {"rule": rule}))
        if load >= max_mentees:
            eligible = False
            reasons.append(
                (
                    N_("not eligible: already mentors %(count)s (limit %(limit)s)"),
                    {"count": load, "limit": max_mentees},
                )
            )
        if staff.id in conflicted:
            eligible = False
            reasons.append((N_("not eligible: recorded conflict of interest with the mentee"), {}))
        result.append(
            MentorSuggestion(
                staff, assignment, round(score, 1), eligible, years, load, count, reasons
            )
        )
    result.sort(key=lambda s: (not s.eligible, -s.score, -s.years_in_post, s.staff.staff_no))
    return result[:limit]
