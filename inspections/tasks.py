"""Scheduled jobs: missing-patrol reminders and recurring draws. Both are idempotent per date.

The job runner runs each job in its own application context and unit of work (it commits once
when the job returns), so the jobs here only flush."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import Flask

from compliance.access import site_tree_ids
from compliance.db import db
from compliance.domain import N_, DomainError
from compliance.models import User, UserRole
from compliance.notifications.services import notify_each

from .draws import create_draw
from .group_notices import patrol_missing
from .models import Draw, DrawSchedule
from .schedules import sites_due

logger = logging.getLogger(__name__)

# Translated per recipient when the notification is written.
PATROL_MISSING = N_("%(site)s: patrol rounds missing today (%(done)s of %(expected)s done)")


def inspectors_of_site(session, site_id: int) -> list[User]:
    """Active inspectors whose scope covers the site."""
    users = session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "inspector", User.active.is_(True))
    ).all()
    result = []
    for user in users:
        if user.all_sites or site_id in site_tree_ids(session, user.scope_site_ids):
            result.append(user)
    return result


def remind_missing_patrols(app: Flask, run_on: date) -> dict:
    """Notify a site's inspectors, each in their own language, when fewer patrol rounds than
    planned were submitted today."""
    session = db.session
    notified = 0
    due = sites_due(session, run_on)
    for entry in due:
        notified += notify_each(
            session,
            inspectors_of_site(session, entry.site.id),
            "patrol_missing",
            PATROL_MISSING,
            site=entry.site.name,
            done=entry.done,
            expected=entry.expected,
            link=f"/patrols?site={entry.site.id}",
            dedupe_key=f"patrol-missing:{entry.site.id}:{run_on.isoformat()}",
        )
        patrol_missing(session, entry, run_on)  # the site's WeCom/DingTalk groups
    return {"sites_due": len(due), "notified": notified}


def run_recurring_draws(app: Flask, run_on: date) -> dict:
    """Make the draw of each weekly schedule whose day it is, once per date. A schedule whose
    rules no longer fit (e.g. no targets left) is skipped and logged; the others are made."""
    session = db.session
    made = skipped = failed = 0
    schedules = session.scalars(
        sa.select(DrawSchedule).where(
            DrawSchedule.is_active.is_(True), DrawSchedule.weekday == run_on.weekday()
        )
    ).all()
    for schedule in schedules:
        if session.scalar(
            sa.select(Draw.id).where(Draw.schedule_id == schedule.id, Draw.drawn_on == run_on)
        ):
            skipped += 1
            continue
        try:
            with session.begin_nested():
                create_draw(
                    session,
                    None,
                    title=f"{schedule.title} {run_on.isoformat()}",
                    target_kind=schedule.target_kind,
                    site_ids=schedule.site_ids,
                    post_ids=schedule.post_ids,
                    inspector_ids=schedule.inspector_ids,
                    target_count=schedule.target_count,
                    target_percent=schedule.target_percent,
                    inspectors_per_target=schedule.inspectors_per_target,
                    day=run_on,
                    schedule=schedule,
                )
            made += 1
        except DomainError as exc:
            failed += 1
            logger.warning(
                "recurring draw %s for %s not made: %s (%s)",
                schedule.id,
                run_on,
                exc.english(),
                exc.code,
            )
    return {"draws": made, "already_made": skipped, "failed": failed}


def init_app(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from compliance.scheduler import register_job

    register_job(
        app,
        "inspections.patrol_missing",
        remind_missing_patrols,
        _l("Notify inspectors of sites whose planned patrol rounds are missing today"),
        hour=app.config.get("PATROL_REMINDER_HOUR", 15),
        minute=0,
    )
    register_job(
        app,
        "inspections.recurring_draws",
        run_recurring_draws,
        _l("Make the weekly spot-check draws"),
        hour=7,
        minute=30,
    )
