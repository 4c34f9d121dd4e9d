"""Scheduled jobs of the monthly assessment. The job runner owns the transaction."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from compliance.db import db

from .services import remind_close

logger = logging.getLogger(__name__)


def remind_month_close(app: Flask, run_on: date) -> dict:
    """On the scheme's close day, remind the discipline officers that last month can be closed
    (once per officer and month, however often it runs)."""
    sent = remind_close(db.session, run_on)
    logger.info("month close reminders for %s: %s", run_on, sent)
    return {"reminded": sent}
