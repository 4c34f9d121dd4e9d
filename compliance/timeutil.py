"""Times are stored as naive UTC and shown in the configured (site) time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Shanghai"


def tz(name: str | None = None) -> ZoneInfo:
    if name is None:
        name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def local_now(tzname: str | None = None) -> datetime:
    return datetime.now(UTC).astimezone(tz(tzname))


def local_today(tzname: str | None = None) -> date:
    return local_now(tzname).date()


def to_local(value: datetime | None, tzname: str | None = None) -> datetime | None:
    """A stored naive-UTC datetime as an aware local datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(tz(tzname))


def local_to_utc(value: datetime, tzname: str | None = None) -> datetime:
    """A naive local datetime (e.g. from a form) as naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz(tzname))
    return value.astimezone(UTC).replace(tzinfo=None)


def local_day_bounds_utc(day: date, tzname: str | None = None) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, as naive UTC."""
    from datetime import timedelta

    start = datetime(day.year, day.month, day.day, tzinfo=tz(tzname))
    end = start + timedelta(days=1)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))
