"""Conduct records that do not come from a patrol: complaints (投诉, 差评 from the 好差评
rating system, the hotline) and commendations (表扬信, praise). An upheld complaint opens a
rectification on the same loop. Services flush, never commit."""

from __future__ import annotations

import logging
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from compliance.access import in_scope
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.models import StaffMember, User
from compliance.timeutil import local_today

from ..models import SEVERITIES
from .models import CONDUCT_KINDS, CONDUCT_SOURCES, ConductRecord, Rectification
from .services import RectificationError, open_for_complaint

logger = logging.getLogger(__name__)

RECORDING_ROLES = ("admin", "hr", "discipline")
DECIDING_ROLES = ("admin", "discipline")


def record_conduct(
    session: Session,
    actor: User,
    *,
    kind: str,
    source: str,
    staff_member_id: int,
    received_on: date,
    text: str,
    reference: str | None = None,
    severity: str = "minor",
) -> ConductRecord:
    """Record a complaint (pending a decision) or a commendation (kept on the staff member's
    record). Raises RectificationError for an unknown kind/source/staff member, a date in the
    future, empty text, or a staff member outside the actor's scope."""
    if not actor.has_role(*RECORDING_ROLES):
        raise RectificationError(_l("You may not record complaints or commendations."))
    if kind not in CONDUCT_KINDS:
        raise RectificationError(_l("Unknown kind of record."))
    if source not in CONDUCT_SOURCES:
        raise RectificationError(_l("Unknown source."))
    if severity not in SEVERITIES:
        raise RectificationError(_l("Unknown severity."))
    staff = session.get(StaffMember, staff_member_id) if staff_member_id else None
    if staff is None or not in_scope(actor, staff.site_id, session):
        raise RectificationError(_l("Unknown staff member."))
    if received_on is None or received_on > local_today():
        raise RectificationError(_l("The date received cannot be in the future."))
    text = (text or "").strip()
    if not text:
        raise RectificationError(_l("Describe the complaint or commendation."))
    row = ConductRecord(
        kind=kind,
        source=source,
        staff_member_id=staff.id,
        site_id=staff.site_id,
        received_on=received_on,
        text=text[:4000],
        reference=(reference or "").strip()[:64] or None,
        severity=severity,
        outcome="pending" if kind == "complaint" else None,
        recorded_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    record(session, actor, f"conduct.{kind}.create", row)
    logger.info("conduct record %s (%s) for staff %s by %s", row.id, kind, staff.id, actor.id)
    return row


def decide_complaint(
    session: Session, actor: User, complaint: ConductRecord, *, upheld: bool, reason: str | None
) -> Rectification | None:
    """Decide a pending complaint. An upheld complaint opens a rectification (returned).

    Raises RectificationError when the record is not a pending complaint, the actor may not
    decide, or no reason is given.
    """
    if not actor.has_role(*DECIDING_ROLES) or not in_scope(actor, complaint.site_id, session):
        raise RectificationError(
            _l("Only a discipline officer or an administrator can decide a complaint.")
        )
    if complaint.kind != "complaint":
        raise RectificationError(_l("Only a complaint has an outcome."))
    if complaint.outcome != "pending":
        raise RectificationError(_l("This complaint has already been decided."))
    reason = (reason or "").strip()
    if not reason:
        raise RectificationError(_l("Give the reason for the decision."))
    before = snapshot(complaint)
    complaint.outcome = "upheld" if upheld else "not_upheld"
    complaint.outcome_reason = reason[:4000]
    complaint.decided_by_id = actor.id
    complaint.decided_at = utcnow()
    session.flush()
    record(session, actor, "conduct.complaint.decide", complaint, before=before, reason=reason)
    if upheld:
        return open_for_complaint(session, actor, complaint)
    return None
