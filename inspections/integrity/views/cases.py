"""The case list (discipline officers and administrators) and one case: its origin with the
evidence, its timeline, and the actions its state allows. Each action runs its service inside
`domain_errors()`: a refusal undoes only that call, is flashed, and the case is shown again with
the refusal's status."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import roles_required, sites_in_scope
from compliance.db import db
from compliance.domain import N_, DomainError
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from ...models import Photo
from ...photos import store_photo
from ...rectification.forms import select_choices
from .. import services as svc
from ..forms import (
    ApprovalForm,
    AssignForm,
    CloseForm,
    ConclusionForm,
    EntryForm,
    HandlingForm,
    VerifyForm,
    VersionOnlyForm,
)
from ..models import CASE_STATUSES, CONCLUSIONS, SUBSTANTIATED, IntegrityCase, IntegrityCaseEvent
from .common import ANY_ROLE, PER_PAGE, bp, date_arg, int_arg, load_case, version_of

MAX_PHOTOS = 6


@bp.route("/integrity/cases")
@roles_required(*svc.CASE_ROLES)
def case_list():
    today = local_today()
    status = request.args.get("status") or None
    filters = svc.CaseFilters(
        status=status if status in (*CASE_STATUSES, "open") else None,
        overdue=request.args.get("overdue") == "1",
        mine=request.args.get("mine") == "1",
        awaiting_approval=request.args.get("approval") == "1",
        site_id=int_arg("site"),
        conclusion=request.args.get("conclusion")
        if request.args.get("conclusion") in CONCLUSIONS
        else None,
        date_from=date_arg("from"),
        date_to=date_arg("to"),
    )
    query = svc.filtered_query(db.session, current_user, filters, today).options(*svc.with_people())
    page = db.paginate(
        query.order_by(IntegrityCase.registered_at.desc(), IntegrityCase.id.desc()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "inspections/integrity/list.html",
        page=page,
        filters=filters,
        counts=svc.counts_for(db.session, current_user, today),
        sites=sites_in_scope(current_user),
        statuses=CASE_STATUSES,
        conclusions=CONCLUSIONS,
        today=today,
    )


def _context(case: IntegrityCase) -> dict:
    events = list(
        db.session.scalars(
            sa.select(IntegrityCaseEvent)
            .where(IntegrityCaseEvent.case_id == case.id)
            .options(
                selectinload(IntegrityCaseEvent.photos), selectinload(IntegrityCaseEvent.actor)
            )
            .order_by(IntegrityCaseEvent.at, IntegrityCaseEvent.id)
        )
    )
    finding_photos = (
        list(
            db.session.scalars(
                sa.select(Photo).where(Photo.finding_id == case.finding_id).order_by(Photo.id)
            )
        )
        if case.finding_id
        else []
    )
    user = current_user
    work = svc.can_work(user, case, db.session)
    return {
        "case": case,
        "events": events,
        "finding_photos": finding_photos,
        "today": local_today(),
        "can_assign": case.status in ("registered", "assigned", "verified")
        and not case.awaiting_approval,
        "can_work": work,
        "can_enter": work and case.status not in ("registered", "closed"),
        "can_verify": work and case.status == "assigned",
        "can_conclude": work and case.status == "verified" and not case.awaiting_approval,
        "can_approve": svc.approval_refusal(user, case, db.session) is None,
        "can_handle": work and case.status == "concluded" and case.conclusion in SUBSTANTIATED,
        "can_notify": work
        and case.status in ("concluded", "handled", "closed")
        and case.accused_staff_id is not None
        and case.accused_notified_at is None,
        "can_close": work
        and (
            case.status == "handled"
            or (case.status == "concluded" and case.conclusion == "unsubstantiated")
        ),
    }


def _render(case: IntegrityCase, status: int = 200, **forms):
    ctx = _context(case)
    data = {"version": case.version}
    if ctx["can_assign"]:
        form = forms.get("assign_form") or AssignForm(
            data={
                **data,
                "officer": case.officer_id or current_user.id,
                "working_days": svc.default_working_days(db.session),
            }
        )
        form.officer.choices = select_choices(
            (u.id, u.display_name) for u in svc.officer_choices(db.session, case)
        )
        ctx["assign_form"] = form
    for name, cls in (
        ("entry_form", EntryForm),
        ("verify_form", VerifyForm),
        ("conclusion_form", ConclusionForm),
        ("approval_form", ApprovalForm),
        ("handling_form", HandlingForm),
        ("close_form", CloseForm),
        ("notify_form", VersionOnlyForm),
    ):
        ctx[name] = forms.get(name) or cls(data=data)
        if name not in forms:
            ctx[name].version.data = case.version
    if "handling_form" not in forms:
        ctx["handling_form"].measure_on.data = local_today()
    return render_template("inspections/integrity/detail.html", **ctx), status


def _done(case_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".case_detail", case_id=case_id))


def _refused(case_id: int, outcome):
    return _render(load_case(case_id), outcome.status)


def _invalid(case: IntegrityCase, name: str, form):
    for field_name, errors in form.errors.items():
        if field_name == "version":
            flash(errors[0], "danger")
            continue
        label = getattr(form, field_name).label.text if hasattr(form, field_name) else field_name
        for e in errors:
            flash(f"{label}: {e}", "danger")
    return _render(case, 400, **{name: form})


def _store_photos(files) -> list[Photo]:
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise DomainError(
            "integrity.too_many_photos", N_("At most %(n)s photos."), field="photos", n=MAX_PHOTOS
        )
    photos = []
    for f in files:
        try:
            photos.append(
                store_photo(
                    db.session,
                    current_user,
                    f.read(),
                    upload_folder=current_app.config["UPLOAD_FOLDER"],
                )
            )
        except DomainError as exc:
            raise DomainError(exc.code, exc.message, field="photos", **exc.params) from exc
    return photos


@bp.route("/integrity/cases/<int:case_id>")
@roles_required(*ANY_ROLE)
def case_detail(case_id: int):
    return _render(load_case(case_id))


@bp.route("/integrity/cases/<int:case_id>/assign", methods=["POST"])
@roles_required(*ANY_ROLE)
def assign(case_id: int):
    case = load_case(case_id)
    form = AssignForm()
    form.officer.choices = select_choices(
        (u.id, u.display_name) for u in svc.officer_choices(db.session, case)
    )
    if not form.validate_on_submit():
        return _invalid(case, "assign_form", form)
    with domain_errors() as outcome:
        svc.assign(
            db.session,
            current_user,
            case,
            form.officer.data,
            form.working_days.data,
            form.note.data,
            expected_version=version_of(form),
        )
        return _done(case_id, _("The case has been assigned."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/entries", methods=["POST"])
@roles_required(*ANY_ROLE)
def add_entry(case_id: int):
    case = load_case(case_id)
    form = EntryForm()
    if not form.validate_on_submit():
        return _invalid(case, "entry_form", form)
    with domain_errors() as outcome:
        photos = (
            _store_photos(request.files.getlist("photos"))
            if svc.can_work(current_user, case, db.session)
            else []
        )
        svc.add_entry(
            db.session,
            current_user,
            case,
            form.kind.data,
            form.text.data,
            photos,
            interviewee=form.interviewee.data,
            held_on=form.held_on.data,
            expected_version=version_of(form),
        )
        return _done(case_id, _("The entry has been recorded."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/verify", methods=["POST"])
@roles_required(*ANY_ROLE)
def verify(case_id: int):
    case = load_case(case_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        return _invalid(case, "verify_form", form)
    with domain_errors() as outcome:
        svc.record_verification(
            db.session, current_user, case, form.summary.data, expected_version=version_of(form)
        )
        return _done(case_id, _("The verification is recorded; propose a conclusion."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/conclusion", methods=["POST"])
@roles_required(*ANY_ROLE)
def conclusion(case_id: int):
    case = load_case(case_id)
    form = ConclusionForm()
    if not form.validate_on_submit():
        return _invalid(case, "conclusion_form", form)
    with domain_errors() as outcome:
        svc.propose_conclusion(
            db.session,
            current_user,
            case,
            form.conclusion.data,
            form.reason.data,
            expected_version=version_of(form),
        )
        return _done(
            case_id,
            _("The conclusion is proposed; a second officer or an administrator approves it."),
        )
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/approve", methods=["POST"])
@roles_required(*ANY_ROLE)
def approve(case_id: int):
    case = load_case(case_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        return _invalid(case, "approval_form", form)
    with domain_errors() as outcome:
        if request.form.get("decision") == "return":
            svc.return_conclusion(
                db.session, current_user, case, form.note.data, expected_version=version_of(form)
            )
            return _done(case_id, _("The conclusion has been sent back."))
        svc.approve_conclusion(
            db.session, current_user, case, form.note.data, expected_version=version_of(form)
        )
        return _done(case_id, _("The conclusion is approved."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/handling", methods=["POST"])
@roles_required(*ANY_ROLE)
def handling(case_id: int):
    case = load_case(case_id)
    form = HandlingForm()
    if not form.validate_on_submit():
        return _invalid(case, "handling_form", form)
    with domain_errors() as outcome:
        svc.record_handling(
            db.session,
            current_user,
            case,
            form.measure.data,
            form.measure_on.data,
            form.note.data,
            expected_version=version_of(form),
        )
        return _done(case_id, _("The measure has been recorded."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/notify", methods=["POST"])
@roles_required(*ANY_ROLE)
def notify_accused(case_id: int):
    case = load_case(case_id)
    form = VersionOnlyForm()
    if not form.validate_on_submit():
        return _invalid(case, "notify_form", form)
    with domain_errors() as outcome:
        svc.notify_accused(db.session, current_user, case, expected_version=version_of(form))
        return _done(case_id, _("The conclusion has been told to the accused."))
    return _refused(case_id, outcome)


@bp.route("/integrity/cases/<int:case_id>/close", methods=["POST"])
@roles_required(*ANY_ROLE)
def close(case_id: int):
    case = load_case(case_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _invalid(case, "close_form", form)
    with domain_errors() as outcome:
        svc.close(db.session, current_user, case, form.note.data, expected_version=version_of(form))
        return _done(case_id, _("The case is closed."))
    return _refused(case_id, outcome)
