"""The organisation API's blueprints, role groups and shared helpers."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from ...access import in_scope, site_tree_ids
from ...api import ApiBlueprint
from ...db import db
from ...models import Post, Site, StaffMember, Window

READ = ("admin", "hr", "discipline", "inspector", "leader")
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
