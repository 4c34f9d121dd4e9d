"""Scores of one month: every staff member, window and site starts from the scheme's base score,
loses points for findings, repetitions, joint shares, upheld complaints and overdue
rectifications, and gains (capped) points for commendations.

A fixed number of statements whatever the size: staff (with the post and window of the
assignment in force), windows, sites, findings (with the item's points times the severity
multiplier worked out in SQL, the window keeper and the active mentor pairing joined in),
rectifications overdue in the month, the holiday calendar, and conduct records. The itemised
lines are then summed per subject in one pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.memo import remember, scope_key
from compliance.models import Assignment, Site, StaffMember, Window
from compliance.periods import month_start, next_month
from compliance.timeutil import UTC, local_day_bounds_utc, tz
from inspections.public import (
    CheckItemVersion,
    ConductRecord,
    Finding,
    Rectification,
    WindowKeeper,
    calendar_overrides,
    integrity_conclusions,
    is_working_day,
)
from training.public import OPEN_PAIRING_STATUSES, MentorPairing

from ..models import Scheme
from .ranking import rank


@dataclass(slots=True)
class Item:
    """One line of a score: `points` signed (deductions negative), `ref_kind`/`ref_id` the
    record behind it (finding, complaint, commendation, rectification)."""

    kind: str
    ref_kind: str
    ref_id: int
    points: float
    label: str
    on: date
    severity: str | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "ref_kind": self.ref_kind,
            "ref_id": self.ref_id,
            "points": self.points,
            "label": self.label,
            "on": self.on.isoformat(),
            "severity": self.severity,
        }


@dataclass
class Score:
    kind: str  # staff, window, site
    id: int
    name: str
    site_id: int
    window_id: int | None = None
    post_id: int | None = None
    items: list[Item] = field(default_factory=list)
    deductions: float = 0.0
    bonuses: float = 0.0
    major_count: int = 0
    critical_count: int = 0
    score: float = 0.0
    rank: int = 0
    stars: int = 0
    card: str = "none"

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)

    # The names a `ScoreSnapshot` row has, so pages show either alike.
    @property
    def subject_kind(self) -> str:
        return self.kind

    @property
    def subject_id(self) -> int:
        return self.id

    @property
    def detail(self) -> list[dict]:
        return [i.as_dict() for i in self.items]


@dataclass
class MonthScores:
    month: date
    as_of: date
    scheme: Scheme
    staff: dict[int, Score]
    windows: dict[int, Score]
    sites: dict[int, Score]

    def of(self, kind: str) -> dict[int, Score]:
        return {"staff": self.staff, "window": self.windows, "site": self.sites}[kind]

    def ranked(self, kind: str) -> list[Score]:
        return sorted(self.of(kind).values(), key=lambda s: (s.rank, s.name, s.id))


def r2(value: float) -> float:
    return round(value + 0.0, 2)


def working_days(first: date, last: date, overrides: dict) -> int:
    """Working days in first..last inclusive (0 when last < first)."""
    count = 0
    day = first
    while day <= last:
        if is_working_day(day, overrides):
            count += 1
        day += timedelta(days=1)
    return count


def working_day_counter(start: date, end: date, overrides: dict):
    """count(first, last): working days in first..last (both within start..end), from running
    totals worked out once for the month."""
    totals = [0]
    day = start
    while day <= end:
        totals.append(totals[-1] + (1 if is_working_day(day, overrides) else 0))
        day += timedelta(days=1)

    def count(first: date, last: date) -> int:
        if last < first:
            return 0
        return totals[(last - start).days + 1] - totals[(first - start).days]

    return count


def _site_clause(site_ids, column):
    if site_ids is None:
        return sa.true()
    return column.in_(sorted(site_ids)) if site_ids else sa.false()


def compute_month(
    session: Session,
    scheme: Scheme,
    month: date,
    as_of: date | None = None,
    site_ids=None,
) -> MonthScores:
    """Scores of `month` counted up to `as_of` (default: the month's last day), for the given
    sites (None: every site). Ranks are within the sites computed."""
    month = month_start(month)
    end = next_month(month) - timedelta(days=1)
    as_of = min(as_of or end, end)
    utc_from = local_day_bounds_utc(month)[0]
    utc_to = local_day_bounds_utc(as_of)[1]

    staff: dict[int, Score] = {}
    assignment = (
        sa.select(
            Assignment.staff_member_id.label("sid"),
            sa.func.min(Assignment.post_id).label("post_id"),
            sa.func.min(Assignment.window_id).label("window_id"),
        )
        .where(
            Assignment.started_on <= as_of,
            sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= as_of),
        )
        .group_by(Assignment.staff_member_id)
        .subquery()
    )
    for sid, name, site_id, post_id, window_id in session.execute(
        sa.select(
            StaffMember.id,
            StaffMember.name,
            StaffMember.site_id,
            assignment.c.post_id,
            assignment.c.window_id,
        )
        .outerjoin(assignment, assignment.c.sid == StaffMember.id)
        .where(
            StaffMember.status == "active",
            StaffMember.hired_on <= as_of,
            _site_clause(site_ids, StaffMember.site_id),
        )
    ):
        staff[sid] = Score("staff", sid, name, site_id, window_id, post_id)
    windows = {
        wid: Score("window", wid, f"{code} {name}", site_id, wid)
        for wid, code, name, site_id in session.execute(
            sa.select(Window.id, Window.code, Window.name, Window.site_id).where(
                Window.is_active, _site_clause(site_ids, Window.site_id)
            )
        )
    }
    sites = {
        sid: Score("site", sid, name, sid)
        for sid, name in session.execute(
            sa.select(Site.id, Site.name).where(Site.is_active, _site_clause(site_ids, Site.id))
        )
    }
    by_kind = {"staff": staff, "window": windows, "site": sites}

    def add(kind: str, subject_id: int | None, item: Item) -> Score | None:
        score = by_kind[kind].get(subject_id) if subject_id is not None else None
        if score is not None:
            score.items.append(item)
        return score

    # Findings: the deduction worked out in SQL (points x the severity's multiplier).
    multiplier = sa.case(
        (Finding.severity == "critical", sa.literal(scheme.multiplier_critical)),
        (Finding.severity == "major", sa.literal(scheme.multiplier_major)),
        else_=sa.literal(scheme.multiplier_minor),
    )
    points = sa.func.coalesce(CheckItemVersion.points, 1) * multiplier
    rows = session.execute(
        sa.select(
            Finding.id,
            Finding.target,
            Finding.site_id,
            Finding.window_id,
            Finding.staff_member_id,
            Finding.severity,
            Finding.description,
            Finding.found_at,
            sa.func.coalesce(CheckItemVersion.item_id, -Finding.id),
            points,
            WindowKeeper.keeper_staff_id,
            MentorPairing.mentor_id,
        )
        .outerjoin(CheckItemVersion, CheckItemVersion.id == Finding.item_version_id)
        .outerjoin(WindowKeeper, WindowKeeper.window_id == Finding.window_id)
        .outerjoin(
            MentorPairing,
            sa.and_(
                MentorPairing.mentee_id == Finding.staff_member_id,
                MentorPairing.status.in_(OPEN_PAIRING_STATUSES),
                MentorPairing.starts_on <= as_of,
                MentorPairing.ends_on >= month,
            ),
        )
        .where(
            Finding.found_at >= utc_from,
            Finding.found_at < utc_to,
            Finding.voided_at.is_(None),
            Finding.is_integrity.is_(False),
            _site_clause(site_ids, Finding.site_id),
        )
        .order_by(Finding.found_at, Finding.id)
    ).all()
    seen: set[int] = set()
    repeats: dict[tuple, int] = defaultdict(int)
    zone = tz()  # once, not per finding
    mentor_share, keeper_share = scheme.mentor_share, scheme.keeper_share
    repeat_step = scheme.repeat_step
    staff_get, window_get, site_get = staff.get, windows.get, sites.get
    for (
        fid,
        target,
        site_id,
        window_id,
        staff_id,
        severity,
        text,
        found_at,
        item_id,
        deduction,
        keeper_id,
        mentor_id,
    ) in rows:
        on = found_at.replace(tzinfo=UTC).astimezone(zone).date()
        if fid in seen:  # a second open pairing of the same mentee: another mentor's share
            if mentor_id is not None and mentor_id != staff_id:
                add("staff", mentor_id, _joint(fid, deduction, mentor_share, text, on))
            continue
        seen.add(fid)
        if target == "staff" and staff_id is not None:
            kind, subject, score = "staff", staff_id, staff_get(staff_id)
        elif target in ("staff", "window") and window_id is not None:
            kind, subject, score = "window", window_id, window_get(window_id)
        else:
            kind, subject = "site", site_id
            score = site_get(site_id) if site_id is not None else None
        if score is None:
            continue
        score.items.append(Item("finding", "finding", fid, -r2(deduction), text, on, severity))
        if severity == "major":
            score.major_count += 1
        elif severity == "critical":
            score.critical_count += 1
        repeats[(kind, subject, item_id)] += 1
        times = repeats[(kind, subject, item_id)]
        if times > 1 and repeat_step:
            score.items.append(
                Item("repeat", "finding", fid, -r2((times - 1) * repeat_step), text, on)
            )
        if kind == "staff" and mentor_id is not None and mentor_id != staff_id:
            add("staff", mentor_id, _joint(fid, deduction, mentor_share, text, on))
        if kind == "window" and keeper_id is not None:
            add("staff", keeper_id, _joint(fid, deduction, keeper_share, text, on))

    # Rectifications overdue within the month (working days, capped per rectification).
    if scheme.overdue_points_per_day:
        overdue = session.execute(
            sa.select(
                Rectification.id,
                Rectification.site_id,
                Rectification.window_id,
                Rectification.responsible_staff_id,
                Rectification.deadline_on,
                Rectification.closed_on,
                Rectification.title,
            ).where(
                Rectification.status != "cancelled",
                Rectification.deadline_on < as_of,
                sa.or_(
                    Rectification.closed_on.is_(None),
                    sa.and_(
                        Rectification.closed_on > Rectification.deadline_on,
                        Rectification.closed_on >= month,
                    ),
                ),
                _site_clause(site_ids, Rectification.site_id),
            )
        ).all()
        overrides = calendar_overrides(session, month, as_of) if overdue else {}
        count_days = working_day_counter(month, as_of, overrides)
        for rid, site_id, window_id, staff_id, deadline, closed_on, title in overdue:
            first = max(deadline + timedelta(days=1), month)
            last = min(closed_on - timedelta(days=1) if closed_on else as_of, as_of)
            days = count_days(first, last)
            if days <= 0:
                continue
            pts = min(days * scheme.overdue_points_per_day, scheme.overdue_cap)
            item = Item("overdue", "rectification", rid, -r2(pts), title, first)
            if staff_id is not None and staff_id in staff:
                add("staff", staff_id, item)
            elif window_id is not None:
                add("window", window_id, item)
            else:
                add("site", site_id, item)

    # Upheld complaints and commendations received in the month.
    conduct = session.execute(
        sa.select(
            ConductRecord.id,
            ConductRecord.kind,
            ConductRecord.subject,
            ConductRecord.site_id,
            ConductRecord.window_id,
            ConductRecord.staff_member_id,
            ConductRecord.received_on,
            ConductRecord.text,
        )
        .where(
            ConductRecord.received_on >= month,
            ConductRecord.received_on <= as_of,
            ConductRecord.is_integrity.is_(False),
            sa.or_(
                ConductRecord.kind == "commendation",
                sa.and_(ConductRecord.kind == "complaint", ConductRecord.outcome == "upheld"),
            ),
            _site_clause(site_ids, ConductRecord.site_id),
        )
        .order_by(ConductRecord.received_on, ConductRecord.id)
    ).all()
    bonus_used: dict[tuple, float] = defaultdict(float)
    for cid, ckind, subject, site_id, window_id, staff_id, received_on, text in conduct:
        if subject == "staff" and staff_id is not None:
            kind, sid = "staff", staff_id
        elif subject in ("staff", "window") and window_id is not None:
            kind, sid = "window", window_id
        else:
            kind, sid = "site", site_id
        label = (text or "").strip().splitlines()[0][:80] if text else ""
        if ckind == "complaint":
            add(
                kind,
                sid,
                Item(
                    "complaint", "complaint", cid, -r2(scheme.complaint_points), label, received_on
                ),
            )
        else:
            room = max(scheme.commendation_cap - bonus_used[(kind, sid)], 0.0)
            pts = min(scheme.commendation_points, room)
            bonus_used[(kind, sid)] += pts
            add(kind, sid, Item("commendation", "commendation", cid, r2(pts), label, received_on))

    # Integrity cases (问题线索) concluded in the month: 属实 counts as a critical finding (its
    # item's points times the critical multiplier; a red card where the scheme gives one for any
    # critical finding), 部分属实 as a major one. Without a check item, a complaint's points.
    for case in integrity_conclusions(session, month, as_of, site_ids=site_ids):
        if case.staff_member_id is not None and case.staff_member_id in staff:
            kind, sid = "staff", case.staff_member_id
        elif case.window_id is not None:
            kind, sid = "window", case.window_id
        else:
            kind, sid = "site", case.site_id
        whole = case.conclusion == "substantiated"
        severity = "critical" if whole else "major"
        multiplier = scheme.multiplier_critical if whole else scheme.multiplier_major
        base_points = case.points if case.points is not None else scheme.complaint_points
        item = Item(
            "integrity",
            "integrity_case",
            case.case_id,
            -r2(base_points * multiplier),
            case.number,
            case.concluded_on,
            severity,
        )
        score = add(kind, sid, item)
        if score is not None:
            if whole:
                score.critical_count += 1
            else:
                score.major_count += 1

    _total(scheme, staff, windows, sites)
    return MonthScores(month, as_of, scheme, staff, windows, sites)


def _joint(fid: int, deduction: float, share: float, text: str, on: date) -> Item:
    return Item("joint", "finding", fid, -r2(deduction * share), text, on)


def _own(base: float, score: Score) -> float:
    lost = gained = 0
    for item in score.items:
        points = item.points
        if points < 0:
            lost += points
        elif points > 0:
            gained += points
    score.deductions = r2(-lost)
    score.bonuses = r2(gained)
    return base - score.deductions + score.bonuses


def _total(scheme: Scheme, staff, windows, sites) -> None:
    base = scheme.base_score
    per_window: dict[int, list[float]] = defaultdict(list)
    per_site: dict[int, list[float]] = defaultdict(list)
    for score in staff.values():
        score.score = r2(max(_own(base, score), 0.0))
        if score.window_id is not None:
            per_window[score.window_id].append(score.score)
        per_site[score.site_id].append(score.score)
    for group, members, weight in (
        (windows, per_window, scheme.window_staff_weight),
        (sites, per_site, scheme.site_staff_weight),
    ):
        for score in group.values():
            own = _own(base, score)
            people = members.get(score.id)
            if people and weight:
                own -= weight * (base - sum(people) / len(people))
            score.score = r2(max(own, 0.0))
    for group in (staff, windows, sites):
        rank(scheme, list(group.values()))


def live_scores(session: Session, scheme: Scheme, month: date, as_of=None, site_ids=None):
    """`compute_month` for the pages and the API, remembered until the next audited write
    (`compliance.memo`): a month's live scores count every finding of the month at every site
    of the scope. The remembered scores carry the caller's own `scheme` object."""
    key = ("live_scores", scheme.id, month, as_of, scope_key(site_ids))
    scores = remember(key, lambda: compute_month(session, scheme, month, as_of, site_ids), session)
    return scores if scores.scheme is scheme else replace(scores, scheme=scheme)
