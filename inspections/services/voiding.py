"""Voiding a finding (an accepted appeal of the monthly assessment): the finding is kept with its
evidence and marked void, and its rectification, if any, ends as `cancelled` with a timeline
event. Both writes are audited."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, NotFoundError
from compliance.models import User

from ..models import Finding
from ..rectification.models import Rectification
from ..rectification.services.steps import add_event, flush_change


def void_finding(session: Session, actor: User, finding_id: int, reason: str) -> Finding:
    """Mark the finding void with the reason and cancel its rectification (if one exists and is
    not already cancelled). Raises NotFoundError (no such finding) or ConflictError (already
    void)."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFoundError("finding.not_found", N_("This finding does not exist."))
    if finding.voided_at is not None:
        raise ConflictError("finding.already_void", N_("This finding has already been voided."))
    before = snapshot(finding)
    finding.voided_at = utcnow()
    finding.voided_by_id = actor.id
    finding.void_reason = reason
    session.flush()
    record(session, actor, "finding.void", finding, before=before, reason=reason)
    rect = session.scalar(sa.select(Rectification).where(Rectification.finding_id == finding.id))
    if rect is not None and rect.status != "cancelled":
        rect_before = snapshot(rect)
        rect.status = "cancelled"
        rect.closed_at = finding.voided_at
        rect.closed_on_time = None
        flush_change(session, rect)
        add_event(session, actor, rect, "cancelled", text=reason, before=rect_before)
    return finding
