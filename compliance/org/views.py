"""Organisation pages: sites, windows, posts, staff, assignments, leave, conflicts, roster import.

Sites, windows and posts are managed by administrators; staff, assignments, leave and conflicts by
HR and administrators; discipline officers and inspectors read the lists of their sites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import aliased

from ..access import get_in_scope_or_404, in_scope, roles_required, scope_filter, scope_ids
from ..db import db
from ..models import Assignment, Conflict, Leave, Post, Site, StaffMember, Window
from ..timeutil import local_today
from . import importer, services
from .forms import (
    CONFLICT_KIND_LABELS,
    SITE_KIND_LABELS,
    STATUS_LABELS,
    AssignmentForm,
    ConflictEditForm,
    ConflictForm,
    ImportForm,
    LeaveForm,
    PostForm,
    SiteForm,
    StaffCreateForm,
    StaffForm,
    WindowForm,
)
from .services import OrgError

bp = Blueprint("org", __name__, url_prefix="/org")

READ = ("admin", "hr", "discipline", "inspector")
HR = ("admin", "hr")
ADMIN = ("admin",)
PER_PAGE = 25
NEW_STAFF_DAYS = 90


# --------------------------------------------------------------------------- helpers


@dataclass
class Page:
    """The slice of a list shown on one page (same attributes as the `pager` macro expects)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(stmt: sa.Select, *, scalars: bool = True, per_page: int = PER_PAGE) -> Page:
    """Count, then fetch one page of `stmt` (two queries)."""
    page = max(1, _arg_int("page") or 1)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result.all())
    return Page(items, page, per_page, total or 0)


def _arg_int(name: str) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return None


def _arg_date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def message_of(exc: OrgError | importer.RosterFileError | importer.RowError) -> str:
    """The translated, filled-in message of a domain error."""
    return _(exc.message, **exc.params) if exc.params else _(exc.message)


def _form_error(form, exc: OrgError, aliases: dict[str, str] | None = None) -> None:
    name = (aliases or {}).get(exc.field or "", exc.field)
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        errors = list(target.errors or [])
        errors.append(message_of(exc))
        target.errors = errors
    else:
        flash(message_of(exc), "danger")


def _scope() -> set[int] | None:
    return scope_ids(current_user)


def _sites_in_scope() -> list[Site]:
    return list(db.session.scalars(
        sa.select(Site).where(scope_filter(current_user, Site.id)).order_by(Site.code)))


def _site_choices(blank: str | None = None) -> list[tuple[int, str]]:
    choices = [(s.id, f"{s.code} {s.name}") for s in _sites_in_scope()]
    return ([(0, blank)] if blank is not None else []) + choices


def _window_choices(blank: str, keep_id: int | None = None) -> list[tuple[int, str]]:
    """Windows in use at sites in scope (plus `keep_id`, the one already chosen on an edit)."""
    rows = db.session.execute(
        sa.select(Window.id, Window.code, Window.name, Site.code)
        .join(Site, Site.id == Window.site_id)
        .where(scope_filter(current_user, Window.site_id),
               sa.or_(Window.is_active.is_(True), Window.id == (keep_id or 0)))
        .order_by(Site.code, Window.code)
    ).all()
    return [(0, blank)] + [(wid, f"{scode} · {code} {name}") for wid, code, name, scode in rows]


def _post_choices(blank: str | None = None) -> list[tuple[int, str]]:
    posts = db.session.scalars(sa.select(Post).order_by(Post.code))
    choices = [(p.id, f"{p.code} {p.name}" + (" ★" if p.is_key else "")) for p in posts]
    return ([(0, blank)] if blank is not None else []) + choices


def _site_filter_ids(site_id: int | None) -> set[int] | None:
    """The chosen site and its sub-sites, limited to the user's scope (None = no filter)."""
    if not site_id:
        return None
    from ..access import site_tree_ids

    ids = site_tree_ids(db.session, [site_id])
    scope = _scope()
    return ids if scope is None else ids & scope


def _staff_or_404(staff_id: int) -> StaffMember:
    return get_in_scope_or_404(StaffMember, staff_id)


