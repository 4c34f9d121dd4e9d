"""The core's own housekeeping job."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from ..db import db
from ..models import UserSession
from ..timeutil import local_day_bounds_utc

logger = logging.getLogger(__name__)

SESSION_RETENTION_DAYS = 30


def purge_old_sessions(app: Flask, run_on: date) -> dict:
    """Delete sign-in sessions that ended (or went idle) more than 30 days before the run date.

    Idempotent: the cut-off depends only on the run date, so a second run finds nothing. Runs
    in the job runner's transaction (it commits when the job returns).
    """
    cutoff, _ = local_day_bounds_utc(
        run_on - timedelta(days=SESSION_RETENTION_DAYS), app.config["TIMEZONE"]
    )
    deleted = db.session.execute(
        sa.delete(UserSession).where(
            sa.or_(
                UserSession.ended_at < cutoff,
                sa.and_(UserSession.ended_at.is_(None), UserSession.last_seen_at < cutoff),
            )
        )
    ).rowcount
    logger.info("purged %s sign-in session(s) older than %s", deleted, cutoff)
    return {"deleted_sessions": deleted}
