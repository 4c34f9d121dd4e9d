"""Tenure: assignment histories, time in post and due dates (the tenure board)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload

from compliance.integers import parse_id
from compliance.models import Assignment, Post, Site, StaffMember, Window
from compliance.settings import get_setting

from ..models import (
    RotationExemption,
)
from .common import add_months, months_between
from .policies import Policy, active_exemptions, default_policy, policies

logger = logging.getLogger(__name__)

# --- tenure --------------------------------------------------------------------------------


@dataclass
class History:
    """What the rules need to know about one person's past assignments."""

    current: Assignment | None
    tenure_start: date | None
    # post id -> last day the person held it (ended assignments only)
    last_held: dict[int, date] = field(default_factory=dict)


def histories(session: Session, staff_ids) -> dict[int, History]:
    """Assignment histories of several people in one query."""
    staff_ids = list(staff_ids)
    by_staff: dict[int, list[Assignment]] = defaultdict(list)
    for start in range(0, len(staff_ids), 5000):
        chunk = staff_ids[start : start + 5000]
        for a in session.scalars(
            sa.select(Assignment).where(Assignment.staff_member_id.in_(chunk))
        ):
            by_staff[a.staff_member_id].append(a)
    out = {}
    for staff_id in staff_ids:
        rows = sorted(by_staff.get(staff_id, []), key=lambda a: (a.started_on, a.id))
        current = next((a for a in rows if a.ended_on is None), None)
        tenure_start = None
        if current is not None:
            tenure_start = current.started_on
            # Consecutive assignments on the same post count together.
            for a in sorted(
                (a for a in rows if a.ended_on is not None), key=lambda a: a.ended_on, reverse=True
            ):
                if (
                    a.post_id == current.post_id
                    and a.ended_on >= tenure_start - timedelta(days=1)
                    and a.started_on < tenure_start
                ):
                    tenure_start = a.started_on
        last_held: dict[int, date] = {}
        for a in rows:
            if a.ended_on is not None:
                last_held[a.post_id] = max(last_held.get(a.post_id, a.ended_on), a.ended_on)
        out[staff_id] = History(current, tenure_start, last_held)
    return out


@dataclass
class TenureRow:
    assignment: Assignment
    staff: StaffMember
    post: Post
    site: Site
    window: Window | None
    tenure_start: date
    months: int
    due_on: date
    days_left: int
    status: str  # overdue, due_soon, ok
    exemption: RotationExemption | None


