"""Calling the citizen back (回访) and closing a complaint. A concluded complaint closes only with
a callback on record: the citizen reached (satisfied or not), or, after the configured number of
unanswered attempts, recorded as unreachable."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.models import User

from ..models import CALLBACK_METHODS, ComplaintCallback, ConductRecord
from .access import CALLBACK_ROLES, DECIDE_ROLES, require_role, require_view
from .common import callback_attempts, check_version, clean_text, flush_change

logger = logging.getLogger(__name__)


def _callback_actor(session: Session, actor: User, row: ConductRecord) -> None:
    require_view(actor, row, session)
    require_role(
        actor,
        CALLBACK_ROLES,
        "conduct.callback_forbidden",
        N_("You may not record callbacks."),
    )
    if row.kind != "complaint":
        raise ConflictError("conduct.not_a_complaint", N_("Only a complaint is called back."))


def record_callback(
    session: Session,
    actor: User,
    row: ConductRecord,
    *,
    called_at: datetime | None,
    method: str | None,
    reached: bool,
    satisfied: bool | None,
    note: str | None = None,
) -> ComplaintCallback:
    """Record one callback attempt (when, how, by the actor; reached or not; if reached, whether
    the citizen is satisfied). Append-only.

    Raises NotFoundError, ForbiddenError, ConflictError (not concluded yet, or closed),
    InvalidError (unknown method, time in the future, satisfaction missing when reached)."""
    _callback_actor(session, actor, row)
    if row.status != "concluded":
        raise ConflictError(
            "conduct.callback_not_due",
            N_("The citizen is called back once the complaint is concluded, before it closes."),
        )
    if method not in CALLBACK_METHODS:
        raise InvalidError(
            "conduct.unknown_method", N_("Choose how the call was made."), field="method"
        )
    now = utcnow()
    if called_at is None or called_at > now:
        raise InvalidError(
            "conduct.callback_time",
            N_("Give the time of the callback (not in the future)."),
            field="called_at",
        )
    if reached and satisfied is None:
        raise InvalidError(
            "conduct.satisfaction_required",
            N_("Say whether the citizen is satisfied."),
            field="satisfied",
        )
    note = clean_text(note, field="note")
    callback = ComplaintCallback(
        complaint_id=row.id,
        called_at=called_at,
        called_by_id=actor.id,
        method=method,
        reached=bool(reached),
        satisfied=bool(satisfied) if reached else None,
        note=note,
    )
    session.add(callback)
    session.flush()
    record(
        session,
        actor,
        "conduct.complaint.callback",
        row,
        after={
            "callback_id": callback.id,
            "called_at": called_at,
            "method": method,
            "reached": callback.reached,
            "satisfied": callback.satisfied,
        },
        reason=note,
    )
    return callback


def close_refusal(session: Session, row: ConductRecord) -> DomainError | None:
    """Why the complaint cannot close now (None when it can)."""
    if row.kind != "complaint":
        return ConflictError("conduct.not_a_complaint", N_("Only a complaint is closed."))
    if row.status == "closed":
        return ConflictError("conduct.closed", N_("This complaint is already closed."))
    if row.status != "concluded":
        return ConflictError(
            "conduct.not_concluded", N_("Conclude the verification before closing the complaint.")
        )
    reached, unanswered = session.execute(
        sa.select(
            sa.func.count().filter(ComplaintCallback.reached.is_(True)),
            sa.func.count().filter(ComplaintCallback.reached.is_(False)),
        ).where(ComplaintCallback.complaint_id == row.id)
    ).one()
    needed = callback_attempts(session)
    if reached == 0 and unanswered < needed:
        return DomainError(
            "conduct.callback_required",
            N_(
                "Record a callback to the citizen before closing (or %(n)s unanswered attempts "
                "to close it as unreachable; %(done)s so far)."
            ),
            field="callback",
            n=needed,
            done=unanswered,
        )
    return None


def close_complaint(
    session: Session,
    actor: User,
    row: ConductRecord,
    note: str | None = None,
    expected_version: int | None = None,
) -> ConductRecord:
    """Close a concluded complaint that has its callback.

    Raises NotFoundError, ForbiddenError (only discipline officers and administrators close),
    ConflictError (not concluded, closed already), DomainError ("conduct.callback_required"),
    StaleError."""
    require_view(actor, row, session)
    require_role(
        actor,
        DECIDE_ROLES,
        "conduct.close_forbidden",
        N_("Only a discipline officer or an administrator can close a complaint."),
    )
    check_version(row, expected_version)
    refusal = close_refusal(session, row)
    if refusal:
        raise refusal
    note = clean_text(note, field="note")
    before = snapshot(row)
    row.status = "closed"
    row.closed_at = utcnow()
    row.closed_by_id = actor.id
    row.close_note = note
    flush_change(session, row)
    record(session, actor, "conduct.complaint.close", row, before=before, reason=note)
    logger.info("complaint %s closed by %s", row.id, actor.id)
    return row
