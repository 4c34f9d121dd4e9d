"""The HR dashboard panel."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from ...access import scope_filter
from ...db import db
from ...models import StaffMember
from ...timeutil import local_today
from .common import (
    NEW_STAFF_DAYS,
    _no_current_assignment,
    _on_leave_on,
)


def hr_panel(user) -> Markup | None:
    """HR's dashboard card: who is on leave today, new staff, staff without a current assignment."""
    today = local_today()
    in_scope_staff = scope_filter(user, StaffMember.site_id)
    active = StaffMember.status == "active"
    limit = 8

    def listing(condition) -> tuple[int, list[StaffMember]]:
        """The first `limit` people and how many there are in all, in one statement (the
        window count is taken before the limit)."""
        rows = db.session.execute(
            sa.select(StaffMember, sa.func.count().over().label("total"))
            .where(in_scope_staff, condition)
            .order_by(StaffMember.staff_no)
            .limit(limit)
        ).all()
        return (rows[0].total if rows else 0), [row[0] for row in rows]

    leave_count, on_leave = listing(sa.and_(active, _on_leave_on(today)))
    new_count, new_staff = listing(
        sa.and_(active, StaffMember.hired_on >= today - timedelta(days=NEW_STAFF_DAYS))
    )
    idle_count, unassigned = listing(sa.and_(active, _no_current_assignment()))
    return Markup(
        render_template(
            "org/_panel_hr.html",
            today=today,
            limit=limit,
            new_days=NEW_STAFF_DAYS,
            groups=[
                ("on_leave", _("On leave today"), leave_count, on_leave),
                (
                    "new",
                    _("New staff (last %(days)s days)", days=NEW_STAFF_DAYS),
                    new_count,
                    new_staff,
                ),
                ("unassigned", _("Without a current assignment"), idle_count, unassigned),
            ],
        )
    )
