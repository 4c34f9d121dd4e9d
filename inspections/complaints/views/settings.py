"""The administrator's settings of complaints: the verification deadline and the callback
attempts after which an unreachable citizen lets a complaint close."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.settings import set_setting

from .. import services as svc
from ..forms import SettingsForm
from .common import bp


@bp.route("/complaints/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    form = SettingsForm(
        data={
            "verify_days": svc.verify_days(db.session),
            "callback_attempts": svc.callback_attempts(db.session),
        }
    )
    if form.validate_on_submit():
        set_setting(db.session, current_user, svc.VERIFY_DAYS_KEY, form.verify_days.data)
        set_setting(
            db.session, current_user, svc.CALLBACK_ATTEMPTS_KEY, form.callback_attempts.data
        )
        flash(_("The settings have been saved."), "success")
        return redirect(url_for(".settings"))
    return render_template(
        "inspections/complaints/settings.html", form=form
    ), 400 if form.errors else 200
