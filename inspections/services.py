"""Domain rules for the checklist catalogue, patrol rounds and findings. No Flask imports apart
from message translation; services flush and never commit.

A round is an `Inspection` in status draft: failures are saved as they are marked (so a round can
be resumed), everything else passes by default. Submitting writes the full set of results against
the item versions in force and turns each failure into a `Finding`, all in the caller's single
transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.audit import record, snapshot
from compliance.db import utcnow
from compliance.models import Assignment, Leave, Site, StaffMember, User, Window

from .access import can_view_finding  # noqa: F401  (re-exported: the rectification contract)
from .hooks import fire_finding_created
from .models import (
    CATEGORIES,
    SEVERITIES,
    SEVERITY_RANK,
    TARGETS,
    CheckItem,
    CheckItemVersion,
    CheckResult,
    Finding,
    Inspection,
    Photo,
)
from .text import _

logger = logging.getLogger(__name__)


class InspectionError(ValueError):
    """A rule of the inspections domain was broken; `message` is shown to the user."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# --------------------------------------------------------------------------- catalogue


def create_check_item(
    session: Session,
    actor: User | None,
    *,
    code: str,
    category: str,
    target: str,
    text_zh: str,
    text_en: str,
    severity: str,
    points: int,
    photo_required: bool = False,
    sort_order: int = 0,
) -> CheckItem:
    """Add an item with its first version. Raises InspectionError on a bad or duplicate value."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        raise InspectionError(_("A code of 1 to 16 characters is required."), "code")
    if category not in CATEGORIES:
        raise InspectionError(_("Unknown category."), "category")
    if target not in TARGETS:
        raise InspectionError(_("Unknown target."), "target")
    if session.scalar(sa.select(CheckItem.id).where(CheckItem.code == code)):
        raise InspectionError(_("An item with code %(code)s already exists.", code=code), "code")
    item = CheckItem(code=code, category=category, target=target, sort_order=sort_order)
    session.add(item)
    session.flush()
    version = _new_version(
        session, actor, item, 1, text_zh, text_en, severity, points, photo_required
    )
    item.current_version = version
    session.flush()
    record(
        session,
        actor,
        "check_item.create",
        item,
        after={**snapshot(item), "version": snapshot(version)},
    )
    return item


def _new_version(
    session, actor, item, number, text_zh, text_en, severity, points, photo_required
) -> CheckItemVersion:
    text_zh, text_en = (text_zh or "").strip(), (text_en or "").strip()
    if not text_zh or not text_en:
        raise InspectionError(_("Both the Chinese and the English text are required."), "text_zh")
    if severity not in SEVERITIES:
        raise InspectionError(_("Unknown severity."), "severity")
    try:
        points = int(points)
    except (TypeError, ValueError):
        raise InspectionError(_("Points must be a whole number."), "points") from None
    if points < 0 or points > 100:
        raise InspectionError(_("Points must be between 0 and 100."), "points")
    version = CheckItemVersion(
        item_id=item.id,
        version=number,
        text_zh=text_zh[:200],
        text_en=text_en[:200],
        severity=severity,
        points=points,
        photo_required=bool(photo_required),
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(version)
    session.flush()
    return version


def update_check_item(
    session: Session,
    actor: User | None,
    item: CheckItem,
    *,
    text_zh: str,
    text_en: str,
    severity: str,
    points: int,
    photo_required: bool,
    is_active: bool | None = None,
    sort_order: int | None = None,
) -> CheckItem:
    """Edit an item by adding a version; past results keep pointing at the old version.
    Raises InspectionError on bad values."""
    current = item.current_version
    before = {**snapshot(item), "version": snapshot(current) if current else None}
    wording_changed = current is None or (
        (current.text_zh, current.text_en, current.severity, current.points, current.photo_required)
        != (
            (text_zh or "").strip(),
            (text_en or "").strip(),
            severity,
            int(points or 0),
            bool(photo_required),
        )
    )
    if wording_changed:
        number = (
            session.scalar(
                sa.select(sa.func.max(CheckItemVersion.version)).where(
                    CheckItemVersion.item_id == item.id
                )
            )
            or 0
        ) + 1
        item.current_version = _new_version(
            session, actor, item, number, text_zh, text_en, severity, points, photo_required
        )
    if is_active is not None:
        item.is_active = bool(is_active)
    if sort_order is not None:
        item.sort_order = int(sort_order)
    session.flush()
    record(
        session,
        actor,
        "check_item.update",
        item,
        before=before,
        after={**snapshot(item), "version": snapshot(item.current_version)},
    )
    return item


def active_items(session: Session) -> list[tuple[CheckItem, CheckItemVersion]]:
    """Active items with their current versions, in catalogue order (one query)."""
    rows = session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .where(CheckItem.is_active.is_(True))
        .order_by(CheckItem.category, CheckItem.sort_order, CheckItem.code)
    ).all()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(
        ((i, v) for i, v in rows), key=lambda r: (order[r[0].category], r[0].sort_order, r[0].code)
    )


# --------------------------------------------------------------------------- who is on duty


@dataclass
class DutyEntry:
    window: Window
    staff: StaffMember
    on_leave: bool


@dataclass
class SiteRoster:
    site: Site
    windows: list[Window]
    duty: dict[int, list[DutyEntry]] = field(default_factory=dict)  # window id -> entries

    def staff_ids(self) -> set[int]:
        return {e.staff.id for entries in self.duty.values() for e in entries}

    def entry_for(self, staff_id: int) -> DutyEntry | None:
        for entries in self.duty.values():
            for e in entries:
                if e.staff.id == staff_id:
                    return e
        return None


def site_roster(session: Session, site: Site, day: date) -> SiteRoster:
    """Active windows of the site and who should be at each on `day` (current assignments; a
    staff member on approved leave is flagged). Two SQL statements whatever the size."""
    windows = list(
        session.scalars(
            sa.select(Window)
            .where(Window.site_id == site.id, Window.is_active.is_(True))
            .order_by(Window.code)
        )
    )
    on_leave = (
        sa.exists()
        .where(
            Leave.staff_member_id == StaffMember.id, Leave.starts_on <= day, Leave.ends_on >= day
        )
        .correlate(StaffMember)
        .label("on_leave")
    )
    rows = session.execute(
        sa.select(Assignment.window_id, StaffMember, on_leave)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .join(Window, Window.id == Assignment.window_id)
        .where(
            Window.site_id == site.id,
            Window.is_active.is_(True),
            StaffMember.status == "active",
            Assignment.started_on <= day,
            sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
        )
        .order_by(Assignment.window_id, StaffMember.name, StaffMember.id)
    ).all()
    by_id = {w.id: w for w in windows}
    roster = SiteRoster(site=site, windows=windows)
    for window_id, member, leave in rows:
        roster.duty.setdefault(window_id, []).append(
            DutyEntry(by_id[window_id], member, bool(leave))
        )
    return roster


# --------------------------------------------------------------------------- rounds


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
        from datetime import UTC

        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


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
) -> Inspection:
    """Open a draft patrol round of `site` for `actor`. Raises InspectionError when the UUID is
    malformed or already used."""
    try:
        key = str(uuidlib.UUID(str(uuid))) if uuid else str(uuidlib.uuid4())
    except ValueError:
        raise InspectionError(_("The inspection id must be a UUID."), "uuid", 400) from None
    if session.scalar(sa.select(Inspection.id).where(Inspection.uuid == key)):
        raise InspectionError(_("An inspection with this id already exists."), "uuid", 409)
    inspection = Inspection(
        uuid=key,
        kind=kind,
        status="draft",
        site_id=site.id,
        inspector_id=actor.id,
        started_at=utcnow(),
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
    """The inspector of a draft round, or a member of a spot check's drawn team."""
    if inspection.status != "draft":
        return False
    if inspection.inspector_id == user.id:
        return True
    return any(m.user_id == user.id for m in inspection.team)


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
        raise InspectionError(_("Unknown target."), "target", 400)


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
            raise InspectionError(_("This window is not at the inspected site."), "target", 400)
        return target.id
    entry = roster.entry_for(target.id)
    if entry is None:
        raise InspectionError(
            _("This staff member is not on duty at the inspected site today."), "target", 400
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

    The severity may be raised above the item's default, never lowered. Raises InspectionError
    when the round is closed, the item or target does not fit, or the severity is invalid.
    """
    if inspection.status != "draft":
        raise InspectionError(_("This inspection has already been submitted."), status=409)
    item = session.scalar(
        sa.select(CheckItem).where(
            CheckItem.code == (item_code or "").upper(), CheckItem.is_active.is_(True)
        )
    )
    if item is None or item.current_version is None:
        raise InspectionError(_("Unknown check item."), "item", 400)
    if item.target != target.kind:
        raise InspectionError(_("This item is not checked for this kind of target."), "item", 400)
    if roster is None:
        from compliance.timeutil import local_today

        roster = site_roster(session, inspection.site, day or local_today())
    window_id = _check_target(roster, target, inspection)
    if target not in round_targets(inspection, roster):
        raise InspectionError(_("This target is not part of this inspection."), "target", 400)
    if target.kind == "staff" and roster.entry_for(target.id).on_leave:
        raise InspectionError(
            _("This staff member is on approved leave: excused, not a finding."), "target", 400
        )
    version = item.current_version
    severity = severity or version.severity
    if severity not in SEVERITIES:
        raise InspectionError(_("Unknown severity."), "severity", 400)
    if SEVERITY_RANK[severity] < SEVERITY_RANK[version.severity]:
        raise InspectionError(
            _("The severity may be raised, not lowered below the item's default."), "severity", 400
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
    result = existing or CheckResult(
        inspection_id=inspection.id,
        item_version_id=version.id,
        window_id=window_id,
        staff_member_id=target.id if target.kind == "staff" else None,
    )
    result.result = "fail"
    result.severity = severity
    result.reason = (reason or "").strip()[:200] or None
    result.note = (note or "").strip() or None
    if existing is None:
        session.add(result)
    session.flush()
    return result


def remove_failure(
    session: Session, actor: User, inspection: Inspection, result: CheckResult
) -> None:
    """Undo a failure marked in a draft round (its photos are detached, the files kept until
    the draft goes away). Raises InspectionError when the round is already submitted."""
    if inspection.status != "draft" or result.inspection_id != inspection.id:
        raise InspectionError(_("This inspection has already been submitted."), status=409)
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
            .options(sa.orm.joinedload(CheckResult.item_version).joinedload(CheckItemVersion.item))
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
    handlers run. `at` and `require_photos=False` exist for loading past rounds (demo, imports). Raises InspectionError when already submitted or when a failure that requires
    a photo has none.
    """
    from compliance.timeutil import local_today

    if inspection.status != "draft":
        raise InspectionError(_("This inspection has already been submitted."), status=409)
    day = day or local_today()
    roster = site_roster(session, inspection.site, day)
    failures = draft_failures(session, inspection)
    photo_counts = dict(
        session.execute(
            sa.select(Photo.check_result_id, sa.func.count(Photo.id))
            .where(Photo.check_result_id.in_([f.id for f in failures] or [-1]))
            .group_by(Photo.check_result_id)
        ).all()
    )
    for failure in failures:
        # Through the API a failure may name photos (SHA-256) that upload after the round.
        if (
            require_photos
            and failure.item_version.photo_required
            and not photo_counts.get(failure.id)
            and not failure.photo_sha256
        ):
            raise InspectionError(
                _("%(code)s requires a photo of the failure.", code=failure.item_version.item.code),
                "photos",
            )
    failed_keys = {(f.item_version.item_id, target_of(f)) for f in failures}
    rows = []
    items_cache = active_items(session)
    for target in round_targets(inspection, roster):
        entry = roster.entry_for(target.id) if target.kind == "staff" else None
        if target.kind == "staff" and entry is None:
            continue
        window_id = (
            target.id if target.kind == "window" else entry.window.id if entry is not None else None
        )
        for item, version in items_cache:
            if item.target != target.kind or (item.id, target) in failed_keys:
                continue
            rows.append(
                {
                    "inspection_id": inspection.id,
                    "item_version_id": version.id,
                    "window_id": window_id,
                    "staff_member_id": target.id if target.kind == "staff" else None,
                    "result": "excused" if entry is not None and entry.on_leave else "pass",
                    "severity": version.severity,
                }
            )
    if rows:
        session.execute(sa.insert(CheckResult), rows)
    now = at or utcnow()
    inspection.status = "submitted"
    inspection.submitted_at = now
    inspection.device_submitted_at = parse_device_time(device_time)
    if inspection.latitude is None:
        set_location(inspection, latitude, longitude, accuracy)
    if note is not None:
        inspection.note = note.strip() or None
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
            found_by_id=actor.id,
            found_at=now,
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
    session.flush()
    logger.info(
        "inspection %s submitted by %s: %s results, %s findings",
        inspection.id,
        actor.id,
        len(rows) + len(failures),
        len(findings),
    )
    return findings


# --------------------------------------------------------------------------- API: one request


def content_hash(payload: dict) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_inspection(
    session: Session, actor: User, payload: dict, *, upload_folder: str | None = None
) -> tuple[Inspection, bool]:
    """Create and submit a patrol round with its failures in one go, keyed by the client's UUID.

    Returns (inspection, created). The same UUID with the same content returns the existing
    record (created=False); with different content raises InspectionError(status=409). Photos
    already uploaded under the UUID are attached by SHA-256. Raises InspectionError for an unknown
    site (404), a site outside the actor's scope (404) or invalid failures (400/422).
    """
    from compliance.access import in_scope

    digest = content_hash(payload)
    try:
        key = str(uuidlib.UUID(str(payload.get("uuid"))))
    except ValueError:
        raise InspectionError(_("The inspection id must be a UUID."), "uuid", 400) from None
    existing = session.scalars(sa.select(Inspection).where(Inspection.uuid == key)).first()
    if existing is not None:
        if existing.content_hash == digest and existing.inspector_id == actor.id:
            return existing, False
        raise InspectionError(
            _("An inspection with this id already exists with different content."), "uuid", 409
        )
    site = session.get(Site, payload.get("site_id"))
    if site is None or not in_scope(actor, site.id, session):
        raise InspectionError(_("Unknown site."), "site_id", 404)
    inspection = start_round(
        session,
        actor,
        site,
        uuid=key,
        device_time=payload.get("device_started_at"),
        latitude=payload.get("latitude"),
        longitude=payload.get("longitude"),
        accuracy=payload.get("location_accuracy_m"),
    )
    inspection.content_hash = digest
    from compliance.timeutil import local_today

    # The server's day decides who was on duty; the device time is kept as evidence only.
    roster = site_roster(session, site, local_today())
    photos = {
        p.sha256: p for p in session.scalars(sa.select(Photo).where(Photo.inspection_uuid == key))
    }
    for index, failure in enumerate(payload.get("failures") or []):
        try:
            target = Target.parse(failure.get("target", ""))
            result = record_failure(
                session,
                actor,
                inspection,
                target=target,
                item_code=failure.get("item_code", ""),
                severity=failure.get("severity"),
                reason=failure.get("reason"),
                note=failure.get("note"),
                roster=roster,
            )
        except InspectionError as exc:
            raise InspectionError(
                f"failures[{index}]: {exc.message}", exc.field, exc.status
            ) from None
        shas = [str(sha).lower() for sha in failure.get("photos") or []]
        result.photo_sha256 = shas or None
        for sha in shas:
            if sha in photos:
                photos[sha].check_result_id = result.id
    session.flush()
    submit_round(
        session,
        actor,
        inspection,
        device_time=payload.get("device_submitted_at"),
        note=payload.get("note"),
    )
    return inspection, True


def attach_uploaded_photo(session: Session, photo: Photo) -> None:
    """A photo uploaded under an inspection UUID: link it to the failure that lists its SHA-256
    (and to that failure's finding once submitted). Uploading before or after the inspection both
    work, so a phone can send the round first and the photos when the network allows."""
    if not photo.inspection_uuid or photo.check_result_id is not None:
        return
    inspection = session.scalars(
        sa.select(Inspection).where(Inspection.uuid == photo.inspection_uuid)
    ).first()
    if inspection is None:
        return
    for result in session.scalars(
        sa.select(CheckResult).where(
            CheckResult.inspection_id == inspection.id, CheckResult.result == "fail"
        )
    ):
        if photo.sha256 in (result.photo_sha256 or []):
            photo.check_result_id = result.id
            photo.finding_id = session.scalar(
                sa.select(Finding.id).where(Finding.check_result_id == result.id)
            )
            session.flush()
            return
