"""Keeping the notification tables small: read notifications older than
NOTIFICATION_RETENTION_DAYS are archived (moved to `notification_archive`) or deleted, as
NOTIFICATION_RETENTION_MODE says; finished group-notice records older than
GROUP_SEND_RETENTION_DAYS are deleted. An unread notification is never touched, whatever its
kind or age (an escalation nobody has read stays in the inbox)."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import Flask

from ..db import db, utcnow
from ..scheduler.tasks import DELETE_BATCH, delete_in_batches, retention_cutoff
from ..uow import commit_batch
from .channels.models import GroupSend
from .models import Notification, NotificationArchive

logger = logging.getLogger(__name__)

ARCHIVED_COLUMNS = (
    "user_id",
    "kind",
    "title",
    "body",
    "link",
    "entity_type",
    "entity_id",
    "created_at",
    "read_at",
    "emailed_at",
)
FINISHED_SENDS = ("sent", "failed", "expired", "skipped")


def _archive(session, condition) -> int:
    """Copy matching notifications into the archive and delete them, a batch at a time."""
    moved = 0
    source = [getattr(Notification, c) for c in ARCHIVED_COLUMNS]
    while True:
        ids = list(
            session.scalars(
                sa.select(Notification.id)
                .where(condition)
                .order_by(Notification.id)
                .limit(DELETE_BATCH)
            )
        )
        if not ids:
            return moved
        now = utcnow()
        session.execute(
            sa.insert(NotificationArchive).from_select(
                ["notification_id", *ARCHIVED_COLUMNS, "archived_at"],
                sa.select(Notification.id, *source, sa.literal(now, sa.DateTime()))
                .where(Notification.id.in_(ids))
                .order_by(Notification.id),
            )
        )
        moved += session.execute(
            sa.delete(Notification)
            .where(Notification.id.in_(ids))
            .execution_options(synchronize_session=False)
        ).rowcount
        commit_batch(session)


def purge_notifications(app: Flask, run_on: date) -> dict:
    """Archive or delete read notifications created more than NOTIFICATION_RETENTION_DAYS before
    the run date, and delete finished group-notice records older than GROUP_SEND_RETENTION_DAYS
    (job `notifications.retention`). Idempotent per run date."""
    session = db.session
    config = app.config
    cutoff = retention_cutoff(app, run_on, int(config.get("NOTIFICATION_RETENTION_DAYS", 180)))
    condition = sa.and_(Notification.read_at.is_not(None), Notification.created_at < cutoff)
    counts = {"archived": 0, "deleted": 0}
    if config.get("NOTIFICATION_RETENTION_MODE", "archive") == "delete":
        counts["deleted"] = delete_in_batches(session, Notification, condition)
    else:
        counts["archived"] = _archive(session, condition)
    send_cutoff = retention_cutoff(app, run_on, int(config.get("GROUP_SEND_RETENTION_DAYS", 90)))
    counts["deleted_group_sends"] = delete_in_batches(
        session,
        GroupSend,
        sa.and_(GroupSend.status.in_(FINISHED_SENDS), GroupSend.created_at < send_cutoff),
    )
    logger.info("notification retention before %s: %s", cutoff, counts)
    return counts
