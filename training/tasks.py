"""Scheduled jobs of the training package. Each is idempotent per run date. The job runner
gives each job its application context and its transaction (commit on return)."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from compliance.db import db

from . import onboarding, pairings

logger = logging.getLogger(__name__)


def create_onboarding_plans(app: Flask, run_on: date) -> dict:
    """Give every recently hired staff member without a plan their onboarding plan."""
    return {"plans_created": onboarding.create_missing_plans(db.session, None, run_on)}


def remind_missing_shadow_logs(app: Flask, run_on: date) -> dict:
    """Remind the mentor of each running pairing whose last full week has no shadow log.
    One reminder per pairing and missed week, however often the job runs during the
    following week."""
    missed, reminded = pairings.remind_missing_logs(db.session, run_on)
    logger.info("shadow log reminders for %s: %s missed weeks, %s sent", run_on, missed, reminded)
    return {"missed_weeks": missed, "reminded": reminded}
