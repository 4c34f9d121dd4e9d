"""Patrol rounds and spot checks while they are drafts: opening a round, the targets it checks,
and marking (or unmarking) failures."""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from compliance import limits
from compliance.audit import record
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, InvalidError
from compliance.limits import checked_text
from compliance.models import Site, User
from compliance.timeutil import local_today

from ..models import (
    SEVERITIES,
    SEVERITY_RANK,
    CheckItem,
    CheckItemVersion,
    CheckResult,
    Finding,
    Inspection,
    Photo,
)
from .roster import SiteRoster, site_roster
from .team import mark_opened, refuse_signed_changes, team_member

logger = logging.getLogger(__name__)


def already_submitted() -> ConflictError:
    return ConflictError(
        "inspections.already_submitted", N_("This inspection has already been submitted.")
    )


def parse_device_time(value) -> datetime | None:
    """An ISO timestamp from the phone (with offset or Z) as naive UTC; None when unusable."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


# A round whose device times span more than this is not believed (a phone with a wrong clock).
MAX_DEVICE_SPAN = timedelta(hours=12)


def device_span(started, submitted) -> timedelta | None:
    """How long a round took by the phone's own clock (start to submit), when both times are
    given and plausible; None otherwise."""
    start, end = parse_device_time(started), parse_device_time(submitted)
    if start is None or end is None or not timedelta(0) <= end - start <= MAX_DEVICE_SPAN:
        return None
    return end - start


def _float(value, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def set_location(inspection: Inspection, latitude, longitude, accuracy=None) -> None:
    lat, lon = _float(latitude, -90, 90), _float(longitude, -180, 180)
    if lat is not None and lon is not None:
        inspection.latitude, inspection.longitude = lat, lon
        inspection.location_accuracy_m = _float(accuracy, 0, 1e6)


def start_round(
    session: Session,
    actor: User,
    site: Site,
    *,
    uuid: str | None = None,
    kind: str = "patrol",
    device_time=None,
    latitude=None,
    longitude=None,
    accuracy=None,
    started_at: datetime | None = None,
) -> Inspection:
    """Open a draft patrol round of `site` for `actor` (`started_at`: when a round sent in one
    request really began, by the phone's clock span). Raises DomainError when the UUID is
    malformed, ConflictError when it is already used."""
    try:
        key = str(uuidlib.UUID(str(uuid))) if uuid else str(uuidlib.uuid4())
    except ValueError:
        raise DomainError(
            "inspections.uuid_invalid", N_("The inspection id must be a UUID."), field="uuid"
        ) from None
    if session.scalar(sa.select(Inspection.id).where(Inspection.uuid == key)):
        raise ConflictError(
            "inspections.uuid_taken", N_("An inspection with this id already exists."), field="uuid"
        )
    inspection = Inspection(
        uuid=key,
        kind=kind,
        status="draft",
        site_id=site.id,
        inspector_id=actor.id,
        started_at=started_at or utcnow(),
        device_started_at=parse_device_time(device_time),
    )
    set_location(inspection, latitude, longitude, accuracy)
    session.add(inspection)
    session.flush()
    record(session, actor, "inspection.start", inspection)
    logger.info(
        "inspection %s (%s) started by %s at site %s", inspection.id, kind, actor.id, site.id
    )
    return inspection


def may_work_on(user: User, inspection: Inspection) -> bool:
    """The inspector of a draft round, or a member of a spot check's drawn team who has not
    signed it yet."""
    if inspection.status != "draft":
        return False
    if inspection.team:
        member = team_member(inspection, user)
        return member is not None and member.signed_at is None
    return inspection.inspector_id == user.id


@dataclass(frozen=True)
class Target:
    """What a check item is checked against: a staff member, a window or the site's area."""

    kind: str  # staff | window | area
    id: int | None = None

    @property
    def key(self) -> str:
        return "a" if self.kind == "area" else f"{self.kind[0]}{self.id}"

    @classmethod
    def parse(cls, key: str) -> Target:
        key = (key or "").strip()
        try:
            if key == "a":
                return cls("area")
            if key[:1] in ("s", "w") and key[1:].isdigit():
                return cls("staff" if key[0] == "s" else "window", int(key[1:]))
        except (TypeError, IndexError):
            pass
        raise DomainError("inspections.unknown_target", N_("Unknown target."), field="target")


def target_of(result: CheckResult | Finding) -> Target:
    if result.staff_member_id is not None:
        return Target("staff", result.staff_member_id)
    if result.window_id is not None:
        return Target("window", result.window_id)
    return Target("area")


def _check_target(roster: SiteRoster, target: Target, inspection: Inspection) -> int | None:
    """Validate the target against the site; returns the window id of the target."""
    if target.kind == "area":
        return None
    if target.kind == "window":
        if not any(w.id == target.id for w in roster.windows):
            raise DomainError(
                "inspections.window_not_at_site",
                N_("This window is not at the inspected site."),
                field="target",
            )
        return target.id
    entry = roster.entry_for(target.id)
    if entry is None:
        raise DomainError(
            "inspections.staff_not_on_duty",
            N_("This staff member is not on duty at the inspected site today."),
            field="target",
        )
    return entry.window.id


def record_failure(
    session: Session,
    actor: User,
    inspection: Inspection,
    *,
    target: Target,
    item_code: str,
    severity: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    roster: SiteRoster | None = None,
    day: date | None = None,
) -> CheckResult:
    """Mark one item failed for one target in a draft round (again for the same pair: updated).

    The severity may be raised above the item's default, never lowered. Raises ConflictError
    when the round is closed, DomainError when the item or target does not fit or the severity is
    invalid, InvalidError when the reason or the note is longer than its limit (`limits`).
    """
    if inspection.status != "draft":
        raise already_submitted()
    refuse_signed_changes(inspection, actor)
    item = session.scalar(
        sa.select(CheckItem).where(
            CheckItem.code == (item_code or "").upper(), CheckItem.is_active.is_(True)
        )
    )
    if item is None or item.current_version is None:
        raise DomainError("inspections.unknown_item", N_("Unknown check item."), field="item")
    if item.target != target.kind:
        raise DomainError(
            "inspections.item_wrong_target",
            N_("This item is not checked for this kind of target."),
            field="item",
        )
    if roster is None:
        roster = site_roster(session, inspection.site, day or local_today())
    window_id = _check_target(roster, target, inspection)
    if target not in round_targets(inspection, roster):
        raise DomainError(
            "inspections.target_not_in_round",
            N_("This target is not part of this inspection."),
            field="target",
        )
    if target.kind == "staff" and roster.entry_for(target.id).on_leave:
        raise DomainError(
            "inspections.staff_on_leave",
            N_("This staff member is on approved leave: excused, not a finding."),
            field="target",
        )
    version = item.current_version
    severity = severity or version.severity
    if severity not in SEVERITIES:
        raise DomainError("inspections.unknown_severity", N_("Unknown severity."), field="severity")
    if SEVERITY_RANK[severity] < SEVERITY_RANK[version.severity]:
        raise DomainError(
            "inspections.severity_lowered",
            N_("The severity may be raised, not lowered below the item's default."),
            field="severity",
        )
    conditions = [CheckResult.inspection_id == inspection.id, CheckItemVersion.item_id == item.id]
    if target.kind == "staff":
        conditions.append(CheckResult.staff_member_id == target.id)
    else:
        conditions += [
            CheckResult.staff_member_id.is_(None),
            CheckResult.window_id == window_id
            if window_id is not None
            else CheckResult.window_id.is_(None),
        ]
    existing = session.scalars(
        sa.select(CheckResult).join(CheckItemVersion).where(*conditions)
    ).first()
    refuse_signed_changes(inspection, actor, existing)
    if inspection.team:
        # Marking a failure is taking part: it opens the spot check for this inspector.
        mark_opened(session, actor, inspection, team_member(inspection, actor), now=utcnow())
    result = existing or CheckResult(
        inspection_id=inspection.id,
        item_version_id=version.id,
        window_id=window_id,
        staff_member_id=target.id if target.kind == "staff" else None,
        recorded_by_id=actor.id,
    )
    result.result = "fail"
    result.severity = severity
    result.reason = checked_text(reason, limits.PATROL_REASON, field="reason")
    result.note = checked_text(note, limits.PATROL_NOTE, field="note")
    if existing is None:
        session.add(result)
    session.flush()
    return result


def require_photo(session: Session, item_code: str, photo_count: int) -> None:
    """A failure of an item that requires a photo is saved only with one (said when it is saved,
    not at submit). Raises InvalidError "inspections.photo_required" (field "photos")."""
    item = session.scalar(
        sa.select(CheckItem).where(
            CheckItem.code == (item_code or "").upper(), CheckItem.is_active.is_(True)
        )
    )
    version = item.current_version if item is not None else None
    if version is not None and version.photo_required and photo_count < 1:
        raise InvalidError(
            "inspections.photo_required",
            N_("%(code)s requires a photo of the failure."),
            field="photos",
            code=item.code,
        )


def detach_photos(
    session: Session, actor: User, inspection: Inspection, result: CheckResult, photo_ids
) -> int:
    """Take photos off a failure of a draft round (the files stay until the draft goes away).
    Returns how many were taken off. Raises ConflictError when the round is already submitted."""
    if inspection.status != "draft" or result.inspection_id != inspection.id:
        raise already_submitted()
    ids = [int(i) for i in photo_ids]
    if not ids:
        return 0
    count = session.execute(
        sa.update(Photo)
        .where(Photo.check_result_id == result.id, Photo.id.in_(ids))
        .values(check_result_id=None)
    ).rowcount
    session.flush()
    return count or 0


def remove_failure(
    session: Session, actor: User, inspection: Inspection, result: CheckResult
) -> None:
    """Undo a failure marked in a draft round (its photos are detached, the files kept until
    the draft goes away). Raises ConflictError when the round is already submitted or a spot
    check's signature covers the failure, ForbiddenError outside a spot check's team."""
    if inspection.status != "draft" or result.inspection_id != inspection.id:
        raise already_submitted()
    refuse_signed_changes(inspection, actor, result)
    session.execute(
        sa.update(Photo).where(Photo.check_result_id == result.id).values(check_result_id=None)
    )
    session.delete(result)
    session.flush()


def draft_failures(session: Session, inspection: Inspection) -> list[CheckResult]:
    return list(
        session.scalars(
            sa.select(CheckResult)
            .where(CheckResult.inspection_id == inspection.id, CheckResult.result == "fail")
            .options(joinedload(CheckResult.item_version).joinedload(CheckItemVersion.item))
            .order_by(CheckResult.id)
        ).unique()
    )


def attach_photo_to_result(session: Session, photo: Photo, result: CheckResult) -> None:
    photo.check_result_id = result.id
    session.flush()


def round_targets(inspection: Inspection, roster: SiteRoster) -> list[Target]:
    """The targets a round checks: a spot check its drawn target, a patrol the whole site."""
    if inspection.target_staff_id is not None:
        return [Target("staff", inspection.target_staff_id)]
    if inspection.target_window_id is not None:
        targets = [Target("window", inspection.target_window_id)]
        targets += [
            Target("staff", e.staff.id) for e in roster.duty.get(inspection.target_window_id, [])
        ]
        return targets
    targets = [Target("area")]
    for window in roster.windows:
        targets.append(Target("window", window.id))
        targets += [Target("staff", e.staff.id) for e in roster.duty.get(window.id, [])]
    return targets
