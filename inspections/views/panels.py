"""Dashboard panels: an inspector's sites still due and assigned spot checks; a staff member's
recent findings; the rounds flagged as implausible (discipline, centre heads, admins)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from compliance.access import scope_filter
from compliance.db import db
from compliance.models import User
from compliance.timeutil import local_day_bounds_utc, local_today

from .. import schedules
from ..access import FLAG_READER_ROLES, READER_ROLES, own_findings_clause
from ..models import Finding, Inspection, InspectionFlag
from .common import my_open_rounds


def inspector_panel(user: User):
    if not user.has_role("inspector"):
        return None
    due = schedules.sites_due(db.session, local_today(), user)
    assigned = [i for i in my_open_rounds(user) if i.kind == "spot_check"]
    return Markup(render_template("inspections/_panel_inspector.html", due=due, assigned=assigned))


def staff_panel(user: User):
    if user.staff_member_id is None or user.has_role(*READER_ROLES):
        return None
    since = local_day_bounds_utc(local_today() - timedelta(days=30))[0]
    findings = list(
        db.session.scalars(
            sa.select(Finding)
            .where(own_findings_clause(user), Finding.found_at >= since)
            .order_by(Finding.found_at.desc())
            .limit(5)
        )
    )
    return Markup(render_template("inspections/_panel_staff.html", findings=findings))


def flags_panel(user: User):
    """Rounds of the user's sites flagged as implausible in the last 30 days."""
    if not user.has_role(*FLAG_READER_ROLES):
        return None
    since = local_day_bounds_utc(local_today() - timedelta(days=30))[0]
    flagged = (
        sa.select(Inspection)
        .where(
            scope_filter(user, Inspection.site_id),
            Inspection.submitted_at >= since,
            sa.exists().where(InspectionFlag.inspection_id == Inspection.id),
        )
        .order_by(Inspection.submitted_at.desc())
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(flagged.subquery()))
    if not total:
        return None
    recent = list(db.session.scalars(flagged.limit(5)))
    return Markup(render_template("inspections/_panel_flags.html", total=total, recent=recent))
