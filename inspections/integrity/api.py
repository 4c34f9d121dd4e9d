"""JSON API of integrity cases: list and read (discipline officers and administrators in scope;
404 for anyone else naming a case by id), and every step as an action with the same service as
the pages. A refusal is a DomainError that becomes {status, code, reason, errors}."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from compliance.access import roles_required
from compliance.api import ApiBlueprint
from compliance.api.fields import Id, Int, UtcDateTime, Version
from compliance.db import db
from compliance.domain import N_, DomainError, InvalidError
from compliance.models import ROLES
from compliance.timeutil import local_today

from ..models import Photo
from ..photos import store_photo
from . import services as svc
from .models import (
    CASE_STATUSES,
    CONCLUSIONS,
    ENTRY_KINDS,
    MEASURES,
    IntegrityCase,
    IntegrityCaseEvent,
    IntegrityEventPhoto,
)

blp = ApiBlueprint(
    "integrity_api",
    __name__,
    url_prefix="/integrity",
    description="Integrity cases (问题线索): confidential leads for the discipline office.",
)


class CaseQuery(Schema):
    status = fields.String(validate=validate.OneOf((*CASE_STATUSES, "open")))
    overdue = fields.Boolean()
    mine = fields.Boolean()
    site_id = Id(validate=validate.Range(min=1))
    conclusion = fields.String(validate=validate.OneOf(CONCLUSIONS))
    date_from = fields.Date(metadata={"description": "registered on or after"})
    date_to = fields.Date(metadata={"description": "registered on or before"})


class CaseSchema(Schema):
    id = Id()
    number = fields.String()
    source = fields.String()
    finding_id = Id(allow_none=True)
    complaint_id = Id(allow_none=True)
    site_id = Id()
    window_id = Id(allow_none=True)
    accused_staff_id = Id(allow_none=True)
    check_item_id = Id(allow_none=True)
    title = fields.String()
    summary = fields.String(allow_none=True)
    status = fields.String()
    registered_on = fields.Date()
    officer_id = Id(allow_none=True)
    first_deadline_on = fields.Date(allow_none=True)
    deadline_on = fields.Date(allow_none=True)
    overdue_days = fields.Function(lambda c: c.overdue_days(local_today()))
    verification_summary = fields.String(allow_none=True)
    conclusion = fields.String(allow_none=True)
    conclusion_reason = fields.String(allow_none=True)
    awaiting_approval = fields.Boolean()
    proposed_by_id = Id(allow_none=True)
    approved_by_id = Id(allow_none=True)
    concluded_on = fields.Date(allow_none=True)
    measure = fields.String(allow_none=True)
    measure_on = fields.Date(allow_none=True)
    accused_notified_at = UtcDateTime(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    version = Version(
        metadata={"description": "send it back with an action; a changed case answers 409"}
    )


class CaseEventSchema(Schema):
    id = Id()
    kind = fields.String()
    actor_id = Id(allow_none=True)
    at = UtcDateTime()
    text = fields.String(allow_none=True)
    status_after = fields.String()
    deadline_after = fields.Date(allow_none=True)
    data = fields.Dict(allow_none=True)
    photo_ids = fields.Function(lambda e: [p.id for p in e.photos])


class CaseDetailSchema(CaseSchema):
    events = fields.List(fields.Nested(CaseEventSchema))


class CaseVersionArgs(Schema):
    version = Version(required=True)


class CaseAssignArgs(CaseVersionArgs):
    officer_id = Id(required=True)
    working_days = Int(validate=validate.Range(min=1, max=60), load_default=None)
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


class CaseEntryArgs(CaseVersionArgs):
    kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    interviewee = fields.String(validate=validate.Length(max=64), load_default=None)
    held_on = fields.Date(load_default=None)
    photo_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=6),
        metadata={"description": "ids returned by POST /{id}/photos"},
    )


class CaseVerificationArgs(CaseVersionArgs):
    summary = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CaseConclusionArgs(CaseVersionArgs):
    conclusion = fields.String(required=True, validate=validate.OneOf(CONCLUSIONS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CaseApprovalArgs(CaseVersionArgs):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


class CaseHandlingArgs(CaseVersionArgs):
    measure = fields.String(required=True, validate=validate.OneOf(MEASURES))
    measure_on = fields.Date(required=True)
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


class CaseCloseArgs(CaseVersionArgs):
    note = fields.String(validate=validate.Length(max=4000), load_default=None)


class CasePhotoOut(Schema):
    id = Id()
    width = Int()
    height = Int()


def _load(case_id: int) -> IntegrityCase:
    return svc.require_view(current_user, db.session.get(IntegrityCase, case_id), db.session)


def _detail(case_id: int) -> IntegrityCase:
    return db.session.scalar(
        sa.select(IntegrityCase)
        .where(IntegrityCase.id == case_id)
        .options(selectinload(IntegrityCase.events).selectinload(IntegrityCaseEvent.photos))
        .execution_options(populate_existing=True)
    )


@blp.route("/cases")
@roles_required(*svc.CASE_ROLES)
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CaseSchema(many=True))
@blp.paginate()
def list_cases(args, pagination_parameters):
    """Cases the caller may see, newest first."""
    filters = svc.CaseFilters(
        status=args.get("status"),
        overdue=bool(args.get("overdue")),
        mine=bool(args.get("mine")),
        site_id=args.get("site_id"),
        conclusion=args.get("conclusion"),
        date_from=args.get("date_from"),
        date_to=args.get("date_to"),
    )
    query = svc.filtered_query(db.session, current_user, filters)
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.subquery())
    )
    return list(
        db.session.scalars(
            query.order_by(IntegrityCase.registered_at.desc(), IntegrityCase.id.desc())
            .offset(pagination_parameters.first_item)
            .limit(pagination_parameters.page_size)
        )
    )


@blp.route("/cases/<int:case_id>")
@roles_required(*ROLES)
@blp.response(200, CaseDetailSchema)
def get_case(case_id: int):
    """One case with its timeline (404 unless the caller may see it)."""
    _load(case_id)
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/photos", methods=["POST"])
@roles_required(*ROLES)
@blp.response(201, CasePhotoOut)
def upload_photo(case_id: int):
    """Upload one evidence photo (multipart field `photo`); pass its id in an entry's
    `photo_ids`."""
    case = _load(case_id)
    svc.require_work(current_user, case, db.session)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        raise InvalidError(
            "integrity.photo_missing",
            N_("Send the image in the multipart field `photo`."),
            field="photo",
        )
    try:
        return store_photo(
            db.session,
            current_user,
            upload.read(),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
        )
    except DomainError as exc:
        raise InvalidError(exc.code, exc.message, field="photo", **exc.params) from exc


def _entry_photos(photo_ids: list[int]) -> list[Photo]:
    if not photo_ids:
        return []
    used = set(
        db.session.scalars(
            sa.select(IntegrityEventPhoto.photo_id).where(
                IntegrityEventPhoto.photo_id.in_(photo_ids)
            )
        )
    )
    photos = [
        p
        for p in db.session.scalars(sa.select(Photo).where(Photo.id.in_(photo_ids)))
        if p.uploaded_by_id == current_user.id
        and p.id not in used
        and p.finding_id is None
        and p.inspection_uuid is None
    ]
    if len(photos) != len(set(photo_ids)):
        raise InvalidError(
            "integrity.unknown_photos",
            N_("Unknown photo ids: upload each photo first (POST …/photos)."),
            field="photo_ids",
        )
    return photos


@blp.route("/cases/<int:case_id>/assign", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseAssignArgs)
@blp.response(200, CaseDetailSchema)
def assign(args, case_id: int):
    """Assign (or reassign) the case to a discipline officer with a deadline in working days."""
    case = _load(case_id)
    svc.assign(
        db.session,
        current_user,
        case,
        args["officer_id"],
        args.get("working_days"),
        args.get("note"),
        expected_version=args["version"],
    )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/entries", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseEntryArgs)
@blp.response(200, CaseDetailSchema)
def add_entry(args, case_id: int):
    """A note, an interview or evidence (with uploaded photo ids)."""
    case = _load(case_id)
    svc.require_work(current_user, case, db.session)
    svc.add_entry(
        db.session,
        current_user,
        case,
        args["kind"],
        args["text"],
        _entry_photos(args["photo_ids"]),
        interviewee=args.get("interviewee"),
        held_on=args.get("held_on"),
        expected_version=args["version"],
    )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/verification", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseVerificationArgs)
@blp.response(200, CaseDetailSchema)
def verification(args, case_id: int):
    """The preliminary verification (初核) is done."""
    case = _load(case_id)
    svc.record_verification(
        db.session, current_user, case, args["summary"], expected_version=args["version"]
    )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/conclusion", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseConclusionArgs)
@blp.response(200, CaseDetailSchema)
def conclusion(args, case_id: int):
    """Propose the conclusion (属实 / 部分属实 / 不属实) with the reasons."""
    case = _load(case_id)
    svc.propose_conclusion(
        db.session,
        current_user,
        case,
        args["conclusion"],
        args["reason"],
        expected_version=args["version"],
    )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/approval", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseApprovalArgs)
@blp.response(200, CaseDetailSchema)
def approval(args, case_id: int):
    """A second discipline officer or an administrator approves or returns the conclusion."""
    case = _load(case_id)
    if args["decision"] == "return":
        svc.return_conclusion(
            db.session, current_user, case, args.get("note"), expected_version=args["version"]
        )
    else:
        svc.approve_conclusion(
            db.session, current_user, case, args.get("note"), expected_version=args["version"]
        )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/handling", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseHandlingArgs)
@blp.response(200, CaseDetailSchema)
def handling(args, case_id: int):
    """The measure taken, with its date."""
    case = _load(case_id)
    svc.record_handling(
        db.session,
        current_user,
        case,
        args["measure"],
        args["measure_on"],
        args.get("note"),
        expected_version=args["version"],
    )
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/notify", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseVersionArgs)
@blp.response(200, CaseDetailSchema)
def notify_accused(args, case_id: int):
    """Record that the conclusion was told to the accused (they get an in-app notice)."""
    case = _load(case_id)
    svc.notify_accused(db.session, current_user, case, expected_version=args["version"])
    return _detail(case_id)


@blp.route("/cases/<int:case_id>/close", methods=["POST"])
@roles_required(*ROLES)
@blp.arguments(CaseCloseArgs)
@blp.response(200, CaseDetailSchema)
def close(args, case_id: int):
    """Close a handled case (or an unsubstantiated one once concluded)."""
    case = _load(case_id)
    svc.close(db.session, current_user, case, args.get("note"), expected_version=args["version"])
    return _detail(case_id)
