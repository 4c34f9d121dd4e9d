"""Sign-in, sign-out and the current user's account page."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, g, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ..db import db

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_user(token: str):
    from .security import load_session

    user = load_session(db.session, token, current_app.config)
    if db.session.dirty:
        try:
            db.session.commit()
        except sa.exc.OperationalError:
            # SQLite busy: the last-seen time is best effort; the next request records it.
            db.session.rollback()
            logger.info("session activity not recorded (database busy)")
    return user


@login_manager.request_loader
def _load_user_from_request(req):
    """API personal tokens: `Authorization: Bearer <token>` (API paths only)."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    from .security import user_for_api_token

    user = user_for_api_token(db.session, header[7:].strip())
    if user is not None:
        g.auth_via_token = True
        if db.session.dirty:
            db.session.commit()
    return user


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session token does this job
    csrf.init_app(app)

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import flash, redirect, url_for

        from ..errors import json_error

        if request.path.startswith("/api/"):
            return json_error(401, "unauthorized", "Sign-in required")
        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    from . import views  # noqa: F401

    app.register_blueprint(bp)
