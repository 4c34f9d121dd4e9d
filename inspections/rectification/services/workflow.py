"""The loop itself: open a rectification for a finding or an upheld complaint, respond, verify or
reject, fix on the spot, comment, reassign. Every step is an event on the timeline and an audit
entry in the caller's transaction.

Two people acting on the same rectification: the row is written first, with its version in the
WHERE clause (`version_id_col`), so the second writer matches no row and gets `StaleError`
("rectification.changed"); a caller that passes the version the user saw (`expected_version`)
is refused the same way before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import in_scope
from compliance.audit import snapshot
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, ForbiddenError, InvalidError
from compliance.models import Assignment, StaffMember, User
from compliance.timeutil import local_today, to_local

from ...models import CheckItem, Finding, Photo
from ..models import AWAITING_RESPONSE, ConductRecord, Rectification, RectificationEvent
from .calendar import deadline_for
from .common import notify_people, rect_link
from .ladder import apply_ladder
from .permissions import SUPERVISING_ROLES, VERIFYING_ROLES, respond_refusal, verify_refusal
from .responsibility import responsible_for, users_for_staff
from .steps import add_event, check_version, clean_text, flush_change

logger = logging.getLogger(__name__)


def _local_date(value: datetime | None) -> date:
    return to_local(value).date() if value else local_today()


def _notify_responsible(
    session: Session, rect: Rectification, kind: str, title_msgid: str, /, **params
) -> None:
    users = users_for_staff(session, [rect.responsible_staff_id])
    notify_people(
        session,
        [users.get(rect.responsible_staff_id)],
        kind,
        title_msgid,
        link=rect_link(rect),
        entity=rect,
        **params,
    )


def _notify_opened(session: Session, rect: Rectification) -> None:
    _notify_responsible(
        session,
        rect,
        "rectification.opened",
        N_("A rectification was opened for you: %(title)s (deadline %(deadline)s)"),
        title=rect.title[:80],
        deadline=rect.deadline_on.isoformat(),
    )


# --- opening --------------------------------------------------------------------------------


def open_for_finding(session: Session, actor: User | None, finding: Finding) -> Rectification:
    """Open the rectification of a new finding (idempotent: returns the existing one).

    The deadline counts working days from the local date the finding was made. Raises
    ConflictError ("rectification.integrity_finding") for a finding on an integrity item: that is
    an integrity case for the discipline office, never a rectification (nor an on-the-spot fix).
    """
    existing = session.scalar(
        sa.select(Rectification).where(Rectification.finding_id == finding.id)
    )
    if existing is not None:
        return existing
    if finding.is_integrity:
        raise ConflictError(
            "rectification.integrity_finding",
            N_(
                "This finding concerns integrity and has been passed to the discipline office; "
                "it is not rectified or closed on the spot."
            ),
        )
    responsible, supervisor = responsible_for(
        session,
        target=finding.target,
        site_id=finding.site_id,
        window_id=finding.window_id,
        staff_member_id=finding.staff_member_id,
    )
    opened_on = _local_date(finding.found_at)
    deadline = deadline_for(session, finding.severity, opened_on)
    rect = Rectification(
        source="finding",
        finding_id=finding.id,
        site_id=finding.site_id,
        window_id=finding.window_id,
        category=finding.category,
        severity=finding.severity,
        title=finding.description[:300],
        responsible_staff_id=responsible,
        supervisor_staff_id=supervisor,
        status="open",
        opened_at=utcnow(),
        opened_on=opened_on,
        first_deadline_on=deadline,
        deadline_on=deadline,
    )
    session.add(rect)
    session.flush()
    if finding.staff_member_id:
        rect.offence_level = apply_ladder(session, rect, finding.staff_member_id, opened_on)
        session.flush()
    add_event(session, actor, rect, "opened", data={"finding_id": finding.id})
    _notify_opened(session, rect)
    logger.info(
        "rectification %s opened for finding %s (deadline %s)", rect.id, finding.id, deadline
    )
    return rect


def open_for_complaint(
    session: Session, actor: User | None, complaint: ConductRecord
) -> Rectification:
    """Open the rectification of an upheld complaint; its clock starts on the decision date.

    A complaint about a staff member is theirs to rectify; one about a window goes to the window's
    keeper (or current assignee), one about a site to its area keeper. The category follows the
    complaint's check item (service conduct when it names none).

    Raises ConflictError ("rectification.integrity_complaint") for an integrity complaint: that
    goes to the discipline office as an integrity case, never as a rectification."""
    existing = session.scalar(
        sa.select(Rectification).where(Rectification.complaint_id == complaint.id)
    )
    if existing is not None:
        return existing
    if complaint.is_integrity:
        raise ConflictError(
            "rectification.integrity_complaint",
            N_("An integrity complaint goes to the discipline office, not to a rectification."),
        )
    window_id = complaint.window_id
    if complaint.subject == "staff" and window_id is None:
        assignment = session.scalar(
            sa.select(Assignment).where(
                Assignment.staff_member_id == complaint.staff_member_id,
                Assignment.ended_on.is_(None),
            )
        )
        window_id = assignment.window_id if assignment else None
    target = {"staff": "staff", "window": "window"}.get(complaint.subject, "area")
    responsible, supervisor = responsible_for(
        session,
        target=target,
        site_id=complaint.site_id,
        window_id=window_id if target != "area" else None,
        staff_member_id=complaint.staff_member_id,
    )
    category = "conduct"
    if complaint.check_item_id:
        category = (
            session.scalar(
                sa.select(CheckItem.category).where(CheckItem.id == complaint.check_item_id)
            )
            or "conduct"
        )
    opened_on = local_today()
    deadline = deadline_for(session, complaint.severity, opened_on)
    rect = Rectification(
        source="complaint",
        complaint_id=complaint.id,
        site_id=complaint.site_id,
        window_id=window_id,
        category=category,
        severity=complaint.severity,
        title=complaint.text[:300],
        responsible_staff_id=responsible,
        supervisor_staff_id=supervisor,
        status="open",
        opened_at=utcnow(),
        opened_on=opened_on,
        first_deadline_on=deadline,
        deadline_on=deadline,
    )
    session.add(rect)
    session.flush()
    if complaint.staff_member_id:
        rect.offence_level = apply_ladder(session, rect, complaint.staff_member_id, opened_on)
        session.flush()
    add_event(session, actor, rect, "opened", data={"complaint_id": complaint.id})
    _notify_opened(session, rect)
    return rect


# --- response and verification --------------------------------------------------------------


def respond(
    session: Session,
    actor: User,
    rect: Rectification,
    text: str | None,
    photos: Sequence[Photo] = (),
    expected_version: int | None = None,
) -> RectificationEvent:
    """The responsible staff member says what was done, with photos.

    Raises StaleError ("rectification.changed"), ForbiddenError (not the responsible person),
    ConflictError (not waiting for a response) or InvalidError (no text).
    """
    check_version(rect, expected_version)
    refusal = respond_refusal(actor, rect)
    if refusal:
        raise refusal
    text = clean_text(text, N_("Describe what was done."))
    before = snapshot(rect)
    rect.status = "responded"
    rect.responded_at = utcnow()
    rect.responded_by_id = actor.id
    flush_change(session, rect)
    event = add_event(session, actor, rect, "responded", text, photos, before=before)
    logger.info("rectification %s responded by %s", rect.id, actor.id)
    return event


def _close(rect: Rectification, actor: User | None, today: date) -> None:
    rect.status = "verified"
    rect.verified_by_id = actor.id if actor else None
    rect.closed_at = utcnow()
    rect.closed_on = today
    rect.days_to_close = (today - rect.opened_on).days
    rect.closed_on_time = today <= rect.deadline_on


def verify(
    session: Session,
    actor: User,
    rect: Rectification,
    note: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector accepts the response; the rectification is closed.

    Raises StaleError ("rectification.changed"), ForbiddenError (not an inspector in scope, or
    their own response: "rectification.own_response"), ConflictError (nothing to verify) or
    InvalidError (note too long).
    """
    check_version(rect, expected_version)
    refusal = verify_refusal(actor, rect, session)
    if refusal:
        raise refusal
    note = clean_text(note, field="note")
    before = snapshot(rect)
    _close(rect, actor, today or local_today())
    flush_change(session, rect)
    event = add_event(session, actor, rect, "verified", note, before=before)
    _notify_responsible(
        session,
        rect,
        "rectification.verified",
        N_("Your rectification was accepted: %(title)s"),
        title=rect.title[:80],
    )
    logger.info("rectification %s verified by %s", rect.id, actor.id)
    return event


