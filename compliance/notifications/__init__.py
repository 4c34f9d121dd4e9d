"""In-app notifications (and optional e-mail) for every user."""

from __future__ import annotations

from .models import Notification  # noqa: F401
from .services import notify, unread_count  # noqa: F401


def init_app(app) -> None:
    from flask_login import current_user

    from ..db import db

    app.extensions["unread_counter"] = lambda user: unread_count(db.session, user)
    _ = current_user
