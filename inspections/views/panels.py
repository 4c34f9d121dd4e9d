"""Dashboard panels: an inspector's sites still due and assigned spot checks; a staff member's
recent findings."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from compliance.db import db
from compliance.models import User
from compliance.timeutil import local_day_bounds_utc, local_today

from .. import schedules
from ..access import READER_ROLES, own_findings_clause
from ..models import Finding
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
