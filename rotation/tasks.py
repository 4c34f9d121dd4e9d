"""Scheduled jobs of the rotation package. The job runner gives each its own application context
and unit of work (it commits once when the job returns); a job never commits."""

from __future__ import annotations

import logging
from datetime import date

from flask_babel import lazy_gettext as _l

from compliance.db import db
from compliance.scheduler import register_job

from . import services

logger = logging.getLogger(__name__)


def execute_moves_job(app, run_on: date) -> dict:
    """Execute the approved moves whose effective date has come (each move once)."""
    return services.execute_due_moves(db.session, run_on)


def due_alerts_job(app, run_on: date) -> dict:
    """Tell HR about key holders due within 90 and 30 days (once per threshold)."""
    return services.send_due_alerts(db.session, run_on)


def init_app(app) -> None:
    register_job(
        app,
        "rotation.execute_moves",
        execute_moves_job,
        _l("Execute approved key-post rotation moves on their effective date"),
        hour=0,
        minute=30,
    )
    register_job(
        app,
        "rotation.due_alerts",
        due_alerts_job,
        _l("Alert HR 90 and 30 days before a key-post rotation is due"),
        hour=7,
        minute=10,
    )
