"""Sites, windows and posts: read by every organisation role, managed by administrators."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from ...access import get_in_scope_or_404, in_scope, roles_required, scope_filter
from ...db import db
from ...models import Assignment, Post, Site, Window
from ...uow import domain_errors
from .. import services
from ..forms import (
    SITE_KIND_LABELS,
    PostForm,
    SiteForm,
    WindowForm,
)
from .common import (
    ADMIN,
    READ,
    _arg_int,
    _like,
    _render_form,
    _scope,
    _site_choices,
    _site_filter_ids,
    _sites_in_scope,
    bp,
    paginate,
)

# --------------------------------------------------------------------------- sites


@bp.route("/sites")
@roles_required(*READ)
def sites():
    parent = aliased(Site)
    stmt = (
        sa.select(Site, parent)
        .outerjoin(parent, parent.id == Site.parent_id)
        .where(scope_filter(current_user, Site.id))
        .order_by(Site.code)
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(Site.code.ilike(_like(q)), Site.name.ilike(_like(q))))
    kind = request.args.get("kind")
    if kind in SITE_KIND_LABELS:
        stmt = stmt.where(Site.kind == kind)
    if request.args.get("active") == "1":
        stmt = stmt.where(Site.is_active.is_(True))
    elif request.args.get("active") == "0":
        stmt = stmt.where(Site.is_active.is_(False))
    page = paginate(stmt, scalars=False)
    return render_template("org/sites.html", page=page, kinds=SITE_KIND_LABELS)


def _site_form_choices(form: SiteForm, site: Site | None) -> None:
    blank = _("(none: a top-level centre)")
    choices = [(sid, label) for sid, label in _site_choices() if site is None or sid != site.id]
    form.parent_id.choices = [(0, blank)] + choices


def _check_parent_scope(form: SiteForm, site: Site | None = None) -> bool:
    """A user limited to some sites may not create a top-level site or lift one to the top."""
    parent_id = form.parent_id.data or None
    keeps_top_level = site is not None and site.parent_id is None
    if parent_id is None and _scope() is not None and not keeps_top_level:
        form.parent_id.errors = list(form.parent_id.errors or []) + [
            _("Choose a parent site: you may only add sites below your own.")
        ]
        return False
    if parent_id is not None and not in_scope(current_user, parent_id):
        abort(404)
    return True


@bp.route("/sites/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def site_new():
    form = SiteForm()
    _site_form_choices(form, None)
    if form.validate_on_submit() and _check_parent_scope(form):
        with domain_errors(form):
            site = services.create_site(
                db.session,
                current_user,
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                parent_id=form.parent_id.data or None,
                address=form.address.data,
                is_active=form.is_active.data,
                latitude=form.latitude.data,
                longitude=form.longitude.data,
            )
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for("org.sites"))
    return _render_form(form, _("New site"), url_for("org.sites"))


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def site_edit(site_id: int):
    site = get_in_scope_or_404(Site, site_id, site_id_of=lambda s: s.id)
    form = SiteForm(obj=site)
    if request.method == "GET":
        form.parent_id.data = site.parent_id or 0
    _site_form_choices(form, site)
    if form.validate_on_submit() and _check_parent_scope(form, site):
        with domain_errors(form):
            services.update_site(
                db.session,
                current_user,
                site,
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                parent_id=form.parent_id.data or None,
                address=form.address.data,
                is_active=form.is_active.data,
                latitude=form.latitude.data,
                longitude=form.longitude.data,
            )
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for("org.sites"))
    return _render_form(form, _("Edit site %(code)s", code=site.code), url_for("org.sites"))


# --------------------------------------------------------------------------- windows


@bp.route("/windows")
@roles_required(*READ)
def windows():
    stmt = (
        sa.select(Window, Site)
        .join(Site, Site.id == Window.site_id)
        .where(scope_filter(current_user, Window.site_id))
        .order_by(Site.code, Window.code)
    )
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(Window.site_id.in_(ids))
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(Window.code.ilike(_like(q)), Window.name.ilike(_like(q))))
    if request.args.get("active") == "1":
        stmt = stmt.where(Window.is_active.is_(True))
    elif request.args.get("active") == "0":
        stmt = stmt.where(Window.is_active.is_(False))
    page = paginate(stmt, scalars=False)
    return render_template("org/windows.html", page=page, sites=_sites_in_scope())


def _window_form(window: Window | None) -> WindowForm:
    form = WindowForm(obj=window)
    form.site_id.choices = _site_choices()
    return form


@bp.route("/windows/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def window_new():
    form = _window_form(None)
    if request.method == "GET" and _arg_int("site"):
        form.site_id.data = _arg_int("site")
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        with domain_errors(form):
            window = services.create_window(
                db.session,
                current_user,
                site_id=form.site_id.data,
                code=form.code.data,
                name=form.name.data,
                is_active=form.is_active.data,
            )
            flash(_("Window %(code)s saved.", code=window.code), "success")
            return redirect(url_for("org.windows", site=window.site_id))
    return _render_form(form, _("New window"), url_for("org.windows"))


@bp.route("/windows/<int:window_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def window_edit(window_id: int):
    window = get_in_scope_or_404(Window, window_id)
    form = _window_form(window)
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        with domain_errors(form):
            services.update_window(
                db.session,
                current_user,
                window,
                site_id=form.site_id.data,
                code=form.code.data,
                name=form.name.data,
                is_active=form.is_active.data,
            )
            flash(_("Window %(code)s saved.", code=window.code), "success")
            return redirect(url_for("org.windows", site=window.site_id))
    return _render_form(form, _("Edit window %(code)s", code=window.code), url_for("org.windows"))


# --------------------------------------------------------------------------- posts


@bp.route("/posts")
@roles_required(*READ)
def posts():
    holders = (
        sa.select(sa.func.count(Assignment.id))
        .where(
            Assignment.post_id == Post.id,
            Assignment.ended_on.is_(None),
            scope_filter(current_user, Assignment.site_id),
        )
        .correlate(Post)
        .scalar_subquery()
    )
    stmt = sa.select(Post, holders.label("holders")).order_by(Post.code)
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(Post.code.ilike(_like(q)), Post.name.ilike(_like(q))))
    if request.args.get("key") == "1":
        stmt = stmt.where(Post.is_key.is_(True))
    page = paginate(stmt, scalars=False)
    return render_template("org/posts.html", page=page)


@bp.route("/posts/new", methods=["GET", "POST"])
@roles_required(*ADMIN)
def post_new():
    form = PostForm()
    if form.validate_on_submit():
        with domain_errors(form):
            post = services.create_post(
                db.session,
                current_user,
                code=form.code.data,
                name=form.name.data,
                is_key=form.is_key.data,
                description=form.description.data,
            )
            flash(_("Post %(code)s saved.", code=post.code), "success")
            return redirect(url_for("org.posts"))
    return _render_form(form, _("New post"), url_for("org.posts"))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def post_edit(post_id: int):
    post = db.session.get(Post, post_id) or abort(404)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        with domain_errors(form):
            services.update_post(
                db.session,
                current_user,
                post,
                code=form.code.data,
                name=form.name.data,
                is_key=form.is_key.data,
                description=form.description.data,
            )
            flash(_("Post %(code)s saved.", code=post.code), "success")
            return redirect(url_for("org.posts"))
    return _render_form(form, _("Edit post %(code)s", code=post.code), url_for("org.posts"))
