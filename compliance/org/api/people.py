"""Staff, assignments and leave (/api/v1/staff, /assignments, /leave)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ...access import roles_required, scope_filter
from ...db import db
from ...models import Assignment, Leave, StaffMember
from ...timeutil import local_today
from .. import services
from ..schemas import (
    OrgAssignmentQuerySchema,
    OrgAssignmentSchema,
    OrgAssignmentUpdateSchema,
    OrgLeaveQuerySchema,
    OrgLeaveSchema,
    OrgLeaveUpdateSchema,
    OrgStaffQuerySchema,
    OrgStaffSchema,
    OrgStaffUpdateSchema,
)
from .common import (
    HR,
    READ,
    _check_refs,
    _get,
    _like,
    _page,
    _subtree,
    assignments_blp,
    leave_blp,
    staff_blp,
)

# --------------------------------------------------------------------------- staff


@staff_blp.route("")
class StaffListView(MethodView):
    @roles_required(*READ)
    @staff_blp.arguments(OrgStaffQuerySchema, location="query")
    @staff_blp.response(200, OrgStaffSchema(many=True))
    @staff_blp.paginate()
    def get(self, args, pagination_parameters):
        """List staff members in the caller's scope, with their current assignment."""
        stmt = (
            sa.select(StaffMember)
            .options(selectinload(StaffMember.assignments))
            .where(scope_filter(current_user, StaffMember.site_id))
            .order_by(StaffMember.staff_no)
        )
        if "site" in args:
            stmt = stmt.where(StaffMember.site_id.in_(_subtree(args["site"])))
        if "status" in args:
            stmt = stmt.where(StaffMember.status == args["status"])
        if "post" in args:
            stmt = stmt.where(
                sa.exists().where(
                    Assignment.staff_member_id == StaffMember.id,
                    Assignment.ended_on.is_(None),
                    Assignment.post_id == args["post"],
                )
            )
        if args.get("q"):
            stmt = stmt.where(
                sa.or_(
                    StaffMember.staff_no.ilike(_like(args["q"])),
                    StaffMember.name.ilike(_like(args["q"])),
                )
            )
        if "hired_from" in args:
            stmt = stmt.where(StaffMember.hired_on >= args["hired_from"])
        if "hired_to" in args:
            stmt = stmt.where(StaffMember.hired_on <= args["hired_to"])
        return _page(stmt, pagination_parameters)

    @roles_required(*HR)
    @staff_blp.arguments(OrgStaffSchema)
    @staff_blp.response(201, OrgStaffSchema)
    def post(self, data):
        """Create a staff member (HR, administrators)."""
        _check_refs(site_id=data["site_id"])
        member = services.create_staff(db.session, current_user, **data)
        return member


@staff_blp.route("/<int:staff_id>")
class StaffView(MethodView):
    @roles_required(*READ)
    @staff_blp.response(200, OrgStaffSchema)
    def get(self, staff_id: int):
        """Read one staff member."""
        return _get(StaffMember, staff_id)

    @roles_required(*HR)
    @staff_blp.arguments(OrgStaffUpdateSchema)
    @staff_blp.response(200, OrgStaffSchema)
    def patch(self, data, staff_id: int):
        """Change a staff member (HR, administrators)."""
        member = _get(StaffMember, staff_id)
        if "site_id" in data:
            _check_refs(site_id=data["site_id"])
        services.update_staff(db.session, current_user, member, today=local_today(), **data)
        return member


# --------------------------------------------------------------------------- assignments


@assignments_blp.route("")
class AssignmentsView(MethodView):
    @roles_required(*READ)
    @assignments_blp.arguments(OrgAssignmentQuerySchema, location="query")
    @assignments_blp.response(200, OrgAssignmentSchema(many=True))
    @assignments_blp.paginate()
    def get(self, args, pagination_parameters):
        """List assignments at sites in the caller's scope."""
        stmt = (
            sa.select(Assignment)
            .where(scope_filter(current_user, Assignment.site_id))
            .order_by(Assignment.started_on.desc(), Assignment.id.desc())
        )
        if "staff" in args:
            stmt = stmt.where(Assignment.staff_member_id == args["staff"])
        if "site" in args:
            stmt = stmt.where(Assignment.site_id.in_(_subtree(args["site"])))
        if "post" in args:
            stmt = stmt.where(Assignment.post_id == args["post"])
        if args.get("current"):
            stmt = stmt.where(Assignment.ended_on.is_(None))
        if "on" in args:
            stmt = stmt.where(
                Assignment.started_on <= args["on"],
                sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= args["on"]),
            )
        if args.get("q"):
            stmt = stmt.join(StaffMember, StaffMember.id == Assignment.staff_member_id).where(
                sa.or_(
                    StaffMember.staff_no.ilike(_like(args["q"])),
                    StaffMember.name.ilike(_like(args["q"])),
                )
            )
        return _page(stmt, pagination_parameters)

    @roles_required(*HR)
    @assignments_blp.arguments(OrgAssignmentSchema)
    @assignments_blp.response(201, OrgAssignmentSchema)
    def post(self, data):
        """Assign a staff member (HR, administrators). Open-ended: the previous current
        assignment ends the day before."""
        _check_refs(
            site_id=data["site_id"],
            window_id=data.get("window_id"),
            post_id=data["post_id"],
            staff_id=data["staff_member_id"],
        )
        member = db.session.get(StaffMember, data.pop("staff_member_id"))
        assignment = services.assign(db.session, current_user, member, **data)
        return assignment


