"""Inspections sent by a phone: a whole round in one request keyed by the client's UUID, and its
photos keyed by that UUID and their SHA-256, in either order. Both are idempotent, so a phone on a
bad network can simply send again."""

from __future__ import annotations

import hashlib
import json
import uuid as uuidlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.access import in_scope
from compliance.db import utcnow
from compliance.domain import N_, ConflictError, DomainError, NotFoundError
from compliance.models import Site, User
from compliance.timeutil import local_today

from ..models import CheckResult, Finding, Inspection, Photo
from ..photos import MAX_BYTES, find_existing, store_photo
from .findings import submit_round
from .roster import site_roster
from .rounds import Target, device_span, record_failure, start_round


def content_hash(payload: dict) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Reason:
    """A refusal inside one failure of a request, translated when the outer message is."""

    def __init__(self, error: DomainError) -> None:
        self.error = error

    def __str__(self) -> str:
        return self.error.translated()


def _repeat(existing: Inspection, actor: User, digest: str) -> tuple[Inspection, bool]:
    if existing.content_hash == digest and existing.inspector_id == actor.id:
        return existing, False
    raise ConflictError(
        "inspections.uuid_content_differs",
        N_("An inspection with this id already exists with different content."),
        field="uuid",
    )


def _by_uuid(session: Session, key: str) -> Inspection | None:
    return session.scalars(sa.select(Inspection).where(Inspection.uuid == key)).first()


def create_inspection(
    session: Session, actor: User, payload: dict, *, upload_folder: str | None = None
) -> tuple[Inspection, bool]:
    """Create and submit a patrol round with its failures in one go, keyed by the client's UUID.

    Returns (inspection, created). The same UUID with the same content returns the existing
    record (created=False), also when a concurrent request with that UUID won the race; with
    different content raises ConflictError. Photos already uploaded under the UUID are attached by
    SHA-256. Raises NotFoundError for an unknown site or one outside the actor's scope, and
    DomainError/InvalidError for invalid failures (the message names the failure).
    """
    digest = content_hash(payload)
    try:
        key = str(uuidlib.UUID(str(payload.get("uuid"))))
    except ValueError:
        raise DomainError(
            "inspections.uuid_invalid", N_("The inspection id must be a UUID."), field="uuid"
        ) from None
    existing = _by_uuid(session, key)
    if existing is not None:
        return _repeat(existing, actor, digest)
    site = session.get(Site, payload.get("site_id"))
    if site is None or not in_scope(actor, site.id, session):
        raise NotFoundError("inspections.unknown_site", N_("Unknown site."), field="site_id")
    try:
        with session.begin_nested():
            inspection = _create(session, actor, site, key, digest, payload)
    except sa.exc.IntegrityError:
        # A concurrent request with the same UUID committed first (PostgreSQL; SQLite serialises
        # writing requests): answer as for a repeat.
        existing = _by_uuid(session, key)
        if existing is None:
            raise
        return _repeat(existing, actor, digest)
    return inspection, True


def _create(
    session: Session, actor: User, site: Site, key: str, digest: str, payload: dict
) -> Inspection:
    # Sent in one request, the round took as long as the phone's own clock says (its times are
    # evidence, not the server's: only their difference is used).
    span = device_span(payload.get("device_started_at"), payload.get("device_submitted_at"))
    inspection = start_round(
        session,
        actor,
        site,
        uuid=key,
        device_time=payload.get("device_started_at"),
        latitude=payload.get("latitude"),
        longitude=payload.get("longitude"),
        accuracy=payload.get("location_accuracy_m"),
        started_at=utcnow() - span if span is not None else None,
    )
    inspection.content_hash = digest
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
        except DomainError as exc:
            raise type(exc)(
                exc.code,
                N_("failures[%(index)s]: %(reason)s"),
                field=exc.field,
                index=index,
                reason=_Reason(exc),
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
    return inspection


def upload_inspection_photo(
    session: Session,
    actor: User,
    data: bytes,
    *,
    inspection_uuid: str,
    upload_folder: str,
    max_bytes: int = MAX_BYTES,
) -> tuple[Photo, bool]:
    """Store a photo sent under an inspection UUID and link it to the failure that lists its
    SHA-256. Returns (photo, created): the same bytes sent again return the stored photo, also when
    the two uploads arrived at the same moment. Raises InvalidError for a refused image."""
    sha256 = hashlib.sha256(data).hexdigest()
    before = find_existing(session, sha256, inspection_uuid=inspection_uuid, finding_id=None)
    if before is not None:
        attach_uploaded_photo(session, before)
        return before, False
    try:
        with session.begin_nested():
            photo = store_photo(
                session,
                actor,
                data,
                upload_folder=upload_folder,
                inspection_uuid=inspection_uuid,
                max_bytes=max_bytes,
            )
            attach_uploaded_photo(session, photo)
    except sa.exc.IntegrityError:
        # The same upload arrived twice at once and the other one was stored first (its files
        # written here were removed with the savepoint).
        photo = find_existing(session, sha256, inspection_uuid=inspection_uuid, finding_id=None)
        if photo is None:
            raise
        return photo, False
    return photo, True


def attach_uploaded_photo(session: Session, photo: Photo) -> None:
    """A photo uploaded under an inspection UUID: link it to the failure that lists its SHA-256
    (and to that failure's finding once submitted). Uploading before or after the inspection both
    work, so a phone can send the round first and the photos when the network allows."""
    if not photo.inspection_uuid or photo.check_result_id is not None:
        return
    inspection = _by_uuid(session, photo.inspection_uuid)
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
