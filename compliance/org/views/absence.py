"""Leave and conflicts of interest (回避): recorded by HR and administrators, read by discipline
officers and inspectors within their sites."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import aliased

from ...access import in_scope, roles_required, scope_filter
from ...db import db
from ...models import Conflict, Leave, Site, StaffMember
from ...timeutil import local_today
from ...uow import domain_errors
from .. import services
from ..forms import (
    ConflictEditForm,
    ConflictForm,
    LeaveForm,
)
from .common import (
    HR,
    READ,
    _arg_date,
    _arg_int,
    _like,
    _render_form,
    _site_filter_ids,
    _sites_in_scope,
    _staff_from_number,
    _staff_or_404,
    bp,
    paginate,
)

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
        stmt = stmt.where(
            sa.or_(StaffMember.staff_no.ilike(_like(q)), StaffMember.name.ilike(_like(q)))
        )
    ids = _site_filter_ids(_arg_int("site"))
    if ids is not None:
        stmt = stmt.where(StaffMember.site_id.in_(ids))
    day = _arg_date("on")
    if day:
        stmt = stmt.where(Leave.starts_on <= day, Leave.ends_on >= day)
    page = paginate(stmt, scalars=False)
    return render_template(
        "org/leave.html", page=page, sites=_sites_in_scope(), today=local_today()
    )


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
            with domain_errors(form):
                services.create_leave(
                    db.session,
                    current_user,
                    member,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    reason=form.reason.data,
                )
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
        with domain_errors(form):
            services.update_leave(
                db.session,
                current_user,
                leave,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                reason=form.reason.data,
            )
            flash(_("Leave saved."), "success")
            return redirect(url_for("org.staff_detail", staff_id=member.id))
    return _render_form(
        form,
        _("Leave of %(name)s", name=member.name),
        url_for("org.staff_detail", staff_id=member.id),
    )


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
        stmt = stmt.where(
            sa.or_(
                a.staff_no.ilike(_like(q)),
                a.name.ilike(_like(q)),
                b.staff_no.ilike(_like(q)),
                b.name.ilike(_like(q)),
            )
        )
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
            with domain_errors(form):
                services.create_conflict(
                    db.session,
                    current_user,
                    first.id,
                    second.id,
                    kind=form.kind.data,
                    reason=form.reason.data,
                )
                flash(_("Conflict of interest recorded."), "success")
                return redirect(url_for("org.staff_detail", staff_id=first.id))
    return _render_form(form, _("Record a conflict of interest"), cancel)


@bp.route("/conflicts/<int:conflict_id>/edit", methods=["GET", "POST"])
@roles_required(*HR)
def conflict_edit(conflict_id: int):
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None or not (
        in_scope(current_user, conflict.staff_a.site_id)
        or in_scope(current_user, conflict.staff_b.site_id)
    ):
        abort(404)
    form = ConflictEditForm(obj=conflict)
    if form.validate_on_submit():
        with domain_errors(form):
            services.update_conflict(
                db.session, current_user, conflict, kind=form.kind.data, reason=form.reason.data
            )
            flash(_("Conflict of interest saved."), "success")
            return redirect(url_for("org.conflicts"))
    return _render_form(
        form,
        _("Conflict: %(a)s / %(b)s", a=conflict.staff_a.name, b=conflict.staff_b.name),
        url_for("org.conflicts"),
    )
