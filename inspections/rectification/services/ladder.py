"""Repeat offences: findings about a staff member and upheld complaints about them (patrol and
complaint counted together) in a rolling window step them up a ladder (reminder, written notice
书面提醒, candidate for a formal talk 约谈)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from compliance.access import scope_filter
from compliance.domain import N_
from compliance.models import StaffMember, User
from compliance.settings import declare, get_setting
from compliance.timeutil import local_day_bounds_utc, local_today

from ...models import Finding
from ..models import OFFENCE_LEVELS, OPEN_STATUSES, ConductRecord, Rectification
from .common import notify_people, rect_link
from .responsibility import users_for_staff, users_with_role_for_site

THRESHOLDS_KEY = "rectification.repeat_thresholds"
WINDOW_KEY = "rectification.repeat_window_days"
DEFAULT_THRESHOLDS = {"reminder": 1, "written_notice": 2, "talk": 3}

declare(THRESHOLDS_KEY, dict(DEFAULT_THRESHOLDS))
declare(WINDOW_KEY, 90)


def ladder_thresholds(session: Session) -> dict[str, int]:
    """Offences needed for each step of the ladder (the setting, else the default)."""
    raw = get_setting(session, THRESHOLDS_KEY) or {}
    result = {}
    for level in OFFENCE_LEVELS:
        try:
            result[level] = max(1, int(raw.get(level, DEFAULT_THRESHOLDS[level])))
        except (TypeError, ValueError):
            result[level] = DEFAULT_THRESHOLDS[level]
    return result


def level_for(count: int, thresholds: dict[str, int]) -> str | None:
    """The highest ladder step reached by `count` offences."""
    level = None
    for name in OFFENCE_LEVELS:
        if count >= thresholds[name]:
            level = name
    return level


def _window_bounds(session: Session, on: date) -> tuple[date, datetime, datetime]:
    days = int(get_setting(session, WINDOW_KEY) or 90)
    first_day = on - timedelta(days=days - 1)
    return first_day, local_day_bounds_utc(first_day)[0], local_day_bounds_utc(on)[1]


def _offences(session: Session, on: date, staff_ids: Iterable[int] | None = None) -> sa.Select:
    """One row (`staff_member_id`) per offence in the rolling window ending on `on`: findings
    about the staff member plus upheld complaints."""
    first_day, start, end = _window_bounds(session, on)
    # Integrity matters are left out: they are the discipline office's confidential cases, not
    # steps of this ladder (and counting them would tell the person about them).
    q1 = sa.select(Finding.staff_member_id.label("staff_member_id")).where(
        Finding.staff_member_id.is_not(None),
        Finding.is_integrity.is_(False),
        Finding.found_at >= start,
        Finding.found_at < end,
    )
    q2 = sa.select(ConductRecord.staff_member_id.label("staff_member_id")).where(
        ConductRecord.kind == "complaint",
        ConductRecord.outcome == "upheld",
        ConductRecord.is_integrity.is_(False),
        ConductRecord.staff_member_id.is_not(None),
        ConductRecord.received_on >= first_day,
        ConductRecord.received_on <= on,
    )
    if staff_ids is not None:
        ids = list(staff_ids)
        q1 = q1.where(Finding.staff_member_id.in_(ids))
        q2 = q2.where(ConductRecord.staff_member_id.in_(ids))
    return sa.union_all(q1, q2)


def offence_counts(
    session: Session, on: date, staff_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Findings about each staff member plus upheld complaints, in the rolling window ending on
    `on` (inclusive)."""
    offences = _offences(session, on, staff_ids).subquery()
    return dict(
        session.execute(
            sa.select(offences.c.staff_member_id, sa.func.count()).group_by(
                offences.c.staff_member_id
            )
        ).all()
    )


