"""Helpers shared by the rotation tests (a uniquely named module: tests have no packages)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from compliance.db import db

TODAY = date(2026, 6, 1)


def current(staff_id: int):
    """The staff member's current assignment, read fresh."""
    from compliance.models import Assignment

    return db.session.scalar(sa.select(Assignment).where(Assignment.staff_member_id == staff_id,
                                                         Assignment.ended_on.is_(None)))
