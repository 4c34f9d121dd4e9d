"""JSON API of the organisation: sites, windows, posts, staff, assignments, leave (/api/v1).

Reads: admin, hr, discipline, inspector, limited to their sites. Writes go through the same
services as the pages: sites, windows and posts by administrators; staff, assignments and leave by
HR and administrators. Errors: 422 names the field, 409 a clash with existing records, 400 a
request the rules refuse, 403 a missing role, 404 an unknown or out-of-scope record.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy.orm import selectinload

from ..access import in_scope, roles_required, scope_filter, site_tree_ids
from ..api import ApiBlueprint
from ..db import db
from ..models import Assignment, Leave, Post, Site, StaffMember, Window
from ..timeutil import local_today
from . import services
from .schemas import (
    OrgAssignmentQuerySchema,
    OrgAssignmentSchema,
    OrgAssignmentUpdateSchema,
    OrgLeaveQuerySchema,
    OrgLeaveSchema,
    OrgLeaveUpdateSchema,
    OrgPostQuerySchema,
    OrgPostSchema,
    OrgPostUpdateSchema,
    OrgSiteQuerySchema,
    OrgSiteSchema,
    OrgSiteUpdateSchema,
    OrgStaffQuerySchema,
    OrgStaffSchema,
    OrgStaffUpdateSchema,
    OrgWindowQuerySchema,
    OrgWindowSchema,
    OrgWindowUpdateSchema,
)

READ = ("admin", "hr", "discipline", "inspector")
HR = ("admin", "hr")
ADMIN = ("admin",)

sites_blp = ApiBlueprint(
    "org_sites_api",
    __name__,
    url_prefix="/sites",
    description="Sites: centres, halls and stations (a tree).",
)
windows_blp = ApiBlueprint(
    "org_windows_api", __name__, url_prefix="/windows", description="Service windows at sites."
)
posts_blp = ApiBlueprint(
    "org_posts_api",
    __name__,
    url_prefix="/posts",
    description="Posts (job positions); key posts rotate.",
)
staff_blp = ApiBlueprint(
    "org_staff_api",
    __name__,
    url_prefix="/staff",
    description="Staff members with their current assignment.",
)
assignments_blp = ApiBlueprint(
    "org_assignments_api",
    __name__,
    url_prefix="/assignments",
    description="Assignments of staff to posts, sites and windows.",
)
leave_blp = ApiBlueprint(
    "org_leave_api", __name__, url_prefix="/leave", description="Approved leave."
)
BLUEPRINTS = (sites_blp, windows_blp, posts_blp, staff_blp, assignments_blp, leave_blp)

# --------------------------------------------------------------------------- helpers


def _check_refs(
    site_id: int | None = None,
    window_id: int | None = None,
    post_id: int | None = None,
    staff_id: int | None = None,
) -> None:
    """Referenced records must exist and (for site-bound ones) be within the caller's scope."""
    problems: dict[str, list[str]] = {}
    if site_id is not None and (
        db.session.get(Site, site_id) is None or not in_scope(current_user, site_id)
    ):
        problems["site_id"] = [_("Unknown site.")]
    if window_id is not None:
        window = db.session.get(Window, window_id)
        if window is None or not in_scope(current_user, window.site_id):
            problems["window_id"] = [_("Unknown window.")]
    if post_id is not None and db.session.get(Post, post_id) is None:
        problems["post_id"] = [_("Unknown post.")]
    if staff_id is not None:
        member = db.session.get(StaffMember, staff_id)
        if member is None or not in_scope(current_user, member.site_id):
            problems["staff_member_id"] = [_("Unknown staff member.")]
    if problems:
        abort(
            422,
            message=_("Invalid value for: %(fields)s", fields=", ".join(sorted(problems))),
            errors={"json": problems},
        )


def _check_parent(parent_id: int) -> None:
    if db.session.get(Site, parent_id) is None or not in_scope(current_user, parent_id):
        abort(
            422,
            message=_("Invalid value for: %(fields)s", fields="parent_id"),
            errors={"json": {"parent_id": [_("Unknown site.")]}},
        )


