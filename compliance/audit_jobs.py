"""Checks of the audit trail's hash chain, run by the scheduler (never inside a web request).

- `audit.verify_chain` (nightly): continues from the newest verification checkpoint, so its cost
  follows the day's events, not the whole trail's.
- `audit.verify_chain_full` (weekly, and whenever an administrator asks for it on the audit
  page): recomputes every event.

Both compare the chain with the checkpoints kept outside the database, record a new checkpoint
when it is intact, show their progress on the run, and notify every active administrator once
per broken event.
"""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from flask import Flask

from .audit import verify_chain
from .audit_chain import PROBLEMS, VerifyResult
from .db import db
from .domain import N_
from .models import AuditEvent, User, UserRole
from .notifications import notify_each
from .scheduler.registry import report_progress
from .uow import begin_writing

logger = logging.getLogger(__name__)

NIGHTLY = "audit.verify_chain"
FULL = "audit.verify_chain_full"


def _run(app: Flask, *, incremental: bool) -> dict:
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0

    def progress(checked: int) -> None:
        report_progress(app, {"events_checked": checked, "events_total": total})

    result = verify_chain(db.session, incremental=incremental, progress=progress)
    notified = _alert(result) if not result.ok else 0
    counts = {
        "events_checked": result.checked,
        "events_total": total,
        "from_event": result.incremental_from or 0,
        "broken_event": result.broken_id or 0,
        "problem": result.problem or "",
        "admins_notified": notified,
    }
    # The problem's parameters, flat (a run's counts hold scalars), to word it for each reader.
    counts.update({f"problem_{key}": value for key, value in result.params.items()})
    return counts


def problem_of(counts: dict | None) -> tuple[str, dict] | None:
    """The (message id, params) of a finished check's problem, or None when it found none."""
    code = (counts or {}).get("problem")
    if not code or code not in PROBLEMS:
        return None
    params = {k[len("problem_") :]: v for k, v in counts.items() if k.startswith("problem_")}
    return PROBLEMS[code], params


def _alert(result: VerifyResult) -> int:
    """Notify every active administrator once per broken event, however often the job runs."""
    logger.error("audit chain broken at event %s: %s", result.broken_id, result.problem)
    begin_writing()  # the check only read; from here the job writes its notifications
    admins = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "admin", User.active.is_(True))
    ).all()
    where = result.broken_id or 0
    return notify_each(
        db.session,
        admins,
        "audit.chain_broken",
        N_("The audit trail has been altered at event %(id)s"),
        body_msgid=N_(
            "Open the audit trail and verify the chain; report this to the discipline officer."
        ),
        link=f"/audit/{where}" if where else "/audit",
        dedupe_key=f"audit-chain-broken:{result.problem}:{where}",
        id=where,
    )


def verify_chain_job(app: Flask, run_on: date) -> dict:
    """Nightly: verify the events since the newest checkpoint (the first run checks them all)."""
    return _run(app, incremental=True)


def verify_chain_full_job(app: Flask, run_on: date) -> dict:
    """Weekly and on demand: verify every event."""
    return _run(app, incremental=False)
