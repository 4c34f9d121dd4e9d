"""JSON API: list and read rectifications with the board's filters; respond, verify and reject
as actions with the same rules as the pages (the same service functions). A refusal is a
`DomainError` that becomes a JSON error {status, code, reason}: 403 "rectification.own_response",
409 "rectification.changed" for a stale version, 422 for missing text."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from compliance import limits
from compliance.access import roles_required
from compliance.api import ApiBlueprint
from compliance.api.fields import Id, Int, UtcDateTime, Version
from compliance.db import db
from compliance.domain import DomainError, InvalidError
from compliance.timeutil import local_today

from ..models import CATEGORIES, SEVERITIES, Photo
from ..photos import store_photo
from . import services as svc
from .models import (
    SOURCES,
    STATUSES,
    Rectification,
    RectificationEvent,
    RectificationEventPhoto,
)

blp = ApiBlueprint(
    "rectification_api",
    __name__,
    url_prefix="/rectifications",
    description="Rectifications (整改): the closed loop on findings and upheld complaints.",
)

READ_ROLES = ("admin", "inspector", "discipline", "hr", "leader", "staff")


class RectificationQuery(Schema):
    status = fields.String(validate=validate.OneOf((*STATUSES, "open")))
    overdue = fields.Boolean()
    site_id = Id(validate=validate.Range(min=1))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    responsible_staff_id = Id(validate=validate.Range(min=1))
    source = fields.String(validate=validate.OneOf(SOURCES))
    date_from = fields.Date(metadata={"description": "opened on or after (local date)"})
    date_to = fields.Date(metadata={"description": "opened on or before (local date)"})


class RectificationSchema(Schema):
    id = Id()
    source = fields.String()
    finding_id = Id(allow_none=True)
    complaint_id = Id(allow_none=True)
    site_id = Id()
    window_id = Id(allow_none=True)
    category = fields.String()
    severity = fields.String()
    title = fields.String()
    status = fields.String()
    responsible_staff_id = Id(allow_none=True)
    responsible_staff_name = fields.Function(
        lambda r: r.responsible_staff.name if r.responsible_staff else None
    )
    supervisor_staff_id = Id(allow_none=True)
    opened_at = UtcDateTime()
    opened_on = fields.Date()
    first_deadline_on = fields.Date()
    deadline_on = fields.Date()
    overdue_days = fields.Function(lambda r: r.overdue_days(local_today()))
    rejection_count = Int()
    responded_at = UtcDateTime(allow_none=True)
    responded_by_id = Id(allow_none=True)
    verified_by_id = Id(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    days_to_close = Int(allow_none=True)
    closed_on_time = fields.Boolean(allow_none=True)
    fixed_on_spot = fields.Boolean()
    offence_level = fields.String(allow_none=True)
    version = Version(
        metadata={
            "description": "send it back with an action; a different current version gives 409"
        }
    )


class EventSchema(Schema):
    id = Id()
    kind = fields.String()
    actor_id = Id(allow_none=True)
    actor_name = fields.Function(lambda e: e.actor.display_name if e.actor else None)
    at = UtcDateTime()
    text = fields.String(allow_none=True)
    status_after = fields.String()
    deadline_after = fields.Date(allow_none=True)
    data = fields.Dict(allow_none=True)
    photo_ids = fields.Function(lambda e: [p.id for p in e.photos])


class RectificationDetailSchema(RectificationSchema):
    events = fields.List(fields.Nested(EventSchema))


class RespondArgs(Schema):
    text = fields.String(
        required=True, validate=validate.Length(min=1, max=limits.RECTIFICATION_TEXT)
    )
    version = Version(required=True)
    photo_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "ids returned by POST /{id}/photos"},
    )


class VerifyArgs(Schema):
    note = fields.String(validate=validate.Length(max=limits.RECTIFICATION_TEXT), load_default=None)
    version = Version(required=True)


class RejectArgs(Schema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=limits.RECTIFICATION_TEXT)
    )
    version = Version(required=True)


class PhotoOut(Schema):
    id = Id()
    width = Int()
    height = Int()


def _load(rect_id: int) -> Rectification:
    rect = db.session.get(Rectification, rect_id)
    if rect is None or not svc.can_view(current_user, rect, db.session):
        abort(404, message="Rectification not found")
    return rect


def _detail(rect_id: int) -> Rectification:
    """The rectification with its whole timeline, as it stands after the action (reloaded: the
    action's new event was written by id, not appended to a loaded collection)."""
    rect = db.session.scalar(
        sa.select(Rectification)
        .where(Rectification.id == rect_id)
        .options(
            selectinload(Rectification.events).selectinload(RectificationEvent.photos),
            selectinload(Rectification.events).selectinload(RectificationEvent.actor),
            selectinload(Rectification.responsible_staff),
        )
        .execution_options(populate_existing=True)
    )
    return rect


@blp.route("")
@roles_required(*READ_ROLES)
@blp.arguments(RectificationQuery, location="query")
@blp.response(200, RectificationSchema(many=True))
@blp.paginate()
def list_rectifications(args, pagination_parameters):
    """Rectifications the caller may see, newest first, with the board's filters."""
    filters = svc.Filters(
        status=args.get("status"),
        overdue=bool(args.get("overdue")),
        site_id=args.get("site_id"),
        category=args.get("category"),
        severity=args.get("severity"),
        responsible_staff_id=args.get("responsible_staff_id"),
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
        source=args.get("source"),
    )
    query = svc.filtered_query(db.session, current_user, filters)
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.subquery())
    )
    return list(
        db.session.scalars(
            query.options(selectinload(Rectification.responsible_staff))
            .order_by(Rectification.opened_at.desc(), Rectification.id.desc())
            .offset(pagination_parameters.first_item)
            .limit(pagination_parameters.page_size)
        )
    )


