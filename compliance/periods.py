"""Periods for dashboards and reports: local calendar months and years, their bounds in naive
UTC for timestamp columns, and a portable SQL expression that puts a row in its bucket.

Buckets are counted in SQL as one range query per bucket (`by_bucket`), which reads the same on
SQLite and PostgreSQL and honours the local time zone (the edges are local midnights converted to
UTC), where `date_trunc`/`strftime` would cut months in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from .access import scope_ids
from .timeutil import local_day_bounds_utc


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_months(today: date, count: int = 12) -> list[date]:
    """The first days of the `count` months ending with today's month, oldest first."""
    months = [month_start(today)]
    while len(months) < count:
        months.insert(0, month_start(months[0] - timedelta(days=1)))
    return months


def month_edges(months: list[date]) -> list[date]:
    """Consecutive month starts plus the start of the month after the last one."""
    return [*months, next_month(months[-1])]


def utc_edges(days: list[date]) -> list[datetime]:
    """Local midnights as naive UTC, for comparing with timestamp columns."""
    return [local_day_bounds_utc(day)[0] for day in days]


def by_bucket(column, edges: list, where, *keys, aggregates=None) -> sa.CompoundSelect:
    """Rows (b, *keys, *aggregates) for each bucket b with edges[b] <= column < edges[b + 1],
    grouped by `keys` within it (aggregates default to `count(*)`). One SELECT per bucket,
    joined with UNION ALL: each is a range condition on `column` that an index on it serves
    (an index also holding the keys and filters answers from the index alone), instead of a
    CASE over the edges evaluated for every row of the period (12 buckets over a district-year
    of findings: 64 → 9 ms on SQLite). Buckets without rows give no row when grouped by keys,
    and a row of zero counts otherwise."""
    aggregates = aggregates or (sa.func.count(),)
    parts = []
    for index, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        part = sa.select(sa.literal(index, sa.Integer).label("b"), *keys, *aggregates).where(
            column >= low, column < high, where
        )
        parts.append(part.group_by(*keys) if keys else part)
    return sa.union_all(*parts)


@dataclass(frozen=True)
class Period:
    """Local days `start`..`end` inclusive, and the sites it covers (None = every site)."""

    start: date
    end: date
    site_ids: frozenset[int] | None = None

    @classmethod
    def year(cls, year: int, site_ids=None) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31), _frozen(site_ids))

    @property
    def months(self) -> list[date]:
        months = [month_start(self.start)]
        while next_month(months[-1]) <= self.end:
            months.append(next_month(months[-1]))
        return months

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start of `start`, start of the day after `end`) in naive UTC."""
        return local_day_bounds_utc(self.start)[0], local_day_bounds_utc(self.end)[1]

    def month_edges(self) -> list[date]:
        """Month boundaries within the period (dates), clipped to it."""
        edges = [self.start]
        for month in self.months[1:]:
            edges.append(month)
        edges.append(self.end + timedelta(days=1))
        return edges

    def month_edges_utc(self) -> list[datetime]:
        return utc_edges(self.month_edges())

    def site_clause(self, column):
        return site_clause(self.site_ids, column)


def site_clause(site_ids, column):
    """`column` (a site id) among `site_ids`; None means every site."""
    if site_ids is None:
        return sa.true()
    return column.in_(sorted(site_ids)) if site_ids else sa.false()


def export_period(session, user, filters: dict, start: date, end: date) -> Period:
    """The period of a ledger export (a summary metric's arguments): its days, and the user's
    scope narrowed to the sites the export asked for (user None: a system export, every site)."""
    ids = scope_ids(user, session) if user is not None else None
    chosen = filters.get("site_ids")
    if chosen is not None:
        ids = set(chosen) if ids is None else set(chosen) & ids
    return Period(start, end, _frozen(ids))


def _frozen(site_ids) -> frozenset[int] | None:
    return None if site_ids is None else frozenset(site_ids)