def apply_ladder(session: Session, rect: Rectification, staff_id: int, on: date) -> str | None:
    """Step the staff member up the ladder and notify once per step and run of offences.
    Returns the step reached (None below the first)."""
    count = offence_counts(session, on, [staff_id]).get(staff_id, 0)
    level = level_for(count, ladder_thresholds(session))
    if level is None:
        return None
    _first_day, start, end = _window_bounds(session, on)
    first_id = (
        session.scalar(
            sa.select(sa.func.min(Finding.id)).where(
                Finding.staff_member_id == staff_id,
                Finding.is_integrity.is_(False),
                Finding.found_at >= start,
                Finding.found_at < end,
            )
        )
        or 0
    )
    key = f"rect-ladder:{staff_id}:{level}:{first_id}"
    staff = session.get(StaffMember, staff_id)
    users = users_for_staff(session, [staff_id, rect.supervisor_staff_id])
    link = rect_link(rect)
    if level == "reminder":
        notify_people(
            session,
            [users.get(staff_id)],
            "rectification.ladder",
            N_("Reminder: a finding was recorded about you; please rectify it."),
            link=link,
            entity=rect,
            dedupe_key=f"{key}:{rect.id}",
        )
    elif level == "written_notice":
        notify_people(
            session,
            [users.get(staff_id), users.get(rect.supervisor_staff_id)],
            "rectification.ladder",
            N_("Written notice (书面提醒): %(name)s has %(n)s findings in %(days)s days."),
            link=link,
            entity=rect,
            dedupe_key=key,
            name=staff.name,
            n=count,
            days=get_setting(session, WINDOW_KEY),
        )
    else:
        officers = users_with_role_for_site(session, "discipline", staff.site_id)
        notify_people(
            session,
            officers,
            "rectification.ladder",
            N_("Candidate for a formal talk (约谈): %(name)s has %(n)s findings in %(days)s days."),
            link="/rectifications/flagged",
            entity=staff,
            dedupe_key=key,
            name=staff.name,
            n=count,
            days=get_setting(session, WINDOW_KEY),
        )
    return level


@dataclass
class FlaggedRow:
    staff: StaffMember
    count: int
    level: str
    open_count: int


def _flagged_query(session: Session, user: User, on: date, min_level: str) -> sa.Select:
    """(staff id, offences) of the staff members in the user's scope at or above `min_level`,
    most offences first: counted, filtered and ordered by the database."""
    offences = _offences(session, on).subquery()
    n = sa.func.count().label("n")
    return (
        sa.select(StaffMember.id, n)
        .join(offences, offences.c.staff_member_id == StaffMember.id)
        .where(scope_filter(user, StaffMember.site_id, session))
        .group_by(StaffMember.id, StaffMember.name)
        .having(sa.func.count() >= ladder_thresholds(session)[min_level])
        .order_by(n.desc(), StaffMember.name, StaffMember.id)
    )


def flagged_count(
    session: Session, user: User, on: date | None = None, min_level: str = "talk"
) -> int:
    """How many staff members in the user's scope are at or above `min_level`."""
    query = _flagged_query(session, user, on or local_today(), min_level).order_by(None)
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def flagged_preview(
    session: Session, user: User, on: date | None = None, min_level: str = "talk", limit: int = 10
) -> tuple[list[tuple[str, int]], int]:
    """The first `limit` flagged people as (name, offences), most offences first, and how many
    are flagged in all: one statement (the total is a window count over the ranking), so a
    dashboard runs the same statements whether nobody or thousands are flagged."""
    ranked = _flagged_query(session, user, on or local_today(), min_level).subquery()
    rows = session.execute(
        sa.select(StaffMember.name, ranked.c.n, sa.func.count().over().label("total"))
        .join(ranked, ranked.c.id == StaffMember.id)
        .order_by(ranked.c.n.desc(), StaffMember.name, StaffMember.id)
        .limit(limit)
    ).all()
    return [(name, n) for name, n, _total in rows], (rows[0].total if rows else 0)


def flagged_staff(
    session: Session,
    user: User,
    on: date | None = None,
    min_level: str = "talk",
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[FlaggedRow]:
    """Staff members in the user's scope at or above `min_level` of the ladder, most offences
    first (then by name); `limit`/`offset` pick one page. A constant number of statements
    whatever the number of rows: the ranking, the people with their sites, their open
    rectifications."""
    on = on or local_today()
    thresholds = ladder_thresholds(session)
    query = _flagged_query(session, user, on, min_level)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    ranked = session.execute(query).all()
    if not ranked:
        return []
    ids = [sid for sid, _n in ranked]
    staff = {
        s.id: s
        for s in session.scalars(
            sa.select(StaffMember)
            .where(StaffMember.id.in_(ids))
            .options(selectinload(StaffMember.site))
        )
    }
    open_counts = dict(
        session.execute(
            sa.select(Rectification.responsible_staff_id, sa.func.count(Rectification.id))
            .where(
                Rectification.responsible_staff_id.in_(ids),
                Rectification.status.in_(OPEN_STATUSES),
            )
            .group_by(Rectification.responsible_staff_id)
        ).all()
    )
    return [
        FlaggedRow(staff[sid], n, level_for(n, thresholds), open_counts.get(sid, 0))
        for sid, n in ranked
        if sid in staff
    ]