def reject(
    session: Session,
    actor: User,
    rect: Rectification,
    reason: str | None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector rejects the response with a reason; the rectification reopens with a new
    deadline counted from today, and its rejection count goes up.

    Raises StaleError, ForbiddenError, ConflictError as `verify`, or InvalidError (no reason).
    """
    check_version(rect, expected_version)
    refusal = verify_refusal(actor, rect, session)
    if refusal:
        raise refusal
    reason = clean_text(reason, N_("Give the reason for the rejection."), field="reason")
    today = today or local_today()
    new_deadline = deadline_for(session, rect.severity, today)  # query before changing the row
    before = snapshot(rect)
    rect.status = "rejected"
    rect.rejection_count = (rect.rejection_count or 0) + 1
    rect.deadline_on = new_deadline
    flush_change(session, rect)
    event = add_event(
        session,
        actor,
        rect,
        "rejected",
        reason,
        before=before,
        data={"previous_deadline": before["deadline_on"]},
    )
    _notify_responsible(
        session,
        rect,
        "rectification.rejected",
        N_("Your rectification response was rejected; new deadline %(deadline)s"),
        deadline=rect.deadline_on.isoformat(),
    )
    logger.info("rectification %s rejected by %s", rect.id, actor.id)
    return event


# --- on the spot, comments, reassignment ----------------------------------------------------


def fix_on_spot(
    session: Session,
    actor: User,
    rect: Rectification,
    text: str | None,
    photos: Sequence[Photo],
    witness: str | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> RectificationEvent:
    """An inspector records that the problem was fixed on the spot (现场整改), with a photo:
    the rectification is rectified and verified at once, with who saw it.

    Raises StaleError, ForbiddenError (not an inspector in scope), ConflictError (already
    closed) or DomainError ("rectification.photo_required").
    """
    check_version(rect, expected_version)
    if not actor.has_role(*VERIFYING_ROLES) or not in_scope(actor, rect.site_id, session):
        raise ForbiddenError(
            "rectification.not_inspector", N_("Only an inspector can record an on-the-spot fix.")
        )
    if rect.status not in AWAITING_RESPONSE:
        raise ConflictError(
            "rectification.not_open", N_("Only an open rectification can be fixed on the spot.")
        )
    if not photos:
        raise DomainError(
            "rectification.photo_required", N_("An on-the-spot fix needs a photo."), field="photos"
        )
    text = clean_text(text)
    witness = (witness or "").strip()[:64] or actor.display_name
    before = snapshot(rect)
    now = utcnow()
    rect.fixed_on_spot = True
    rect.responded_at = now
    _close(rect, actor, today or local_today())
    flush_change(session, rect)
    return add_event(
        session,
        actor,
        rect,
        "fixed_on_spot",
        text,
        photos,
        before=before,
        data={"witness": witness},
    )


def fix_finding_on_spot(
    session: Session,
    actor: User,
    finding: Finding,
    text: str | None,
    photos: Sequence[Photo],
    witness: str | None = None,
) -> Rectification:
    """For the patrol form: record a finding as fixed on the spot (现场整改) in the same
    transaction that created it. Raises as `fix_on_spot`, and ConflictError
    ("rectification.integrity_finding") for an integrity finding: never closed on the spot."""
    rect = open_for_finding(session, actor, finding)
    fix_on_spot(
        session, actor, rect, text, photos, witness=witness, today=_local_date(finding.found_at)
    )
    return rect


def add_comment(
    session: Session, actor: User, rect: Rectification, text: str | None
) -> RectificationEvent:
    """A note or a correction on the timeline (earlier events are never edited). Open to the
    supervising roles in scope and to the responsible person.

    Raises ForbiddenError or InvalidError (no text)."""
    if not (actor.has_role(*SUPERVISING_ROLES) and in_scope(actor, rect.site_id, session)) and not (
        actor.staff_member_id and actor.staff_member_id == rect.responsible_staff_id
    ):
        raise ForbiddenError(
            "rectification.comment_forbidden", N_("You may not comment on this rectification.")
        )
    text = clean_text(text, N_("Write the comment."))
    return add_event(session, actor, rect, "comment", text)


def reassign(
    session: Session,
    actor: User,
    rect: Rectification,
    responsible_staff_id: int | None,
    supervisor_staff_id: int | None,
    reason: str | None,
    expected_version: int | None = None,
) -> RectificationEvent:
    """An administrator corrects who is responsible (a new event; nothing is overwritten
    silently).

    Raises StaleError, ForbiddenError (not an administrator in scope), ConflictError (closed)
    or InvalidError (no reason, unknown or missing staff member)."""
    check_version(rect, expected_version)
    if not actor.has_role("admin") or not in_scope(actor, rect.site_id, session):
        raise ForbiddenError(
            "rectification.not_admin", N_("Only an administrator can change who is responsible.")
        )
    if not rect.is_open:
        raise ConflictError(
            "rectification.closed", N_("A closed rectification cannot be reassigned.")
        )
    reason = clean_text(reason, N_("Give the reason for the change."), field="reason")
    for field, staff_id in (
        ("responsible_staff_id", responsible_staff_id),
        ("supervisor_staff_id", supervisor_staff_id),
    ):
        if staff_id is not None and session.get(StaffMember, staff_id) is None:
            raise InvalidError(
                "rectification.unknown_staff", N_("Unknown staff member."), field=field
            )
    if responsible_staff_id is None:
        raise InvalidError(
            "rectification.responsible_required",
            N_("Choose the responsible staff member."),
            field="responsible_staff_id",
        )
    before = snapshot(rect)
    rect.responsible_staff_id = responsible_staff_id
    rect.supervisor_staff_id = (
        supervisor_staff_id if supervisor_staff_id != responsible_staff_id else None
    )
    flush_change(session, rect)
    event = add_event(
        session,
        actor,
        rect,
        "reassigned",
        reason,
        before=before,
        data={"from": before["responsible_staff_id"], "to": responsible_staff_id},
    )
    _notify_opened(session, rect)
    return event
