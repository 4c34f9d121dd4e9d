"""Scheduled jobs of the training package. Each is idempotent per run date."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from compliance.db import db

from . import notify, onboarding, pairings

logger = logging.getLogger(__name__)


def create_onboarding_plans(app: Flask, run_on: date) -> dict:
    """Give every recently hired staff member without a plan their onboarding plan."""
    with app.app_context():
        created = onboarding.create_missing_plans(db.session, None, run_on)
        db.session.commit()
        return {"plans_created": created}


def remind_missing_shadow_logs(app: Flask, run_on: date) -> dict:
    """Remind the mentor of each running pairing whose last full week has no shadow log.
    One reminder per pairing and missed week (the dedupe key names the week), however often
    the job runs during the following week."""
    with app.app_context():
        missed = pairings.missed_log_weeks(db.session, run_on)
        reminded = 0
        for pairing, week_start in missed:
            reminded += notify.notify_each(
                db.session,
                pairings.users_of(db.session, pairing.mentor_id),
                "training.log_missing",
                notify.LOG_MISSING,
                body_msgid=notify.LOG_MISSING_BODY,
                link=f"/training/pairings/{pairing.id}",
                entity=pairing,
                dedupe_key=f"training-log-missing:{pairing.id}:{week_start.isoformat()}",
                name=pairing.mentee.name,
                date=week_start.isoformat(),
            )
        db.session.commit()
        logger.info(
            "shadow log reminders for %s: %s missed weeks, %s sent", run_on, len(missed), reminded
        )
        return {"missed_weeks": len(missed), "reminded": reminded}
