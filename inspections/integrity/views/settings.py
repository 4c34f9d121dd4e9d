"""The administrator's settings of integrity cases: the default verification deadline and when an
overdue case escalates to the administrators."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.settings import get_setting, set_setting

from .. import services as svc
from ..forms import SettingsForm
from .common import bp


@bp.route("/integrity/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    form = SettingsForm(
        data={
            "working_days": svc.default_working_days(db.session),
            "escalate_after": get_setting(db.session, svc.ESCALATE_KEY),
        }
    )
    if form.validate_on_submit():
        set_setting(db.session, current_user, svc.DEADLINE_KEY, form.working_days.data)
        set_setting(db.session, current_user, svc.ESCALATE_KEY, form.escalate_after.data)
        flash(_("The settings have been saved."), "success")
        return redirect(url_for(".settings"))
    return render_template(
        "inspections/integrity/settings.html", form=form
    ), 400 if form.errors else 200
