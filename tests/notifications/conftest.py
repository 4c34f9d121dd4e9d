from __future__ import annotations

import pytest

from compliance.db import db
from compliance.notifications import notify


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


@pytest.fixture
def robot(app, monkeypatch):
    """A loopback WeCom/DingTalk robot (tests/notifications/robot_server.py); the app may send
    to it and gives up on an answer after 0.5 s."""
    from .robot_server import RobotServer, start

    server = RobotServer()
    http, thread = start(server)
    monkeypatch.setitem(app.config, "GROUP_WEBHOOK_HOSTS", f"127.0.0.1:{server.port}")
    monkeypatch.setitem(app.config, "GROUP_SEND_TIMEOUT", 0.5)
    monkeypatch.setitem(app.config, "BASE_URL", "https://dc.example.gov.cn")
    yield server
    http.shutdown()
    http.server_close()
    thread.join(timeout=5)
