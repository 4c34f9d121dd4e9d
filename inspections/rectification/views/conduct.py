"""Conduct records: the list of complaints and commendations, recording one, and deciding a
complaint (an upheld complaint opens a rectification)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import in_scope, roles_required, scope_filter
from compliance.db import db
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from ..conduct import DECIDING_ROLES, RECORDING_ROLES, decide_complaint, record_conduct
from ..forms import ConductForm, DecideForm, select_choices
from ..models import ConductRecord, Rectification
from .common import PER_PAGE, bp, choice_arg, int_arg, staff_choices

# The service's field names -> the conduct form's.
CONDUCT_FIELDS = {"staff_member_id": "staff_member"}


@bp.route("/conduct")
@roles_required(*RECORDING_ROLES)
def conduct_list():
    kind = choice_arg("kind", ("complaint", "commendation"))
    outcome = choice_arg("outcome", ("pending", "upheld", "not_upheld"))
    query = (
        sa.select(ConductRecord)
        .where(scope_filter(current_user, ConductRecord.site_id))
        .options(selectinload(ConductRecord.staff_member), selectinload(ConductRecord.site))
        .order_by(ConductRecord.received_on.desc(), ConductRecord.id.desc())
    )
    if kind:
        query = query.where(ConductRecord.kind == kind)
    if outcome:
        query = query.where(ConductRecord.outcome == outcome)
    staff_id = int_arg("staff")
    if staff_id:
        query = query.where(ConductRecord.staff_member_id == staff_id)
    page = db.paginate(query, page=int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    return render_template(
        "inspections/rectification/conduct_list.html", page=page, kind=kind, outcome=outcome
    )


@bp.route("/conduct/new", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def conduct_new():
    form = ConductForm()
    form.staff_member.choices = select_choices(staff_choices())
    if request.method == "GET":
        form.received_on.data = local_today()
        if request.args.get("kind") in ("complaint", "commendation"):
            form.kind.data = request.args["kind"]
    refused = False
    if form.validate_on_submit():
        with domain_errors(form, fields=CONDUCT_FIELDS) as outcome:
            row = record_conduct(
                db.session,
                current_user,
                kind=form.kind.data,
                source=form.source.data,
                staff_member_id=form.staff_member.data,
                received_on=form.received_on.data,
                text=form.text.data,
                reference=form.reference.data,
                severity=form.severity.data,
            )
            flash(_("The record has been saved."), "success")
            return redirect(url_for(".conduct_detail", record_id=row.id))
        refused = outcome.failed
    status = 400 if form.errors or refused else 200
    return render_template("inspections/rectification/conduct_form.html", form=form), status


def _load_conduct(record_id: int) -> ConductRecord:
    row = db.session.get(ConductRecord, record_id)
    if row is None or not in_scope(current_user, row.site_id):
        abort(404)
    return row


@bp.route("/conduct/<int:record_id>", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def conduct_detail(record_id: int):
    row = _load_conduct(record_id)
    form = DecideForm()
    can_decide = (
        row.kind == "complaint"
        and row.outcome == "pending"
        and current_user.has_role(*DECIDING_ROLES)
    )
    if request.method == "POST":
        if not can_decide:
            abort(403 if not current_user.has_role(*DECIDING_ROLES) else 409)
        if form.validate_on_submit():
            with domain_errors() as outcome:
                rect = decide_complaint(
                    db.session,
                    current_user,
                    row,
                    upheld=form.outcome.data == "upheld",
                    reason=form.reason.data,
                )
            if outcome.failed:
                return redirect(url_for(".conduct_detail", record_id=record_id))
            if rect is not None:
                flash(_("The complaint is upheld; a rectification has been opened."), "success")
                return redirect(url_for(".timeline", rect_id=rect.id))
            flash(_("The complaint is recorded as not upheld."), "success")
            return redirect(url_for(".conduct_detail", record_id=record_id))
    rect = db.session.scalar(sa.select(Rectification).where(Rectification.complaint_id == row.id))
    return render_template(
        "inspections/rectification/conduct_detail.html",
        row=row,
        form=form,
        can_decide=can_decide,
        rect=rect,
    ), 400 if form.errors else 200
