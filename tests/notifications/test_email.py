"""E-mail copies of notifications, against a local SMTP server the test starts (aiosmtpd)."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from compliance.db import db, utcnow
from compliance.notifications import Notification, notify
from compliance.notifications.mail import MAX_ATTEMPTS
from compliance.scheduler import run_job
from compliance.timeutil import local_today


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp_server(app, monkeypatch):
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SMTP_SENDER", "centre@example.org")
    monkeypatch.setitem(app.config, "BASE_URL", "https://compliance.example.org")
    yield handler
    controller.stop()


@pytest.fixture
def smtp_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", _free_port())  # nothing listens there


@pytest.fixture
def send(app):
    """Run the e-mail job as the scheduler would."""
    return lambda: run_job(app, "notifications.send_email", local_today())


def _user(make_user, email="wang@example.org", opt_out=False):
    user = make_user(email=email)
    user.email_opt_out = opt_out
    db.session.commit()
    return user


def test_a_notification_is_sent_by_mail_with_a_link_to_its_record(send, make_user, smtp_server):
    user = _user(make_user)
    [note] = notify(
        db.session,
        user,
        "rect.assigned",
        "新的整改任务",
        body="A03 窗口着装不规范",
        link="/rectifications/7",
    )
    db.session.commit()
    run = send()
    assert run.counts == {"sent": 1, "failed": 0, "not_emailed": 0}
    [(rcpt, msg)] = smtp_server.messages
    assert rcpt == ["wang@example.org"]
    assert msg["Subject"] == "新的整改任务"
    assert msg["From"] == "centre@example.org"
    body = msg.get_content()
    assert "A03 窗口着装不规范" in body
    assert "https://compliance.example.org/rectifications/7" in body
    stored = db.session.get(Notification, note.id)
    assert stored.email_status == "sent" and stored.emailed_at is not None
    # A second run sends nothing more.
    assert send().counts == {"sent": 0, "failed": 0, "not_emailed": 0}
    assert len(smtp_server.messages) == 1


def test_smtp_down_keeps_the_in_app_notification_and_marks_mail_failed(send, make_user, smtp_down):
    user = _user(make_user)
    [note] = notify(db.session, user, "x", "整改逾期")
    db.session.commit()
    run = send()
    assert run.outcome == "success"
    assert run.counts["failed"] == 1
    stored = db.session.get(Notification, note.id)
    assert stored.email_status == "failed"
    assert "SMTP connection failed" in stored.email_error
    assert stored.email_attempts == 1
    # The inbox still has it, unread.
    assert stored.read_at is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id)
        )
        == 1
    )


def test_failed_mail_is_retried_after_a_pause_a_bounded_number_of_times(
    send, make_user, smtp_down, app, monkeypatch
):
    user = _user(make_user)
    [note] = notify(db.session, user, "x", "标题")
    db.session.commit()
    send()
    # Right away: not retried (back-off).
    assert send().counts["failed"] == 0
    for _ in range(MAX_ATTEMPTS + 2):
        row = db.session.get(Notification, note.id)
        row.email_last_attempt_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        send()
    assert db.session.get(Notification, note.id).email_attempts == MAX_ATTEMPTS


def test_mail_is_retried_and_sent_once_the_server_is_back(
    send, make_user, smtp_down, app, monkeypatch
):
    user = _user(make_user)
    [note] = notify(db.session, user, "x", "稍后送达")
    db.session.commit()
    send()
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "SMTP_PORT", port)
        db.session.get(Notification, note.id).email_last_attempt_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        assert send().counts["sent"] == 1
    finally:
        controller.stop()
    assert db.session.get(Notification, note.id).email_status == "sent"
    assert len(handler.messages) == 1


def test_a_user_who_opted_out_gets_no_mail(send, make_user, smtp_server):
    keen = _user(make_user, email="keen@example.org")
    quiet = _user(make_user, email="quiet@example.org")
    notes = notify(db.session, [keen, quiet], "x", "两人都收到站内通知")
    db.session.commit()
    # Opting out after the notification was made still counts at sending time.
    quiet.email_opt_out = True
    db.session.commit()
    counts = send().counts
    assert counts == {"sent": 1, "failed": 0, "not_emailed": 1}
    assert [rcpt for rcpt, _msg in smtp_server.messages] == [["keen@example.org"]]
    statuses = {n.user_id: db.session.get(Notification, n.id).email_status for n in notes}
    assert statuses == {keen.id: "sent", quiet.id: "skipped"}


def test_without_smtp_settings_nothing_is_sent_or_changed(send, make_user, app):
    assert not app.config["SMTP_HOST"]
    user = _user(make_user)
    [note] = notify(db.session, user, "x", "标题")
    db.session.commit()
    assert send().counts == {}
    assert db.session.get(Notification, note.id).email_status == "pending"


def test_stale_pending_mail_is_not_sent(send, make_user, smtp_server):
    user = _user(make_user)
    [note] = notify(db.session, user, "x", "很久以前")
    note.created_at = utcnow() - timedelta(days=5)
    db.session.commit()
    assert send().counts == {"sent": 0, "failed": 0, "not_emailed": 1}
    assert smtp_server.messages == []
    assert db.session.get(Notification, note.id).email_status == "skipped"
