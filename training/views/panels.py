"""Dashboard panels of training: late onboarding plans and pairings awaiting approval (HR),
the next session and shadow logs to confirm (everyone with a staff record)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup
from sqlalchemy.orm import contains_eager, joinedload

from compliance.access import scope_filter, scope_ids
from compliance.db import db
from compliance.memo import remember, scope_key
from compliance.models import StaffMember
from compliance.timeutil import local_today

from .. import onboarding as onb
from .. import services as svc
from ..models import MentorPairing, OnboardingPlan
from .common import logs_to_confirm

PANEL_ROWS = 8  # late plans and pairings a dashboard lists (the rest are counted)


def render_hr_panel(user) -> Markup | None:
    """Late onboarding plans and pairings awaiting approval: the first rows shown of each with
    the count of all of them, and why each plan shown is late. Lateness is worked out over the
    attendance of every running plan, so the figures are remembered as plain data until the
    next audited write (`compliance.memo`)."""
    today = local_today()
    data = remember(
        ("training_hr_panel", scope_key(scope_ids(user)), today),
        lambda: _hr_panel_data(user, today),
    )
    if not data["late"] and not data["awaiting"]:
        return None
    return Markup(render_template("training/_panel_hr.html", **data))


def _hr_panel_data(user, today) -> dict:
    """Three statements: late plans with their count (a window count taken before the limit),
    awaiting pairings with theirs, and the first late reason of the plans shown."""
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
    plans = [plan for plan, _count in late_rows]
    reasons = onb.late_reasons(db.session, plans, today)
    return {
        "late": [
            {"id": plan.id, "name": plan.staff_member.name, "reason": reason}
            for plan, reason in zip(plans, reasons, strict=True)
        ],
        "late_count": late_rows[0][1] if late_rows else 0,
        "awaiting": [
            {"id": pairing.id, "mentor": pairing.mentor.name, "mentee": pairing.mentee.name}
            for pairing, _count in awaiting_rows
        ],
        "awaiting_count": awaiting_rows[0][1] if awaiting_rows else 0,
    }


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
