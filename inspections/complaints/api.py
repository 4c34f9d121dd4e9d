"""JSON API of complaints and commendations: list, record, read, and the steps of a complaint's
loop (who verifies, the verification, the conclusion, callbacks, closing) with the same services
as the pages. Refusals are DomainErrors: {status, code, reason, errors}."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from compliance.access import roles_required
from compliance.api import ApiBlueprint
from compliance.api.fields import Id, UtcDateTime, Version
from compliance.db import db
from compliance.timeutil import local_today

from ..integrity.models import IntegrityCase
from ..models import SEVERITIES
from ..rectification.models import Rectification
from . import services as svc
from .models import (
    CALLBACK_METHODS,
    COMPLAINT_OUTCOMES,
    COMPLAINT_STATUSES,
    COMPLAINT_SUBJECTS,
    CONDUCT_KINDS,
    CONDUCT_SOURCES,
    ConductRecord,
)

blp = ApiBlueprint(
    "complaints_api",
    __name__,
    url_prefix="/complaints",
    description="Complaints (投诉, 差评, 12345) and commendations, with verification and callbacks.",
)


class ComplaintQuery(Schema):
    kind = fields.String(validate=validate.OneOf(CONDUCT_KINDS))
    status = fields.String(validate=validate.OneOf((*COMPLAINT_STATUSES, "open")))
    outcome = fields.String(validate=validate.OneOf(COMPLAINT_OUTCOMES))
    source = fields.String(validate=validate.OneOf(CONDUCT_SOURCES))
    subject = fields.String(validate=validate.OneOf(COMPLAINT_SUBJECTS))
    site_id = Id(validate=validate.Range(min=1))
    check_item_id = Id(validate=validate.Range(min=1))
    date_from = fields.Date(metadata={"description": "received on or after"})
    date_to = fields.Date(metadata={"description": "received on or before"})


class ComplaintCallbackSchema(Schema):
    id = Id()
    called_at = UtcDateTime()
    called_by_id = Id()
    method = fields.String()
    reached = fields.Boolean()
    satisfied = fields.Boolean(allow_none=True)
    note = fields.String(allow_none=True)


class ComplaintSchema(Schema):
    id = Id()
    kind = fields.String()
    source = fields.String()
    subject = fields.String()
    staff_member_id = Id(allow_none=True)
    window_id = Id(allow_none=True)
    site_id = Id()
    category_id = Id(allow_none=True)
    check_item_id = Id(allow_none=True)
    is_integrity = fields.Boolean()
    received_on = fields.Date()
    text = fields.String()
    reference = fields.String(allow_none=True)
    external_no = fields.String(allow_none=True)
    severity = fields.String()
    status = fields.String(allow_none=True)
    verify_due_on = fields.Date(allow_none=True)
    verification_overdue_days = fields.Function(
        lambda r: r.verification_overdue_days(local_today())
    )
    handler_id = Id(allow_none=True)
    verification_note = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    version = Version(
        metadata={"description": "send it back with an action; a changed record answers 409"}
    )


class ComplaintDetailSchema(ComplaintSchema):
    complainant_name = fields.String(allow_none=True)
    complainant_phone = fields.String(allow_none=True)
    callbacks = fields.List(fields.Nested(ComplaintCallbackSchema))
    rectification_id = Id(allow_none=True)
    integrity_case_id = Id(allow_none=True)


class ComplaintRecordArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CONDUCT_KINDS))
    source = fields.String(required=True, validate=validate.OneOf(CONDUCT_SOURCES))
    subject = fields.String(validate=validate.OneOf(COMPLAINT_SUBJECTS), load_default=None)
    staff_member_id = Id(load_default=None)
    window_id = Id(load_default=None)
    site_id = Id(load_default=None)
    received_on = fields.Date(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    reference = fields.String(validate=validate.Length(max=64), load_default=None)
    severity = fields.String(validate=validate.OneOf(SEVERITIES), load_default="minor")
    category_id = Id(load_default=None)
    check_item_id = Id(load_default=None)
    complainant_name = fields.String(validate=validate.Length(max=64), load_default=None)
    complainant_phone = fields.String(validate=validate.Length(max=32), load_default=None)
    handler_id = Id(load_default=None)


class ComplaintVersionArgs(Schema):
    version = Version(required=True)


class ComplaintHandlerArgs(ComplaintVersionArgs):
    handler_id = Id(required=True)
    restart = fields.Boolean(load_default=False)


class ComplaintVerificationArgs(ComplaintVersionArgs):
    note = fields.String(validate=validate.Length(max=4000), load_default=None)
    category_id = Id(load_default=None)
    check_item_id = Id(load_default=None)


class ComplaintConclusionArgs(ComplaintVersionArgs):
    upheld = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    severity = fields.String(validate=validate.OneOf(SEVERITIES), load_default=None)


class ComplaintCallbackArgs(Schema):
    called_at = UtcDateTime(required=True, naive_is_local=True)
    method = fields.String(required=True, validate=validate.OneOf(CALLBACK_METHODS))
    reached = fields.Boolean(required=True)
    satisfied = fields.Boolean(load_default=None, allow_none=True)
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


class ComplaintCloseArgs(ComplaintVersionArgs):
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


def _load(record_id: int) -> ConductRecord:
    return svc.require_view(current_user, db.session.get(ConductRecord, record_id), db.session)


def _detail(record_id: int) -> ConductRecord:
    """The record with its callbacks and what its conclusion opened (a rectification, or an
    integrity case, shown only to those who may read cases)."""
    row = db.session.scalar(
        sa.select(ConductRecord)
        .where(ConductRecord.id == record_id)
        .options(selectinload(ConductRecord.callbacks))
        .execution_options(populate_existing=True)
    )
    row.rectification_id = db.session.scalar(
        sa.select(Rectification.id).where(Rectification.complaint_id == row.id)
    )
    row.integrity_case_id = (
        db.session.scalar(sa.select(IntegrityCase.id).where(IntegrityCase.complaint_id == row.id))
        if current_user.has_role(*svc.INTEGRITY_ROLES)
        else None
    )
    return row


@blp.route("")
@roles_required(*svc.READ_ROLES)
@blp.arguments(ComplaintQuery, location="query")
@blp.response(200, ComplaintSchema(many=True))
@blp.paginate()
def list_records(args, pagination_parameters):
    """Complaints and commendations the caller may read, newest first."""
    query = sa.select(ConductRecord).where(svc.visible_clause(db.session, current_user))
    for key, column in (
        ("kind", ConductRecord.kind),
        ("outcome", ConductRecord.outcome),
        ("source", ConductRecord.source),
        ("subject", ConductRecord.subject),
        ("site_id", ConductRecord.site_id),
        ("check_item_id", ConductRecord.check_item_id),
    ):
        if args.get(key):
            query = query.where(column == args[key])
    if args.get("status") == "open":
        query = query.where(ConductRecord.status.in_(("verifying", "concluded")))
    elif args.get("status"):
        query = query.where(ConductRecord.status == args["status"])
    if args.get("date_from"):
        query = query.where(ConductRecord.received_on >= args["date_from"])
    if args.get("date_to"):
        query = query.where(ConductRecord.received_on <= args["date_to"])
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.subquery())
    )
    return list(
        db.session.scalars(
            query.order_by(ConductRecord.received_on.desc(), ConductRecord.id.desc())
            .offset(pagination_parameters.first_item)
            .limit(pagination_parameters.page_size)
        )
    )


@blp.route("", methods=["POST"])
@roles_required(*svc.RECORD_ROLES)
@blp.arguments(ComplaintRecordArgs)
@blp.response(201, ComplaintDetailSchema)
def record(args):
    """Record a complaint (about a staff member, a window or a site) or a commendation."""
    row = svc.record_conduct(db.session, current_user, **args)
    if not svc.can_view(current_user, row, db.session):
        # An integrity complaint recorded by HR: it is the discipline office's now.
        return {"id": row.id, "kind": row.kind, "status": row.status, "is_integrity": True}
    return _detail(row.id)


@blp.route("/<int:record_id>")
@roles_required(*svc.READ_ROLES)
@blp.response(200, ComplaintDetailSchema)
def get_record(record_id: int):
    """One complaint or commendation with its callbacks."""
    _load(record_id)
    return _detail(record_id)


@blp.route("/<int:record_id>/handler", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
@blp.arguments(ComplaintHandlerArgs)
@blp.response(200, ComplaintDetailSchema)
def handler(args, record_id: int):
    """Name who verifies the complaint (optionally restarting its deadline)."""
    row = _load(record_id)
    svc.assign_handler(
        db.session,
        current_user,
        row,
        args["handler_id"],
        extend_days=args["restart"],
        expected_version=args["version"],
    )
    return _detail(record_id)


@blp.route("/<int:record_id>/verification", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
@blp.arguments(ComplaintVerificationArgs)
@blp.response(200, ComplaintDetailSchema)
def verification(args, record_id: int):
    """What the verification found, and the complaint's category and check item."""
    row = _load(record_id)
    svc.save_verification(
        db.session,
        current_user,
        row,
        args.get("note"),
        category_id=args.get("category_id"),
        check_item_id=args.get("check_item_id"),
        expected_version=args["version"],
    )
    return _detail(record_id)


