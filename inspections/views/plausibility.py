"""The plausibility settings of rounds (administrators): how fast is too fast, how far is too far.
The flagged rounds themselves are a filter of the inspection list."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.settings import get_setting, set_setting

from ..forms import PlausibilityForm
from ..services.plausibility import MAX_DISTANCE_KEY, SECONDS_PER_WINDOW_KEY
from .common import bp


@bp.route("/patrols/plausibility", methods=["GET", "POST"])
@roles_required("admin")
def plausibility_settings():
    form = PlausibilityForm(
        data={
            "seconds_per_window": get_setting(db.session, SECONDS_PER_WINDOW_KEY),
            "max_distance_m": get_setting(db.session, MAX_DISTANCE_KEY),
        }
    )
    if form.validate_on_submit():
        for key, value in (
            (SECONDS_PER_WINDOW_KEY, form.seconds_per_window.data),
            (MAX_DISTANCE_KEY, form.max_distance_m.data),
        ):
            if get_setting(db.session, key) != value:
                set_setting(db.session, current_user, key, value)
        flash(_("The settings have been saved."), "success")
        return redirect(url_for(".plausibility_settings"))
    return render_template("inspections/plausibility_settings.html", form=form), (
        400 if form.errors else 200
    )