def _page(stmt: sa.Select, pagination_parameters) -> list:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    pagination_parameters.item_count = total or 0
    size = pagination_parameters.page_size
    return list(
        db.session.scalars(stmt.limit(size).offset((pagination_parameters.page - 1) * size))
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _subtree(site_id: int) -> list[int]:
    return sorted(site_tree_ids(db.session, [site_id]))


def _get(model, object_id: int, site_of=lambda obj: obj.site_id):
    obj = db.session.get(model, object_id)
    if obj is None or not in_scope(current_user, site_of(obj)):
        abort(404, message=_("Not found"))
    return obj


# --------------------------------------------------------------------------- sites


@sites_blp.route("")
class SitesView(MethodView):
    @roles_required(*READ)
    @sites_blp.arguments(OrgSiteQuerySchema, location="query")
    @sites_blp.response(200, OrgSiteSchema(many=True))
    @sites_blp.paginate()
    def get(self, args, pagination_parameters):
        """List sites in the caller's scope."""
        stmt = sa.select(Site).where(scope_filter(current_user, Site.id)).order_by(Site.code)
        if args.get("q"):
            stmt = stmt.where(
                sa.or_(Site.code.ilike(_like(args["q"])), Site.name.ilike(_like(args["q"])))
            )
        if "kind" in args:
            stmt = stmt.where(Site.kind == args["kind"])
        if "parent" in args:
            stmt = stmt.where(Site.parent_id == args["parent"])
        if "active" in args:
            stmt = stmt.where(Site.is_active.is_(args["active"]))
        return _page(stmt, pagination_parameters)

    @roles_required(*ADMIN)
    @sites_blp.arguments(OrgSiteSchema)
    @sites_blp.response(201, OrgSiteSchema)
    def post(self, data):
        """Create a site (administrators; below a site in scope unless the caller has all sites)."""
        if data.get("parent_id") is not None:
            _check_parent(data["parent_id"])
        elif not current_user.all_sites:
            message = _("Choose a parent site: you may only add sites below your own.")
            abort(422, message=message, errors={"json": {"parent_id": [message]}})
        site = services.create_site(db.session, current_user, **data)
        return site


@sites_blp.route("/<int:site_id>")
class SiteView(MethodView):
    @roles_required(*READ)
    @sites_blp.response(200, OrgSiteSchema)
    def get(self, site_id: int):
        """Read one site."""
        return _get(Site, site_id, lambda s: s.id)

    @roles_required(*ADMIN)
    @sites_blp.arguments(OrgSiteUpdateSchema)
    @sites_blp.response(200, OrgSiteSchema)
    def patch(self, data, site_id: int):
        """Change a site (administrators)."""
        site = _get(Site, site_id, lambda s: s.id)
        if data.get("parent_id") is not None:
            _check_parent(data["parent_id"])
        elif "parent_id" in data and site.parent_id is not None and not current_user.all_sites:
            message = _("Choose a parent site: you may only add sites below your own.")
            abort(422, message=message, errors={"json": {"parent_id": [message]}})
        services.update_site(db.session, current_user, site, **data)
        return site


# --------------------------------------------------------------------------- windows


@windows_blp.route("")
class WindowsView(MethodView):
    @roles_required(*READ)
    @windows_blp.arguments(OrgWindowQuerySchema, location="query")
    @windows_blp.response(200, OrgWindowSchema(many=True))
    @windows_blp.paginate()
    def get(self, args, pagination_parameters):
        """List windows at sites in the caller's scope."""
        stmt = (
            sa.select(Window)
            .where(scope_filter(current_user, Window.site_id))
            .order_by(Window.site_id, Window.code)
        )
        if "site" in args:
            stmt = stmt.where(Window.site_id.in_(_subtree(args["site"])))
        if args.get("q"):
            stmt = stmt.where(
                sa.or_(Window.code.ilike(_like(args["q"])), Window.name.ilike(_like(args["q"])))
            )
        if "active" in args:
            stmt = stmt.where(Window.is_active.is_(args["active"]))
        return _page(stmt, pagination_parameters)

    @roles_required(*ADMIN)
    @windows_blp.arguments(OrgWindowSchema)
    @windows_blp.response(201, OrgWindowSchema)
    def post(self, data):
        """Create a window (administrators)."""
        _check_refs(site_id=data["site_id"])
        window = services.create_window(db.session, current_user, **data)
        return window


@windows_blp.route("/<int:window_id>")
class WindowView(MethodView):
    @roles_required(*READ)
    @windows_blp.response(200, OrgWindowSchema)
    def get(self, window_id: int):
        """Read one window."""
        return _get(Window, window_id)

    @roles_required(*ADMIN)
    @windows_blp.arguments(OrgWindowUpdateSchema)
    @windows_blp.response(200, OrgWindowSchema)
    def patch(self, data, window_id: int):
        """Change a window (administrators)."""
        window = _get(Window, window_id)
        if "site_id" in data:
            _check_refs(site_id=data["site_id"])
        services.update_window(db.session, current_user, window, **data)
        return window


# --------------------------------------------------------------------------- posts


@posts_blp.route("")
class PostsView(MethodView):
    @roles_required(*READ)
    @posts_blp.arguments(OrgPostQuerySchema, location="query")
    @posts_blp.response(200, OrgPostSchema(many=True))
    @posts_blp.paginate()
    def get(self, args, pagination_parameters):
        """List posts."""
        stmt = sa.select(Post).order_by(Post.code)
        if args.get("q"):
            stmt = stmt.where(
                sa.or_(Post.code.ilike(_like(args["q"])), Post.name.ilike(_like(args["q"])))
            )
        if "key" in args:
            stmt = stmt.where(Post.is_key.is_(args["key"]))
        return _page(stmt, pagination_parameters)

    @roles_required(*ADMIN)
    @posts_blp.arguments(OrgPostSchema)
    @posts_blp.response(201, OrgPostSchema)
    def post(self, data):
        """Create a post (administrators)."""
        post = services.create_post(db.session, current_user, **data)
        return post


@posts_blp.route("/<int:post_id>")
class PostView(MethodView):
    @roles_required(*READ)
    @posts_blp.response(200, OrgPostSchema)
    def get(self, post_id: int):
        """Read one post."""
        return db.session.get(Post, post_id) or abort(404, message=_("Not found"))

    @roles_required(*ADMIN)
    @posts_blp.arguments(OrgPostUpdateSchema)
    @posts_blp.response(200, OrgPostSchema)
    def patch(self, data, post_id: int):
        """Change a post (administrators)."""
        post = db.session.get(Post, post_id) or abort(404, message=_("Not found"))
        services.update_post(db.session, current_user, post, **data)
        return post


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
