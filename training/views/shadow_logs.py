"""Shadow logs 跟岗记录: the mentor or the mentee writes one, the mentor confirms the
mentee's."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.uow import domain_errors

from .. import pairings as prs
from ..forms import ConfirmLogForm, ShadowLogForm
from ..models import ShadowLog
from .common import ANY_ROLE, bp, form_error
from .pairings import back_to, pairing_or_404


@bp.route("/pairings/<int:pairing_id>/logs", methods=["POST"])
@roles_required(*ANY_ROLE)
def pairing_log(pairing_id: int):
    pairing, _role = pairing_or_404(pairing_id)
    form = ShadowLogForm()
    if not form.validate_on_submit():
        flash(form_error(form), "danger")
        return back_to(pairing)
    with domain_errors():
        prs.add_shadow_log(
            db.session,
            current_user,
            pairing,
            worked_on=form.worked_on.data,
            hours=form.hours.data,
            practised=form.practised.data,
            mentor_comment=form.mentor_comment.data,
        )
        flash(gettext("Shadow log saved."), "success")
    return back_to(pairing)


@bp.route("/logs/<int:log_id>/confirm", methods=["POST"])
@roles_required(*ANY_ROLE)
def log_confirm(log_id: int):
    log = db.get_or_404(ShadowLog, log_id)
    pairing, _role = pairing_or_404(log.pairing_id)
    form = ConfirmLogForm()
    if not form.validate_on_submit():
        flash(form_error(form), "danger")
    else:
        with domain_errors():
            prs.confirm_shadow_log(db.session, current_user, log, form.mentor_comment.data)
            flash(gettext("Shadow log confirmed."), "success")
    if request.form.get("next") == "my":
        return redirect(url_for("training.my_training"))
    return back_to(pairing)
