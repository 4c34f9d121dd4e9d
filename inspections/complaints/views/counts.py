"""Complaints and patrol findings of the same check item, counted together for a period."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask_login import current_user

from compliance.access import roles_required, sites_in_scope
from compliance.db import db
from compliance.timeutil import local_today

from .. import services as svc
from .common import bp, date_arg, int_arg


@bp.route("/complaints/by-item")
@roles_required(*svc.COUNT_ROLES)
def by_item():
    today = local_today()
    date_to = date_arg("to") or today
    date_from = date_arg("from") or date_to.replace(day=1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days > 3660:
        date_from = date_to - timedelta(days=3660)
    site_id = int_arg("site")
    sites = sites_in_scope(current_user)
    site_ids = [site_id] if site_id and any(s.id == site_id for s in sites) else None
    rows = svc.item_counts(db.session, current_user, date_from, date_to, site_ids=site_ids)
    return render_template(
        "inspections/complaints/by_item.html",
        rows=rows,
        date_from=date_from,
        date_to=date_to,
        site_id=site_id,
        sites=sites,
        totals={
            "findings": sum(r.findings for r in rows),
            "complaints": sum(r.complaints for r in rows),
        },
    )
