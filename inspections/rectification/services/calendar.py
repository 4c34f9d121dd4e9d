"""The working-day calendar: weekends, public holidays and adjusted working days (调休), and the
deadline of a rectification counted in working days from the day it was opened."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.models import User
from compliance.settings import declare, get_setting

from ..models import Holiday

DEADLINE_KEY = "rectification.deadline_working_days"
DEFAULT_DEADLINES = {"critical": 0, "major": 3, "minor": 7}

declare(DEADLINE_KEY, dict(DEFAULT_DEADLINES))


def calendar_overrides(session: Session, start: date, end: date) -> dict[date, str]:
    """Holidays and adjusted working days between two dates (inclusive)."""
    rows = session.execute(
        sa.select(Holiday.day, Holiday.kind).where(Holiday.day >= start, Holiday.day <= end)
    ).all()
    return {day: kind for day, kind in rows}


def is_working_day(day: date, overrides: dict[date, str]) -> bool:
    kind = overrides.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def add_working_days(session: Session, start: date, days: int) -> date:
    """The date `days` working days after `start`. With 0, `start` itself when it is a working
    day, else the next working day (a same-day deadline found on a holiday falls on the next
    working day)."""
    if days < 0:
        raise ValueError("days must not be negative")
    overrides = calendar_overrides(session, start, start + timedelta(days=days * 3 + 60))
    day = start
    if days == 0:
        while not is_working_day(day, overrides):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return day


def deadline_days(session: Session, severity: str) -> int:
    """Working days allowed for a rectification of `severity` (the setting, else the default)."""
    table = get_setting(session, DEADLINE_KEY) or {}
    try:
        return max(0, int(table.get(severity, DEFAULT_DEADLINES[severity])))
    except (TypeError, ValueError):
        return DEFAULT_DEADLINES[severity]


def deadline_for(session: Session, severity: str, start: date) -> date:
    """The deadline of a rectification of `severity` whose clock starts on `start`."""
    return add_working_days(session, start, deadline_days(session, severity))


def save_holiday(session: Session, actor: User, day: date, kind: str, name: str) -> Holiday:
    """Mark a day as a holiday or an adjusted working day (or change its entry); audited."""
    row = session.get(Holiday, day)
    before = {"kind": row.kind, "name": row.name} if row else None
    if row is None:
        row = Holiday(day=day)
        session.add(row)
    row.kind = kind
    row.name = (name or "").strip()
    session.flush()
    record(
        session,
        actor,
        "holiday.update" if before else "holiday.create",
        entity_type="Holiday",
        entity_id=day.isoformat(),
        before=before,
        after={"kind": row.kind, "name": row.name},
    )
    return row


def remove_holiday(session: Session, actor: User, day: date) -> bool:
    """Take a day out of the calendar (it follows the weekday again); audited. Returns whether
    there was an entry."""
    row = session.get(Holiday, day)
    if row is None:
        return False
    before = {"kind": row.kind, "name": row.name}
    session.delete(row)
    session.flush()
    record(
        session,
        actor,
        "holiday.delete",
        entity_type="Holiday",
        entity_id=day.isoformat(),
        before=before,
    )
    return True
