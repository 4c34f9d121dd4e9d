"""Training API: read courses, sessions and pairings; mark attendance; add and confirm
shadow logs. The same services as the pages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import marshmallow as ma
import sqlalchemy as sa
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy.orm import joinedload

from compliance import limits
from compliance.access import in_scope, roles_required, scope_filter
from compliance.api import ApiBlueprint
from compliance.api.fields import Id, Int, Number, UtcDateTime
from compliance.db import db, utcnow
from compliance.models import StaffMember

from . import pairings as prs
from . import services as svc
from .models import (
    ATTENDANCE_STATUSES,
    COURSE_KINDS,
    Course,
    MentorPairing,
    SessionAttendee,
    ShadowLog,
    TrainingSession,
)

blp = ApiBlueprint(
    "training_api",
    __name__,
    url_prefix="/training",
    description="Courses, sessions and attendance, mentor pairings and shadow logs.",
)

ANY_ROLE = ("admin", "inspector", "hr", "discipline", "leader", "staff")
READERS = ("hr", "admin", "discipline", "leader")
MANAGERS = ("hr", "admin")


class CourseSchema(ma.Schema):
    id = Id(dump_only=True)
    code = ma.fields.String(dump_only=True)
    title = ma.fields.String(dump_only=True)
    kind = ma.fields.String(dump_only=True, metadata={"enum": list(COURSE_KINDS)})
    description = ma.fields.String(dump_only=True, allow_none=True)
    duration_minutes = Int(dump_only=True)
    is_active = ma.fields.Boolean(dump_only=True)


class CourseQuerySchema(ma.Schema):
    kind = ma.fields.String(validate=ma.validate.OneOf(COURSE_KINDS))


class AttendeeSchema(ma.Schema):
    staff_member_id = Id(dump_only=True)
    name = ma.fields.Function(lambda a: a.staff_member.name, dump_only=True)
    invited_via = ma.fields.String(dump_only=True)
    status = ma.fields.String(dump_only=True, allow_none=True)
    marked_at = UtcDateTime(dump_only=True, allow_none=True)


class SessionSchema(ma.Schema):
    id = Id(dump_only=True)
    course = ma.fields.Nested(CourseSchema, dump_only=True)
    site_id = Id(dump_only=True)
    place = ma.fields.String(dump_only=True)
    starts_at = UtcDateTime(dump_only=True, metadata={"description": "UTC"})
    ends_at = UtcDateTime(dump_only=True, metadata={"description": "UTC"})
    trainer = ma.fields.String(dump_only=True)
    capacity = Int(dump_only=True, allow_none=True)
    status = ma.fields.String(dump_only=True)


class SessionDetailSchema(SessionSchema):
    minutes = ma.fields.String(dump_only=True, allow_none=True)
    attendees = ma.fields.List(ma.fields.Nested(AttendeeSchema), dump_only=True)


class SessionQuerySchema(ma.Schema):
    when = ma.fields.String(
        validate=ma.validate.OneOf(["upcoming", "past", "all"]), load_default="all"
    )


class AttendanceSchema(ma.Schema):
    staff_member_id = Id(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(ATTENDANCE_STATUSES))


class Hours(Number):
    """Hours as a number (bounds documented as numbers), handed to the services as a Decimal
    with one decimal place."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        return Decimal(str(number)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else float(value)


class ShadowLogSchema(ma.Schema):
    id = Id(dump_only=True)
    pairing_id = Id(dump_only=True)
    worked_on = ma.fields.Date(required=True)
    hours = Hours(
        required=True,
        minimum=0.5,
        maximum=12,
        metadata={"description": "Hours worked, to one decimal place"},
    )
    practised = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=limits.SHADOW_LOG_TEXT)
    )
    mentor_comment = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=limits.SHADOW_LOG_TEXT)
    )
    author_role = ma.fields.String(dump_only=True)
    confirmed_at = UtcDateTime(dump_only=True, allow_none=True)


class ConfirmSchema(ma.Schema):
    mentor_comment = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=limits.SHADOW_LOG_TEXT)
    )


class PairingSchema(ma.Schema):
    id = Id(dump_only=True)
    kind = ma.fields.String(dump_only=True)
    mentor_id = Id(dump_only=True)
    mentor_name = ma.fields.Function(lambda p: p.mentor.name, dump_only=True)
    mentee_id = Id(dump_only=True)
    mentee_name = ma.fields.Function(lambda p: p.mentee.name, dump_only=True)
    post_id = Id(dump_only=True, allow_none=True)
    starts_on = ma.fields.Date(dump_only=True)
    ends_on = ma.fields.Date(dump_only=True)
    status = ma.fields.String(dump_only=True)
    assessment = ma.fields.String(dump_only=True, allow_none=True)
    assessment_reason = ma.fields.String(dump_only=True, allow_none=True)
    signed_off_on = ma.fields.Date(dump_only=True, allow_none=True)
    ended_on = ma.fields.Date(dump_only=True, allow_none=True)


class PairingDetailSchema(PairingSchema):
    logs = ma.fields.List(ma.fields.Nested(ShadowLogSchema), dump_only=True)


class PairingQuerySchema(ma.Schema):
    status = ma.fields.String(
        validate=ma.validate.OneOf(["open", "active", "assessed", "signed_off", "ended", "all"]),
        load_default="all",
    )


def _session_visible(ts: TrainingSession) -> bool:
    if current_user.has_role(*READERS) and in_scope(current_user, ts.site_id):
        return True
    sid = current_user.staff_member_id
    return sid is not None and any(a.staff_member_id == sid for a in ts.attendees)


