"""Helpers shared by the rotation tests (a uniquely named module: tests have no packages)."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.timeutil import local_today
from tests.statements import count_statements  # noqa: F401

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


def ring_plan(make_site, make_post, make_window, make_staff, n: int):
    """`n` key-post holders, each on a post, site and window of their own, moving round a ring
    (each takes the next one's seat on the same day): a valid draft plan of `n` moves."""
    from compliance.models import Assignment
    from rotation.models import RotationMove, RotationPlan

    people = []
    for _ in range(n):
        site = make_site()
        post = make_post(is_key=True)
        people.append(make_staff(site=site, post=post, window=make_window(site=site)))
    seats = {
        a.staff_member_id: a
        for a in db.session.scalars(
            sa.select(Assignment).where(Assignment.staff_member_id.in_([p.id for p in people]))
        )
    }
    plan = RotationPlan(title=f"轮岗{n}", planning_on=TODAY, status="draft")
    db.session.add(plan)
    db.session.flush()
    for i, person in enumerate(people):
        nxt = people[(i + 1) % n]
        seat = seats[nxt.id]
        db.session.add(
            RotationMove(
                plan_id=plan.id,
                staff_member_id=person.id,
                from_assignment_id=seats[person.id].id,
                seat_assignment_id=seat.id,
                predecessor_id=nxt.id,
                to_post_id=seat.post_id,
                to_site_id=seat.site_id,
                to_window_id=seat.window_id,
                effective_on=TODAY,
                reason="candidate",
            )
        )
    db.session.commit()
    return plan
