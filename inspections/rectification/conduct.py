"""Conduct records that do not come from a patrol: complaints (投诉, 差评 from the 好差评
rating system, the hotline) and commendations (表扬信, praise). An upheld complaint opens a
rectification on the same loop. Services flush, never commit."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from compliance import limits
from compliance.access import in_scope
from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, ForbiddenError, InvalidError
from compliance.limits import checked_text
from compliance.models import StaffMember, User
from compliance.timeutil import local_today

from ..models import SEVERITIES
from .models import CONDUCT_KINDS, CONDUCT_SOURCES, ConductRecord, Rectification
from .services.workflow import open_for_complaint

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
    record).

    Raises ForbiddenError ("conduct.forbidden") for a user who may not record, InvalidError
    ("conduct.*", naming the field) for an unknown kind/source/severity/staff member, a staff
    member outside the actor's scope, a date in the future or empty text."""
    if not actor.has_role(*RECORDING_ROLES):
        raise ForbiddenError(
            "conduct.forbidden", N_("You may not record complaints or commendations.")
        )
    if kind not in CONDUCT_KINDS:
        raise InvalidError("conduct.unknown_kind", N_("Unknown kind of record."), field="kind")
    if source not in CONDUCT_SOURCES:
        raise InvalidError("conduct.unknown_source", N_("Unknown source."), field="source")
    if severity not in SEVERITIES:
        raise InvalidError("conduct.unknown_severity", N_("Unknown severity."), field="severity")
    staff = session.get(StaffMember, staff_member_id) if staff_member_id else None
    if staff is None or not in_scope(actor, staff.site_id, session):
        raise InvalidError(
            "conduct.unknown_staff", N_("Unknown staff member."), field="staff_member_id"
        )
    if received_on is None or received_on > local_today():
        raise InvalidError(
            "conduct.future_date",
            N_("The date received cannot be in the future."),
            field="received_on",
        )
    text = checked_text(
        text,
        limits.CONDUCT_TEXT,
        field="text",
        required=N_("Describe the complaint or commendation."),
        required_code="conduct.text_required",
    )
    reference = checked_text(reference, limits.CONDUCT_REFERENCE, field="reference")
    row = ConductRecord(
        kind=kind,
        source=source,
        staff_member_id=staff.id,
        site_id=staff.site_id,
        received_on=received_on,
        text=text,
        reference=reference,
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

    Raises ForbiddenError ("conduct.decide_forbidden") when the actor may not decide,
    ConflictError when the record is not a complaint or already decided, InvalidError when no
    reason is given.
    """
    if not actor.has_role(*DECIDING_ROLES) or not in_scope(actor, complaint.site_id, session):
        raise ForbiddenError(
            "conduct.decide_forbidden",
            N_("Only a discipline officer or an administrator can decide a complaint."),
        )
    if complaint.kind != "complaint":
        raise ConflictError("conduct.not_a_complaint", N_("Only a complaint has an outcome."))
    if complaint.outcome != "pending":
        raise ConflictError(
            "conduct.already_decided", N_("This complaint has already been decided.")
        )
    reason = checked_text(
        reason,
        limits.CONDUCT_REASON,
        field="reason",
        required=N_("Give the reason for the decision."),
        required_code="conduct.reason_required",
    )
    before = snapshot(complaint)
    complaint.outcome = "upheld" if upheld else "not_upheld"
    complaint.outcome_reason = reason
    complaint.decided_by_id = actor.id
    complaint.decided_at = utcnow()
    session.flush()
    record(session, actor, "conduct.complaint.decide", complaint, before=before, reason=reason)
    if upheld:
        return open_for_complaint(session, actor, complaint)
    return None
