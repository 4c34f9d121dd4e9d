"""What inspections tell a site's WeCom / DingTalk groups (through the core's group channels):
overdue and escalated rectifications, the daily summary of open rectifications, missing patrol
rounds and published draws. Each hook is called once, after the in-app notifications of the same
event; the core sends nothing to a group that did not ask for that event."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.domain import N_
from compliance.notifications.channels import (
    DRAW_PUBLISHED,
    PATROL_MISSING,
    RECTIFICATION_ESCALATED,
    RECTIFICATION_OVERDUE,
    SummaryPart,
    enqueue_group_notice,
    group_text,
    record_url,
    register_daily_summary,
)

from .models import Draw
from .rectification.models import (
    AWAITING_RESPONSE,
    OPEN_STATUSES,
    Rectification,
    RectificationEvent,
)

LISTED = 10  # items listed in one message; the rest are counted and linked


def _rect_line(rect: Rectification, days: int) -> str:
    who = rect.responsible_staff.name if rect.responsible_staff else group_text(N_("nobody named"))
    return "- " + group_text(
        N_("[%(title)s](%(url)s): %(who)s, deadline %(deadline)s, %(days)s days overdue"),
        title=rect.title[:60].replace("[", "(").replace("]", ")"),
        url=record_url(f"/rectifications/{rect.id}"),
        who=who,
        deadline=rect.deadline_on.isoformat(),
        days=days,
    )


def _listing(items: list[tuple[Rectification, int]]) -> str:
    items = sorted(items, key=lambda pair: (-pair[1], pair[0].id))
    lines = [_rect_line(rect, days) for rect, days in items[:LISTED]]
    if len(items) > LISTED:
        lines.append(group_text(N_("…and %(n)s more."), n=len(items) - LISTED))
    return "\n".join(lines)


def after_escalation(session: Session, run_on: date, rects, after_days: int) -> int:
    """Per site: the day's overdue rectifications (event rectification.overdue) and those
    escalated to the discipline office in this run (rectification.escalated). `rects` are the
    open rectifications the escalation run looked at. Returns how many sends were queued."""
    overdue: dict[int, list] = defaultdict(list)
    for rect in rects:
        days = (run_on - rect.deadline_on).days
        if rect.status in OPEN_STATUSES and days >= 1:
            overdue[rect.site_id].append((rect, days))
    if not overdue:
        return 0
    by_id = {rect.id: rect for items in overdue.values() for rect, _d in items}
    escalated_now = {
        rect_id
        for rect_id, deadline, data in session.execute(
            sa.select(
                RectificationEvent.rectification_id,
                RectificationEvent.deadline_after,
                RectificationEvent.data,
            ).where(
                RectificationEvent.rectification_id.in_(list(by_id)),
                RectificationEvent.kind == "escalated",
            )
        )
        if deadline == by_id[rect_id].deadline_on and (data or {}).get("on") == run_on.isoformat()
    }
    queued = 0
    for site_id, items in sorted(overdue.items()):
        site = items[0][0].site
        link = f"/rectifications?status=open&overdue=1&site={site_id}"
        queued += enqueue_group_notice(
            session,
            site_id=site_id,
            event=RECTIFICATION_OVERDUE,
            title=group_text(
                N_("%(site)s: %(n)s rectifications overdue"), site=site.name, n=len(items)
            ),
            body=_listing(items),
            link=link,
            dedupe_key=f"rect-overdue:{site_id}:{run_on.isoformat()}",
        )
        escalated = [pair for pair in items if pair[0].id in escalated_now]
        if escalated:
            queued += enqueue_group_notice(
                session,
                site_id=site_id,
                event=RECTIFICATION_ESCALATED,
                title=group_text(
                    N_("%(site)s: %(n)s rectifications escalated to the discipline office"),
                    site=site.name,
                    n=len(escalated),
                ),
                body=group_text(
                    N_("Overdue by %(days)s days or more; the discipline officers were notified."),
                    days=after_days,
                )
                + "\n\n"
                + _listing(escalated),
                link=link,
                dedupe_key=f"rect-escalated:{site_id}:{run_on.isoformat()}",
            )
    return queued


def patrol_missing(session: Session, entry, run_on: date) -> int:
    """A site's planned patrol rounds were not all done today (event patrol.missing)."""
    return enqueue_group_notice(
        session,
        site_id=entry.site.id,
        event=PATROL_MISSING,
        title=group_text(N_("%(site)s: patrol rounds missing today"), site=entry.site.name),
        body=group_text(
            N_("%(done)s of %(expected)s planned patrol rounds were done on %(day)s."),
            done=entry.done,
            expected=entry.expected,
            day=run_on.isoformat(),
        ),
        link=f"/patrols?site={entry.site.id}",
        dedupe_key=f"patrol-missing:{entry.site.id}:{run_on.isoformat()}",
    )


def draw_published(session: Session, draw: Draw) -> int:
    """A finished draw was published (一公开; event draw.published), to the groups of its sites."""
    targets = len(draw.result or [])
    inspectors = len({i for row in draw.result or [] for i in row.get("inspectors", [])})
    queued = 0
    for site_id in sorted(set(draw.site_ids or [])):
        queued += enqueue_group_notice(
            session,
            site_id=site_id,
            event=DRAW_PUBLISHED,
            title=group_text(N_("Spot-check results published: %(title)s"), title=draw.title),
            body=group_text(
                N_("%(targets)s targets drawn on %(day)s, checked by %(inspectors)s inspectors."),
                targets=targets,
                day=draw.drawn_on.isoformat(),
                inspectors=inspectors,
            ),
            link=f"/spot-checks/published/{draw.id}",
            entity=draw,
            dedupe_key=f"draw-published:{draw.id}",
        )
    return queued


def daily_summary(session: Session, site_ids: set[int], run_on: date) -> SummaryPart | None:
    """Open rectifications of the sites: how many await a response, a verification, and which
    are overdue the longest. None when nothing is open."""
    in_sites = sa.and_(Rectification.site_id.in_(site_ids), Rectification.status.in_(OPEN_STATUSES))
    waiting, verifying, late = session.execute(
        sa.select(
            sa.func.count().filter(Rectification.status.in_(AWAITING_RESPONSE)),
            sa.func.count().filter(Rectification.status == "responded"),
            sa.func.count().filter(Rectification.deadline_on < run_on),
        ).where(in_sites)
    ).one()
    if not waiting and not verifying:
        return None
    lines = [
        group_text(
            N_(
                "Open: %(total)s (awaiting a response %(waiting)s, awaiting verification %(verifying)s); overdue: %(late)s."
            ),
            total=waiting + verifying,
            waiting=waiting,
            verifying=verifying,
            late=late,
        )
    ]
    oldest = session.scalars(
        sa.select(Rectification)
        .where(in_sites, Rectification.deadline_on < run_on)
        .order_by(Rectification.deadline_on, Rectification.id)
        .limit(5)
    ).all()
    if oldest:
        lines.append("")
        lines.append(group_text(N_("Overdue the longest:")))
        lines.extend(_rect_line(r, (run_on - r.deadline_on).days) for r in oldest)
    link = "/rectifications?status=open"
    if len(site_ids) == 1:
        link += f"&site={next(iter(site_ids))}"
    return SummaryPart(lines=lines, link=link)


def init_app(app) -> None:
    register_daily_summary(app, daily_summary)
