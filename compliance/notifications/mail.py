"""E-mail copies of notifications, sent by the scheduler process (never inside a web request).

A notification is committed with the event that caused it; this job only updates its
`email_status`, so a mail failure never loses the in-app notification.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask

from ..db import db, utcnow
from ..models import User
from .models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a failed mail is retried this many times in all, then left failed
RETRY_AFTER = timedelta(minutes=5)  # wait between attempts, times the attempts made so far
MAX_AGE = timedelta(days=2)  # older pending mail is not sent any more (stale news)
BATCH = 200


def smtp_configured(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def build_message(config, notification: Notification, address: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = notification.title
    msg["From"] = config["SMTP_SENDER"]
    msg["To"] = address
    text = notification.body or notification.title
    if notification.link:
        text += "\n\n" + config["BASE_URL"].rstrip("/") + notification.link
    msg.set_content(text)
    return msg


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=15)
    if config.get("SMTP_STARTTLS"):
        smtp.starttls()
    if config.get("SMTP_USER"):
        smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    return smtp


def _due() -> sa.ColumnElement:
    """Pending mail, and failed mail whose next attempt is due (backoff grows per attempt)."""
    retry = sa.and_(
        Notification.email_status == "failed", Notification.email_attempts < MAX_ATTEMPTS
    )
    return sa.or_(Notification.email_status == "pending", retry)


def send_pending_email(app: Flask, run_on: date) -> dict:
    """Send pending notification e-mails (job `notifications.send_email`, every minute).

    Without SMTP settings it does nothing. Recipients who opted out, have no address or are
    deactivated are marked skipped. At most `BATCH` notifications per run; the job runner commits
    the new statuses when it returns. Returns {"sent", "failed", "not_emailed"}.
    """
    config = app.config
    if not smtp_configured(config):
        return {}
    sent = failed = not_emailed = 0
    now = utcnow()
    rows = db.session.execute(
        sa.select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(_due())
        .order_by(Notification.id)
        .limit(BATCH)
    ).all()
    todo = []
    for note, user in rows:
        if (
            note.email_status == "failed"
            and note.email_last_attempt_at is not None
            and (now - note.email_last_attempt_at < RETRY_AFTER * note.email_attempts)
        ):
            continue
        if not user.email or user.email_opt_out or not user.active:
            note.email_status, note.email_error = "skipped", None
            not_emailed += 1
        elif now - note.created_at > MAX_AGE:
            note.email_status, note.email_error = "skipped", "too old to send"
            not_emailed += 1
        else:
            todo.append((note, user))
    smtp = None
    if todo:
        try:
            smtp = _connect(config)
        except (OSError, smtplib.SMTPException) as exc:
            error = f"SMTP connection failed: {exc}"[:300]
            logger.warning("notification e-mail: %s", error)
            for note, _user in todo:
                _failed(note, now, error)
            failed += len(todo)
            todo = []
    for note, user in todo:
        try:
            smtp.send_message(build_message(config, note, user.email))
        except (OSError, smtplib.SMTPException) as exc:
            _failed(note, now, f"{type(exc).__name__}: {exc}"[:300])
            failed += 1
            continue
        note.email_status, note.email_error = "sent", None
        note.emailed_at = note.email_last_attempt_at = now
        note.email_attempts += 1
        sent += 1
    if smtp is not None:
        try:
            smtp.quit()
        except (TimeoutError, OSError, smtplib.SMTPException):
            pass
    db.session.flush()
    if sent or failed:
        logger.info(
            "notification e-mail: sent=%s failed=%s not_emailed=%s", sent, failed, not_emailed
        )
    return {"sent": sent, "failed": failed, "not_emailed": not_emailed}


def _failed(note: Notification, now, error: str) -> None:
    note.email_status = "failed"
    note.email_error = error
    note.email_attempts += 1
    note.email_last_attempt_at = now
