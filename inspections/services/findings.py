"""Submitting a round: every target/item not failed passes (recorded by the round's roster, not
row by row), each failure becomes a `Finding`."""

from __future__ import annotations

import logging
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance import limits
from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import N_, InvalidError
from compliance.limits import checked_text
from compliance.models import User
from compliance.timeutil import local_today

from ..check_results import roster_for, target_key
from ..draws import refresh_status
from ..hooks import fire_finding_created
from ..models import CheckResult, Draw, Finding, Inspection, InspectionRoster, Photo
from .catalogue import active_items
from .plausibility import flag_implausible, window_count
from .roster import site_roster
from .rounds import (
    already_submitted,
    draft_failures,
    parse_device_time,
    round_targets,
    set_location,
)
from .team import refuse_unsigned

logger = logging.getLogger(__name__)


def require_failure_photos(session: Session, failures: list[CheckResult]) -> None:
    """Raises InvalidError naming the first failure whose item requires a photo and has none.

    Only photos that exist and belong to the failure count: a SHA-256 the API client promised
    (`photo_sha256`) is not a photo until it has been uploaded (under the inspection's UUID,
    before the round for an item that requires one)."""
    photo_counts = dict(
        session.execute(
            sa.select(Photo.check_result_id, sa.func.count(Photo.id))
            .where(Photo.check_result_id.in_([f.id for f in failures] or [-1]))
            .group_by(Photo.check_result_id)
        ).all()
    )
    for failure in failures:
        if failure.item_version.photo_required and not photo_counts.get(failure.id):
            raise InvalidError(
                "inspections.photo_required",
                N_("%(code)s requires a photo of the failure."),
                field="photos",
                code=failure.item_version.item.code,
            )


def submit_round(
    session: Session,
    actor: User,
    inspection: Inspection,
    *,
    day: date | None = None,
    device_time=None,
    latitude=None,
    longitude=None,
    accuracy=None,
    note: str | None = None,
    require_photos: bool = True,
    at: datetime | None = None,
) -> list[Finding]:
    """Close a draft round: every target/item not failed passes (or is excused for a staff member
    on approved leave), each failure becomes a Finding (with its photos) and `finding_created`
    handlers run; a spot check's draw is marked done once its last spot check is in. A spot check
    is submitted by its last signature (`spot_checks.sign_spot_check`). The submitted round is
    checked for plausibility (flagged, never refused). `at` and `require_photos=False` exist for
    loading past rounds (demo, imports).

    Raises ConflictError when already submitted or a drawn inspector has not signed, InvalidError
    when a failure that requires a photo has none or the note is longer than its limit.
    """
    if note is not None:
        note = checked_text(note, limits.INSPECTION_NOTE, field="note")
    if inspection.status != "draft":
        raise already_submitted()
    refuse_unsigned(inspection)
    day = day or local_today()
    roster = site_roster(session, inspection.site, day)
    failures = draft_failures(session, inspection)
    if require_photos:
        require_failure_photos(session, failures)
    failed = {
        (*target_key(f.window_id, f.staff_member_id), f.item_version.item_id) for f in failures
    }
    targets = []
    for target in round_targets(inspection, roster):
        entry = roster.entry_for(target.id) if target.kind == "staff" else None
        if target.kind == "staff" and entry is None:
            continue
        if target.kind == "staff":
            targets.append((entry.window.id, target.id, entry.on_leave))
        else:
            targets.append((target.id if target.kind == "window" else None, None, False))
    items = [(i.id, i.target, v.id, v.severity) for i, v in active_items(session)]
    # Passes are no rows: the roster stands for them; excused items are stored.
    checked, rows = roster_for(inspection.id, targets, items, failed)
    session.execute(sa.insert(InspectionRoster), [checked])
    if rows:
        session.execute(sa.insert(CheckResult), rows)
    now = at or utcnow()
    inspection.status = "submitted"
    inspection.submitted_at = now
    inspection.device_submitted_at = parse_device_time(device_time)
    if inspection.latitude is None:
        set_location(inspection, latitude, longitude, accuracy)
    if note is not None:
        inspection.note = note
    inspection.inspector_id = actor.id if inspection.draw_id is None else inspection.inspector_id
    inspection.failure_count = len(failures)
    findings = []
    for failure in failures:
        version = failure.item_version
        finding = Finding(
            inspection_id=inspection.id,
            check_result_id=failure.id,
            item_version_id=version.id,
            category=version.item.category,
            target=version.item.target,
            site_id=inspection.site_id,
            window_id=failure.window_id,
            staff_member_id=failure.staff_member_id,
            severity=failure.severity,
            description=f"{version.item.code} {version.text_zh}"[:300],
            reason=failure.reason,
            note=failure.note,
            found_by_id=failure.recorded_by_id or actor.id,
            found_at=now,
            is_integrity=bool(version.item.is_integrity),
        )
        session.add(finding)
        findings.append(finding)
    session.flush()
    if findings:
        by_result = {f.check_result_id: f.id for f in findings}
        for result_id, finding_id in by_result.items():
            session.execute(
                sa.update(Photo)
                .where(Photo.check_result_id == result_id)
                .values(finding_id=finding_id)
            )
    record(session, actor, "inspection.submit", inspection)
    for finding in findings:
        record(session, actor, "finding.create", finding)
        fire_finding_created(session, actor, finding)
    if inspection.draw_id is not None:
        refresh_status(session, session.get(Draw, inspection.draw_id))
    flag_implausible(session, actor, inspection, windows=window_count(inspection, roster))
    session.flush()
    logger.info(
        "inspection %s submitted by %s: %s passes, %s other results, %s findings",
        inspection.id,
        actor.id,
        checked["pass_count"],
        len(rows) + len(failures),
        len(findings),
    )
    return findings
