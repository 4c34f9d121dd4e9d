"""The daily run over open cases, like the rectifications': a lead nobody has been assigned is
brought to the site's discipline officers every working day; the officer is reminded the day
before the deadline and told every day it is overdue; after the configured number of overdue
days the case escalates to the administrators of its site. Idempotent per run date (every notice
carries a dedupe key; timeline entries are written once per deadline)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.domain import N_
from compliance.settings import declare, get_setting

from ...rectification.services.calendar import calendar_overrides, is_working_day
from ..models import DEADLINE_STATUSES, IntegrityCase, IntegrityCaseEvent
from .intake import admins_for, officers_for
from .steps import case_link, notify

ESCALATE_KEY = "integrity.escalate_after_overdue_days"
declare(ESCALATE_KEY, 3)


def escalate(session: Session, run_on: date) -> dict[str, int]:
    try:
        after_days = max(1, int(get_setting(session, ESCALATE_KEY)))
    except (TypeError, ValueError):
        after_days = 3
    counts = {"unassigned": 0, "reminded": 0, "overdue": 0, "escalated": 0, "notices": 0}
    cache: dict = {}
    working = is_working_day(run_on, calendar_overrides(session, run_on, run_on))
    cases = session.scalars(
        sa.select(IntegrityCase)
        .where(
            sa.or_(
                sa.and_(IntegrityCase.status == "registered", IntegrityCase.registered_on < run_on),
                sa.and_(
                    IntegrityCase.status.in_(DEADLINE_STATUSES),
                    IntegrityCase.deadline_on <= run_on + timedelta(days=1),
                ),
            )
        )
        .order_by(IntegrityCase.id)
    ).all()
    for case in cases:
        link = case_link(case)
        if case.status == "registered":
            if not working:
                continue
            n = notify(
                session,
                officers_for(session, case, cache),
                "integrity.unassigned",
                N_("Integrity lead %(number)s is waiting to be assigned (registered %(on)s)"),
                link=link,
                entity=case,
                dedupe_key=f"integrity-unassigned:{case.id}:{run_on}",
                number=case.number,
                on=case.registered_on.isoformat(),
            )
            if n:
                counts["unassigned"] += 1
                counts["notices"] += n
            continue
        overdue = (run_on - case.deadline_on).days
        if overdue == -1:
            n = notify(
                session,
                [case.officer],
                "integrity.reminder",
                N_("Reminder: integrity case %(number)s is due tomorrow (%(deadline)s)"),
                link=link,
                entity=case,
                dedupe_key=f"integrity-remind:{case.id}:{case.deadline_on}",
                number=case.number,
                deadline=case.deadline_on.isoformat(),
            )
            if n:
                counts["reminded"] += 1
                counts["notices"] += n
                _job_event(session, case, "reminded", {"on": run_on.isoformat()})
            continue
        if overdue < 1:
            continue
        n = notify(
            session,
            [case.officer],
            "integrity.overdue",
            N_("Integrity case %(number)s is overdue by %(days)s days (deadline %(deadline)s)"),
            link=link,
            entity=case,
            dedupe_key=f"integrity-overdue:{case.id}:{run_on}",
            number=case.number,
            days=overdue,
            deadline=case.deadline_on.isoformat(),
        )
        if n:
            counts["overdue"] += 1
            counts["notices"] += n
            if not _has_event(session, case, "overdue"):
                _job_event(session, case, "overdue", {"on": run_on.isoformat()})
        if overdue >= after_days:
            people = [u for u in admins_for(session, case, cache) if u.id != case.officer_id]
            n = notify(
                session,
                people,
                "integrity.escalated",
                N_("Escalated: integrity case %(number)s is overdue by %(days)s days"),
                link=link,
                entity=case,
                dedupe_key=f"integrity-escalate:{case.id}:{case.deadline_on}",
                number=case.number,
                days=overdue,
            )
            if n:
                counts["escalated"] += 1
                counts["notices"] += n
                if not _has_event(session, case, "escalated"):
                    _job_event(session, case, "escalated", {"on": run_on.isoformat(), "people": n})
    return counts


def _has_event(session: Session, case: IntegrityCase, kind: str) -> bool:
    """Whether an event of this kind exists for the current deadline."""
    return bool(
        session.scalar(
            sa.select(sa.func.count(IntegrityCaseEvent.id)).where(
                IntegrityCaseEvent.case_id == case.id,
                IntegrityCaseEvent.kind == kind,
                IntegrityCaseEvent.deadline_after == case.deadline_on,
            )
        )
    )


def _job_event(session: Session, case: IntegrityCase, kind: str, data: dict) -> None:
    # Written by the job without touching the case row, so an officer acting at the same moment
    # is not disturbed.
    session.add(
        IntegrityCaseEvent(
            case_id=case.id,
            kind=kind,
            actor_id=None,
            status_after=case.status,
            deadline_after=case.deadline_on,
            data=data,
        )
    )
    session.flush()
