"""The steps of a case after registration: assign an officer with a deadline in working days,
record the preliminary verification (初核: notes, interviews, evidence), propose a conclusion,
have it approved by a second person, record the measure taken, tell the accused, close.

Every step writes the case row first (version check), then a timeline event with its audit
entry, in the caller's transaction. Refusals are DomainError kinds with codes "integrity.*".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from compliance.audit import snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, InvalidError
from compliance.models import User
from compliance.settings import declare, get_setting
from compliance.timeutil import local_today

from ...models import Photo
from ...rectification.services.calendar import add_working_days
from ...rectification.services.responsibility import users_for_staff
from ..models import (
    CONCLUSIONS,
    ENTRY_KINDS,
    MEASURES,
    SUBSTANTIATED,
    IntegrityCase,
    IntegrityCaseEvent,
)
from .access import approval_refusal, require_view, require_work
from .intake import admins_for, officer_choices, officers_for
from .steps import add_event, case_link, check_version, clean_text, flush_change, notify

logger = logging.getLogger(__name__)

DEADLINE_KEY = "integrity.verify_working_days"
MAX_DEADLINE_DAYS = 60
declare(DEADLINE_KEY, 10)


def default_working_days(session: Session) -> int:
    try:
        return max(1, min(MAX_DEADLINE_DAYS, int(get_setting(session, DEADLINE_KEY))))
    except (TypeError, ValueError):
        return 10


def _not_open(case: IntegrityCase) -> ConflictError:
    return ConflictError("integrity.closed", N_("This case is closed."))


def assign(
    session: Session,
    actor: User,
    case: IntegrityCase,
    officer_id: int | None,
    working_days: int | None,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> IntegrityCaseEvent:
    """Give the case to a discipline officer with a deadline `working_days` working days from
    today (again: a reassignment or a new deadline, with the reason in `note`).

    Raises NotFoundError (may not see the case), ConflictError (already concluded or closed),
    InvalidError (unknown officer, days out of range), StaleError (changed meanwhile)."""
    require_view(actor, case, session)
    check_version(case, expected_version)
    if case.status not in ("registered", "assigned", "verified") or case.awaiting_approval:
        raise ConflictError(
            "integrity.not_assignable",
            N_("A case can be assigned only until its conclusion is proposed."),
        )
    officers = {u.id: u for u in officer_choices(session, case)}
    if officer_id not in officers:
        raise InvalidError(
            "integrity.unknown_officer",
            N_("Choose a discipline officer whose sites include this case's site."),
            field="officer_id",
        )
    try:
        days = int(working_days if working_days is not None else default_working_days(session))
    except (TypeError, ValueError):
        days = -1
    if not 1 <= days <= MAX_DEADLINE_DAYS:
        raise InvalidError(
            "integrity.bad_days",
            N_("The deadline is 1 to %(max)s working days."),
            field="working_days",
            max=MAX_DEADLINE_DAYS,
        )
    note = clean_text(note, field="note")
    today = today or local_today()
    deadline = add_working_days(session, today, days)  # query before changing the row
    before = snapshot(case)
    again = case.officer_id is not None
    case.officer_id = officer_id
    case.assigned_at = utcnow()
    case.deadline_on = deadline
    if case.first_deadline_on is None:
        case.first_deadline_on = deadline
    if case.status == "registered":
        case.status = "assigned"
    flush_change(session, case)
    event = add_event(
        session,
        actor,
        case,
        "assigned",
        note,
        before=before,
        data={
            "officer_id": officer_id,
            "working_days": days,
            "previous_officer_id": before["officer_id"],
            "previous_deadline": before["deadline_on"],
        },
    )
    if officer_id != actor.id or again:
        notify(
            session,
            [officers[officer_id]],
            "integrity.assigned",
            N_("Integrity case %(number)s is yours to verify by %(deadline)s"),
            link=case_link(case),
            entity=case,
            number=case.number,
            deadline=deadline.isoformat(),
        )
    logger.info("integrity case %s assigned to %s until %s", case.id, officer_id, deadline)
    return event


def add_entry(
    session: Session,
    actor: User,
    case: IntegrityCase,
    kind: str,
    text: str | None,
    photos: Sequence[Photo] = (),
    interviewee: str | None = None,
    held_on: date | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> IntegrityCaseEvent:
    """A piece of the preliminary verification: a note, an interview (谈话: who, when, what was
    said) or evidence (photos with a description).

    Raises NotFoundError, ForbiddenError (not the case's officer or an admin), ConflictError
    (not assigned yet, or closed), InvalidError (missing text, interviewee or date)."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    if case.status == "registered":
        raise ConflictError(
            "integrity.not_assigned", N_("Assign the case to an officer before recording work.")
        )
    if case.status == "closed":
        raise _not_open(case)
    if kind not in ENTRY_KINDS:
        raise InvalidError("integrity.unknown_entry", N_("Unknown kind of entry."), field="kind")
    text = clean_text(text, N_("Describe the entry."))
    data: dict = {}
    if kind == "interview":
        interviewee = (interviewee or "").strip()
        if not interviewee:
            raise InvalidError(
                "integrity.interviewee_required",
                N_("Name the person interviewed."),
                field="interviewee",
            )
        if held_on is None or held_on > (today or local_today()):
            raise InvalidError(
                "integrity.interview_date",
                N_("Give the date of the interview (not in the future)."),
                field="held_on",
            )
        data = {"interviewee": interviewee[:64], "held_on": held_on.isoformat()}
    if kind == "evidence" and not photos:
        raise InvalidError(
            "integrity.evidence_photo", N_("Attach at least one photo as evidence."), field="photos"
        )
    return add_event(session, actor, case, kind, text, photos, data=data or None)


def record_verification(
    session: Session,
    actor: User,
    case: IntegrityCase,
    summary: str | None,
    expected_version: int | None = None,
) -> IntegrityCaseEvent:
    """The preliminary verification (初核) is done: its summary. Raises as `add_entry`."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    if case.status != "assigned":
        raise ConflictError(
            "integrity.not_verifiable", N_("Only an assigned case can be marked as verified.")
        )
    summary = clean_text(summary, N_("Summarise what the verification found."), field="summary")
    before = snapshot(case)
    case.status = "verified"
    case.verified_at = utcnow()
    case.verification_summary = summary
    flush_change(session, case)
    return add_event(session, actor, case, "verified", summary, before=before)


def propose_conclusion(
    session: Session,
    actor: User,
    case: IntegrityCase,
    conclusion: str | None,
    reason: str | None,
    expected_version: int | None = None,
) -> IntegrityCaseEvent:
    """Propose 属实 / 部分属实 / 不属实 with the reasons; a second discipline officer or an
    administrator approves it. Raises as `add_entry`."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    if case.status != "verified" or case.awaiting_approval:
        raise ConflictError(
            "integrity.not_concludable",
            N_("A conclusion can be proposed once the verification is done, and only once."),
        )
    if conclusion not in CONCLUSIONS:
        raise InvalidError(
            "integrity.unknown_conclusion", N_("Choose a conclusion."), field="conclusion"
        )
    reason = clean_text(reason, N_("Give the reasons for the conclusion."), field="reason")
    before = snapshot(case)
    case.conclusion = conclusion
    case.conclusion_reason = reason
    case.proposed_by_id = actor.id
    case.proposed_at = utcnow()
    flush_change(session, case)
    event = add_event(
        session,
        actor,
        case,
        "conclusion_proposed",
        reason,
        before=before,
        data={"conclusion": conclusion},
    )
    approvers = [u for u in officers_for(session, case) if u.id != actor.id]
    if not approvers:
        approvers = [u for u in admins_for(session, case) if u.id != actor.id]
    notify(
        session,
        approvers,
        "integrity.approval_requested",
        N_("Conclusion of integrity case %(number)s waits for your approval"),
        link=case_link(case),
        entity=case,
        number=case.number,
    )
    return event


def approve_conclusion(
    session: Session,
    actor: User,
    case: IntegrityCase,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> IntegrityCaseEvent:
    """A second discipline officer or an administrator approves the proposed conclusion; the case
    is concluded. Raises NotFoundError, ForbiddenError ("integrity.own_conclusion"),
    ConflictError (nothing to approve), StaleError."""
    check_version(case, expected_version)
    refusal = approval_refusal(actor, case, session)
    if refusal:
        raise refusal
    note = clean_text(note, field="note")
    before = snapshot(case)
    case.status = "concluded"
    case.approved_by_id = actor.id
    case.approved_at = utcnow()
    case.concluded_on = today or local_today()
    flush_change(session, case)
    event = add_event(
        session,
        actor,
        case,
        "conclusion_approved",
        note,
        before=before,
        data={"conclusion": case.conclusion},
    )
    notify(
        session,
        [u for u in (case.officer, case.proposed_by) if u is not None and u.id != actor.id],
        "integrity.concluded",
        N_("The conclusion of integrity case %(number)s was approved"),
        link=case_link(case),
        entity=case,
        number=case.number,
    )
    logger.info("integrity case %s concluded (%s) by %s", case.id, case.conclusion, actor.id)
    return event


def return_conclusion(
    session: Session,
    actor: User,
    case: IntegrityCase,
    reason: str | None,
    expected_version: int | None = None,
) -> IntegrityCaseEvent:
    """The approver sends the proposed conclusion back with a reason; it may be proposed again.
    Raises as `approve_conclusion`, or InvalidError (no reason)."""
    check_version(case, expected_version)
    refusal = approval_refusal(actor, case, session)
    if refusal:
        raise refusal
    reason = clean_text(reason, N_("Give the reason for sending it back."), field="reason")
    before = snapshot(case)
    proposer = case.proposed_by
    case.conclusion = None
    case.conclusion_reason = None
    case.proposed_by_id = None
    case.proposed_at = None
    flush_change(session, case)
    event = add_event(
        session,
        actor,
        case,
        "conclusion_returned",
        reason,
        before=before,
        data={"conclusion": before["conclusion"]},
    )
    notify(
        session,
        [proposer],
        "integrity.conclusion_returned",
        N_("The conclusion of integrity case %(number)s was sent back: %(reason)s"),
        link=case_link(case),
        entity=case,
        number=case.number,
        reason=reason[:80],
    )
    return event


def record_handling(
    session: Session,
    actor: User,
    case: IntegrityCase,
    measure: str | None,
    measure_on: date | None,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> IntegrityCaseEvent:
    """The measure taken on a substantiated (or partly substantiated) case, with its date:
    提醒谈话, 批评教育, 诫勉谈话, 通报批评 or 移送. Raises as `add_entry`."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    if case.status != "concluded":
        raise ConflictError(
            "integrity.not_handleable",
            N_("A measure is recorded once the conclusion is approved, and only once."),
        )
    if case.conclusion not in SUBSTANTIATED:
        raise ConflictError(
            "integrity.unsubstantiated",
            N_("The lead was found unsubstantiated: no measure is taken; close the case."),
        )
    if measure not in MEASURES:
        raise InvalidError("integrity.unknown_measure", N_("Choose the measure."), field="measure")
    if measure_on is None or measure_on > (today or local_today()):
        raise InvalidError(
            "integrity.measure_date",
            N_("Give the date the measure was taken (not in the future)."),
            field="measure_on",
        )
    note = clean_text(note, field="note")
    before = snapshot(case)
    case.status = "handled"
    case.measure = measure
    case.measure_on = measure_on
    case.measure_note = note
    flush_change(session, case)
    return add_event(
        session,
        actor,
        case,
        "handled",
        note,
        before=before,
        data={"measure": measure, "measure_on": measure_on.isoformat()},
    )


def notify_accused(
    session: Session, actor: User, case: IntegrityCase, expected_version: int | None = None
) -> IntegrityCaseEvent:
    """Tell the accused the conclusion (and the measure, if any): from then on they can read the
    conclusion notice (never the evidence). Recorded even when they have no account (told in
    person). Raises NotFoundError, ForbiddenError, ConflictError (no approved conclusion yet, no
    accused named, already notified)."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    if case.status not in ("concluded", "handled", "closed"):
        raise ConflictError(
            "integrity.not_concluded", N_("The accused is told once the conclusion is approved.")
        )
    if case.accused_staff_id is None:
        raise ConflictError("integrity.no_accused", N_("This case names no staff member."))
    if case.accused_notified_at is not None:
        raise ConflictError(
            "integrity.already_notified", N_("The accused has already been told the conclusion.")
        )
    before = snapshot(case)
    case.accused_notified_at = utcnow()
    flush_change(session, case)
    user = users_for_staff(session, [case.accused_staff_id]).get(case.accused_staff_id)
    sent = notify(
        session,
        [user],
        "integrity.conclusion",
        N_("The discipline office has concluded a matter concerning you (%(number)s)"),
        link=f"/integrity/notices/{case.id}",
        entity=case,
        number=case.number,
    )
    return add_event(
        session, actor, case, "accused_notified", before=before, data={"in_app": bool(sent)}
    )


def close(
    session: Session,
    actor: User,
    case: IntegrityCase,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> IntegrityCaseEvent:
    """Close a handled case, or a concluded one found unsubstantiated. Never on the spot: a case
    closes only after its conclusion is approved. Raises as `add_entry`."""
    require_work(actor, case, session)
    check_version(case, expected_version)
    ready = case.status == "handled" or (
        case.status == "concluded" and case.conclusion == "unsubstantiated"
    )
    if not ready:
        raise ConflictError(
            "integrity.not_closable",
            N_(
                "A case closes after its conclusion is approved and, if substantiated, its "
                "measure is recorded."
            ),
        )
    note = clean_text(note, field="note")
    before = snapshot(case)
    case.status = "closed"
    case.closed_at = utcnow()
    case.closed_on = today or local_today()
    case.closed_by_id = actor.id
    flush_change(session, case)
    logger.info("integrity case %s closed by %s", case.id, actor.id)
    return add_event(session, actor, case, "closed", note, before=before)
