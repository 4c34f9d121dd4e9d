"""Helpers shared by the rotation tests (a uniquely named module: tests have no packages)."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.timeutil import local_today

# The scenarios are built relative to today (plans cannot start in the past).
TODAY = local_today()


def current(staff_id: int):
    """The staff member's current assignment, read fresh."""
    from compliance.models import Assignment

    return db.session.scalar(
        sa.select(Assignment).where(
            Assignment.staff_member_id == staff_id, Assignment.ended_on.is_(None)
        )
    )
