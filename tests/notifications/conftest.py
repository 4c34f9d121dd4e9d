from __future__ import annotations

import pytest

from compliance.db import db
from compliance.notifications import notify

from .robot_server import robot_fixture  # noqa: F401  (the loopback WeCom/DingTalk robot)


@pytest.fixture
def make_notification(app):
    """make_notification(user, title=..., link=..., **kw) -> a committed Notification."""
    counter = iter(range(1, 10_000))

    def make(user, title=None, link="/dashboard", **kw):
        [row] = notify(
            db.session,
            user,
            kw.pop("kind", "test"),
            title or f"通知 {next(counter)}",
            link=link,
            **kw,
        )
        db.session.commit()
        return row

    return make
