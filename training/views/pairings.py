"""Mentor pairings: the list, pairing a new staff member with a suggested mentor, a pairing's
page, and the sign-off steps (the mentor's assessment, HR's approval, extension, early end)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from compliance.access import in_scope, roles_required, scope_filter, scope_ids
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import StaffMember
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from .. import mentors
from .. import pairings as prs
from .. import services as svc
from ..forms import AssessForm, ConfirmLogForm, ExtendForm, PairingForm, ReasonForm, ShadowLogForm
from ..models import MentorPairing, OnboardingPlan, ShadowLog
from .common import (
    ANY_ROLE,
    MANAGERS,
    PER_PAGE,
    READERS,
    bp,
    form_error,
    page_number,
    staff_or_404,
)


def pairing_or_404(pairing_id: int) -> tuple[MentorPairing, str | None]:
    """The pairing and the user's role in it; 404 for anyone but its people and readers of
    the mentee's site."""
    pairing = db.session.get(MentorPairing, pairing_id)
    if pairing is None:
        abort(404)
    role = prs.role_in_pairing(current_user, pairing)
    if role is not None:
        return pairing, role
    if current_user.has_role(*READERS) and in_scope(current_user, pairing.mentee.site_id):
        return pairing, None
    abort(404)


def back_to(pairing: MentorPairing):
    return redirect(url_for("training.pairing_detail", pairing_id=pairing.id))


@bp.route("/pairings")
@roles_required(*READERS)
def pairings():
    status = request.args.get("status", "open")
    query = (
        sa.select(MentorPairing)
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc(), MentorPairing.id.desc())
    )
    if status == "open":
        query = query.where(MentorPairing.status.in_(("active", "assessed")))
    elif status in ("assessed", "signed_off", "ended"):
        query = query.where(MentorPairing.status == status)
    else:
        status = "all"
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    stats = {}
    if page.items:
        stats = {
            pid: (n, pending, last)
            for pid, n, pending, last in db.session.execute(
                sa.select(
                    ShadowLog.pairing_id,
                    sa.func.count(ShadowLog.id),
                    sa.func.count(ShadowLog.id) - sa.func.count(ShadowLog.confirmed_at),
                    sa.func.max(ShadowLog.worked_on),
                )
                .where(ShadowLog.pairing_id.in_([p.id for p in page.items]))
                .group_by(ShadowLog.pairing_id)
            )
        }
    return render_template(
        "training/pairings.html",
        page=page,
        status=status,
        stats=stats,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/pairings/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def pairing_new():
    mentee_id = parse_id(request.values.get("mentee"))
    if not mentee_id:
        candidates = db.session.scalars(
            sa.select(StaffMember)
            .where(
                StaffMember.id.in_(svc.new_staff_ids(db.session, scope_ids(current_user))),
                StaffMember.id.not_in(
                    sa.select(MentorPairing.mentee_id).where(
                        MentorPairing.status.in_(("active", "assessed"))
                    )
                ),
            )
            .order_by(StaffMember.hired_on.desc())
        ).all()
        return render_template("training/pairing_pick.html", candidates=candidates)
    mentee = staff_or_404(mentee_id)
    suggestions = mentors.suggest_mentors(
        db.session, mentee, scope_site_ids=scope_ids(current_user)
    )
    form = PairingForm()
    form.mentor_id.choices = [
        SelectChoice(s.staff.id, s.staff.name) for s in suggestions if s.eligible
    ]
    plan = db.session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == mentee.id)
    )
    if request.method == "GET":
        form.starts_on.data = max(local_today(), mentee.hired_on)
        form.weeks.data = plan.mentor_weeks if plan else 12
        if form.mentor_id.choices:
            form.mentor_id.data = form.mentor_id.choices[0].value
    if form.validate_on_submit():
        mentor = staff_or_404(form.mentor_id.data)
        with domain_errors(form, fields={"mentor": "mentor_id"}):
            pairing = prs.create_pairing(
                db.session,
                current_user,
                mentor,
                mentee,
                form.starts_on.data,
                weeks=form.weeks.data,
                note=form.note.data,
            )
            flash(
                gettext(
                    "%(mentor)s now mentors %(mentee)s.", mentor=mentor.name, mentee=mentee.name
                ),
                "success",
            )
            return back_to(pairing)
    open_pairing = db.session.scalar(
        sa.select(MentorPairing)
        .where(
            MentorPairing.mentee_id == mentee.id, MentorPairing.status.in_(("active", "assessed"))
        )
        .limit(1)
    )
    return render_template(
        "training/pairing_new.html",
        mentee=mentee,
        suggestions=suggestions,
        form=form,
        plan=plan,
        open_pairing=open_pairing,
    )


