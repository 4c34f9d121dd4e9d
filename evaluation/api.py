"""JSON API of the monthly assessment: live scores of an open month, the snapshot of a closed
one, appeals (list, file, decide). The same services as the pages; a refusal is a JSON error
{status, code, reason, errors}."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from compliance.access import in_scope, roles_required, scope_filter, scope_ids
from compliance.api import ApiBlueprint
from compliance.api.fields import Id, Int, Number, UtcDateTime, Version
from compliance.db import db
from compliance.periods import month_start
from compliance.timeutil import local_today

from . import services as svc
from .models import APPEAL_STATUSES, SUBJECT_KINDS, ScoreSnapshot
from .services.appeals import REASON_LIMIT

blp = ApiBlueprint(
    "evaluation_api",
    __name__,
    url_prefix="/evaluation",
    description="The monthly assessment (百分制考评): scores, closed months and appeals.",
)

READERS = svc.READ_ROLES
ALL_ROLES = (*READERS, "staff")


class MonthQuery(Schema):
    year = Int(minimum=2000, maximum=2100)  # default: this year
    month = Int(minimum=1, maximum=12)  # default: this month
    kind = fields.String(load_default="staff", validate=validate.OneOf(SUBJECT_KINDS))
    site_id = Id()


class ItemSchema(Schema):
    kind = fields.String()
    ref_kind = fields.String()
    ref_id = Id()
    points = Number()
    label = fields.String()
    on = fields.String()
    severity = fields.String(allow_none=True)


class ScoreSchema(Schema):
    subject_kind = fields.String()
    subject_id = Id()
    name = fields.String()
    site_id = Id()
    window_id = Id(allow_none=True)
    post_id = Id(allow_none=True)
    score = Number()
    rank = Int()
    stars = Int()
    card = fields.String()
    deductions = Number()
    bonuses = Number()
    major_count = Int()
    critical_count = Int()
    detail = fields.List(fields.Nested(ItemSchema))


class ScoresOut(Schema):
    year = Int()
    month = Int()
    closed = fields.Boolean()
    scheme_version = Int(allow_none=True)
    scores = fields.List(fields.Nested(ScoreSchema))


class AppealSchema(Schema):
    id = Id()
    finding_id = Id()
    site_id = Id()
    staff_member_id = Id(allow_none=True)
    filed_by_id = Id()
    filed_at = UtcDateTime()
    month = fields.Date()
    reason = fields.String()
    status = fields.String()
    decided_by_id = Id(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    version = Int()
    photo_ids = fields.Function(lambda a: [p.photo_id for p in a.photos])


class AppealQuery(Schema):
    status = fields.String(validate=validate.OneOf(APPEAL_STATUSES))


class AppealCreate(Schema):
    finding_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_LIMIT))


class AppealDecide(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "accepted")))
    note = fields.String(required=True, validate=validate.Length(min=1, max=REASON_LIMIT))
    version = Version()


def _month(args):
    today = local_today()
    return date(args.get("year", today.year), args.get("month", today.month), 1)


@blp.route("/scores")
@roles_required(*READERS)
@blp.arguments(MonthQuery, location="query")
@blp.response(200, ScoresOut)
def scores(args):
    """Scores of a month in the caller's scope: the snapshot once closed, else live (counted
    up to today for the running month)."""
    month = _month(args)
    close = svc.closed_month(db.session, month.year, month.month)
    site_id = args.get("site_id")
    if site_id is not None and not in_scope(current_user, site_id):
        abort(404, message="Site not found")
    if close is not None:
        query = sa.select(ScoreSnapshot).where(
            ScoreSnapshot.close_id == close.id,
            ScoreSnapshot.subject_kind == args["kind"],
            scope_filter(current_user, ScoreSnapshot.site_id),
        )
        if site_id is not None:
            query = query.where(ScoreSnapshot.site_id == site_id)
        rows = list(db.session.scalars(query.order_by(ScoreSnapshot.rank, ScoreSnapshot.id)))
        version = close.scheme.version
    else:
        scheme = svc.scheme_for(db.session, month)
        if scheme is None:
            rows, version = [], None
        else:
            today = local_today()
            live = svc.live_scores(
                db.session,
                scheme,
                month,
                as_of=today if month_start(today) == month else None,
                site_ids=scope_ids(current_user, db.session),
            )
            rows = [r for r in live.ranked(args["kind"]) if site_id in (None, r.site_id)]
            version = scheme.version
    return {
        "year": month.year,
        "month": month.month,
        "closed": close is not None,
        "scheme_version": version,
        "scores": rows,
    }


@blp.route("/appeals")
@roles_required(*ALL_ROLES)
@blp.arguments(AppealQuery, location="query")
@blp.response(200, AppealSchema(many=True))
def list_appeals(args):
    """Appeals the caller may see (staff: their own), newest first (at most 500)."""
    return list(db.session.scalars(svc.appeals_query(current_user, args.get("status")).limit(500)))


@blp.route("/appeals", methods=["POST"])
@roles_required(*ALL_ROLES)
@blp.arguments(AppealCreate)
@blp.response(201, AppealSchema)
def create_appeal(args):
    """File an appeal against a finding about the caller (or their window)."""
    return svc.file_appeal(
        db.session,
        current_user,
        args["finding_id"],
        args["reason"],
        upload_folder=current_app.config["UPLOAD_FOLDER"],
    )


@blp.route("/appeals/<int:appeal_id>")
@roles_required(*ALL_ROLES)
@blp.response(200, AppealSchema)
def get_appeal(appeal_id: int):
    return svc.get_appeal(db.session, current_user, appeal_id)


@blp.route("/appeals/<int:appeal_id>/decision", methods=["POST"])
@roles_required("discipline")
@blp.arguments(AppealDecide)
@blp.response(200, AppealSchema)
def decide(args, appeal_id: int):
    """Decide an open appeal: upheld (the finding stands) or accepted (the finding is voided and
    its rectification cancelled). `version` is the appeal's version as read."""
    appeal = svc.get_appeal(db.session, current_user, appeal_id)
    return svc.decide_appeal(
        db.session, current_user, appeal, args["outcome"], args["note"], args["version"]
    )
