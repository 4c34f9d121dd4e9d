"""The dashboards' and the year in review's figures recomputed in Python from the rows, one by
one, with the definitions written out (independently of the SQL under test)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from compliance.db import db
from compliance.timeutil import to_local

OPEN = ("open", "responded", "rejected")


def local_day(value: datetime) -> date:
    return to_local(value).date()


def _in(site_id, site_ids) -> bool:
    return site_ids is None or site_id in site_ids


def _within(day: date, start: date, end: date) -> bool:
    return start <= day <= end


def figures(start: date, end: date, site_ids, today: date, now: datetime) -> dict:
    """Every figure of the year in review for local days start..end at `site_ids`."""
    from compliance.models import Assignment, Post, StaffMember
    from inspections.models import Finding, Inspection
    from inspections.rectification.models import ConductRecord, Rectification
    from rotation.models import RotationMove
    from training.models import (
        Course,
        MentorPairing,
        OnboardingPlan,
        SessionAttendee,
        TrainingSession,
    )

    s = db.session
    out: dict = {}
    rounds = [
        i
        for i in s.scalars(sa.select(Inspection))
        if i.status == "submitted"
        and i.submitted_at is not None
        and _within(local_day(i.submitted_at), start, end)
        and _in(i.site_id, site_ids)
    ]
    out["patrols"] = sum(1 for i in rounds if i.kind == "patrol")
    out["spot_checks"] = sum(1 for i in rounds if i.kind == "spot_check")
    out["rounds"] = len(rounds)
    findings = [
        f
        for f in s.scalars(sa.select(Finding))
        if _within(local_day(f.found_at), start, end) and _in(f.site_id, site_ids)
    ]
    out["findings"] = len(findings)
    for category in ("attendance", "attire", "hygiene", "conduct"):
        out[f"findings_{category}"] = sum(1 for f in findings if f.category == category)
    rects = [r for r in s.scalars(sa.select(Rectification)) if _in(r.site_id, site_ids)]
    closed = [
        r
        for r in rects
        if r.status == "verified" and r.closed_on and _within(r.closed_on, start, end)
    ]
    out["rectified"] = len(closed)
    out["rectified_on_time"] = sum(1 for r in closed if r.closed_on_time)
    out["on_time_rate"] = out["rectified_on_time"] / len(closed) if closed else None
    opened = [r for r in rects if _within(r.opened_on, start, end)]
    out["opened"] = len(opened)
    out["still_open"] = sum(1 for r in opened if r.status in OPEN)
    conduct = [
        c
        for c in s.scalars(sa.select(ConductRecord))
        if _within(c.received_on, start, end) and _in(c.site_id, site_ids)
    ]
    out["commendations"] = sum(1 for c in conduct if c.kind == "commendation")
    out["complaints"] = sum(1 for c in conduct if c.kind == "complaint")
    out["complaints_upheld"] = sum(
        1 for c in conduct if c.kind == "complaint" and c.outcome == "upheld"
    )

    kinds = dict(s.execute(sa.select(Course.id, Course.kind)).all())
    held = [
        t
        for t in s.scalars(sa.select(TrainingSession))
        if t.status != "cancelled"
        and _within(local_day(t.starts_at), start, end)
        and t.starts_at < now
        and _in(t.site_id, site_ids)
    ]
    out["meetings"] = sum(1 for t in held if kinds[t.course_id] == "thematic_meeting")
    out["training_sessions"] = sum(1 for t in held if kinds[t.course_id] != "thematic_meeting")
    held_ids = {t.id for t in held}
    out["people_trained"] = len(
        {
            a.staff_member_id
            for a in s.scalars(sa.select(SessionAttendee))
            if a.session_id in held_ids and a.status in ("present", "late")
        }
    )
    staff = {m.id: m for m in s.scalars(sa.select(StaffMember))}
    out["new_staff"] = sum(
        1 for m in staff.values() if _within(m.hired_on, start, end) and _in(m.site_id, site_ids)
    )
    sessions = {t.id: t for t in s.scalars(sa.select(TrainingSession))}
    first_done: dict[tuple[int, int], datetime] = {}
    for a in s.scalars(sa.select(SessionAttendee)):
        t = sessions[a.session_id]
        if a.status in ("present", "late") and t.status != "cancelled":
            key = (a.staff_member_id, t.course_id)
            first_done[key] = min(first_done.get(key, t.starts_at), t.starts_at)
    pre_job = 0
    for plan in s.scalars(sa.select(OnboardingPlan)):
        if not _in(staff[plan.staff_member_id].site_id, site_ids) or not plan.items:
            continue
        done = [first_done.get((plan.staff_member_id, i.course_id)) for i in plan.items]
        if all(done) and _within(local_day(max(done)), start, end):
            pre_job += 1
    out["pre_job_done"] = pre_job
    out["mentoring_done"] = len(
        {
            p.mentee_id
            for p in s.scalars(sa.select(MentorPairing))
            if p.kind == "onboarding"
            and p.status == "signed_off"
            and p.signed_off_on
            and _within(p.signed_off_on, start, end)
            and _in(staff[p.mentee_id].site_id, site_ids)
        }
    )
    out["onboarding_completed"] = sum(
        1
        for p in s.scalars(sa.select(OnboardingPlan))
        if p.status == "completed"
        and p.completed_on
        and _within(p.completed_on, start, end)
        and _in(staff[p.staff_member_id].site_id, site_ids)
    )
    key_posts = {p.id for p in s.scalars(sa.select(Post)) if p.is_key}
    assignments = {a.id: a for a in s.scalars(sa.select(Assignment))}
    moves = [
        m
        for m in s.scalars(sa.select(RotationMove))
        if m.status == "executed" and _within(m.effective_on, start, end)
    ]
    posts = set()
    for m in moves:
        left = assignments[m.from_assignment_id]
        if left.post_id in key_posts and _in(left.site_id, site_ids):
            posts.add((left.site_id, left.post_id))
        if m.to_post_id in key_posts and _in(m.to_site_id, site_ids):
            posts.add((m.to_site_id, m.to_post_id))
    moved = [m for m in moves if _in(m.to_site_id, site_ids)]
    out["key_posts_rotated"] = len(posts)
    out["people_rotated"] = len({m.staff_member_id for m in moved})
    out["rotation_moves"] = len(moved)
    return out


def month_index(day: date, months: list[date]) -> int | None:
    for i, m in enumerate(months):
        following = months[i + 1] if i + 1 < len(months) else None
        if day >= m and (following is None or day < following):
            return i
    return None


def findings_by_month(months: list[date], end: date, site_ids) -> list[Counter]:
    from inspections.models import Finding

    out = [Counter() for _ in months]
    for f in db.session.scalars(sa.select(Finding)):
        day = local_day(f.found_at)
        if day > end or day < months[0] or not _in(f.site_id, site_ids):
            continue
        out[month_index(day, months)][f.category] += 1
    return out


def rectified_by_month(months: list[date], end: date, site_ids) -> list[tuple[int, int]]:
    from inspections.rectification.models import Rectification

    out = defaultdict(lambda: [0, 0])
    for r in db.session.scalars(sa.select(Rectification)):
        if r.status != "verified" or not r.closed_on or not _in(r.site_id, site_ids):
            continue
        if r.closed_on > end or r.closed_on < months[0]:
            continue
        i = month_index(r.closed_on, months)
        out[i][0] += 1
        out[i][1] += 1 if r.closed_on_time else 0
    return [tuple(out[i]) for i in range(len(months))]


def open_by_age(today: date, site_ids) -> list[tuple[int, int]]:
    """(within deadline, overdue) per age bucket 0-3, 4-7, 8-14, 15-30, 31+ days."""
    from inspections.rectification.models import Rectification

    out = [[0, 0] for _ in range(5)]
    for r in db.session.scalars(sa.select(Rectification)):
        if r.status not in OPEN or not _in(r.site_id, site_ids):
            continue
        age = (today - r.opened_on).days
        index = 0 if age <= 3 else 1 if age <= 7 else 2 if age <= 14 else 3 if age <= 30 else 4
        out[index][1 if r.deadline_on < today else 0] += 1
    return [tuple(x) for x in out]


def frequent_items(start: date, end: date, site_ids) -> Counter:
    """Findings per check item code in the period (findings without an item left out)."""
    from inspections.models import CheckItem, CheckItemVersion, Finding

    item_of = dict(
        db.session.execute(sa.select(CheckItemVersion.id, CheckItemVersion.item_id)).all()
    )
    code_of = dict(db.session.execute(sa.select(CheckItem.id, CheckItem.code)).all())
    out = Counter()
    for f in db.session.scalars(sa.select(Finding)):
        day = local_day(f.found_at)
        if f.item_version_id and _within(day, start, end) and _in(f.site_id, site_ids):
            out[code_of[item_of[f.item_version_id]]] += 1
    return out
