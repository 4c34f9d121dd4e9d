"""Figures of key-post rotation for dashboards, the year in review and other packages.

Definitions (the period summary counts moves the same way): a move counts in the period when
it was executed and took effect on a day of the period, at a site of the period (the site it
moved to). *Key posts rotated* counts key posts, not people: a key post at a site (the post
left and the post taken, when they are key) counts once however many moves touched it in the
period; *people rotated* counts each person once."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.models import Assignment, Post
from compliance.periods import Period

from ..models import RotationMove
from .tenure import tenure_board


def _executed_in(period: Period):
    return sa.and_(
        RotationMove.status == "executed",
        RotationMove.effective_on >= period.start,
        RotationMove.effective_on <= period.end,
    )


def rotations(session: Session, period: Period) -> dict[str, int]:
    """{"moves", "people", "posts"} for the period (one statement)."""
    left = (
        sa.select(Assignment.site_id.label("site_id"), Assignment.post_id.label("post_id"))
        .join(RotationMove, RotationMove.from_assignment_id == Assignment.id)
        .join(Post, Post.id == Assignment.post_id)
        .where(_executed_in(period), Post.is_key, period.site_clause(Assignment.site_id))
    )
    taken = (
        sa.select(RotationMove.to_site_id, RotationMove.to_post_id)
        .join(Post, Post.id == RotationMove.to_post_id)
        .where(_executed_in(period), Post.is_key, period.site_clause(RotationMove.to_site_id))
    )
    posts = sa.union(left, taken).subquery()
    moved = sa.and_(_executed_in(period), period.site_clause(RotationMove.to_site_id))
    row = session.execute(
        sa.select(
            sa.select(sa.func.count(RotationMove.id)).where(moved).scalar_subquery(),
            sa.select(sa.func.count(sa.distinct(RotationMove.staff_member_id)))
            .where(moved)
            .scalar_subquery(),
            sa.select(sa.func.count()).select_from(posts).scalar_subquery(),
        )
    ).one()
    return dict(zip(("moves", "people", "posts"), row, strict=True))


# Days until a key-post holder is due to rotate: overdue, then within 30, 60 and 90 days.
DUE_LIMITS = (30, 60, 90)


def tenure_due(session: Session, site_ids, today: date) -> dict:
    """Key-post holders at `site_ids` (None: all) by how soon they are due:
    {"buckets": [n overdue, n within 30 days, 31-60, 61-90], "exempt": n of those with an
    active exemption (暂缓轮岗), "rows": the due holders, most urgent first}. Reads the tenure
    board (a fixed number of statements: tenure runs over consecutive assignments, which the
    board works out per key seat)."""
    rows = tenure_board(session, today, set(site_ids) if site_ids is not None else None)
    buckets = [0] * (len(DUE_LIMITS) + 1)
    due = []
    for row in rows:
        if row.days_left <= 0:
            index = 0
        else:
            index = next((i + 1 for i, d in enumerate(DUE_LIMITS) if row.days_left <= d), None)
            if index is None:
                continue
        buckets[index] += 1
        due.append(row)
    return {
        "buckets": buckets,
        "exempt": sum(1 for r in due if r.exemption is not None),
        "rows": due,
    }