def _staff_from_number(form, field_name: str) -> StaffMember | None:
    field = getattr(form, field_name)
    member = services.staff_by_no(db.session, field.data or "")
    if member is None or not in_scope(current_user, member.site_id):
        field.errors = list(field.errors or []) + [
            _("No staff member with this number in your sites.")]
        return None
    return member


def _can(*roles: str) -> bool:
    return current_user.has_role(*roles)


@bp.app_context_processor
def _org_context() -> dict[str, Any]:
    return {"org_can": _can, "site_kind_label": lambda k: SITE_KIND_LABELS.get(k, k),
            "staff_status_label": lambda s: STATUS_LABELS.get(s, s),
            "conflict_kind_label": lambda k: CONFLICT_KIND_LABELS.get(k, k)}


def _render_form(form, title: str, cancel: str, *, enctype: str | None = None, note: str | None = None):
    return render_template("org/form.html", form=form, title=title, cancel=cancel,
                           enctype=enctype, note=note)


# --------------------------------------------------------------------------- sites


@bp.route("/sites")
@roles_required(*READ)
def sites():
    parent = aliased(Site)
    stmt = (sa.select(Site, parent).outerjoin(parent, parent.id == Site.parent_id)
            .where(scope_filter(current_user, Site.id)).order_by(Site.code))
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


