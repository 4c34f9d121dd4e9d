"""Scheduled jobs of integrity cases. The job runner gives each job its application context and
its transaction."""

from __future__ import annotations

from datetime import date

from compliance.db import db

from .services import escalate


def escalate_job(app, run_on: date) -> dict:
    """Unassigned leads, deadline reminders, overdue notices and escalation for `run_on`;
    idempotent per date."""
    return escalate(db.session, run_on)
