"""In-app notifications (and optional e-mail) for every user."""

from __future__ import annotations

from .models import Notification  # noqa: F401
from .services import notify, notify_each, unread_count  # noqa: F401


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ..api import register
    from ..db import db
    from ..scheduler import register_job
    from ..ui import register_dashboard_panel
    from .api import blp
    from .mail import send_pending_email
    from .views import bp, render_inbox_panel

    app.extensions["unread_counter"] = lambda user: unread_count(db.session, user)
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
