"""Spot checks done by their drawn team (双随机): each inspector opens the check (the first opening
starts its clock) and signs it. The second inspector sees what the first recorded, adds findings
from the same visit if any, and signs; the check is submitted (findings, rectifications, the
draw's progress) by the last signature, so one inspector alone never completes a two-inspector
check."""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, ForbiddenError
from compliance.models import User
from compliance.notifications.services import notify_each

from ..models import Finding, Inspection, InspectionInspector
from .findings import require_failure_photos, submit_round
from .rounds import already_submitted, draft_failures, parse_device_time, set_location
from .team import mark_opened, team_member, unsigned_members

logger = logging.getLogger(__name__)

# Translated per recipient when the notification is written.
SIGNATURE_NEEDED = N_("Your signature is needed: spot check at %(site)s")
SIGNATURE_NEEDED_BODY = N_(
    "%(name)s signed the spot check. Review what was recorded, add findings from the same visit "
    "if any, and sign."
)


def _lock(session: Session, inspection: Inspection) -> None:
    """Serialise the openings and signatures of one check: lock its row (PostgreSQL; SQLite
    serialises writing transactions anyway) and reload it and its team, so that of two inspectors
    signing at the same moment the later one sees the earlier signature and completes the check."""
    session.execute(
        sa.select(Inspection)
        .where(Inspection.id == inspection.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    session.scalars(
        sa.select(InspectionInspector)
        .where(InspectionInspector.inspection_id == inspection.id)
        .execution_options(populate_existing=True)
    ).all()


def _member_or_refuse(inspection: Inspection, actor: User) -> InspectionInspector:
    if inspection.status != "draft":
        raise already_submitted()
    member = team_member(inspection, actor)
    if member is None:
        raise ForbiddenError(
            "inspections.not_in_team", N_("Only the drawn inspectors work on this spot check.")
        )
    return member


def open_spot_check(
    session: Session,
    actor: User,
    inspection: Inspection,
    *,
    device_time=None,
    latitude=None,
    longitude=None,
    accuracy=None,
    at: datetime | None = None,
) -> InspectionInspector:
    """The drawn inspector starts working on the spot check: the first opening starts its clock
    (the round's duration counts from here, not from the draw). Opening again changes nothing.

    Raises ConflictError when the check is already submitted, ForbiddenError outside its team."""
    _lock(session, inspection)
    member = _member_or_refuse(inspection, actor)
    if mark_opened(
        session,
        actor,
        inspection,
        member,
        now=at or utcnow(),
        device_time=parse_device_time(device_time),
    ):
        if inspection.latitude is None:
            set_location(inspection, latitude, longitude, accuracy)
        logger.info("spot check %s opened by %s", inspection.id, actor.id)
    return member


def sign_spot_check(
    session: Session,
    actor: User,
    inspection: Inspection,
    *,
    device_time=None,
    user_agent: str | None = None,
    latitude=None,
    longitude=None,
    accuracy=None,
    remark: str | None = None,
    note: str | None = None,
    day: date | None = None,
    at: datetime | None = None,
) -> tuple[InspectionInspector, list[Finding] | None]:
    """The actor signs the spot check: they confirm what is recorded (the failures present now).
    When every drawn inspector has signed, the check is submitted. `remark` is the signer's own
    comment, `note` the round's note.

    Returns (the signature, the findings when this signature completed the check, else None).
    Raises ConflictError when the check is submitted or the actor signed already,
    ForbiddenError outside the team, InvalidError when a failure that requires a photo has none.
    """
    _lock(session, inspection)
    member = _member_or_refuse(inspection, actor)
    if member.signed_at is not None:
        raise ConflictError(
            "inspections.already_signed", N_("You have already signed this spot check.")
        )
    failures = draft_failures(session, inspection)
    require_failure_photos(session, failures)
    now = at or utcnow()
    mark_opened(session, actor, inspection, member, now=now)
    if inspection.latitude is None:
        set_location(inspection, latitude, longitude, accuracy)
    if note is not None and note.strip():
        inspection.note = note.strip()
    member.signed_at = now
    member.device_signed_at = parse_device_time(device_time)
    member.user_agent = (user_agent or "").strip()[:300] or None
    member.signature_note = (remark or "").strip()[:2000] or None
    member.signed_result_ids = [f.id for f in failures]
    session.flush()
    record(
        session,
        actor,
        "inspection.sign",
        inspection,
        after={
            "user_id": actor.id,
            "signed_at": now.isoformat(),
            "device_signed_at": member.device_signed_at.isoformat()
            if member.device_signed_at
            else None,
            "user_agent": member.user_agent,
            "remark": member.signature_note,
            "failures": member.signed_result_ids,
        },
    )
    missing = unsigned_members(inspection)
    logger.info(
        "spot check %s signed by %s (%s signature(s) missing)",
        inspection.id,
        actor.id,
        len(missing),
    )
    if missing:
        notify_each(
            session,
            [m.user for m in missing],
            "spot_check_signature",
            SIGNATURE_NEEDED,
            body_msgid=SIGNATURE_NEEDED_BODY,
            site=inspection.site.name,
            name=actor.display_name,
            link=f"/spot-checks/{inspection.uuid}",
            entity=inspection,
            dedupe_key=f"spot-check-sign:{inspection.id}:{actor.id}",
        )
        return member, None
    findings = submit_round(session, actor, inspection, day=day, device_time=device_time, at=now)
    return member, findings