@blp.route("/<int:rect_id>")
@roles_required(*READ_ROLES)
@blp.response(200, RectificationDetailSchema)
def get_rectification(rect_id: int):
    """One rectification with its timeline."""
    _load(rect_id)
    return _detail(rect_id)


@blp.route("/<int:rect_id>/photos", methods=["POST"])
@roles_required(*READ_ROLES)
@blp.response(201, PhotoOut)
def upload_photo(rect_id: int):
    """Upload one photo (multipart field `photo`) for a response; pass its id in `photo_ids`."""
    rect = _load(rect_id)
    if svc.respond_refusal(current_user, rect) is not None:
        abort(403, message="Only the responsible staff member can add response photos")
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        abort(422, message="Send the image in the multipart field `photo`")
    try:
        return store_photo(
            db.session,
            current_user,
            upload.read(),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            finding_id=rect.finding_id,
        )
    except DomainError as exc:
        # A refused upload is invalid input (422); its file goes when the request rolls back.
        raise InvalidError(exc.code, exc.message, field="photo", **exc.params) from exc


def _response_photos(rect: Rectification, photo_ids: list[int]) -> list[Photo]:
    if not photo_ids:
        return []
    photos = list(db.session.scalars(sa.select(Photo).where(Photo.id.in_(photo_ids))))
    used = set(
        db.session.scalars(
            sa.select(RectificationEventPhoto.photo_id).where(
                RectificationEventPhoto.photo_id.in_(photo_ids)
            )
        )
    )
    ok = [
        p
        for p in photos
        if p.uploaded_by_id == current_user.id
        and p.id not in used
        and p.finding_id == rect.finding_id
    ]
    if len(ok) != len(set(photo_ids)):
        abort(
            422,
            message="Unknown photo ids: upload them first through POST "
            f"/api/v1/rectifications/{rect.id}/photos",
        )
    return ok


@blp.route("/<int:rect_id>/respond", methods=["POST"])
@roles_required(*READ_ROLES)
@blp.arguments(RespondArgs)
@blp.response(200, RectificationDetailSchema)
def respond(args, rect_id: int):
    """The responsible staff member says what was done (with uploaded photo ids)."""
    rect = _load(rect_id)
    photos = _response_photos(rect, args["photo_ids"])
    svc.respond(
        db.session, current_user, rect, args["text"], photos, expected_version=args["version"]
    )
    return _detail(rect_id)


@blp.route("/<int:rect_id>/verify", methods=["POST"])
@roles_required(*READ_ROLES)
@blp.arguments(VerifyArgs)
@blp.response(200, RectificationDetailSchema)
def verify(args, rect_id: int):
    """An inspector accepts the response and closes the rectification; never one's own."""
    rect = _load(rect_id)
    svc.verify(db.session, current_user, rect, args.get("note"), expected_version=args["version"])
    return _detail(rect_id)


@blp.route("/<int:rect_id>/reject", methods=["POST"])
@roles_required(*READ_ROLES)
@blp.arguments(RejectArgs)
@blp.response(200, RectificationDetailSchema)
def reject(args, rect_id: int):
    """An inspector rejects the response with a reason; it reopens with a new deadline."""
    rect = _load(rect_id)
    svc.reject(db.session, current_user, rect, args["reason"], expected_version=args["version"])
    return _detail(rect_id)
