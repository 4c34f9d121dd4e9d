"""Spot checks done by their drawn team (双随机): each inspector opens the check (the first opening
starts its clock) and signs it. The second inspector sees what the first recorded, adds findings
from the same visit if any, and signs; the check is submitted (findings, rectifications, the
draw's progress) by the last signature, so one inspector alone never completes a two-inspector
check. A drawn inspector who cannot take part is replaced by drawing another from the pool."""

from __future__ import annotations

import logging
import random
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, ForbiddenError, InvalidError, NotFoundError
from compliance.models import AuditEvent, User
from compliance.notifications.services import notify_each

from ..draws import SPOT_CHECK_ASSIGNED, eligible_inspectors
from ..models import Draw, Finding, Inspection, InspectionInspector
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
    session.expire(inspection, ["team"])
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


def redraw_inspector(
    session: Session, actor: User, inspection: Inspection, user_id: int, *, reason: str
) -> InspectionInspector:
    """Replace a drawn inspector who cannot take part (leave, recusal found late) by drawing
    another at random from the draw's inspector pool: active inspectors not excluded for the
    target (回避), not on the team and not replaced before on this check. The draw's stored result is kept as drawn; the
    replacement, its seed and the eligible inspectors are in the audit trail.

    Raises ConflictError when the check is submitted or that inspector has signed, InvalidError
    without a reason or when nobody is eligible, NotFoundError when the user is not on the team.
    """
    _lock(session, inspection)
    if inspection.status != "draft":
        raise already_submitted()
    member = next((m for m in inspection.team if m.user_id == user_id), None)
    if member is None:
        raise NotFoundError(
            "inspections.not_in_team", N_("Only the drawn inspectors work on this spot check.")
        )
    if member.signed_at is not None:
        raise ConflictError(
            "inspections.redraw_signed",
            N_("%(name)s has signed this spot check and cannot be replaced."),
            name=member.user.display_name,
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidError(
            "inspections.redraw_reason",
            N_("Say why the inspector is replaced."),
            field="reason",
        )
    draw = session.get(Draw, inspection.draw_id)
    target = inspection.target_window_id or inspection.target_staff_id
    excluded = set((draw.exclusions or {}).get(str(target), []))
    team = {m.user_id for m in inspection.team}
    # Whoever was replaced before cannot take part in this check either.
    team |= {
        (after or {}).get("replaced")
        for after in session.scalars(
            sa.select(AuditEvent.after).where(
                AuditEvent.action == "inspection.redraw",
                AuditEvent.entity_type == "Inspection",
                AuditEvent.entity_id == str(inspection.id),
            )
        )
    }
    eligible = [
        u
        for u in eligible_inspectors(session, list(draw.inspector_pool))
        if u not in excluded and u not in team
    ]
    if not eligible:
        raise InvalidError(
            "inspections.redraw_nobody",
            N_("No other inspector of the draw's pool is eligible for this target."),
        )
    seed = secrets.token_hex(16)
    chosen = random.Random(int(seed, 16)).choice(eligible)
    position, replaced = member.position, member.user
    inspection.team.remove(member)
    session.flush()
    new = InspectionInspector(user_id=chosen, position=position)
    inspection.team.append(new)
    if inspection.inspector_id == replaced.id:
        inspection.inspector_id = chosen
    session.flush()
    record(
        session,
        actor,
        "inspection.redraw",
        inspection,
        after={
            "replaced": replaced.id,
            "drawn": chosen,
            "eligible": eligible,
            "seed": seed,
        },
        reason=reason,
    )
    notify_each(
        session,
        [session.get(User, chosen)],
        "spot_check_assigned",
        SPOT_CHECK_ASSIGNED,
        title=draw.title,
        link=f"/spot-checks/{inspection.uuid}",
        entity=inspection,
        dedupe_key=f"spot-check:{inspection.id}:{chosen}",
    )
    logger.info(
        "spot check %s: inspector %s replaced by %s (drawn)", inspection.id, replaced.id, chosen
    )
    return new