@bp.route("/pairings/<int:pairing_id>")
@roles_required(*ANY_ROLE)
def pairing_detail(pairing_id: int):
    pairing, role = pairing_or_404(pairing_id)
    logs = db.session.scalars(
        sa.select(ShadowLog)
        .where(ShadowLog.pairing_id == pairing.id)
        .options(joinedload(ShadowLog.author))
        .order_by(ShadowLog.worked_on.desc(), ShadowLog.id.desc())
    ).all()
    total_hours = sum((log.hours for log in logs), start=0)
    log_form = ShadowLogForm(worked_on=min(local_today(), pairing.ends_on))
    return render_template(
        "training/pairing_detail.html",
        pairing=pairing,
        role=role,
        logs=logs,
        total_hours=total_hours,
        log_form=log_form,
        confirm_form=ConfirmLogForm(),
        assess_form=AssessForm(),
        extend_form=ExtendForm(),
        end_form=ReasonForm(),
        can_manage=current_user.has_role(*MANAGERS)
        and role != "mentor"
        and in_scope(current_user, pairing.mentee.site_id),
    )


def _pairing_action(pairing, form, invalid_message, action, success_message):
    """Run one sign-off step from a posted form and go back to the pairing: an invalid form is
    refused with `invalid_message` (None = the form's own first error); a refusal of the
    service is undone and flashed."""
    if not form.validate_on_submit():
        flash(invalid_message or form_error(form), "danger")
        return back_to(pairing)
    with domain_errors():
        action()
        flash(success_message, "success")
    return back_to(pairing)


@bp.route("/pairings/<int:pairing_id>/assess", methods=["POST"])
@roles_required(*ANY_ROLE)
def pairing_assess(pairing_id: int):
    pairing, _role = pairing_or_404(pairing_id)
    form = AssessForm()
    return _pairing_action(
        pairing,
        form,
        None,
        lambda: prs.assess_pairing(
            db.session, current_user, pairing, form.outcome.data, form.reason.data
        ),
        gettext("Assessment saved."),
    )


@bp.route("/pairings/<int:pairing_id>/approve", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_approve(pairing_id: int):
    pairing, _role = pairing_or_404(pairing_id)
    with domain_errors():
        prs.approve_sign_off(db.session, current_user, pairing)
        flash(gettext("Pairing signed off."), "success")
    return back_to(pairing)


@bp.route("/pairings/<int:pairing_id>/extend", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_extend(pairing_id: int):
    pairing, _role = pairing_or_404(pairing_id)
    form = ExtendForm()
    return _pairing_action(
        pairing,
        form,
        None,
        lambda: prs.extend_pairing(
            db.session, current_user, pairing, form.weeks.data, form.reason.data
        ),
        gettext("Pairing extended."),
    )


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_end(pairing_id: int):
    pairing, _role = pairing_or_404(pairing_id)
    form = ReasonForm()
    return _pairing_action(
        pairing,
        form,
        gettext("A reason is required."),
        lambda: prs.end_pairing(db.session, current_user, pairing, form.reason.data),
        gettext("Pairing ended."),
    )
