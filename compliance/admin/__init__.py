"""Administration of user accounts and API tokens (administrators only)."""

from __future__ import annotations

import logging

from flask import Blueprint

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__)


def init_app(app) -> None:
    """Register the user administration pages, the users API, the nav entry and the panel."""
    from flask_babel import lazy_gettext as _l

    from ..api import register
    from ..ui import register_dashboard_panel, register_nav
    from . import api, views

    app.register_blueprint(bp)
    register(app, api.blp)
    register_nav(
        app, "admin.users", _l("Users"), roles=("admin",), order=900, icon="user", daily=("admin",)
    )
    register_dashboard_panel(app, views.render_accounts_panel, roles=("admin",), order=900)
