"""What the bulletin reads of the month close: which months are closed, and the frozen scores of
a set of closed months, aggregated in SQL (one statement per question, whatever the size).

A quarter's score of a subject is the average of its monthly scores in the months it was
assessed; its stars the fewest it held in any of them (a star is earned every month); its cards
are counted per month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import MonthClose, ScoreSnapshot


def closed_months(session: Session, months: list[date]) -> dict[date, int]:
    """month -> the id of its standing close, for those of `months` that are closed."""
    rows = session.execute(
        sa.select(MonthClose.month, MonthClose.id).where(
            MonthClose.month.in_(months), MonthClose.status == "closed"
        )
    ).all()
    return dict(rows)


def _scoped(stmt, site_ids):
    if site_ids is None:
        return stmt
    return stmt.where(ScoreSnapshot.site_id.in_(sorted(site_ids)) if site_ids else sa.false())


@dataclass(frozen=True)
class Totals:
    """The period's overall figures of one kind of subject (staff, window or site)."""

    subjects: int
    average: float | None
    deductions: float
    bonuses: float
    starred: int  # subjects holding a star in every month assessed
    yellow: int  # cards given (a subject carded in two months counts twice)
    red: int


def totals(session: Session, close_ids: list[int], kind: str, site_ids) -> Totals:
    per_subject = _scoped(
        sa.select(
            ScoreSnapshot.subject_id,
            sa.func.avg(ScoreSnapshot.score).label("score"),
            sa.func.sum(ScoreSnapshot.deductions).label("deductions"),
            sa.func.sum(ScoreSnapshot.bonuses).label("bonuses"),
            sa.func.min(ScoreSnapshot.stars).label("stars"),
            sa.func.count().filter(ScoreSnapshot.card == "yellow").label("yellow"),
            sa.func.count().filter(ScoreSnapshot.card == "red").label("red"),
        )
        .where(ScoreSnapshot.close_id.in_(close_ids), ScoreSnapshot.subject_kind == kind)
        .group_by(ScoreSnapshot.subject_id),
        site_ids,
    ).subquery()
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(per_subject.c.score),
            sa.func.coalesce(sa.func.sum(per_subject.c.deductions), 0),
            sa.func.coalesce(sa.func.sum(per_subject.c.bonuses), 0),
            sa.func.count().filter(per_subject.c.stars > 0),
            sa.func.coalesce(sa.func.sum(per_subject.c.yellow), 0),
            sa.func.coalesce(sa.func.sum(per_subject.c.red), 0),
        )
    ).one()
    return Totals(
        subjects=row[0],
        average=None if row[1] is None else float(row[1]),
        deductions=float(row[2]),
        bonuses=float(row[3]),
        starred=int(row[4]),
        yellow=int(row[5]),
        red=int(row[6]),
    )


@dataclass(frozen=True)
class Ranked:
    subject_id: int
    name: str
    site_id: int
    window_id: int | None
    score: float
    stars: int


def best(session: Session, close_ids: list[int], kind: str, site_ids, limit: int) -> list[Ranked]:
    """The best subjects of a kind over the closed months, best first (ties by name), within
    `site_ids` (None: all)."""
    score = sa.func.avg(ScoreSnapshot.score).label("score")
    stmt = _scoped(
        sa.select(
            ScoreSnapshot.subject_id,
            sa.func.max(ScoreSnapshot.name),
            sa.func.max(ScoreSnapshot.site_id),
            sa.func.max(ScoreSnapshot.window_id),
            score,
            sa.func.min(ScoreSnapshot.stars),
        )
        .where(ScoreSnapshot.close_id.in_(close_ids), ScoreSnapshot.subject_kind == kind)
        .group_by(ScoreSnapshot.subject_id),
        site_ids,
    )
    rows = session.execute(
        stmt.order_by(
            score.desc(), sa.func.max(ScoreSnapshot.name), ScoreSnapshot.subject_id
        ).limit(limit)
    ).all()
    return [Ranked(r[0], r[1], r[2], r[3], float(r[4]), int(r[5] or 0)) for r in rows]


@dataclass(frozen=True)
class Item:
    """One itemised deduction of a subject's frozen score."""

    subject_kind: str
    subject_id: int
    name: str
    site_id: int
    window_id: int | None
    kind: str
    label: str
    points: float
    on: str


def deduction_items(
    session: Session, close_ids: list[int], site_ids, kinds: tuple[str, ...]
) -> list[Item]:
    """The deductions (points < 0) of the given item kinds, from every subject of the closed
    months within `site_ids`, largest first (then by date)."""
    rows = session.execute(
        _scoped(
            sa.select(
                ScoreSnapshot.subject_kind,
                ScoreSnapshot.subject_id,
                ScoreSnapshot.name,
                ScoreSnapshot.site_id,
                ScoreSnapshot.window_id,
                ScoreSnapshot.detail,
            ).where(ScoreSnapshot.close_id.in_(close_ids), ScoreSnapshot.deductions > 0),
            site_ids,
        )
    ).all()
    items = [
        Item(
            kind_,
            subject_id,
            name,
            site_id,
            window_id,
            entry.get("kind", ""),
            str(entry.get("label") or ""),
            float(entry.get("points") or 0),
            str(entry.get("on") or ""),
        )
        for kind_, subject_id, name, site_id, window_id, detail in rows
        for entry in (detail or [])
        if entry.get("kind") in kinds and float(entry.get("points") or 0) < 0
    ]
    items.sort(key=lambda i: (i.points, i.on, i.name))
    return items
