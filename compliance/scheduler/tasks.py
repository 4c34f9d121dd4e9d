"""The core's own housekeeping jobs: sign-in sessions and sign-in attempts are kept for a
configurable number of days (SESSION_RETENTION_DAYS, LOGIN_ATTEMPT_RETENTION_DAYS)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from ..db import db
from ..models import LoginAttempt, UserSession
from ..timeutil import local_day_bounds_utc
from ..uow import commit_batch

logger = logging.getLogger(__name__)

DELETE_BATCH = 5000  # rows per statement and commit, so no purge holds the write lock for long


def retention_cutoff(app: Flask, run_on: date, days: int):
    """The start (UTC) of the local day `days` before the run date: what is older goes."""
    cutoff, _ = local_day_bounds_utc(run_on - timedelta(days=days), app.config["TIMEZONE"])
    return cutoff


def delete_in_batches(session, model, condition) -> int:
    """Delete the rows of `model` matching `condition`, DELETE_BATCH ids at a time, committing
    after each batch (a job's own transaction). Returns how many were deleted."""
    deleted = 0
    while True:
        ids = list(session.scalars(sa.select(model.id).where(condition).limit(DELETE_BATCH)))
        if not ids:
            return deleted
        deleted += session.execute(
            sa.delete(model).where(model.id.in_(ids)).execution_options(synchronize_session=False)
        ).rowcount
        commit_batch(session)


def purge_old_sessions(app: Flask, run_on: date) -> dict:
    """Delete sign-in sessions that ended (or went idle) more than SESSION_RETENTION_DAYS (30)
    before the run date.

    Idempotent: the cut-off depends only on the run date, so a second run finds nothing. Runs
    in the job runner's transaction (it commits when the job returns).
    """
    cutoff = retention_cutoff(app, run_on, int(app.config.get("SESSION_RETENTION_DAYS", 30)))
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


def purge_old_sign_in_attempts(app: Flask, run_on: date) -> dict:
    """Delete sign-in attempts older than LOGIN_ATTEMPT_RETENTION_DAYS (180: China's
    Cybersecurity Law asks for network logs of at least six months). Lockouts look back minutes,
    so they never depend on what is purged. Idempotent per run date."""
    days = int(app.config.get("LOGIN_ATTEMPT_RETENTION_DAYS", 180))
    cutoff = retention_cutoff(app, run_on, days)
    deleted = delete_in_batches(db.session, LoginAttempt, LoginAttempt.at < cutoff)
    logger.info("purged %s sign-in attempt(s) older than %s", deleted, cutoff)
    return {"deleted_attempts": deleted}
