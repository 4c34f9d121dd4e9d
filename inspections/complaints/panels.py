"""The dashboard panel of those who verify complaints and call citizens back: complaints being
verified, overdue for verification, and waiting for their callback."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from compliance.db import db
from compliance.timeutil import local_today

from .models import ConductRecord
from .services import visible_clause


def complaints_panel(user) -> Markup | None:
    today = local_today()
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(ConductRecord.status == "verifying"),
            sa.func.count().filter(
                ConductRecord.status == "verifying", ConductRecord.verify_due_on < today
            ),
            sa.func.count().filter(ConductRecord.status == "concluded"),
        ).where(ConductRecord.kind == "complaint", visible_clause(db.session, user))
    ).one()
    counts = dict(zip(("verifying", "overdue", "callback"), row, strict=True))
    if not any(counts.values()):
        return None
    return Markup(render_template("inspections/complaints/_panel.html", counts=counts))
