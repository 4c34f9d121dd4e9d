"""JSON API of inspections (/api/v1): inspections keyed by a client UUID, photos keyed by the
inspection UUID and SHA-256, findings, and draws.

Errors: 400 a request the rules refuse, 403 a missing role, 404 an unknown or out-of-scope
record, 409 the same UUID with different content, 422 an invalid field.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from compliance.access import in_scope, scope_filter, scope_ids
from compliance.api import ApiBlueprint, register
from compliance.db import db
from compliance.timeutil import local_day_bounds_utc, local_today

from . import draws as draw_svc
from .access import READER_ROLES, can_view_finding, can_view_inspection
from .models import (
    CATEGORIES,
    DRAW_TARGET_KINDS,
    INSPECTION_KINDS,
    SEVERITIES,
    Draw,
    Finding,
    Inspection,
    Photo,
)
from .photos import MAX_BYTES, PhotoError, store_photo
from .services import InspectionError, attach_uploaded_photo, create_inspection

ROUND_ROLES = ("inspector", "admin", "discipline")

inspections_blp = ApiBlueprint(
    "inspections_api",
    __name__,
    url_prefix="/inspections",
    description="Patrol rounds and spot checks with their results.",
)
findings_blp = ApiBlueprint(
    "findings_api",
    __name__,
    url_prefix="/findings",
    description="Findings: failed check items with evidence.",
)
draws_blp = ApiBlueprint(
    "draws_api",
    __name__,
    url_prefix="/draws",
    description="Spot-check draws (双随机): pools, seed and result.",
)

_sha = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="A SHA-256 in hex (64 characters).")
_target = validate.Regexp(
    r"^(a|[sw][0-9]+)$", error="'a' (site area), 'w<window id>' or 's<staff member id>'."
)


class FailureSchema(Schema):
    target = fields.Str(required=True, validate=_target)
    item_code = fields.Str(required=True, validate=validate.Length(min=1, max=16))
    severity = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(SEVERITIES))
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=200))
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    photos = fields.List(
        fields.Str(validate=_sha),
        load_default=list,
        metadata={
            "description": "SHA-256 of photos uploaded (before or after) "
            "to /inspections/<uuid>/photos"
        },
    )


class InspectionCreateSchema(Schema):
    uuid = fields.UUID(required=True, metadata={"description": "Client-generated; idempotency key"})
    site_id = fields.Int(required=True)
    device_started_at = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    device_submitted_at = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    location_accuracy_m = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(0, 1e6)
    )
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    failures = fields.List(fields.Nested(FailureSchema), load_default=list)


class InspectionSchema(Schema):
    id = fields.Int()
    uuid = fields.Str()
    kind = fields.Str()
    status = fields.Str()
    site_id = fields.Int()
    inspector_id = fields.Int()
    draw_id = fields.Int(allow_none=True)
    target_window_id = fields.Int(allow_none=True)
    target_staff_id = fields.Int(allow_none=True)
    started_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    device_started_at = fields.DateTime(allow_none=True)
    device_submitted_at = fields.DateTime(allow_none=True)
    duration_seconds = fields.Int(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    location_accuracy_m = fields.Float(allow_none=True)
    note = fields.Str(allow_none=True)
    failure_count = fields.Int()


class InspectionDetailSchema(InspectionSchema):
    finding_ids = fields.List(fields.Int())


class InspectionQuerySchema(Schema):
    site = fields.Int()
    kind = fields.Str(validate=validate.OneOf(INSPECTION_KINDS))
    start = fields.Date(metadata={"description": "From this local date"})
    end = fields.Date(metadata={"description": "Up to this local date"})
    inspector = fields.Int()


class PhotoSchema(Schema):
    id = fields.Int()
    sha256 = fields.Str()
    original_format = fields.Str()
    width = fields.Int()
    height = fields.Int()
    size_bytes = fields.Int()
    inspection_uuid = fields.Str(allow_none=True)
    finding_id = fields.Int(allow_none=True)
    uploaded_at = fields.DateTime()


class PhotoUploadSchema(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "The image; an optional form field `sha256` is checked against it",
        },
    )


class FindingSchema(Schema):
    id = fields.Int()
    inspection_id = fields.Int(allow_none=True)
    category = fields.Str()
    target = fields.Str()
    site_id = fields.Int()
    window_id = fields.Int(allow_none=True)
    staff_member_id = fields.Int(allow_none=True)
    severity = fields.Str()
    description = fields.Str()
    reason = fields.Str(allow_none=True)
    note = fields.Str(allow_none=True)
    found_by_id = fields.Int(allow_none=True)
    found_at = fields.DateTime()


class FindingDetailSchema(FindingSchema):
    photos = fields.List(fields.Nested(PhotoSchema))


class FindingQuerySchema(Schema):
    site = fields.Int()
    category = fields.Str(validate=validate.OneOf(CATEGORIES))
    severity = fields.Str(validate=validate.OneOf(SEVERITIES))
    staff = fields.Int()
    inspector = fields.Int()
    kind = fields.Str(validate=validate.OneOf(INSPECTION_KINDS))
    start = fields.Date()
    end = fields.Date()


class DrawSchema(Schema):
    id = fields.Int(dump_only=True)
    title = fields.Str(load_default="", validate=validate.Length(max=120))
    target_kind = fields.Str(required=True, validate=validate.OneOf(DRAW_TARGET_KINDS))
    site_ids = fields.List(fields.Int(), required=True, validate=validate.Length(min=1))
    post_ids = fields.List(fields.Int(), load_default=list)
    inspector_ids = fields.List(
        fields.Int(), required=True, validate=validate.Length(min=1), load_only=True
    )
    inspector_pool = fields.List(fields.Int(), dump_only=True)
    target_pool = fields.List(fields.Int(), dump_only=True)
    exclusions = fields.Dict(dump_only=True)
    target_count = fields.Int(load_default=None, allow_none=True, validate=validate.Range(1, 1000))
    target_percent = fields.Int(load_default=None, allow_none=True, validate=validate.Range(1, 100))
    inspectors_per_target = fields.Int(load_default=2, validate=validate.Range(1, 5))
    seed = fields.Str(dump_only=True)
    result = fields.List(fields.Dict(), dump_only=True)
    status = fields.Str(dump_only=True)
    drawn_on = fields.Date(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    published_at = fields.DateTime(dump_only=True, allow_none=True)


# --------------------------------------------------------------------------- helpers


def _require(*roles: str) -> None:
    if not current_user.has_role(*roles):
        abort(403, message=_("You do not have permission for this"))


def _domain_error(exc: InspectionError | PhotoError):
    db.session.rollback()
    status = getattr(exc, "status", 422)
    field = getattr(exc, "field", None)
    if field:
        abort(status, message=exc.message, errors={"json": {field: [exc.message]}})
    abort(status, message=exc.message)


def _page(stmt, pagination_parameters) -> list:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    pagination_parameters.item_count = total or 0
    size = pagination_parameters.page_size
    return list(
        db.session.scalars(stmt.limit(size).offset((pagination_parameters.page - 1) * size))
    )


def _write_lock_first() -> None:
    """SQLite: end the request's read transaction and take the write lock before reading, so a
    concurrent writer is waited for (busy timeout) instead of failing on a stale snapshot.
    PostgreSQL needs nothing: the unique UUID decides and the loser retries."""
    if db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.commit()
    db.session.execute(sa.text("UPDATE inspection SET id = id WHERE 1 = 0"))


def _inspection_by_uuid(uuid: str) -> Inspection:
    inspection = db.session.scalars(
        sa.select(Inspection).where(Inspection.uuid == str(uuid))
    ).first()
    if inspection is None or not can_view_inspection(current_user, inspection):
        abort(404, message=_("Not found"))
    return inspection


def _detail(inspection: Inspection) -> Inspection:
    # A plain attribute for the response schema (not a column).
    inspection.finding_ids = list(
        db.session.scalars(
            sa.select(Finding.id).where(Finding.inspection_id == inspection.id).order_by(Finding.id)
        )
    )
    return inspection


# --------------------------------------------------------------------------- inspections


@inspections_blp.route("")
class InspectionsView(MethodView):
    @inspections_blp.arguments(InspectionQuerySchema, location="query")
    @inspections_blp.response(200, InspectionSchema(many=True))
    @inspections_blp.paginate()
    def get(self, args, pagination_parameters):
        """List submitted inspections in the caller's scope (and the caller's own drafts)."""
        _require(*READER_ROLES)
        stmt = (
            sa.select(Inspection)
            .where(
                scope_filter(current_user, Inspection.site_id),
                sa.or_(
                    Inspection.status == "submitted", Inspection.inspector_id == current_user.id
                ),
            )
            .order_by(Inspection.started_at.desc(), Inspection.id.desc())
        )
        if "site" in args:
            stmt = stmt.where(Inspection.site_id == args["site"])
        if "kind" in args:
            stmt = stmt.where(Inspection.kind == args["kind"])
        if "inspector" in args:
            stmt = stmt.where(Inspection.inspector_id == args["inspector"])
        if "start" in args:
            stmt = stmt.where(Inspection.started_at >= local_day_bounds_utc(args["start"])[0])
        if "end" in args:
            stmt = stmt.where(Inspection.started_at < local_day_bounds_utc(args["end"])[1])
        return _page(stmt, pagination_parameters)

    @inspections_blp.arguments(InspectionCreateSchema)
    @inspections_blp.response(201, InspectionDetailSchema)
    @inspections_blp.alt_response(
        200,
        schema=InspectionDetailSchema,
        description="The same UUID with the same content: the existing inspection",
    )
    @inspections_blp.alt_response(409, description="The UUID exists with different content")
    def post(self, data):
        """Create and submit a patrol round with its failures in one request.

        Keyed by the client's UUID: sending the same request again returns the existing record
        (200); the same UUID with different content is refused (409)."""
        _require(*ROUND_ROLES)
        payload = dict(data, uuid=str(data["uuid"]))
        # A concurrent request with the same UUID may win the race (unique violation, or on
        # SQLite a stale snapshot): start again and answer as for a repeat.
        for attempt in range(4):
            try:
                _write_lock_first()
                inspection, created = create_inspection(
                    db.session,
                    current_user,
                    payload,
                    upload_folder=current_app.config["UPLOAD_FOLDER"],
                )
                db.session.commit()
                break
            except InspectionError as exc:
                _domain_error(exc)
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                db.session.rollback()
                transient = isinstance(exc, sa.exc.IntegrityError) or "locked" in str(exc.orig)
                if not transient or attempt == 3:
                    raise
        return _detail(inspection), 201 if created else 200


@inspections_blp.route("/<uuid:uuid>")
class InspectionView(MethodView):
    @inspections_blp.response(200, InspectionDetailSchema)
    def get(self, uuid):
        """One inspection by its UUID."""
        _require(*READER_ROLES)
        return _detail(_inspection_by_uuid(uuid))


@inspections_blp.route("/<uuid:uuid>/photos")
class InspectionPhotosView(MethodView):
    @inspections_blp.arguments(PhotoUploadSchema, location="files")
    @inspections_blp.response(201, PhotoSchema)
    @inspections_blp.alt_response(
        200, schema=PhotoSchema, description="The same photo was already uploaded"
    )
    def post(self, files, uuid):
        """Upload one photo (JPEG, PNG or WebP) for an inspection, keyed by its UUID and the
        file's SHA-256: a retried upload returns the stored photo. Upload before or after the
        inspection itself; the failure that lists the SHA-256 gets it."""
        _require(*ROUND_ROLES)
        uuid = str(uuid)
        inspection = db.session.scalars(
            sa.select(Inspection).where(Inspection.uuid == uuid)
        ).first()
        if inspection is not None and (
            inspection.inspector_id != current_user.id
            and not can_view_inspection(current_user, inspection)
        ):
            abort(404, message=_("Not found"))
        data = files["file"].read()
        if (
            request.form.get("sha256")
            and hashlib.sha256(data).hexdigest() != request.form["sha256"].lower()
        ):
            abort(422, message=_("The file does not match its SHA-256; upload it again."))
        sha256 = hashlib.sha256(data).hexdigest()
        for attempt in range(3):
            try:
                _write_lock_first()
                before = db.session.scalar(
                    sa.select(Photo.id).where(Photo.inspection_uuid == uuid, Photo.sha256 == sha256)
                )
                photo = store_photo(
                    db.session,
                    current_user,
                    data,
                    upload_folder=current_app.config["UPLOAD_FOLDER"],
                    inspection_uuid=uuid,
                    max_bytes=current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES),
                )
                attach_uploaded_photo(db.session, photo)
                db.session.commit()
                break
            except PhotoError as exc:
                _domain_error(exc)
            except sa.exc.IntegrityError:
                # the same upload arrived twice at once; the retry finds the stored one
                db.session.rollback()
                if attempt == 2:
                    raise
        return photo, 200 if before else 201


# --------------------------------------------------------------------------- findings


@findings_blp.route("")
class FindingsView(MethodView):
    @findings_blp.arguments(FindingQuerySchema, location="query")
    @findings_blp.response(200, FindingSchema(many=True))
    @findings_blp.paginate()
    def get(self, args, pagination_parameters):
        """Findings the caller may see: in scope for readers, their own for staff."""
        own = (
            Finding.staff_member_id == current_user.staff_member_id
            if current_user.staff_member_id is not None
            else sa.false()
        )
        if current_user.has_role(*READER_ROLES):
            visible = sa.or_(scope_filter(current_user, Finding.site_id), own)
        elif current_user.staff_member_id is not None:
            visible = own
        else:
            abort(403, message=_("You do not have permission for this"))
        stmt = (
            sa.select(Finding).where(visible).order_by(Finding.found_at.desc(), Finding.id.desc())
        )
        for key, column in (
            ("site", Finding.site_id),
            ("category", Finding.category),
            ("severity", Finding.severity),
            ("staff", Finding.staff_member_id),
            ("inspector", Finding.found_by_id),
        ):
            if key in args:
                stmt = stmt.where(column == args[key])
        if "kind" in args:
            stmt = stmt.where(
                Finding.inspection_id.in_(
                    sa.select(Inspection.id).where(Inspection.kind == args["kind"])
                )
            )
        if "start" in args:
            stmt = stmt.where(Finding.found_at >= local_day_bounds_utc(args["start"])[0])
        if "end" in args:
            stmt = stmt.where(Finding.found_at < local_day_bounds_utc(args["end"])[1])
        return _page(stmt, pagination_parameters)


@findings_blp.route("/<int:finding_id>")
class FindingView(MethodView):
    @findings_blp.response(200, FindingDetailSchema)
    def get(self, finding_id):
        """One finding with its photos (fetch them from /photos/<id>/<variant>)."""
        finding = db.session.get(Finding, finding_id)
        if finding is None or not can_view_finding(current_user, finding):
            abort(404, message=_("Not found"))
        finding.photos = list(
            db.session.scalars(
                sa.select(Photo).where(Photo.finding_id == finding.id).order_by(Photo.id)
            )
        )
        return finding


# --------------------------------------------------------------------------- draws


def _draw_visible(draw: Draw) -> bool:
    if draw.status == "published":
        return True
    if not current_user.has_role(*draw_svc.DRAW_ROLES):
        return False
    allowed = scope_ids(current_user)
    return allowed is None or set(draw.site_ids or []) <= allowed


@draws_blp.route("")
class DrawsView(MethodView):
    @draws_blp.response(200, DrawSchema(many=True))
    @draws_blp.paginate()
    def get(self, pagination_parameters):
        """Draws: all of them for discipline officers and admins, published ones for others."""
        stmt = sa.select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc())
        if not current_user.has_role(*draw_svc.DRAW_ROLES):
            stmt = stmt.where(Draw.status == "published")
        return [d for d in _page(stmt, pagination_parameters) if _draw_visible(d)]

    @draws_blp.arguments(DrawSchema)
    @draws_blp.response(201, DrawSchema)
    def post(self, data):
        """Make a draw: random targets from the pool, random inspectors per target, conflicted
        inspectors excluded. The seed comes from the system's secure random source."""
        _require(*draw_svc.DRAW_ROLES)
        for site_id in data["site_ids"]:
            if not in_scope(current_user, site_id):
                abort(404, message=_("Unknown site."))
        try:
            draw = draw_svc.create_draw(
                db.session,
                current_user,
                title=data.get("title", ""),
                target_kind=data["target_kind"],
                site_ids=data["site_ids"],
                post_ids=data.get("post_ids"),
                inspector_ids=data["inspector_ids"],
                target_count=data.get("target_count"),
                target_percent=data.get("target_percent"),
                inspectors_per_target=data["inspectors_per_target"],
                day=local_today(),
            )
            db.session.commit()
        except InspectionError as exc:
            _domain_error(exc)
        return draw


@draws_blp.route("/<int:draw_id>")
class DrawView(MethodView):
    @draws_blp.response(200, DrawSchema)
    def get(self, draw_id):
        """One draw with its pools, seed and result."""
        draw = db.session.get(Draw, draw_id)
        if draw is None or not _draw_visible(draw):
            abort(404, message=_("Not found"))
        return draw


def init_app(app) -> None:
    for blp in (inspections_blp, findings_blp, draws_blp):
        register(app, blp)