def key_assignments(
    session: Session, site_ids: set[int] | None = None, staff_ids=None
) -> list[Assignment]:
    """The current key-post assignments of active staff (in `site_ids`, of `staff_ids`, when
    given), with their holder, post, site and window."""
    query = (
        sa.select(Assignment)
        .join(Post, Post.id == Assignment.post_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(Post.is_key, Assignment.ended_on.is_(None), StaffMember.status == "active")
        .options(
            # The holder and the post come from the joins the filter needs (no second join).
            contains_eager(Assignment.staff_member),
            contains_eager(Assignment.post),
            joinedload(Assignment.site),
            joinedload(Assignment.window),
        )
    )
    if site_ids is not None:
        query = query.where(Assignment.site_id.in_(list(site_ids)))
    if staff_ids is not None:
        query = query.where(Assignment.staff_member_id.in_(list(staff_ids)))
    return list(session.scalars(query))


@dataclass(frozen=True)
class SeatOption:
    """A seat a plan's move may target, read as plain columns (no ORM objects): its assignment
    id and the label the plan page shows."""

    id: int
    label: str
    sort_key: tuple


def _seat_rows() -> sa.Select:
    """Assignments as the plain columns of a seat's label and order."""
    return (
        sa.select(
            Assignment.id,
            Assignment.site_id,
            Post.code,
            Post.is_key,
            Post.name.label("post_name"),
            Site.name.label("site_name"),
            Window.code.label("window_code"),
            StaffMember.name.label("staff_name"),
        )
        .join(Post, Post.id == Assignment.post_id)
        .join(Site, Site.id == Assignment.site_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .outerjoin(Window, Window.id == Assignment.window_id)
    )


def _current_key_seats(query: sa.Select, site_ids: set[int] | None) -> sa.Select:
    """`query` kept to the current key seats of active staff in `site_ids` (all when None)."""
    query = query.where(Post.is_key, Assignment.ended_on.is_(None), StaffMember.status == "active")
    if site_ids is not None:
        query = query.where(Assignment.site_id.in_(list(site_ids)))
    return query


def _seat_option(r) -> SeatOption:
    window = f" {r.window_code}" if r.window_code is not None else ""
    return SeatOption(
        r.id,
        f"{r.post_name} · {r.site_name}{window} ({r.staff_name})",
        (not r.is_key, r.code, r.site_id, r.window_code or "", r.id),
    )


def seat_options(
    session: Session, site_ids: set[int] | None, extra_ids=(), only_ids=None
) -> list[SeatOption]:
    """Every current key seat of active staff in `site_ids` (all when None; the same seats as
    `key_assignments`) and the assignments `extra_ids`, key posts first, then by post code, site
    and window. `only_ids`, when given, keeps the key seats to those ids (which of some typed
    seat numbers are offered; an empty `only_ids` gives the `extra_ids` alone)."""
    rows = {}
    if only_ids is None or only_ids:
        key = _current_key_seats(_seat_rows(), site_ids)
        if only_ids is not None:
            key = key.where(Assignment.id.in_(list(only_ids)))
        rows = {r.id: r for r in session.execute(key)}
    extra = [i for i in extra_ids if i not in rows]
    if extra:
        rows.update(
            (r.id, r) for r in session.execute(_seat_rows().where(Assignment.id.in_(extra)))
        )
    return sorted((_seat_option(r) for r in rows.values()), key=lambda o: o.sort_key)


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def seat_lookup(
    session: Session, site_ids: set[int] | None, q: str, limit: int
) -> list[SeatOption]:
    """At most `limit` current key seats of `seat_options` (in `site_ids`, all when None) whose
    seat number is `q`, or whose post code or name, site name, window code or holder's name
    contains `q` (case-insensitive where the database folds case); the exact seat number first,
    then in the order of `seat_options`."""
    like = _contains(q)
    matches = [
        column.ilike(like, escape="\\")
        for column in (Post.code, Post.name, Site.name, Window.code, StaffMember.name)
    ]
    seat_no = parse_id(q)  # a seat number is an assignment id
    exact = Assignment.id == seat_no if seat_no is not None else sa.false()
    query = (
        _current_key_seats(_seat_rows(), site_ids)
        .where(sa.or_(exact, *matches))
        .order_by(
            sa.case((exact, 0), else_=1),
            Post.code,
            Assignment.site_id,
            sa.func.coalesce(Window.code, ""),
            Assignment.id,
        )
        .limit(limit)
    )
    return [_seat_option(r) for r in session.execute(query)]


def tenure_board(
    session: Session,
    on: date,
    site_ids: set[int] | None = None,
    hist_out: dict | None = None,
    staff_ids=None,
    pols: dict[int, Policy] | None = None,
    exemptions: dict[int, RotationExemption] | None = None,
) -> list[TenureRow]:
    """Every key seat in scope with its holder, time in post and due date; most urgent first.

    `staff_ids`, when given, keeps only the seats of those people: their rows are the same as on
    the whole board (a row depends on its holder's history alone), in the same order.
    `hist_out`, when given, receives the assignment histories read on the way (for reuse);
    `pols` and `exemptions` (of every holder on the board at `on`), when given, were already read
    by the caller."""
    seats = key_assignments(session, site_ids, staff_ids)
    hist = histories(session, [a.staff_member_id for a in seats])
    if hist_out is not None:
        hist_out.update(hist)
    if pols is None:
        pols = policies(session)
    if exemptions is None:
        exemptions = active_exemptions(session, on, [a.staff_member_id for a in seats])
    amber = int(get_setting(session, "rotation.amber_days"))
    rows = []
    for a in seats:
        start = hist[a.staff_member_id].tenure_start or a.started_on
        policy = pols.get(a.post_id) or default_policy(session, a.post_id)
        due = add_months(start, policy.max_tenure_months)
        days_left = (due - on).days
        status = "overdue" if days_left <= 0 else "due_soon" if days_left <= amber else "ok"
        rows.append(
            TenureRow(
                a,
                a.staff_member,
                a.post,
                a.site,
                a.window,
                start,
                months_between(start, on),
                due,
                days_left,
                status,
                exemptions.get(a.staff_member_id),
            )
        )
    rows.sort(key=lambda r: (r.due_on, r.post.code, r.staff.staff_no))
    return rows
