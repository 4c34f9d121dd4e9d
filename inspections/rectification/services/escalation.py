"""The daily escalation run: a reminder the day before the deadline, overdue notices to the
responsible person and the supervisor, and escalation to the site's discipline officers."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.domain import N_
from compliance.settings import declare, get_setting

from ...group_notices import after_escalation
from ..models import AWAITING_RESPONSE, OPEN_STATUSES, Rectification, RectificationEvent
from .common import notify_people, rect_link
from .responsibility import users_for_staff, users_with_role_for_site

ESCALATE_KEY = "rectification.escalate_after_overdue_days"

declare(ESCALATE_KEY, 3)


def escalate(session: Session, run_on: date) -> dict[str, int]:
    """Reminders the day before the deadline, overdue notices to the responsible person and the
    supervisor on each overdue day, and escalation to the site's discipline officers once the
    rectification has been overdue for the configured number of days. Idempotent per run date
    (every notice carries a dedupe key)."""
    after_days = int(get_setting(session, ESCALATE_KEY) or 3)
    rects = list(
        session.scalars(
            sa.select(Rectification)
            .where(
                Rectification.status.in_(OPEN_STATUSES),
                Rectification.deadline_on <= run_on + timedelta(days=1),
                Rectification.opened_on <= run_on,
            )
            .order_by(Rectification.id)
        )
    )
    users = users_for_staff(
        session, [sid for r in rects for sid in (r.responsible_staff_id, r.supervisor_staff_id)]
    )
    role_cache: dict = {}
    counts = {"reminded": 0, "overdue": 0, "escalated": 0, "notices": 0}
    for rect in rects:
        link = rect_link(rect)
        responsible = users.get(rect.responsible_staff_id)
        supervisor = users.get(rect.supervisor_staff_id)
        overdue = (run_on - rect.deadline_on).days
        if overdue == -1:
            if rect.status in AWAITING_RESPONSE:
                n = notify_people(
                    session,
                    [responsible],
                    "rectification.reminder",
                    N_("Reminder: rectification due tomorrow (%(deadline)s): %(title)s"),
                    link=link,
                    entity=rect,
                    dedupe_key=f"rect-remind:{rect.id}:{rect.deadline_on}",
                    deadline=rect.deadline_on.isoformat(),
                    title=rect.title[:80],
                )
                if n:
                    counts["reminded"] += 1
                    counts["notices"] += n
                    _job_event(session, rect, "reminded", {"on": run_on.isoformat()})
            continue
        if overdue < 1:
            continue
        n = notify_people(
            session,
            [responsible, supervisor],
            "rectification.overdue",
            N_("Overdue by %(days)s days (deadline %(deadline)s): %(title)s"),
            link=link,
            entity=rect,
            dedupe_key=f"rect-overdue:{rect.id}:{run_on}",
            days=overdue,
            deadline=rect.deadline_on.isoformat(),
            title=rect.title[:80],
        )
        if n:
            counts["overdue"] += 1
            counts["notices"] += n
            if not _has_event(session, rect, "overdue"):
                _job_event(session, rect, "overdue", {"on": run_on.isoformat()})
        if overdue >= after_days:
            officers = users_with_role_for_site(session, "discipline", rect.site_id, role_cache)
            n = notify_people(
                session,
                officers,
                "rectification.escalated",
                N_("Escalated: rectification overdue by %(days)s days: %(title)s"),
                link=link,
                entity=rect,
                dedupe_key=f"rect-escalate:{rect.id}:{rect.deadline_on}",
                days=overdue,
                title=rect.title[:80],
            )
            if n:
                counts["escalated"] += 1
                counts["notices"] += n
                if not _has_event(session, rect, "escalated"):
                    _job_event(
                        session,
                        rect,
                        "escalated",
                        {"on": run_on.isoformat(), "officers": len(officers)},
                    )
    after_escalation(session, run_on, rects, after_days)  # the sites' WeCom/DingTalk groups
    return counts


def _has_event(session: Session, rect: Rectification, kind: str) -> bool:
    """Whether an event of this kind exists for the current deadline."""
    return (
        session.scalar(
            sa.select(sa.func.count(RectificationEvent.id)).where(
                RectificationEvent.rectification_id == rect.id,
                RectificationEvent.kind == kind,
                RectificationEvent.deadline_after == rect.deadline_on,
            )
        )
        > 0
    )


def _job_event(session: Session, rect: Rectification, kind: str, data: dict) -> None:
    # Timeline entries written by the job; the rectification row itself is not changed, so an
    # inspector acting at the same moment is not disturbed.
    session.add(
        RectificationEvent(
            rectification_id=rect.id,
            kind=kind,
            actor_id=None,
            status_after=rect.status,
            deadline_after=rect.deadline_on,
            data=data,
        )
    )
    session.flush()
