"""The administrator's settings: deadlines per severity, the repeat-offence ladder, escalation,
the holiday calendar, and the keepers of windows and areas."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import in_scope, roles_required, sites_in_scope
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import Site, Window
from compliance.settings import get_setting, set_setting
from compliance.timeutil import local_today

from ...models import SEVERITIES
from .. import services as svc
from ..forms import DeadlineForm, HolidayForm, KeeperForm, select_choices
from ..models import AreaKeeper, Holiday, WindowKeeper
from .common import bp, int_arg, staff_choices


@bp.route("/rectifications/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    thresholds = svc.ladder_thresholds(db.session)
    form = DeadlineForm(
        data={
            "critical": svc.deadline_days(db.session, "critical"),
            "major": svc.deadline_days(db.session, "major"),
            "minor": svc.deadline_days(db.session, "minor"),
            **thresholds,
            "window_days": get_setting(db.session, svc.WINDOW_KEY),
            "escalate_after": get_setting(db.session, svc.ESCALATE_KEY),
        }
    )
    holiday_form = HolidayForm(prefix="h")
    which = request.form.get("which") if request.method == "POST" else None
    if which == "settings":
        if form.validate_on_submit():
            set_setting(
                db.session,
                current_user,
                svc.DEADLINE_KEY,
                {s: getattr(form, s).data for s in SEVERITIES},
            )
            set_setting(
                db.session,
                current_user,
                svc.THRESHOLDS_KEY,
                {k: getattr(form, k).data for k in ("reminder", "written_notice", "talk")},
            )
            set_setting(db.session, current_user, svc.WINDOW_KEY, form.window_days.data)
            set_setting(db.session, current_user, svc.ESCALATE_KEY, form.escalate_after.data)
            flash(_("The settings have been saved."), "success")
            return redirect(url_for(".settings"))
    elif which == "holiday":
        if holiday_form.validate_on_submit():
            svc.save_holiday(
                db.session,
                current_user,
                holiday_form.day.data,
                holiday_form.kind.data,
                holiday_form.name.data,
            )
            flash(_("The calendar has been updated."), "success")
            return redirect(url_for(".settings"))
    elif which == "remove":
        try:
            day = date.fromisoformat(request.form.get("day", ""))
        except ValueError:
            abort(400)
        if svc.remove_holiday(db.session, current_user, day):
            flash(_("The day has been removed from the calendar."), "success")
        return redirect(url_for(".settings"))
    today = local_today()
    holidays = list(
        db.session.scalars(
            sa.select(Holiday)
            .where(Holiday.day >= date(today.year - 1, 1, 1))
            .order_by(Holiday.day)
        )
    )
    status = 400 if (form.errors or holiday_form.errors) else 200
    return render_template(
        "inspections/rectification/settings.html",
        form=form,
        holiday_form=holiday_form,
        holidays=holidays,
    ), status


@bp.route("/rectifications/keepers", methods=["GET", "POST"])
@roles_required("admin")
def keepers():
    sites = sites_in_scope(current_user)
    site_id = int_arg("site") or (sites[0].id if sites else None)
    if site_id and not in_scope(current_user, site_id):
        abort(404)
    choices = staff_choices(site_id, blank=_("(none)"))
    form = KeeperForm()
    form.keeper.choices = select_choices(choices)
    form.supervisor.choices = select_choices(choices)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        target = form.target.data or ""
        valid_ids = {c[0] for c in choices}
        if form.keeper.data not in valid_ids or form.supervisor.data not in valid_ids:
            abort(400)
        keeper_id, supervisor_id = form.keeper.data or None, form.supervisor.data or None
        if target.startswith("w") and parse_id(target[1:]) is not None:
            window = db.session.get(Window, parse_id(target[1:]))
            if window is None or window.site_id != site_id:
                abort(404)
            svc.set_window_keeper(db.session, current_user, window.id, keeper_id, supervisor_id)
        elif target.startswith("s") and parse_id(target[1:]) == site_id:
            svc.set_area_keeper(db.session, current_user, site_id, keeper_id, supervisor_id)
        else:
            abort(400)
        flash(_("The keeper has been saved."), "success")
        return redirect(url_for(".keepers", site=site_id))
    windows = (
        list(
            db.session.scalars(
                sa.select(Window).where(Window.site_id == site_id).order_by(Window.code)
            )
        )
        if site_id
        else []
    )
    window_rows = {
        k.window_id: k
        for k in db.session.scalars(
            sa.select(WindowKeeper).where(WindowKeeper.window_id.in_([w.id for w in windows]))
        )
    }
    area = db.session.get(AreaKeeper, site_id) if site_id else None
    assignees = svc.window_assignees(db.session, [w.id for w in windows])
    staff_names = dict(choices)
    return render_template(
        "inspections/rectification/keepers.html",
        sites=sites,
        site=db.session.get(Site, site_id) if site_id else None,
        windows=windows,
        window_rows=window_rows,
        area=area,
        choices=choices,
        assignees=assignees,
        staff_names=staff_names,
    )