def _get_session(session_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, session_id)
    if ts is None or not _session_visible(ts):
        abort(404, message="No such session.")
    return ts


def _get_pairing(pairing_id: int) -> MentorPairing:
    pairing = db.session.get(MentorPairing, pairing_id)
    if pairing is None:
        abort(404, message="No such pairing.")
    if prs.role_in_pairing(current_user, pairing) is None and not (
        current_user.has_role(*READERS) and in_scope(current_user, pairing.mentee.site_id)
    ):
        abort(404, message="No such pairing.")
    return pairing


def _page(stmt, pagination_parameters):
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    return (
        db.session.scalars(
            stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
        )
        .unique()
        .all()
    )


@blp.route("/courses", methods=["GET"])
@roles_required(*ANY_ROLE)
@blp.arguments(CourseQuerySchema, location="query")
@blp.response(200, CourseSchema(many=True))
@blp.paginate()
def list_courses(args: dict, pagination_parameters):
    """Courses, optionally of one kind."""
    stmt = sa.select(Course).order_by(Course.kind, Course.code)
    if args.get("kind"):
        stmt = stmt.where(Course.kind == args["kind"])
    return _page(stmt, pagination_parameters)


@blp.route("/sessions", methods=["GET"])
@roles_required(*ANY_ROLE)
@blp.arguments(SessionQuerySchema, location="query")
@blp.response(200, SessionSchema(many=True))
@blp.paginate()
def list_sessions(args: dict, pagination_parameters):
    """Sessions in your scope (HR, administrators, discipline) or those you are invited to."""
    stmt = sa.select(TrainingSession).options(joinedload(TrainingSession.course))
    if current_user.has_role(*READERS):
        stmt = stmt.where(scope_filter(current_user, TrainingSession.site_id))
    else:
        stmt = stmt.where(
            TrainingSession.id.in_(
                sa.select(SessionAttendee.session_id).where(
                    SessionAttendee.staff_member_id == (current_user.staff_member_id or -1)
                )
            )
        )
    now = utcnow()
    if args["when"] == "upcoming":
        stmt = stmt.where(TrainingSession.ends_at > now).order_by(TrainingSession.starts_at)
    elif args["when"] == "past":
        stmt = stmt.where(TrainingSession.ends_at <= now).order_by(TrainingSession.starts_at.desc())
    else:
        stmt = stmt.order_by(TrainingSession.starts_at.desc())
    return _page(stmt, pagination_parameters)


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@roles_required(*ANY_ROLE)
@blp.response(200, SessionDetailSchema)
def get_session(session_id: int):
    """One session with its invited people and their attendance."""
    return _get_session(session_id)


@blp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@roles_required(*MANAGERS)
@blp.arguments(AttendanceSchema)
@blp.response(200, AttendeeSchema)
def post_attendance(data: dict, session_id: int):
    """Mark one invited person present, late, absent or excused (HR, administrators)."""
    ts = _get_session(session_id)
    return svc.mark_attendance(
        db.session, current_user, ts, data["staff_member_id"], data["status"]
    )


@blp.route("/pairings", methods=["GET"])
@roles_required(*ANY_ROLE)
@blp.arguments(PairingQuerySchema, location="query")
@blp.response(200, PairingSchema(many=True))
@blp.paginate()
def list_pairings(args: dict, pagination_parameters):
    """Pairings in your scope (HR, administrators, discipline) or those you are part of."""
    stmt = (
        sa.select(MentorPairing)
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc(), MentorPairing.id.desc())
    )
    if current_user.has_role(*READERS):
        stmt = stmt.join(StaffMember, StaffMember.id == MentorPairing.mentee_id).where(
            scope_filter(current_user, StaffMember.site_id)
        )
    else:
        sid = current_user.staff_member_id or -1
        stmt = stmt.where(sa.or_(MentorPairing.mentor_id == sid, MentorPairing.mentee_id == sid))
    status = args["status"]
    if status == "open":
        stmt = stmt.where(MentorPairing.status.in_(("active", "assessed")))
    elif status != "all":
        stmt = stmt.where(MentorPairing.status == status)
    return _page(stmt, pagination_parameters)


@blp.route("/pairings/<int:pairing_id>", methods=["GET"])
@roles_required(*ANY_ROLE)
@blp.response(200, PairingDetailSchema)
def get_pairing(pairing_id: int):
    """One pairing with its shadow logs."""
    return _get_pairing(pairing_id)


@blp.route("/pairings/<int:pairing_id>/logs", methods=["POST"])
@roles_required(*ANY_ROLE)
@blp.arguments(ShadowLogSchema)
@blp.response(201, ShadowLogSchema)
def post_log(data: dict, pairing_id: int):
    """The mentor or the mentee adds a shadow log; the mentee's waits for confirmation."""
    pairing = _get_pairing(pairing_id)
    return prs.add_shadow_log(
        db.session,
        current_user,
        pairing,
        worked_on=data["worked_on"],
        hours=data["hours"],
        practised=data["practised"],
        mentor_comment=data.get("mentor_comment"),
    )


@blp.route("/logs/<int:log_id>/confirm", methods=["POST"])
@roles_required(*ANY_ROLE)
@blp.arguments(ConfirmSchema)
@blp.response(200, ShadowLogSchema)
def confirm_log(data: dict, log_id: int):
    """The mentor confirms a mentee's shadow log."""
    log = db.session.get(ShadowLog, log_id)
    if log is None:
        abort(404, message="No such shadow log.")
    _get_pairing(log.pairing_id)  # 404 for whoever may not see the pairing
    return prs.confirm_shadow_log(db.session, current_user, log, data.get("mentor_comment"))
