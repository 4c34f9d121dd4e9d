"""Complaints and commendations: the list with its filters, recording one, and one complaint's
page with the steps of its loop (who verifies, what was found, the conclusion, callbacks,
closing). Each step runs its service inside `domain_errors()`: a refusal undoes only that call,
is shown, and the page is rendered again with the refusal's status."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import roles_required, sites_in_scope
from compliance.db import db
from compliance.timeutil import local_now, local_to_utc, local_today
from compliance.uow import domain_errors

from ...integrity.models import IntegrityCase
from ...integrity.services import can_view_case
from ...rectification.models import Rectification
from ...rectification.services import can_view as can_view_rect
from .. import services as svc
from ..forms import (
    CallbackForm,
    CloseForm,
    ComplaintForm,
    ConcludeForm,
    HandlerForm,
    VerificationForm,
    select_choices,
)
from ..models import (
    COMPLAINT_OUTCOMES,
    COMPLAINT_STATUSES,
    COMPLAINT_SUBJECTS,
    CONDUCT_KINDS,
    CONDUCT_SOURCES,
    ComplaintCallback,
    ConductRecord,
)
from .common import (
    PER_PAGE,
    bp,
    category_choices,
    choice_arg,
    date_arg,
    int_arg,
    item_choices,
    load_row,
    site_choices,
    staff_choices,
    version_of,
    window_choices,
)

# The service's field names -> the complaint form's.
FORM_FIELDS = {
    "staff_member_id": "staff_member",
    "window_id": "window",
    "site_id": "site",
    "category_id": "category",
    "check_item_id": "check_item",
    "handler_id": "handler",
}


@bp.route("/complaints")
@roles_required(*svc.READ_ROLES)
def records():
    today = local_today()
    query = (
        sa.select(ConductRecord)
        .where(svc.visible_clause(db.session, current_user))
        .options(
            selectinload(ConductRecord.staff_member),
            selectinload(ConductRecord.window),
            selectinload(ConductRecord.site),
            selectinload(ConductRecord.category),
            selectinload(ConductRecord.check_item),
        )
    )
    f = {
        "kind": choice_arg("kind", CONDUCT_KINDS),
        "status": choice_arg("status", (*COMPLAINT_STATUSES, "open")),
        "outcome": choice_arg("outcome", COMPLAINT_OUTCOMES),
        "source": choice_arg("source", CONDUCT_SOURCES),
        "subject": choice_arg("subject", COMPLAINT_SUBJECTS),
        "site": int_arg("site"),
        "item": int_arg("item"),
        "category": int_arg("category"),
        "staff": int_arg("staff"),
        "import_id": int_arg("import_id"),
        "overdue": request.args.get("overdue") == "1",
        "from": date_arg("from"),
        "to": date_arg("to"),
    }
    if f["kind"]:
        query = query.where(ConductRecord.kind == f["kind"])
    if f["status"] == "open":
        query = query.where(ConductRecord.status.in_(("verifying", "concluded")))
    elif f["status"]:
        query = query.where(ConductRecord.status == f["status"])
    for key, column in (
        ("outcome", ConductRecord.outcome),
        ("source", ConductRecord.source),
        ("subject", ConductRecord.subject),
        ("site", ConductRecord.site_id),
        ("item", ConductRecord.check_item_id),
        ("category", ConductRecord.category_id),
        ("staff", ConductRecord.staff_member_id),
        ("import_id", ConductRecord.import_id),
    ):
        if f[key]:
            query = query.where(column == f[key])
    if f["overdue"]:
        query = query.where(
            ConductRecord.status == "verifying", ConductRecord.verify_due_on < today
        )
    if f["from"]:
        query = query.where(ConductRecord.received_on >= f["from"])
    if f["to"]:
        query = query.where(ConductRecord.received_on <= f["to"])
    page = db.paginate(
        query.order_by(ConductRecord.received_on.desc(), ConductRecord.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "inspections/complaints/list.html",
        page=page,
        f=f,
        today=today,
        sites=sites_in_scope(current_user),
        items=item_choices(),
        categories=category_choices(),
        statuses=COMPLAINT_STATUSES,
        outcomes=COMPLAINT_OUTCOMES,
        sources=CONDUCT_SOURCES,
        subjects=COMPLAINT_SUBJECTS,
    )


def _fill_choices(form: ComplaintForm) -> None:
    form.staff_member.choices = select_choices(staff_choices(), blank="—")
    form.window.choices = select_choices(window_choices(), blank="—")
    form.site.choices = select_choices(site_choices(), blank="—")
    form.category.choices = select_choices(category_choices(), blank="—")
    form.check_item.choices = select_choices(item_choices(), blank="—")
    handlers = {}
    for site in sites_in_scope(current_user):
        for user in svc.handler_choices(db.session, site.id):
            handlers[user.id] = user.display_name
    form.handler.choices = select_choices(
        sorted(handlers.items(), key=lambda kv: kv[1]), blank=_("(the site's discipline officers)")
    )


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(*svc.RECORD_ROLES)
def new():
    form = ComplaintForm()
    _fill_choices(form)
    if request.method == "GET":
        form.received_on.data = local_today()
        if request.args.get("kind") in CONDUCT_KINDS:
            form.kind.data = request.args["kind"]
        if request.args.get("subject") in COMPLAINT_SUBJECTS:
            form.subject.data = request.args["subject"]
    refused = False
    if form.validate_on_submit():
        subject = form.subject.data
        with domain_errors(form, fields=FORM_FIELDS) as outcome:
            row = svc.record_conduct(
                db.session,
                current_user,
                kind=form.kind.data,
                source=form.source.data,
                subject=subject,
                staff_member_id=form.staff_member.data if subject == "staff" else None,
                window_id=form.window.data if subject == "window" else None,
                site_id=form.site.data if subject == "site" else None,
                received_on=form.received_on.data,
                text=form.text.data,
                reference=form.reference.data,
                severity=form.severity.data,
                category_id=form.category.data or None,
                check_item_id=form.check_item.data or None,
                complainant_name=form.complainant_name.data,
                complainant_phone=form.complainant_phone.data,
                handler_id=form.handler.data or None,
            )
            if not svc.can_view(current_user, row, db.session):
                # An integrity complaint recorded by HR: it is now the discipline office's.
                flash(
                    _(
                        "The complaint has been recorded and passed to the discipline office "
                        "(an integrity matter)."
                    ),
                    "success",
                )
                return redirect(url_for(".records"))
            flash(_("The record has been saved."), "success")
            return redirect(url_for(".detail", record_id=row.id))
        refused = outcome.failed
    status = 400 if form.errors or refused else 200
    return render_template("inspections/complaints/form.html", form=form), status


def _context(row: ConductRecord) -> dict:
    rect = db.session.scalar(sa.select(Rectification).where(Rectification.complaint_id == row.id))
    case = db.session.scalar(sa.select(IntegrityCase).where(IntegrityCase.complaint_id == row.id))
    callbacks = list(
        db.session.scalars(
            sa.select(ComplaintCallback)
            .where(ComplaintCallback.complaint_id == row.id)
            .options(selectinload(ComplaintCallback.called_by))
            .order_by(ComplaintCallback.called_at, ComplaintCallback.id)
        )
    )
    decider = current_user.has_role(*svc.DECIDE_ROLES)
    complaint = row.kind == "complaint"
    close_refusal = svc.close_refusal(db.session, row) if complaint else None
    return {
        "row": row,
        "today": local_today(),
        "rect": rect
        if rect is not None and can_view_rect(current_user, rect, db.session)
        else None,
        "case": case
        if case is not None and can_view_case(current_user, case, db.session)
        else None,
        "case_exists": case is not None,
        "callbacks": callbacks,
        "attempts": svc.callback_attempts(db.session),
        "can_verify": complaint and decider and row.status == "verifying",
        "can_callback": complaint
        and row.status == "concluded"
        and current_user.has_role(*svc.CALLBACK_ROLES),
        "can_close": complaint and decider and row.status == "concluded" and close_refusal is None,
        "close_blocked": close_refusal.translated()
        if close_refusal is not None and row.status == "concluded"
        else None,
    }


def _render(row: ConductRecord, status: int = 200, **forms):
    ctx = _context(row)
    data = {"version": row.version}
    if ctx["can_verify"]:
        handler_form = forms.get("handler_form") or HandlerForm(
            data={**data, "handler": row.handler_id or current_user.id}
        )
        handler_form.handler.choices = select_choices(
            (u.id, u.display_name) for u in svc.handler_choices(db.session, row.site_id)
        )
        verification_form = forms.get("verification_form") or VerificationForm(
            data={
                **data,
                "note": row.verification_note,
                "category": row.category_id or 0,
                "check_item": row.check_item_id or 0,
            }
        )
        verification_form.category.choices = select_choices(category_choices(), blank="—")
        verification_form.check_item.choices = select_choices(item_choices(), blank="—")
        conclude_form = forms.get("conclude_form") or ConcludeForm(
            data={**data, "severity": row.severity}
        )
        for form in (handler_form, verification_form, conclude_form):
            if form not in forms.values():
                form.version.data = row.version
        ctx.update(
            handler_form=handler_form,
            verification_form=verification_form,
            conclude_form=conclude_form,
        )
    if ctx["can_callback"]:
        callback_form = forms.get("callback_form") or CallbackForm()
        if "callback_form" not in forms:
            callback_form.called_at.data = local_now().replace(second=0, microsecond=0, tzinfo=None)
        ctx["callback_form"] = callback_form
    close_form = forms.get("close_form") or CloseForm(data=data)
    if "close_form" not in forms:
        close_form.version.data = row.version
    ctx["close_form"] = close_form
    return render_template("inspections/complaints/detail.html", **ctx), status


def _done(record_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".detail", record_id=record_id))


def _invalid(row: ConductRecord, name: str, form):
    for field_name, errors in form.errors.items():
        if field_name == "version":
            flash(errors[0], "danger")
            continue
        label = getattr(form, field_name).label.text if hasattr(form, field_name) else field_name
        for e in errors:
            flash(f"{label}: {e}", "danger")
    return _render(row, 400, **{name: form})


def _refused(record_id: int, outcome):
    return _render(load_row(record_id), outcome.status)


@bp.route("/complaints/<int:record_id>")
@roles_required(*svc.READ_ROLES)
def detail(record_id: int):
    return _render(load_row(record_id))


@bp.route("/complaints/<int:record_id>/handler", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
def handler(record_id: int):
    row = load_row(record_id)
    form = HandlerForm()
    form.handler.choices = select_choices(
        (u.id, u.display_name) for u in svc.handler_choices(db.session, row.site_id)
    )
    if not form.validate_on_submit():
        return _invalid(row, "handler_form", form)
    with domain_errors() as outcome:
        svc.assign_handler(
            db.session,
            current_user,
            row,
            form.handler.data,
            extend_days=form.restart.data,
            expected_version=version_of(form),
        )
        return _done(record_id, _("Saved."))
    return _refused(record_id, outcome)


@bp.route("/complaints/<int:record_id>/verification", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
def verification(record_id: int):
    row = load_row(record_id)
    form = VerificationForm()
    form.category.choices = select_choices(category_choices(), blank="—")
    form.check_item.choices = select_choices(item_choices(), blank="—")
    if not form.validate_on_submit():
        return _invalid(row, "verification_form", form)
    with domain_errors() as outcome:
        svc.save_verification(
            db.session,
            current_user,
            row,
            form.note.data,
            category_id=form.category.data or None,
            check_item_id=form.check_item.data or None,
            expected_version=version_of(form),
        )
        if not svc.can_view(current_user, row, db.session):
            flash(
                _("Classified as an integrity matter: it is the discipline office's now."),
                "success",
            )
            return redirect(url_for(".records"))
        return _done(record_id, _("Saved."))
    return _refused(record_id, outcome)


@bp.route("/complaints/<int:record_id>/conclusion", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
def conclusion(record_id: int):
    row = load_row(record_id)
    form = ConcludeForm()
    if not form.validate_on_submit():
        return _invalid(row, "conclude_form", form)
    with domain_errors() as outcome:
        opened = svc.conclude(
            db.session,
            current_user,
            row,
            upheld=form.outcome.data == "upheld",
            reason=form.reason.data,
            severity=form.severity.data,
            expected_version=version_of(form),
        )
        if isinstance(opened, IntegrityCase):
            flash(
                _(
                    "The complaint is upheld; it has gone to the discipline office as integrity case %(number)s.",
                    number=opened.number,
                ),
                "success",
            )
        elif opened is not None:
            flash(_("The complaint is upheld; a rectification has been opened."), "success")
        else:
            flash(_("The complaint is recorded as not upheld."), "success")
        flash(_("Call the citizen back before closing the complaint."), "info")
        return redirect(url_for(".detail", record_id=record_id))
    return _refused(record_id, outcome)


@bp.route("/complaints/<int:record_id>/callbacks", methods=["POST"])
@roles_required(*svc.CALLBACK_ROLES)
def callback(record_id: int):
    row = load_row(record_id)
    form = CallbackForm()
    if not form.validate_on_submit():
        return _invalid(row, "callback_form", form)
    reached = form.reached.data == "yes"
    satisfied = {"yes": True, "no": False}.get(form.satisfied.data) if reached else None
    with domain_errors(form) as outcome:
        svc.record_callback(
            db.session,
            current_user,
            row,
            called_at=local_to_utc(form.called_at.data),
            method=form.method.data,
            reached=reached,
            satisfied=satisfied,
            note=form.note.data,
        )
        return _done(record_id, _("The callback has been recorded."))
    return _render(load_row(record_id), outcome.status, callback_form=form)


@bp.route("/complaints/<int:record_id>/close", methods=["POST"])
@roles_required(*svc.DECIDE_ROLES)
def close(record_id: int):
    row = load_row(record_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _invalid(row, "close_form", form)
    with domain_errors() as outcome:
        svc.close_complaint(
            db.session, current_user, row, form.note.data, expected_version=version_of(form)
        )
        return _done(record_id, _("The complaint is closed."))
    return _refused(record_id, outcome)
