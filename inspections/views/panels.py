"""Dashboard panels: an inspector's sites still due and assigned spot checks; a staff member's
recent findings; the rounds flagged as implausible (discipline, centre heads, admins)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from compliance.access import scope_filter
from compliance.db import db
from compliance.models import User
from compliance.timeutil import local_day_bounds_utc, local_today

from .. import schedules
from ..access import FLAG_READER_ROLES, READER_ROLES, own_findings_clause
from ..models import Finding, Inspection, InspectionFlag, InspectionInspector
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
    # One statement whatever the rounds: the five newest with their site, inspector, team and
    # flags joined in, and the total as a window count (the users' roles and sites, loaded with
    # every User by default, are not needed for a name).
    rows = (
        db.session.execute(
            sa.select(Inspection, sa.func.count().over().label("total"))
            .where(
                scope_filter(user, Inspection.site_id),
                Inspection.submitted_at >= since,
                sa.exists().where(InspectionFlag.inspection_id == Inspection.id),
            )
            .options(
                joinedload(Inspection.site),
                joinedload(Inspection.inspector).lazyload("*"),
                joinedload(Inspection.team).joinedload(InspectionInspector.user).lazyload("*"),
                joinedload(Inspection.flags),
            )
            .order_by(Inspection.submitted_at.desc(), Inspection.id.desc())
            .limit(5)
        )
        .unique()
        .all()
    )
    if not rows:
        return None
    total, recent = rows[0].total, [row.Inspection for row in rows]
    return Markup(render_template("inspections/_panel_flags.html", total=total, recent=recent))
