"""Sign-in, sign-out and the current user's account page."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ..db import db
from ..uow import after_request_bookkeeping

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


@login_manager.user_loader
def _load_user(token: str):
    from .security import load_session, touch_session

    user, touch_id = load_session(db.session, token, current_app.config)
    if touch_id is not None:
        # Best effort, after the request's own transaction: reading never writes.
        after_request_bookkeeping(lambda session: touch_session(session, touch_id))
    return user


@login_manager.request_loader
def _load_user_from_request(req):
    """API personal tokens: `Authorization: Bearer <token>` (API paths only)."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
        return None
    from .security import touch_api_token, user_for_api_token

    user, touch_id = user_for_api_token(db.session, header[7:].strip())
    if user is not None:
        g.auth_via_token = True
    if touch_id is not None:
        after_request_bookkeeping(lambda session: touch_api_token(session, touch_id))
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