def _check_parent_scope(form: SiteForm) -> bool:
    parent_id = form.parent_id.data or None
    if parent_id is None and _scope() is not None:
        form.parent_id.errors = list(form.parent_id.errors or []) + [
            _("Choose a parent site: you may only add sites below your own.")]
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
        try:
            site = services.create_site(
                db.session, current_user, code=form.code.data, name=form.name.data,
                kind=form.kind.data, parent_id=form.parent_id.data or None,
                address=form.address.data, is_active=form.is_active.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
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
    if form.validate_on_submit() and _check_parent_scope(form):
        try:
            services.update_site(
                db.session, current_user, site, code=form.code.data, name=form.name.data,
                kind=form.kind.data, parent_id=form.parent_id.data or None,
                address=form.address.data, is_active=form.is_active.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for("org.sites"))
    return _render_form(form, _("Edit site %(code)s", code=site.code), url_for("org.sites"))


# --------------------------------------------------------------------------- windows


@bp.route("/windows")
@roles_required(*READ)
def windows():
    stmt = (sa.select(Window, Site).join(Site, Site.id == Window.site_id)
            .where(scope_filter(current_user, Window.site_id)).order_by(Site.code, Window.code))
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
        try:
            window = services.create_window(db.session, current_user, site_id=form.site_id.data,
                                            code=form.code.data, name=form.name.data,
                                            is_active=form.is_active.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
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
        try:
            services.update_window(db.session, current_user, window, site_id=form.site_id.data,
                                   code=form.code.data, name=form.name.data,
                                   is_active=form.is_active.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Window %(code)s saved.", code=window.code), "success")
            return redirect(url_for("org.windows", site=window.site_id))
    return _render_form(form, _("Edit window %(code)s", code=window.code), url_for("org.windows"))


# --------------------------------------------------------------------------- posts


@bp.route("/posts")
@roles_required(*READ)
def posts():
    holders = (
        sa.select(sa.func.count(Assignment.id))
        .where(Assignment.post_id == Post.id, Assignment.ended_on.is_(None),
               scope_filter(current_user, Assignment.site_id))
        .correlate(Post).scalar_subquery()
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
        try:
            post = services.create_post(db.session, current_user, code=form.code.data,
                                        name=form.name.data, is_key=form.is_key.data,
                                        description=form.description.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Post %(code)s saved.", code=post.code), "success")
            return redirect(url_for("org.posts"))
    return _render_form(form, _("New post"), url_for("org.posts"))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@roles_required(*ADMIN)
def post_edit(post_id: int):
    post = db.session.get(Post, post_id) or abort(404)
    form = PostForm(obj=post)
    if form.validate_on_submit():
        try:
            services.update_post(db.session, current_user, post, code=form.code.data,
                                 name=form.name.data, is_key=form.is_key.data,
                                 description=form.description.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Post %(code)s saved.", code=post.code), "success")
            return redirect(url_for("org.posts"))
    return _render_form(form, _("Edit post %(code)s", code=post.code), url_for("org.posts"))


# --------------------------------------------------------------------------- staff


def _on_leave_on(day: date):
    return sa.exists().where(Leave.staff_member_id == StaffMember.id, Leave.starts_on <= day,
                             Leave.ends_on >= day).correlate(StaffMember)


def _no_current_assignment():
    return ~sa.exists().where(Assignment.staff_member_id == StaffMember.id,
                              Assignment.ended_on.is_(None)).correlate(StaffMember)


@bp.route("/staff")
@roles_required(*READ)
def staff_list():
    today = local_today()
    stmt = (
        sa.select(StaffMember, Assignment, Post, Window, Site)
        .join(Site, Site.id == StaffMember.site_id)
        .outerjoin(Assignment, sa.and_(Assignment.staff_member_id == StaffMember.id,
                                       Assignment.ended_on.is_(None)))
        .outerjoin(Post, Post.id == Assignment.post_id)
        .outerjoin(Window, Window.id == Assignment.window_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.staff_no)
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(StaffMember.staff_no.ilike(_like(q)),
                                 StaffMember.name.ilike(_like(q))))
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(StaffMember.site_id.in_(ids))
    status = request.args.get("status")
    if status in STATUS_LABELS:
        stmt = stmt.where(StaffMember.status == status)
    post_id = _arg_int("post")
    if post_id:
        stmt = stmt.where(Assignment.post_id == post_id)
    flag = request.args.get("flag")
    if flag == "new":
        stmt = stmt.where(StaffMember.hired_on >= today - timedelta(days=NEW_STAFF_DAYS))
    elif flag == "unassigned":
        stmt = stmt.where(_no_current_assignment(), StaffMember.status == "active")
    elif flag == "on_leave":
        stmt = stmt.where(_on_leave_on(today))
    page = paginate(stmt, scalars=False)
    on_leave_ids: set[int] = set()
    member_ids = [row[0].id for row in page.items]
    if member_ids:
        on_leave_ids = set(db.session.scalars(sa.select(Leave.staff_member_id).where(
            Leave.staff_member_id.in_(member_ids), Leave.starts_on <= today, Leave.ends_on >= today)))
    return render_template("org/staff_list.html", page=page, sites=_sites_in_scope(),
                           posts=_post_choices(), statuses=STATUS_LABELS, on_leave_ids=on_leave_ids)


def _staff_create_form() -> StaffCreateForm:
    form = StaffCreateForm()
    form.post_id.choices = _post_choices(blank=_("(none)"))
    form.window_id.choices = _window_choices(blank=_("(none)"))
    return form


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required(*HR)
def staff_new():
    form = _staff_create_form()
    form.site_id.choices = _site_choices()
    if request.method == "GET" and _arg_int("site"):
        form.site_id.data = _arg_int("site")
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        try:
            member = services.create_staff(
                db.session, current_user, staff_no=form.staff_no.data, name=form.name.data,
                phone=form.phone.data, hired_on=form.hired_on.data, status=form.status.data,
                site_id=form.site_id.data)
            if form.post_id.data:
                services.assign(db.session, current_user, member, post_id=form.post_id.data,
                                site_id=form.site_id.data, window_id=form.window_id.data or None,
                                started_on=form.hired_on.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc, {"started_on": "hired_on"})
        else:
            db.session.commit()
            flash(_("Staff member %(name)s saved.", name=member.name), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("New staff member"), url_for("org.staff_list"))


@bp.route("/staff/<int:staff_id>")
@roles_required(*READ)
def staff_detail(staff_id: int):
    member = _staff_or_404(staff_id)
    history = db.session.execute(
        sa.select(Assignment, Post, Window, Site)
        .join(Post, Post.id == Assignment.post_id)
        .join(Site, Site.id == Assignment.site_id)
        .outerjoin(Window, Window.id == Assignment.window_id)
        .where(Assignment.staff_member_id == member.id)
        .order_by(Assignment.started_on.desc())
    ).all()
    current = next((row for row in history if row[0].ended_on is None), None)
    leaves = db.session.scalars(sa.select(Leave).where(Leave.staff_member_id == member.id)
                                .order_by(Leave.starts_on.desc())).all()
    other_a = aliased(StaffMember)
    other_b = aliased(StaffMember)
    conflict_rows = db.session.execute(
        sa.select(Conflict, other_a, other_b)
        .join(other_a, other_a.id == Conflict.staff_a_id)
        .join(other_b, other_b.id == Conflict.staff_b_id)
        .where(sa.or_(Conflict.staff_a_id == member.id, Conflict.staff_b_id == member.id))
        .order_by(Conflict.created_at)
    ).all()
    conflicts = [(c, b if a.id == member.id else a) for c, a, b in conflict_rows]
    today = local_today()
    return render_template("org/staff_detail.html", member=member, current=current,
                           history=history, leaves=leaves, conflicts=conflicts, today=today)


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def staff_edit(staff_id: int):
    member = _staff_or_404(staff_id)
    form = StaffForm(obj=member)
    form.site_id.choices = _site_choices()
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        try:
            services.update_staff(
                db.session, current_user, member, today=local_today(),
                staff_no=form.staff_no.data, name=form.name.data, phone=form.phone.data,
                hired_on=form.hired_on.data, status=form.status.data, site_id=form.site_id.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Staff member %(name)s saved.", name=member.name), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("Edit %(name)s", name=member.name),
                        url_for("org.staff_detail", staff_id=member.id))


# --------------------------------------------------------------------------- assignments


@bp.route("/assignments")
@roles_required(*READ)
def assignments():
    stmt = (
        sa.select(Assignment, StaffMember, Post, Window, Site)
        .join(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .join(Post, Post.id == Assignment.post_id)
        .join(Site, Site.id == Assignment.site_id)
        .outerjoin(Window, Window.id == Assignment.window_id)
        .where(scope_filter(current_user, Assignment.site_id))
        .order_by(Assignment.started_on.desc(), Assignment.id.desc())
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(StaffMember.staff_no.ilike(_like(q)),
                                 StaffMember.name.ilike(_like(q))))
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(Assignment.site_id.in_(ids))
    if _arg_int("post"):
        stmt = stmt.where(Assignment.post_id == _arg_int("post"))
    if request.args.get("current") == "1":
        stmt = stmt.where(Assignment.ended_on.is_(None))
    day = _arg_date("on")
    if day:
        stmt = stmt.where(Assignment.started_on <= day,
                          sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day))
    page = paginate(stmt, scalars=False)
    return render_template("org/assignments.html", page=page, sites=_sites_in_scope(),
                           posts=_post_choices())


def _assignment_form(assignment: Assignment | None) -> AssignmentForm:
    form = AssignmentForm(obj=assignment)
    form.post_id.choices = _post_choices()
    form.site_id.choices = _site_choices()
    form.window_id.choices = _window_choices(
        blank=_("(none)"), keep_id=assignment.window_id if assignment is not None else None)
    if request.method == "GET" and assignment is not None:
        form.window_id.data = assignment.window_id or 0
    return form


@bp.route("/assignments/new", methods=["GET", "POST"])
@roles_required(*HR)
def assignment_new():
    form = _assignment_form(None)
    preset = _arg_int("staff_id")
    cancel = url_for("org.assignments")
    if preset:
        member = _staff_or_404(preset)
        cancel = url_for("org.staff_detail", staff_id=member.id)
        if request.method == "GET":
            form.staff_no.data = member.staff_no
            form.site_id.data = member.site_id
            form.started_on.data = local_today()
    if form.validate_on_submit():
        member = _staff_from_number(form, "staff_no")
        if member is not None:
            if not in_scope(current_user, form.site_id.data):
                abort(404)
            try:
                services.assign(db.session, current_user, member, post_id=form.post_id.data,
                                site_id=form.site_id.data, window_id=form.window_id.data or None,
                                started_on=form.started_on.data, ended_on=form.ended_on.data,
                                note=form.note.data)
            except OrgError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Assignment saved."), "success")
                return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("New assignment"), cancel,
                        note=_("Leave the end date empty for the current assignment: the "
                               "previous one then ends the day before."))


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def assignment_edit(assignment_id: int):
    assignment = get_in_scope_or_404(Assignment, assignment_id)
    member = assignment.staff_member
    form = _assignment_form(assignment)
    del form.staff_no
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        try:
            services.update_assignment(
                db.session, current_user, assignment, post_id=form.post_id.data,
                site_id=form.site_id.data, window_id=form.window_id.data or None,
                started_on=form.started_on.data, ended_on=form.ended_on.data, note=form.note.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Assignment saved."), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("Assignment of %(name)s", name=member.name),
                        url_for("org.staff_detail", staff_id=member.id))


# --------------------------------------------------------------------------- leave


@bp.route("/leave")
@roles_required(*READ)
def leave_list():
    stmt = (
        sa.select(Leave, StaffMember, Site)
        .join(StaffMember, StaffMember.id == Leave.staff_member_id)
        .join(Site, Site.id == StaffMember.site_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .order_by(Leave.starts_on.desc(), Leave.id.desc())
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(StaffMember.staff_no.ilike(_like(q)),
                                 StaffMember.name.ilike(_like(q))))
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(StaffMember.site_id.in_(ids))
    day = _arg_date("on")
    if day:
        stmt = stmt.where(Leave.starts_on <= day, Leave.ends_on >= day)
    page = paginate(stmt, scalars=False)
    return render_template("org/leave.html", page=page, sites=_sites_in_scope(),
                           today=local_today())


def _leave_get(leave_id: int) -> Leave:
    leave = db.session.get(Leave, leave_id)
    if leave is None or not in_scope(current_user, leave.staff_member.site_id):
        abort(404)
    return leave


@bp.route("/leave/new", methods=["GET", "POST"])
@roles_required(*HR)
def leave_new():
    form = LeaveForm()
    cancel = url_for("org.leave_list")
    preset = _arg_int("staff_id")
    if preset:
        member = _staff_or_404(preset)
        cancel = url_for("org.staff_detail", staff_id=member.id)
        if request.method == "GET":
            form.staff_no.data = member.staff_no
    if form.validate_on_submit():
        member = _staff_from_number(form, "staff_no")
        if member is not None:
            try:
                services.create_leave(db.session, current_user, member,
                                      starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                      reason=form.reason.data)
            except OrgError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Leave saved."), "success")
                return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("Record leave"), cancel)


@bp.route("/leave/<int:leave_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def leave_edit(leave_id: int):
    leave = _leave_get(leave_id)
    member = leave.staff_member
    form = LeaveForm(obj=leave)
    del form.staff_no
    if form.validate_on_submit():
        try:
            services.update_leave(db.session, current_user, leave, starts_on=form.starts_on.data,
                                  ends_on=form.ends_on.data, reason=form.reason.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Leave saved."), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(form, _("Leave of %(name)s", name=member.name),
                        url_for("org.staff_detail", staff_id=member.id))


# --------------------------------------------------------------------------- conflicts


@bp.route("/conflicts")
@roles_required(*READ)
def conflicts():
    a = aliased(StaffMember)
    b = aliased(StaffMember)
    stmt = (
        sa.select(Conflict, a, b)
        .join(a, a.id == Conflict.staff_a_id)
        .join(b, b.id == Conflict.staff_b_id)
        .where(sa.or_(scope_filter(current_user, a.site_id), scope_filter(current_user, b.site_id)))
        .order_by(Conflict.created_at.desc(), Conflict.id.desc())
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(sa.or_(a.staff_no.ilike(_like(q)), a.name.ilike(_like(q)),
                                 b.staff_no.ilike(_like(q)), b.name.ilike(_like(q))))
    page = paginate(stmt, scalars=False)
    return render_template("org/conflicts.html", page=page)


@bp.route("/conflicts/new", methods=["GET", "POST"])
@roles_required(*HR)
def conflict_new():
    form = ConflictForm()
    cancel = url_for("org.conflicts")
    preset = _arg_int("staff_id")
    if preset:
        member = _staff_or_404(preset)
        cancel = url_for("org.staff_detail", staff_id=member.id)
        if request.method == "GET":
            form.staff_a.data = member.staff_no
    if form.validate_on_submit():
        first = _staff_from_number(form, "staff_a")
        second = _staff_from_number(form, "staff_b")
        if first is not None and second is not None:
            try:
                services.create_conflict(db.session, current_user, first.id, second.id,
                                         kind=form.kind.data, reason=form.reason.data)
            except OrgError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Conflict of interest recorded."), "success")
                return redirect(url_for("org.staff_detail", staff_id=first.id))
    return _render_form(form, _("Record a conflict of interest"), cancel)


@bp.route("/conflicts/<int:conflict_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def conflict_edit(conflict_id: int):
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or not (in_scope(current_user, conflict.staff_a.site_id)
                                or in_scope(current_user, conflict.staff_b.site_id)):
        abort(404)
    form = ConflictEditForm(obj=conflict)
    if form.validate_on_submit():
        try:
            services.update_conflict(db.session, current_user, conflict, kind=form.kind.data,
                                     reason=form.reason.data)
        except OrgError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Conflict of interest saved."), "success")
            return redirect(url_for("org.conflicts"))
    return _render_form(form, _("Conflict: %(a)s / %(b)s", a=conflict.staff_a.name,
                                b=conflict.staff_b.name), url_for("org.conflicts"))


# --------------------------------------------------------------------------- roster import


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*HR)
def roster_import():
    form = ImportForm()
    row_errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or ""
        data = upload.stream.read(importer.MAX_BYTES + 1)
        if not filename.lower().endswith(".xlsx"):
            form.file.errors = list(form.file.errors or []) + [
                _("Upload an Excel .xlsx file (use the template).")]
        else:
            try:
                result = importer.import_roster(db.session, current_user, data, filename=filename,
                                                scope=_scope(), today=local_today())
            except importer.RosterFileError as exc:
                db.session.rollback()
                form.file.errors = list(form.file.errors or []) + [message_of(exc)]
            else:
                if result.errors:
                    db.session.rollback()
                    row_errors = [(e.row, message_of(e)) for e in result.errors]
                    flash(_("Nothing was imported: fix the rows listed below and upload again."),
                          "danger")
                else:
                    db.session.commit()
                    flash(_("Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s "
                            "unchanged.", created=result.created, updated=result.updated,
                            unchanged=result.unchanged), "success")
                    return redirect(url_for("org.staff_list"))
    return render_template("org/import.html", form=form, row_errors=row_errors,
                           max_mb=importer.MAX_BYTES // (1024 * 1024))


@bp.route("/import/template.xlsx")
@roles_required(*HR)
def roster_template():
    import io

    return send_file(
        io.BytesIO(importer.template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True, download_name="roster-template.xlsx")


# --------------------------------------------------------------------------- dashboard


def hr_panel(user) -> Markup | None:
    """HR's dashboard card: who is on leave today, new staff, staff without a current assignment."""
    today = local_today()
    in_scope_staff = scope_filter(user, StaffMember.site_id)
    active = StaffMember.status == "active"
    limit = 8

    def listing(condition) -> tuple[int, list[StaffMember]]:
        count = db.session.scalar(sa.select(sa.func.count(StaffMember.id))
                                  .where(in_scope_staff, condition)) or 0
        people = db.session.scalars(sa.select(StaffMember).where(in_scope_staff, condition)
                                    .order_by(StaffMember.staff_no).limit(limit)).all()
        return count, list(people)

    leave_count, on_leave = listing(sa.and_(active, _on_leave_on(today)))
    new_count, new_staff = listing(sa.and_(
        active, StaffMember.hired_on >= today - timedelta(days=NEW_STAFF_DAYS)))
    idle_count, unassigned = listing(sa.and_(active, _no_current_assignment()))
    return Markup(render_template(
        "org/_panel_hr.html", today=today, limit=limit, new_days=NEW_STAFF_DAYS,
        groups=[("on_leave", _("On leave today"), leave_count, on_leave),
                ("new", _("New staff (last %(days)s days)", days=NEW_STAFF_DAYS), new_count,
                 new_staff),
                ("unassigned", _("Without a current assignment"), idle_count, unassigned)]))
