"""Dashboard panels: staff see their open rectifications, inspectors the verification queue,
discipline officers and administrators the overdue count and the flagged list."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from compliance.access import scope_filter, scope_ids
from compliance.db import db
from compliance.memo import remember, scope_key
from compliance.timeutil import local_today

from . import services as svc
from .models import OPEN_STATUSES, Rectification

PANEL_ROWS = 10  # the flagged people a dashboard shows (the rest are counted)


def staff_panel(user) -> Markup | None:
    if not user.staff_member_id:
        return None
    rects = list(
        db.session.scalars(
            sa.select(Rectification)
            .where(
                Rectification.responsible_staff_id == user.staff_member_id,
                Rectification.status.in_(OPEN_STATUSES),
            )
            .order_by(Rectification.deadline_on, Rectification.id)
            .limit(10)
        )
    )
    return Markup(
        render_template(
            "inspections/rectification/_panel_staff.html", rects=rects, today=local_today()
        )
    )


def inspector_panel(user) -> Markup | None:
    count = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                svc.verification_queue(db.session, user).order_by(None).subquery()
            )
        )
        or 0
    )
    return Markup(render_template("inspections/rectification/_panel_inspector.html", count=count))


def discipline_panel(user) -> Markup | None:
    today = local_today()
    overdue = (
        db.session.scalar(
            sa.select(sa.func.count(Rectification.id)).where(
                Rectification.status.in_(OPEN_STATUSES),
                Rectification.deadline_on < today,
                scope_filter(user, Rectification.site_id),
            )
        )
        or 0
    )
    # ninety days of findings ranked per person: remembered until the next audited write
    flagged, total = remember(
        ("flagged_preview", scope_key(scope_ids(user)), today, PANEL_ROWS),
        lambda: svc.flagged_preview(db.session, user, today, limit=PANEL_ROWS),
    )
    return Markup(
        render_template(
            "inspections/rectification/_panel_discipline.html",
            overdue=overdue,
            flagged=flagged,
            flagged_total=total,
        )
    )
