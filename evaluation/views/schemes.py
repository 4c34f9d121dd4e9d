"""The scheme (考评办法): its versions, and a new version from a month (administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.domain import N_, InvalidError
from compliance.uow import domain_errors

from .. import services as svc
from ..models import Scheme
from ..services.schemes import DEFAULTS
from .common import bp, parse_month

FIELD_LABELS = {
    "name": _l("Name"),
    "base_score": _l("Base score"),
    "multiplier_minor": _l("Multiplier: minor"),
    "multiplier_major": _l("Multiplier: major"),
    "multiplier_critical": _l("Multiplier: critical"),
    "complaint_points": _l("Points per upheld complaint"),
    "overdue_points_per_day": _l("Points per overdue working day"),
    "overdue_cap": _l("Cap per overdue rectification"),
    "repeat_step": _l("Repeat-offence step"),
    "commendation_points": _l("Bonus per commendation"),
    "commendation_cap": _l("Bonus cap per month"),
    "mentor_share": _l("Joint share of a mentor"),
    "keeper_share": _l("Joint share of a window keeper"),
    "window_staff_weight": _l("Weight of staff average in a window's score"),
    "site_staff_weight": _l("Weight of staff average in a site's score"),
    "star_thresholds": _l("Stars (score: stars, one per line)"),
    "yellow_below": _l("Yellow card below"),
    "yellow_major_count": _l("Yellow card from this many major findings (0: off)"),
    "red_below": _l("Red card below"),
    "red_on_critical": _l("Red card on any critical finding"),
    "appeal_days": _l("Appeal window (working days)"),
    "close_day": _l("Close day of the next month"),
}


INTS = ("yellow_major_count", "appeal_days", "close_day")


def parse_form(form) -> dict:
    """The typed values; InvalidError naming the field that is not a number."""
    values: dict = {"name": form.get("name", "")}
    for key in DEFAULTS:
        if key in ("name", "star_thresholds", "red_on_critical"):
            continue
        raw = (form.get(key) or "").strip()
        try:
            values[key] = int(raw) if key in INTS else float(raw)
        except ValueError:
            raise InvalidError(
                f"evaluation.scheme_{key}", N_("Give a number."), field=key
            ) from None
        if values[key] != values[key] or values[key] in (float("inf"), float("-inf")):
            raise InvalidError(f"evaluation.scheme_{key}", N_("Give a number."), field=key)
    values["red_on_critical"] = form.get("red_on_critical") == "y"
    stars = []
    for line in (form.get("star_thresholds") or "").splitlines():
        if not line.strip():
            continue
        score, _sep, count = line.replace("：", ":").partition(":")
        try:
            stars.append([float(score), int(count)])
        except ValueError:
            raise InvalidError(
                "evaluation.scheme_star_thresholds",
                N_("Write each star threshold as score:stars, e.g. 98:5."),
                field="star_thresholds",
            ) from None
    values["star_thresholds"] = stars
    return values


def stars_text(rows) -> str:
    return "\n".join(f"{score:g}:{stars}" for score, stars in rows or ())


@bp.route("/schemes")
@roles_required("admin", "discipline", "leader")
def schemes():
    rows = db.session.scalars(sa.select(Scheme).order_by(Scheme.version.desc())).all()
    return render_template(
        "evaluation/schemes.html", rows=rows, labels=FIELD_LABELS, stars_text=stars_text
    )


@bp.route("/schemes/new", methods=["GET", "POST"])
@roles_required("admin")
def scheme_new():
    values = svc.scheme_values(svc.current_scheme(db.session))
    error = error_field = None
    status = 200
    if request.method == "POST":
        month = parse_month(request.form.get("effective_from"))
        with domain_errors(quiet=True) as outcome:
            svc.create_scheme(
                db.session, current_user, month, parse_form(request.form), request.form.get("note")
            )
            flash(_("The new scheme version is saved."), "success")
            return redirect(url_for(".schemes"))
        error, error_field, status = outcome.message, outcome.error.field, outcome.status
        values = {**values, **{k: request.form.get(k, "") for k in DEFAULTS}}
        values["star_thresholds"] = request.form.get("star_thresholds", "")
        values["red_on_critical"] = request.form.get("red_on_critical") == "y"
    elif isinstance(values["star_thresholds"], list):
        values["star_thresholds"] = stars_text(values["star_thresholds"])
    if isinstance(values["star_thresholds"], list):
        values["star_thresholds"] = stars_text(values["star_thresholds"])
    return (
        render_template(
            "evaluation/scheme_form.html",
            values=values,
            labels=FIELD_LABELS,
            error=error,
            error_field=error_field,
            effective_from=request.form.get("effective_from", ""),
        ),
        status,
    )
