"""Patrol schedules: expected rounds per working day per site, and which sites are still due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import scope_filter
from compliance.audit import record
from compliance.domain import N_, InvalidError
from compliance.models import Site, User
from compliance.timeutil import local_day_bounds_utc

from .models import Inspection, PatrolPlan


@dataclass
class SiteDue:
    site: Site
    expected: int
    done: int

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.done)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def set_patrol_plan(session: Session, actor: User, site: Site, rounds_per_day: int) -> PatrolPlan:
    """Set the expected patrol rounds per working day of a site (0 = none expected).
    Raises InvalidError when the number is out of range."""
    try:
        rounds = int(rounds_per_day)
    except (TypeError, ValueError):
        raise InvalidError(
            "inspections.plan_rounds_not_integer",
            N_("Give a whole number of rounds."),
            field="rounds_per_day",
        ) from None
    if not 0 <= rounds <= 20:
        raise InvalidError(
            "inspections.plan_rounds_out_of_range",
            N_("Between 0 and 20 rounds per day."),
            field="rounds_per_day",
        )
    plan = session.get(PatrolPlan, site.id)
    before = {"rounds_per_day": plan.rounds_per_day} if plan else None
    if plan is None:
        plan = PatrolPlan(site_id=site.id, rounds_per_day=rounds)
        session.add(plan)
    else:
        plan.rounds_per_day = rounds
    session.flush()
    record(session, actor, "patrol_plan.update", plan, before=before)
    return plan


def patrol_status(session: Session, day: date, user: User | None = None) -> list[SiteDue]:
    """Each planned site (in the user's scope) with its expected and submitted patrols for `day`.
    Two queries whatever the number of sites."""
    start, end = local_day_bounds_utc(day)
    done = (
        sa.select(sa.func.count(Inspection.id))
        .where(
            Inspection.site_id == Site.id,
            Inspection.kind == "patrol",
            Inspection.status == "submitted",
            Inspection.submitted_at >= start,
            Inspection.submitted_at < end,
        )
        .correlate(Site)
        .scalar_subquery()
    )
    query = (
        sa.select(Site, PatrolPlan.rounds_per_day, done)
        .join(PatrolPlan, PatrolPlan.site_id == Site.id)
        .where(PatrolPlan.rounds_per_day > 0, Site.is_active.is_(True))
        .order_by(Site.code)
    )
    if user is not None:
        query = query.where(scope_filter(user, Site.id, session))
    expected_today = is_working_day(day)
    return [
        SiteDue(site, rounds if expected_today else 0, count or 0)
        for site, rounds, count in session.execute(query)
    ]


def sites_due(session: Session, day: date, user: User | None = None) -> list[SiteDue]:
    return [s for s in patrol_status(session, day, user) if s.missing]
