"""Dashboard panels of training: late onboarding plans and pairings awaiting approval (HR),
the next session and shadow logs to confirm (everyone with a staff record)."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, joinedload

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
    """Late onboarding plans and pairings awaiting approval: the first rows shown of each with
    the count of all of them (a window count taken before the limit), and why each plan shown
    is late (one statement for the plans shown)."""
    today = local_today()
    late_rows = db.session.execute(
        sa.select(OnboardingPlan, sa.func.count().over())
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "active",
            StaffMember.status != "left",
            scope_filter(user, StaffMember.site_id),
            onb.late_clause(today),
        )
        .options(contains_eager(OnboardingPlan.staff_member))
        .order_by(OnboardingPlan.starts_on, OnboardingPlan.id)
        .limit(PANEL_ROWS)
    ).all()
    awaiting_rows = db.session.execute(
        sa.select(MentorPairing, sa.func.count().over())
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(MentorPairing.status == "assessed", scope_filter(user, StaffMember.site_id))
        .options(contains_eager(MentorPairing.mentee), joinedload(MentorPairing.mentor))
        .order_by(MentorPairing.assessed_at, MentorPairing.id)
        .limit(PANEL_ROWS)
    ).all()
    if not late_rows and not awaiting_rows:
        return None
    plans = [plan for plan, _count in late_rows]
    reasons = onb.late_reasons(db.session, plans, today)
    late = [
        SimpleNamespace(plan=plan, late=[reason])
        for plan, reason in zip(plans, reasons, strict=True)
    ]
    return Markup(
        render_template(
            "training/_panel_hr.html",
            late=late,
            late_count=late_rows[0][1] if late_rows else 0,
            awaiting=[pairing for pairing, _count in awaiting_rows],
            awaiting_count=awaiting_rows[0][1] if awaiting_rows else 0,
        )
    )


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