@assignments_blp.route("/<int:assignment_id>")
class AssignmentView(MethodView):
    @roles_required(*READ)
    @assignments_blp.response(200, OrgAssignmentSchema)
    def get(self, assignment_id: int):
        """Read one assignment."""
        return _get(Assignment, assignment_id)

    @roles_required(*HR)
    @assignments_blp.arguments(OrgAssignmentUpdateSchema)
    @assignments_blp.response(200, OrgAssignmentSchema)
    def patch(self, data, assignment_id: int):
        """Correct or end an assignment (HR, administrators)."""
        assignment = _get(Assignment, assignment_id)
        _check_refs(
            site_id=data.get("site_id"),
            window_id=data.get("window_id"),
            post_id=data.get("post_id"),
        )
        services.update_assignment(db.session, current_user, assignment, **data)
        return assignment


# --------------------------------------------------------------------------- leave


@leave_blp.route("")
class LeaveListView(MethodView):
    @roles_required(*READ)
    @leave_blp.arguments(OrgLeaveQuerySchema, location="query")
    @leave_blp.response(200, OrgLeaveSchema(many=True))
    @leave_blp.paginate()
    def get(self, args, pagination_parameters):
        """List leave of staff members in the caller's scope."""
        stmt = (
            sa.select(Leave)
            .join(StaffMember, StaffMember.id == Leave.staff_member_id)
            .where(scope_filter(current_user, StaffMember.site_id))
            .order_by(Leave.starts_on.desc(), Leave.id.desc())
        )
        if "staff" in args:
            stmt = stmt.where(Leave.staff_member_id == args["staff"])
        if "site" in args:
            stmt = stmt.where(StaffMember.site_id.in_(_subtree(args["site"])))
        if args.get("q"):
            stmt = stmt.where(
                sa.or_(
                    StaffMember.staff_no.ilike(_like(args["q"])),
                    StaffMember.name.ilike(_like(args["q"])),
                )
            )
        day: date | None = args.get("on")
        if day:
            stmt = stmt.where(Leave.starts_on <= day, Leave.ends_on >= day)
        if "date_from" in args:
            stmt = stmt.where(Leave.ends_on >= args["date_from"])
        if "date_to" in args:
            stmt = stmt.where(Leave.starts_on <= args["date_to"])
        return _page(stmt, pagination_parameters)

    @roles_required(*HR)
    @leave_blp.arguments(OrgLeaveSchema)
    @leave_blp.response(201, OrgLeaveSchema)
    def post(self, data):
        """Record approved leave (HR, administrators)."""
        _check_refs(staff_id=data["staff_member_id"])
        member = db.session.get(StaffMember, data.pop("staff_member_id"))
        leave = services.create_leave(db.session, current_user, member, **data)
        return leave


@leave_blp.route("/<int:leave_id>")
class LeaveView(MethodView):
    @roles_required(*READ)
    @leave_blp.response(200, OrgLeaveSchema)
    def get(self, leave_id: int):
        """Read one leave record."""
        return _get(Leave, leave_id, lambda leave: leave.staff_member.site_id)

    @roles_required(*HR)
    @leave_blp.arguments(OrgLeaveUpdateSchema)
    @leave_blp.response(200, OrgLeaveSchema)
    def patch(self, data, leave_id: int):
        """Change leave dates or reason (HR, administrators)."""
        leave = _get(Leave, leave_id, lambda leave: leave.staff_member.site_id)
        services.update_leave(db.session, current_user, leave, **data)
        return leave
