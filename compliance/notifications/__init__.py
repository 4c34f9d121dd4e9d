"""In-app notifications (and optional e-mail) for every user."""

from __future__ import annotations

from . import channels  # noqa: F401  (group channels: tables and public functions)
from .models import Notification, NotificationArchive  # noqa: F401
from .services import notify, notify_each, unread_badge, unread_count  # noqa: F401


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ..api import register
    from ..db import db
    from ..scheduler import register_job
    from ..ui import register_dashboard_panel
    from .api import blp
    from .mail import send_pending_email
    from .retention import purge_notifications
    from .views import bp, render_inbox_panel

    # On every page: bounded ("99+"), so a backlog of escalations costs nothing extra.
    app.extensions["unread_counter"] = lambda user: unread_badge(db.session, user)
    app.register_blueprint(bp)
    register(app, blp)
    register_dashboard_panel(app, render_inbox_panel, order=10)
    register_job(
        app,
        "notifications.send_email",
        send_pending_email,
        _l("Send e-mail copies of new notifications (when SMTP is configured)"),
        quiet=True,
        minute="*",
    )
    register_job(
        app,
        "notifications.retention",
        purge_notifications,
        _l("Archive or delete old read notifications and old group-notice records"),
        hour=3,
        minute=40,
    )
    channels.init_app(app)
