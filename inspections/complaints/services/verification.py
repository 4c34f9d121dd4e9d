"""Verifying a complaint (核实): who verifies it and by when, what the verification found, and the
conclusion. An upheld complaint opens a rectification on the usual loop, or, for an integrity
matter, an integrity case for the discipline office."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, InvalidError
from compliance.models import User
from compliance.timeutil import local_today

from ...integrity.models import IntegrityCase
from ...integrity.services import open_for_complaint as open_case
from ...models import SEVERITIES
from ...rectification.models import Rectification
from ...rectification.services import open_for_complaint as open_rectification
from ..models import ConductRecord
from .access import DECIDE_ROLES, require_role, require_view
from .common import (
    check_version,
    clean_text,
    flush_change,
    notify,
    verify_due,
)
from .intake import handler_choices, resolve_classification

logger = logging.getLogger(__name__)


def _decider(session: Session, actor: User, row: ConductRecord) -> None:
    require_view(actor, row, session)
    require_role(
        actor,
        DECIDE_ROLES,
        "conduct.decide_forbidden",
        N_("Only a discipline officer or an administrator can verify and decide a complaint."),
    )
    if row.kind != "complaint":
        raise ConflictError("conduct.not_a_complaint", N_("Only a complaint is verified."))


def _verifying(row: ConductRecord) -> None:
    if row.status != "verifying":
        raise ConflictError(
            "conduct.already_decided", N_("This complaint has already been decided.")
        )


def assign_handler(
    session: Session,
    actor: User,
    row: ConductRecord,
    handler_id: int | None,
    *,
    extend_days: bool = False,
    expected_version: int | None = None,
    today: date | None = None,
) -> ConductRecord:
    """Name who verifies the complaint (and, with `extend_days`, restart its deadline from
    today). Raises NotFoundError, ForbiddenError, ConflictError (decided already), InvalidError
    (not a discipline officer or administrator of the site), StaleError."""
    _decider(session, actor, row)
    check_version(row, expected_version)
    _verifying(row)
    handler = next((u for u in handler_choices(session, row.site_id) if u.id == handler_id), None)
    if handler is None or (
        row.is_integrity
        and handler.staff_member_id
        and handler.staff_member_id == row.staff_member_id
    ):
        raise InvalidError(
            "conduct.unknown_handler",
            N_("Choose a discipline officer or an administrator of this site."),
            field="handler_id",
        )
    due = verify_due(session, today or local_today()) if extend_days else row.verify_due_on
    before = snapshot(row)
    row.handler_id = handler.id
    row.verify_due_on = due
    flush_change(session, row)
    record(session, actor, "conduct.complaint.assign", row, before=before)
    if handler.id != actor.id:
        notify(
            session,
            row,
            [handler],
            "assigned",
            N_("Complaint #%(id)s is yours to verify by %(due)s"),
            id=row.id,
            due=row.verify_due_on.isoformat(),
        )
    return row


def save_verification(
    session: Session,
    actor: User,
    row: ConductRecord,
    note: str | None,
    *,
    category_id: int | None = None,
    check_item_id: int | None = None,
    expected_version: int | None = None,
) -> ConductRecord:
    """Record what the verification found so far, and classify the complaint (its category and
    check item; an integrity classification makes it confidential to the discipline office).
    Raises as `assign_handler`, or InvalidError for an unknown category or item."""
    _decider(session, actor, row)
    check_version(row, expected_version)
    _verifying(row)
    note = clean_text(note, field="note")
    category, item, integrity = resolve_classification(session, category_id, check_item_id)
    before = snapshot(row)
    row.verification_note = note
    row.category_id = category.id if category else None
    row.check_item_id = item.id if item else None
    row.is_integrity = integrity
    flush_change(session, row)
    record(session, actor, "conduct.complaint.verify", row, before=before)
    return row


def conclude(
    session: Session,
    actor: User,
    row: ConductRecord,
    *,
    upheld: bool,
    reason: str | None,
    severity: str | None = None,
    expected_version: int | None = None,
) -> Rectification | IntegrityCase | None:
    """Conclude the verification: upheld or not, with the reasons. An upheld complaint opens a
    rectification, or an integrity case for an integrity matter (returned). The complaint then
    waits for the callback to the citizen before it closes.

    Raises NotFoundError, ForbiddenError ("conduct.decide_forbidden"), ConflictError (not a
    complaint, already decided), InvalidError (no reason, unknown severity), StaleError."""
    _decider(session, actor, row)
    check_version(row, expected_version)
    _verifying(row)
    reason = clean_text(reason, N_("Give the reason for the decision."), field="reason")
    if severity is not None and severity not in SEVERITIES:
        raise InvalidError("conduct.unknown_severity", N_("Unknown severity."), field="severity")
    before = snapshot(row)
    row.outcome = "upheld" if upheld else "not_upheld"
    row.outcome_reason = reason
    row.decided_by_id = actor.id
    row.decided_at = utcnow()
    row.status = "concluded"
    if severity:
        row.severity = severity
    flush_change(session, row)
    record(session, actor, "conduct.complaint.decide", row, before=before, reason=reason)
    logger.info("complaint %s concluded (%s) by %s", row.id, row.outcome, actor.id)
    if not upheld:
        return None
    if row.is_integrity:
        return open_case(session, actor, row)
    return open_rectification(session, actor, row)


def decide_complaint(
    session: Session, actor: User, complaint: ConductRecord, *, upheld: bool, reason: str | None
) -> Rectification | IntegrityCase | None:
    """Kept for callers of the earlier service: `conclude` without a severity change."""
    return conclude(session, actor, complaint, upheld=upheld, reason=reason)
