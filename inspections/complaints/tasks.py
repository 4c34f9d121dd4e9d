"""Scheduled jobs of complaints. The job runner gives each job its application context and its
transaction."""

from __future__ import annotations

from datetime import date

from compliance.db import db

from .services import remind


def remind_job(app, run_on: date) -> dict:
    """Verification reminders and overdue notices for `run_on`; idempotent per date."""
    return remind(db.session, run_on)
