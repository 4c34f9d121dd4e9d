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

from .. import onboarding as onb
from .. import services as svc
from ..models import MentorPairing, OnboardingPlan
from .common import logs_to_confirm


def render_hr_panel(user) -> Markup | None:
    plans_q = (
        sa.select(OnboardingPlan)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "active",
            StaffMember.status != "left",
            scope_filter(user, StaffMember.site_id),
        )
        .options(joinedload(OnboardingPlan.staff_member))
    )
    late = [
        p for p in onb.plan_progress(db.session, db.session.scalars(plans_q).all()) if p.is_late
    ]
    awaiting = db.session.scalars(
        sa.select(MentorPairing)
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(MentorPairing.status == "assessed", scope_filter(user, StaffMember.site_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.assessed_at)
    ).all()
    if not late and not awaiting:
        return None
    return Markup(
        render_template(
            "training/_panel_hr.html",
            late=late[:8],
            late_count=len(late),
            awaiting=awaiting[:8],
            awaiting_count=len(awaiting),
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
