"""Users API: the signed-in user's own profile, and the user list for administrators."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask_login import current_user
from flask_smorest import abort

from compliance.api.fields import Id

from ..access import roles_required
from ..accounts import update_own_settings
from ..api import ApiBlueprint
from ..db import db
from ..models import ROLES
from .services import UserFilters, users_query

blp = ApiBlueprint(
    "users_api",
    __name__,
    url_prefix="/users",
    description="User accounts: your own profile; the user list (administrators).",
)


class UserSchema(ma.Schema):
    id = Id(dump_only=True)
    username = ma.fields.String(dump_only=True)
    display_name = ma.fields.String(dump_only=True)
    email = ma.fields.String(dump_only=True, allow_none=True)
    roles = ma.fields.Method("_roles", dump_only=True)
    all_sites = ma.fields.Boolean(dump_only=True)
    site_ids = ma.fields.Method("_sites", dump_only=True)
    staff_member_id = Id(dump_only=True, allow_none=True)
    locale = ma.fields.String(dump_only=True, allow_none=True)
    active = ma.fields.Boolean(dump_only=True)

    def _roles(self, user) -> list[str]:
        return sorted(user.roles)

    def _sites(self, user) -> list[int]:
        return sorted(user.scope_site_ids)


class ProfileUpdateSchema(ma.Schema):
    display_name = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    locale = ma.fields.String(validate=ma.validate.OneOf(["zh", "en"]), allow_none=True)
    email_opt_out = ma.fields.Boolean()


class UserQuerySchema(ma.Schema):
    role = ma.fields.String(validate=ma.validate.OneOf(ROLES))
    active = ma.fields.Boolean()
    q = ma.fields.String(validate=ma.validate.Length(max=64))


@blp.route("/me", methods=["GET"])
@roles_required(*ROLES)
@blp.response(200, UserSchema)
def me():
    """The signed-in user (or the owner of the bearer token)."""
    return current_user._get_current_object()


@blp.route("/me", methods=["PATCH"])
@roles_required(*ROLES)
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, UserSchema)
def update_me(data: dict):
    """Change your display name, language or e-mail opt-out."""
    if not data:
        abort(422, message="Send at least one of display_name, locale, email_opt_out.")
    if "display_name" in data and not data["display_name"].strip():
        abort(422, message="display_name is empty.")
    user = current_user._get_current_object()
    update_own_settings(
        db.session,
        user,
        **{k: v.strip() if isinstance(v, str) else v for k, v in data.items()},
    )
    return user


@blp.route("", methods=["GET"])
@roles_required("admin")
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
def list_users(args: dict, pagination_parameters):
    """User accounts (administrators), filtered by role, status and a search text."""
    stmt = users_query(
        UserFilters(role=args.get("role"), active=args.get("active"), q=args.get("q"))
    )
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    return db.session.scalars(
        stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    ).all()
