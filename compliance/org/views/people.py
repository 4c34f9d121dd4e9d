"""Staff members, assignments, leave and conflicts of interest: managed by HR and administrators,
read by discipline officers and inspectors within their sites."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from ...access import get_in_scope_or_404, in_scope, roles_required, scope_filter
from ...db import db
from ...models import Assignment, Conflict, Leave, Post, Site, StaffMember, Window
from ...timeutil import local_today
from ...uow import domain_errors
from .. import services
from ..forms import (
    STATUS_LABELS,
    AssignmentForm,
    StaffCreateForm,
    StaffForm,
)
from .common import (
    HR,
    NEW_STAFF_DAYS,
    READ,
    _arg_date,
    _arg_int,
    _like,
    _no_current_assignment,
    _on_leave_on,
    _post_choices,
    _render_form,
    _site_choices,
    _site_filter_ids,
    _sites_in_scope,
    _staff_from_number,
    _staff_or_404,
    _window_choices,
    bp,
    paginate,
)

# --------------------------------------------------------------------------- staff


@bp.route("/staff")
@roles_required(*READ)
def staff_list():
    today = local_today()
    stmt = (
        sa.select(StaffMember, Assignment, Post, Window, Site)
        .join(Site, Site.id == StaffMember.site_id)
        .outerjoin(
            Assignment,
            sa.and_(Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)),
        )
        .outerjoin(Post, Post.id == Assignment.post_id)
        .outerjoin(Window, Window.id == Assignment.window_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.staff_no)
    )
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(
            sa.or_(StaffMember.staff_no.ilike(_like(q)), StaffMember.name.ilike(_like(q)))
        )
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
        on_leave_ids = set(
            db.session.scalars(
                sa.select(Leave.staff_member_id).where(
                    Leave.staff_member_id.in_(member_ids),
                    Leave.starts_on <= today,
                    Leave.ends_on >= today,
                )
            )
        )
    return render_template(
        "org/staff_list.html",
        page=page,
        sites=_sites_in_scope(),
        posts=_post_choices(),
        statuses=STATUS_LABELS,
        on_leave_ids=on_leave_ids,
    )


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
        with domain_errors(form, fields={"started_on": "hired_on"}):
            member = services.create_staff(
                db.session,
                current_user,
                staff_no=form.staff_no.data,
                name=form.name.data,
                phone=form.phone.data,
                hired_on=form.hired_on.data,
                status=form.status.data,
                site_id=form.site_id.data,
            )
            if form.post_id.data:
                services.assign(
                    db.session,
                    current_user,
                    member,
                    post_id=form.post_id.data,
                    site_id=form.site_id.data,
                    window_id=form.window_id.data or None,
                    started_on=form.hired_on.data,
                )
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
    leaves = db.session.scalars(
        sa.select(Leave).where(Leave.staff_member_id == member.id).order_by(Leave.starts_on.desc())
    ).all()
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
    return render_template(
        "org/staff_detail.html",
        member=member,
        current=current,
        history=history,
        leaves=leaves,
        conflicts=conflicts,
        today=today,
    )


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def staff_edit(staff_id: int):
    member = _staff_or_404(staff_id)
    form = StaffForm(obj=member)
    form.site_id.choices = _site_choices()
    if form.validate_on_submit():
        if not in_scope(current_user, form.site_id.data):
            abort(404)
        with domain_errors(form):
            services.update_staff(
                db.session,
                current_user,
                member,
                today=local_today(),
                staff_no=form.staff_no.data,
                name=form.name.data,
                phone=form.phone.data,
                hired_on=form.hired_on.data,
                status=form.status.data,
                site_id=form.site_id.data,
            )
            flash(_("Staff member %(name)s saved.", name=member.name), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(
        form, _("Edit %(name)s", name=member.name), url_for("org.staff_detail", staff_id=member.id)
    )


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
        stmt = stmt.where(
            sa.or_(StaffMember.staff_no.ilike(_like(q)), StaffMember.name.ilike(_like(q)))
        )
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(Assignment.site_id.in_(ids))
    if _arg_int("post"):
        stmt = stmt.where(Assignment.post_id == _arg_int("post"))
    if request.args.get("current") == "1":
        stmt = stmt.where(Assignment.ended_on.is_(None))
    day = _arg_date("on")
    if day:
        stmt = stmt.where(
            Assignment.started_on <= day,
            sa.or_(Assignment.ended_on.is_(None), Assignment.ended_on >= day),
        )
    page = paginate(stmt, scalars=False)
    return render_template(
        "org/assignments.html", page=page, sites=_sites_in_scope(), posts=_post_choices()
    )


def _assignment_form(assignment: Assignment | None) -> AssignmentForm:
    form = AssignmentForm(obj=assignment)
    form.post_id.choices = _post_choices()
    form.site_id.choices = _site_choices()
    form.window_id.choices = _window_choices(
        blank=_("(none)"), keep_id=assignment.window_id if assignment is not None else None
    )
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
            with domain_errors(form):
                services.assign(
                    db.session,
                    current_user,
                    member,
                    post_id=form.post_id.data,
                    site_id=form.site_id.data,
                    window_id=form.window_id.data or None,
                    started_on=form.started_on.data,
                    ended_on=form.ended_on.data,
                    note=form.note.data,
                )
                flash(_("Assignment saved."), "success")
                return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(
        form,
        _("New assignment"),
        cancel,
        note=_(
            "Leave the end date empty for the current assignment: the "
            "previous one then ends the day before."
        ),
    )


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
        with domain_errors(form):
            services.update_assignment(
                db.session,
                current_user,
                assignment,
                post_id=form.post_id.data,
                site_id=form.site_id.data,
                window_id=form.window_id.data or None,
                started_on=form.started_on.data,
                ended_on=form.ended_on.data,
                note=form.note.data,
            )
            flash(_("Assignment saved."), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(
        form,
        _("Assignment of %(name)s", name=member.name),
        url_for("org.staff_detail", staff_id=member.id),
    )
