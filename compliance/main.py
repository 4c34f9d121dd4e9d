"""Dashboard, health check and the home page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from .db import db
from .ui import dashboard_panels

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@login_required
def dashboard():
    panels = dashboard_panels(current_user)
    return render_template("main/dashboard.html", panels=panels)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any database failure means "not healthy" (the unit of work
        # rolls the failed transaction back: a GET never commits)
        return jsonify(status="unavailable", database="unreachable", error=type(exc).__name__), 503
    return jsonify(status="ok", database="reachable")


def init_app(app) -> None:
    app.register_blueprint(bp)

    from flask_babel import format_date, format_datetime
    from flask_babel import lazy_gettext as _l

    from .ui import phone_nav, visible_nav

    role_labels = {
        "admin": _l("Administrator"),
        "inspector": _l("Inspector"),
        "hr": _l("HR"),
        "discipline": _l("Discipline officer"),
        "leader": _l("Centre head"),
        "staff": _l("Window staff"),
    }
    app.extensions["role_labels"] = role_labels
    endpoints = frozenset()

    def _unread() -> int:
        counter = app.extensions.get("unread_counter")
        return counter(current_user) if counter and current_user.is_authenticated else 0

    @app.context_processor
    def _nav():
        nonlocal endpoints
        if len(endpoints) != len(app.view_functions):
            endpoints = frozenset(app.view_functions)
        return {
            "nav_items": visible_nav,
            "phone_nav": phone_nav,
            "format_date": format_date,
            "format_datetime": format_datetime,
            "url_endpoints": endpoints,
            "role_label": lambda r: role_labels.get(r, r),
            "unread_notifications": _unread,
        }
