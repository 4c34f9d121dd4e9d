"""The demo data has rectifications in each state, a complaint and a commendation."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.demo import load_demo
from inspections.rectification.models import ConductRecord, Rectification


def test_demo_has_each_state(app):
    load_demo(app, db.session)  # as `compliance seed-demo` does: no request context
    db.session.commit()
    statuses = set(db.session.scalars(sa.select(Rectification.status)))
    assert {"open", "responded", "verified"} <= statuses
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Rectification.id)).where(Rectification.fixed_on_spot.is_(True))
        )
        >= 1
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Rectification.id)).where(Rectification.source == "complaint")
        )
        == 1
    )
    kinds = set(db.session.scalars(sa.select(ConductRecord.kind)))
    assert kinds == {"complaint", "commendation"}
