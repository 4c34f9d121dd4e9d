"""Patrol plans: how many patrol rounds each site expects per working day (administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required, sites_in_scope
from compliance.db import db
from compliance.uow import domain_errors

from .. import schedules
from ..models import PatrolPlan
from .common import bp


@bp.route("/patrols/plans", methods=["GET", "POST"])
@roles_required("admin")
def patrol_plans():
    sites = sites_in_scope(current_user)
    if request.method == "POST":
        with domain_errors():
            for site in sites:
                value = request.form.get(f"rounds_{site.id}", "").strip()
                if value == "":
                    continue
                plan = db.session.get(PatrolPlan, site.id)
                if plan is None or str(plan.rounds_per_day) != value:
                    schedules.set_patrol_plan(db.session, current_user, site, value)
            flash(_("Patrol plans saved."), "success")
            return redirect(url_for(".patrol_plans"))
    plans = {p.site_id: p.rounds_per_day for p in db.session.scalars(sa.select(PatrolPlan))}
    return render_template("inspections/patrol_plans.html", sites=sites, plans=plans)
