"""The daily run over complaints being verified: the person verifying is reminded the day before
the deadline; once it has passed, they and the site's discipline officers are told every day
until the complaint is concluded. Idempotent per run date (every notice has a dedupe key)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.domain import N_

from ..models import ConductRecord
from .common import notify, officers_for


def remind(session: Session, run_on: date) -> dict[str, int]:
    counts = {"reminded": 0, "overdue": 0, "notices": 0}
    cache: dict = {}
    rows = session.scalars(
        sa.select(ConductRecord)
        .where(
            ConductRecord.kind == "complaint",
            ConductRecord.status == "verifying",
            ConductRecord.verify_due_on <= run_on + timedelta(days=1),
        )
        .order_by(ConductRecord.id)
    ).all()
    for row in rows:
        overdue = (run_on - row.verify_due_on).days
        officers = officers_for(session, row, cache)
        if overdue == -1:
            n = notify(
                session,
                row,
                [row.handler] if row.handler else officers,
                "reminder",
                N_("Reminder: complaint #%(id)s is to be verified by tomorrow (%(due)s)"),
                dedupe_key=f"complaint-remind:{row.id}:{row.verify_due_on}",
                id=row.id,
                due=row.verify_due_on.isoformat(),
            )
            if n:
                counts["reminded"] += 1
                counts["notices"] += n
            continue
        if overdue < 1:
            continue
        n = notify(
            session,
            row,
            [row.handler, *officers],
            "overdue",
            N_("Complaint #%(id)s is overdue for verification by %(days)s days (due %(due)s)"),
            dedupe_key=f"complaint-overdue:{row.id}:{run_on}",
            id=row.id,
            days=overdue,
            due=row.verify_due_on.isoformat(),
        )
        if n:
            counts["overdue"] += 1
            counts["notices"] += n
    return counts
