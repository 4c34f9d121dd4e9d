"""JSON API of inspections (/api/v1): inspections keyed by a client UUID, photos keyed by the
inspection UUID and SHA-256, findings, and draws.

Every method declares its roles; the services decide and raise `DomainError` kinds, which become
JSON errors {status, code, reason, errors}: 400 a request the rules refuse, 403 a missing role,
404 an unknown or out-of-scope record, 409 the same UUID with different content, 422 an invalid
field. The unit of work commits a writing request once (on SQLite it begins IMMEDIATE, so two
phones sending the same round wait for each other instead of failing).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy.orm import selectinload

from compliance.access import in_scope, roles_required, scope_filter, scope_ids
from compliance.api import ApiBlueprint, register
from compliance.db import db
from compliance.models import ROLES
from compliance.timeutil import local_day_bounds_utc, local_today

from . import draws as draw_svc
from .access import (
    FLAG_READER_ROLES,
    READER_ROLES,
    can_view_finding,
    can_view_inspection,
    findings_clause,
)
from .models import Draw, Finding, Inspection, InspectionFlag, Photo
from .photos import MAX_BYTES
from .schemas import (
    DrawSchema,
    FindingDetailSchema,
    FindingQuerySchema,
    FindingSchema,
    InspectionCreateSchema,
    InspectionDetailSchema,
    InspectionQuerySchema,
    InspectionSchema,
    PhotoSchema,
    PhotoUploadSchema,
)
from .services import create_inspection, took_part, upload_inspection_photo

ROUND_ROLES = ("inspector", "admin", "discipline")
# Window staff read the findings recorded against themselves (an object rule inside).
FINDING_ROLES = (*READER_ROLES, "staff")

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

# --------------------------------------------------------------------------- helpers


def _page(stmt, pagination_parameters) -> list:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    pagination_parameters.item_count = total or 0
    size = pagination_parameters.page_size
    return list(
        db.session.scalars(stmt.limit(size).offset((pagination_parameters.page - 1) * size))
    )


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
    inspection.visible_flags = (
        list(inspection.flags) if current_user.has_role(*FLAG_READER_ROLES) else []
    )
    return inspection


# --------------------------------------------------------------------------- inspections


@inspections_blp.route("")
class InspectionsView(MethodView):
    @roles_required(*READER_ROLES)
    @inspections_blp.arguments(InspectionQuerySchema, location="query")
    @inspections_blp.response(200, InspectionSchema(many=True))
    @inspections_blp.paginate()
    def get(self, args, pagination_parameters):
        """List submitted inspections in the caller's scope (and the caller's own drafts)."""
        stmt = (
            sa.select(Inspection)
            .options(selectinload(Inspection.team))
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
            stmt = stmt.where(took_part(args["inspector"]))
        if args.get("flagged") is not None and current_user.has_role(*FLAG_READER_ROLES):
            flagged = sa.exists().where(InspectionFlag.inspection_id == Inspection.id)
            stmt = stmt.where(flagged if args["flagged"] else ~flagged)
        if "start" in args:
            stmt = stmt.where(Inspection.started_at >= local_day_bounds_utc(args["start"])[0])
        if "end" in args:
            stmt = stmt.where(Inspection.started_at < local_day_bounds_utc(args["end"])[1])
        return _page(stmt, pagination_parameters)

    @roles_required(*ROUND_ROLES)
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
        (200), also when both arrive at once; the same UUID with different content is refused
        (409)."""
        inspection, created = create_inspection(
            db.session,
            current_user,
            dict(data, uuid=str(data["uuid"])),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
        )
        return _detail(inspection), 201 if created else 200


@inspections_blp.route("/<uuid:uuid>")
class InspectionView(MethodView):
    @roles_required(*READER_ROLES)
    @inspections_blp.response(200, InspectionDetailSchema)
    def get(self, uuid):
        """One inspection by its UUID."""
        return _detail(_inspection_by_uuid(uuid))


@inspections_blp.route("/<uuid:uuid>/photos")
class InspectionPhotosView(MethodView):
    @roles_required(*ROUND_ROLES)
    @inspections_blp.arguments(PhotoUploadSchema, location="files")
    @inspections_blp.response(201, PhotoSchema)
    @inspections_blp.alt_response(
        200, schema=PhotoSchema, description="The same photo was already uploaded"
    )
    def post(self, files, uuid):
        """Upload one photo (JPEG, PNG or WebP) for an inspection, keyed by its UUID and the
        file's SHA-256: a retried upload returns the stored photo. Upload before or after the
        inspection itself; the failure that lists the SHA-256 gets it."""
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
        photo, created = upload_inspection_photo(
            db.session,
            current_user,
            data,
            inspection_uuid=uuid,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            max_bytes=current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES),
        )
        return photo, 201 if created else 200


# --------------------------------------------------------------------------- findings


@findings_blp.route("")
class FindingsView(MethodView):
    @roles_required(*FINDING_ROLES)
    @findings_blp.arguments(FindingQuerySchema, location="query")
    @findings_blp.response(200, FindingSchema(many=True))
    @findings_blp.paginate()
    def get(self, args, pagination_parameters):
        """Findings the caller may see: in scope for readers, their own for staff."""
        if current_user.has_role(*READER_ROLES) or current_user.staff_member_id is not None:
            visible = findings_clause(current_user)
        else:
            # a staff account not linked to a staff member has no findings of its own
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
    @roles_required(*FINDING_ROLES)
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
    @roles_required(*ROLES)
    @draws_blp.response(200, DrawSchema(many=True))
    @draws_blp.paginate()
    def get(self, pagination_parameters):
        """Draws: all of them for discipline officers and admins, published ones for others."""
        stmt = sa.select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc())
        if not current_user.has_role(*draw_svc.DRAW_ROLES):
            stmt = stmt.where(Draw.status == "published")
        return [d for d in _page(stmt, pagination_parameters) if _draw_visible(d)]

    @roles_required(*draw_svc.DRAW_ROLES)
    @draws_blp.arguments(DrawSchema)
    @draws_blp.response(201, DrawSchema)
    def post(self, data):
        """Make a draw: random targets from the pool, random inspectors per target, conflicted
        inspectors excluded. The seed comes from the system's secure random source."""
        for site_id in data["site_ids"]:
            if not in_scope(current_user, site_id):
                abort(404, message=_("Unknown site."))
        return draw_svc.create_draw(
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


@draws_blp.route("/<int:draw_id>")
class DrawView(MethodView):
    @roles_required(*ROLES)
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
