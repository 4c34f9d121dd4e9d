"""Sites, windows and posts (/api/v1/sites, /windows, /posts)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from ...access import roles_required, scope_filter
from ...db import db
from ...models import Post, Site, Window
from .. import services
from ..schemas import (
    OrgPostQuerySchema,
    OrgPostSchema,
    OrgPostUpdateSchema,
    OrgSiteQuerySchema,
    OrgSiteSchema,
    OrgSiteUpdateSchema,
    OrgWindowQuerySchema,
    OrgWindowSchema,
    OrgWindowUpdateSchema,
)
from .common import (
    ADMIN,
    READ,
    _check_parent,
    _check_refs,
    _get,
    _like,
    _page,
    _subtree,
    posts_blp,
    sites_blp,
    windows_blp,
)

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
