"""Dashboard panels of training: late onboarding plans and pairings awaiting approval (HR),
the next session and shadow logs to confirm (everyone with a staff record)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from compliance.access import scope_filter
from compliance.db import db
from compliance.models import StaffMember
from compliance.timeutil import local_today

from .. import onboarding as onb
from .. import services as svc
from ..models import MentorPairing, OnboardingPlan
from .common import logs_to_confirm

PANEL_ROWS = 8  # late plans and pairings a dashboard lists (the rest are counted)


def render_hr_panel(user) -> Markup | None:
    """Late onboarding plans and pairings awaiting approval: the database counts them and gives
    the first rows shown; progress is computed for those rows only."""
    late_q = (
        sa.select(OnboardingPlan)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "active",
            StaffMember.status != "left",
            scope_filter(user, StaffMember.site_id),
            onb.late_clause(local_today()),
        )
    )
    late_count = _count(late_q)
    awaiting_q = (
        sa.select(MentorPairing)
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(MentorPairing.status == "assessed", scope_filter(user, StaffMember.site_id))
    )
    awaiting_count = _count(awaiting_q)
    if not late_count and not awaiting_count:
        return None
    late_plans = db.session.scalars(
        late_q.options(joinedload(OnboardingPlan.staff_member))
        .order_by(OnboardingPlan.starts_on, OnboardingPlan.id)
        .limit(PANEL_ROWS)
    ).all()
    awaiting = db.session.scalars(
        awaiting_q.options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.assessed_at, MentorPairing.id)
        .limit(PANEL_ROWS)
    ).all()
    return Markup(
        render_template(
            "training/_panel_hr.html",
            late=onb.plan_progress(db.session, list(late_plans)),
            late_count=late_count,
            awaiting=awaiting,
            awaiting_count=awaiting_count,
        )
    )


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def render_staff_panel(user) -> Markup | None:
    if user.staff_member_id is None:
        return None
    upcoming, _history = svc.staff_sessions(db.session, user.staff_member_id)
    to_confirm = logs_to_confirm(user.staff_member_id)
    if not upcoming and not to_confirm:
        return None
    return Markup(
        render_template(
            "training/_panel_staff.html",
            next_session=upcoming[0] if upcoming else None,
            to_confirm=to_confirm,
        )
    )
