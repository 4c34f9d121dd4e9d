"""The nightly check of the audit trail's hash chain."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import Flask

from .audit import verify_chain
from .db import db
from .domain import N_
from .models import User, UserRole
from .notifications import notify_each

logger = logging.getLogger(__name__)


def verify_chain_job(app: Flask, run_on: date) -> dict:
    """Nightly check of the hash chain. When it is broken, every active administrator is notified
    once per broken event (the dedupe key names it), however often the job runs. Runs in the job
    runner's transaction (it commits when the job returns)."""
    result = verify_chain(db.session)
    notified = 0
    if not result.ok:
        logger.error("audit chain broken at event %s: %s", result.broken_id, result.problem)
        admins = db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "admin", User.active.is_(True))
        ).all()
        notified = notify_each(
            db.session,
            admins,
            "audit.chain_broken",
            N_("The audit trail has been altered at event %(id)s"),
            body_msgid=N_(
                "Open the audit trail and verify the chain; report this to the discipline officer."
            ),
            link=f"/audit/{result.broken_id}",
            dedupe_key=f"audit-chain-broken:{result.broken_id}",
            id=result.broken_id,
        )
    return {
        "events_checked": result.checked,
        "broken_event": result.broken_id or 0,
        "admins_notified": notified,
    }
