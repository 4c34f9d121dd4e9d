"""Scheduled jobs of the rectification loop."""

from __future__ import annotations

from datetime import date

from compliance.db import db

from .services import escalate


def escalate_job(app, run_on: date) -> dict:
    """Reminders, overdue notices and escalation for `run_on`; idempotent per date."""
    with app.app_context():
        counts = escalate(db.session, run_on)
        db.session.commit()
        return counts