@blp.route("/<int:record_id>/conclusion", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
@blp.arguments(ComplaintConclusionArgs)
@blp.response(200, ComplaintDetailSchema)
def conclusion(args, record_id: int):
    """Upheld (opens a rectification or an integrity case) or not upheld, with the reasons."""
    row = _load(record_id)
    svc.conclude(
        db.session,
        current_user,
        row,
        upheld=args["upheld"],
        reason=args["reason"],
        severity=args.get("severity"),
        expected_version=args["version"],
    )
    return _detail(record_id)


@blp.route("/<int:record_id>/callbacks", methods=["POST"])
@roles_required(*svc.CALLBACK_ROLES)
@blp.arguments(ComplaintCallbackArgs)
@blp.response(201, ComplaintDetailSchema)
def callback(args, record_id: int):
    """Record a callback to the citizen (回访)."""
    row = _load(record_id)
    svc.record_callback(
        db.session,
        current_user,
        row,
        called_at=args["called_at"],
        method=args["method"],
        reached=args["reached"],
        satisfied=args.get("satisfied"),
        note=args.get("note"),
    )
    return _detail(record_id)


@blp.route("/<int:record_id>/close", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
@blp.arguments(ComplaintCloseArgs)
@blp.response(200, ComplaintDetailSchema)
def close(args, record_id: int):
    """Close a concluded complaint that has its callback (else 400 conduct.callback_required)."""
    row = _load(record_id)
    svc.close_complaint(
        db.session, current_user, row, args.get("note"), expected_version=args["version"]
    )
    return _detail(record_id)
