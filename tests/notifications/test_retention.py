"""Retention: sign-in attempts, read notifications (archived or deleted) and group-send records
go after their configured periods; an unread notification never does. The unread count on every
page stays bounded, and the inbox reads unread-first in index order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import LoginAttempt
from compliance.notifications import Notification, NotificationArchive, notify
from compliance.notifications.channels.models import GroupSend
from compliance.notifications.channels.services import create_channel
from compliance.notifications.services import inbox_page, unread_badge, unread_count
from compliance.scheduler import run_job

RUN_ON = date(2026, 11, 30)


def at(days_before: int) -> datetime:
    return datetime(2026, 11, 30, 2, 0) - timedelta(days=days_before)


def _note(user, kind, created, read):
    [row] = notify(db.session, user, kind, f"{kind} {created:%m-%d}")
    row.created_at = created
    row.read_at = read
    return row


@pytest.fixture
def inbox(make_user):
    """An officer's inbox: old read notices, an old unread escalation, recent read ones."""
    officer = make_user(roles=("discipline",))
    rows = {
        "old_read": _note(officer, "rectification.overdue", at(400), at(399)),
        "old_read_escalation": _note(officer, "rectification.escalated", at(300), at(290)),
        "old_unread_escalation": _note(officer, "rectification.escalated", at(500), None),
        "old_unread_other": _note(officer, "training.reminder", at(500), None),
        "recent_read": _note(officer, "rectification.overdue", at(10), at(9)),
        "read_recently_but_old": _note(officer, "rectification.overdue", at(200), at(1)),
    }
    db.session.commit()
    return officer, {k: v.id for k, v in rows.items()}


def _left(officer) -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(sa.select(Notification.id).where(Notification.user_id == officer.id))
    )


def test_old_read_notifications_are_archived_and_unread_ones_never_touched(app, inbox):
    officer, ids = inbox
    run = run_job(app, "notifications.retention", RUN_ON)
    assert run.outcome == "success", run.error
    assert run.counts["archived"] == 3 and run.counts["deleted"] == 0
    assert _left(officer) == {
        ids["old_unread_escalation"],
        ids["old_unread_other"],
        ids["recent_read"],
    }
    archived = db.session.scalars(sa.select(NotificationArchive)).all()
    assert {a.notification_id for a in archived} == {
        ids["old_read"],
        ids["old_read_escalation"],
        ids["read_recently_but_old"],
    }
    first = next(a for a in archived if a.notification_id == ids["old_read"])
    assert first.kind == "rectification.overdue" and first.read_at == at(399)
    again = run_job(app, "notifications.retention", RUN_ON)
    assert again.counts["archived"] == 0
    assert unread_count(db.session, officer) == 2


def test_deleting_instead_of_archiving_is_a_setting(app, inbox, monkeypatch):
    officer, ids = inbox
    monkeypatch.setitem(app.config, "NOTIFICATION_RETENTION_MODE", "delete")
    monkeypatch.setitem(app.config, "NOTIFICATION_RETENTION_DAYS", 5)
    run = run_job(app, "notifications.retention", RUN_ON)
    assert run.counts["deleted"] == 4 and run.counts["archived"] == 0
    assert _left(officer) == {ids["old_unread_escalation"], ids["old_unread_other"]}
    assert db.session.scalar(sa.select(sa.func.count(NotificationArchive.id))) == 0


def test_sign_in_attempts_are_purged_after_their_period(app, make_user, monkeypatch):
    user = make_user()
    for days in (400, 181, 179, 1):
        db.session.add(
            LoginAttempt(username=user.username, user_id=user.id, at=at(days), outcome="success")
        )
    db.session.commit()
    run = run_job(app, "core.purge_sign_in_attempts", RUN_ON)
    assert run.counts == {"deleted_attempts": 2}
    assert run_job(app, "core.purge_sign_in_attempts", RUN_ON).counts == {"deleted_attempts": 0}
    monkeypatch.setitem(app.config, "LOGIN_ATTEMPT_RETENTION_DAYS", 30)
    assert run_job(app, "core.purge_sign_in_attempts", RUN_ON).counts == {"deleted_attempts": 1}
    left = db.session.scalars(sa.select(LoginAttempt.at)).all()
    assert left == [at(1)]


def test_finished_group_sends_are_purged_but_waiting_ones_stay(app, make_site, make_user):
    channel = create_channel(
        db.session,
        make_user(roles=("admin",)),
        site=make_site(),
        kind="wecom",
        name="群",
        webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdefgh12345678",
        events=["patrol.missing"],
    )
    for n, (status, days) in enumerate(
        [("sent", 100), ("failed", 100), ("pending", 100), ("sent", 10)]
    ):
        db.session.add(
            GroupSend(
                channel_id=channel.id,
                event="patrol.missing",
                title="t",
                text="x",
                dedupe_key=f"k{n}",
                status=status,
                created_at=at(days),
            )
        )
    db.session.commit()
    run = run_job(app, "notifications.retention", RUN_ON)
    assert run.counts["deleted_group_sends"] == 2
    assert sorted(db.session.scalars(sa.select(GroupSend.status))) == ["pending", "sent"]


def test_a_retention_period_below_one_day_stops_start_up(app):
    from compliance import ConfigError, create_app

    with pytest.raises(ConfigError, match="NOTIFICATION_RETENTION_DAYS"):
        create_app({**app.config, "NOTIFICATION_RETENTION_DAYS": 0})
    with pytest.raises(ConfigError, match="NOTIFICATION_RETENTION_MODE"):
        create_app({**app.config, "NOTIFICATION_RETENTION_MODE": "shred"})


def _flood(user, unread: int, read: int) -> None:
    """Unread and read notifications, alternating (even numbers unread) while both last."""
    base = datetime(2026, 1, 1)
    flags = []
    while unread or read:
        is_unread = bool(unread) and (len(flags) % 2 == 0 or not read)
        flags.append(is_unread)
        unread, read = unread - is_unread, read - (not is_unread)
    db.session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user.id,
                "kind": "rectification.escalated",
                "title": f"#{n}",
                "created_at": base + timedelta(minutes=n),
                "read_at": None if is_unread else base,
                "email_attempts": 0,
            }
            for n, is_unread in enumerate(flags)
        ],
    )
    db.session.commit()


def test_the_top_bar_shows_at_most_99_plus_and_the_inbox_the_exact_count(client, login, make_user):
    officer = make_user(roles=("discipline",))
    _flood(officer, unread=150, read=20)
    assert unread_badge(db.session, officer) == "99+"
    assert unread_count(db.session, officer) == 150
    login(client, officer)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-unread="99+"' in html
    assert "未读通知：99+" in html  # the dashboard panel: bounded too
    assert "150 条未读" in client.get("/notifications/").get_data(as_text=True)


def test_the_inbox_pages_through_unread_then_read_newest_first(app, make_user):
    user = make_user()
    _flood(user, unread=5, read=5)  # unread: #0 #2 #4 #6 #8; read: #1 #3 #5 #7 #9
    titles = []
    page = 1
    while True:
        result = inbox_page(db.session, user, page=page, per_page=3)
        titles += [n.title for n in result.items]
        if not result.has_next:
            break
        page += 1
    assert titles == ["#8", "#6", "#4", "#2", "#0", "#9", "#7", "#5", "#3", "#1"]
    assert page == 4
    only_unread = inbox_page(db.session, user, page=2, per_page=3, unread_only=True)
    assert [n.title for n in only_unread.items] == ["#2", "#0"] and not only_unread.has_next
    assert inbox_page(db.session, user, page=10**9).items == []


def test_the_inbox_page_uses_the_same_few_statements_whatever_its_size(
    app, client, login, make_user
):
    user = make_user()
    login(client, user)

    def statements_for_inbox() -> int:
        seen = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            client.get("/notifications/?page=2")
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    _flood(user, unread=20, read=20)
    small = statements_for_inbox()
    _flood(user, unread=400, read=400)
    assert statements_for_inbox() == small


def test_archiving_twice_a_reused_id_keeps_both(app, make_user):
    """SQLite hands a deleted newest row's id to the next row: the archive must take both."""
    user = make_user()
    first = _note(user, "rectification.overdue", at(400), at(399))
    db.session.commit()
    first_id = first.id
    run_job(app, "notifications.retention", RUN_ON)
    again = _note(user, "rectification.overdue", at(300), at(299))
    db.session.commit()
    again_id = again.id
    assert run_job(app, "notifications.retention", RUN_ON).counts["archived"] == 1
    ids = db.session.scalars(
        sa.select(NotificationArchive.notification_id).where(NotificationArchive.user_id == user.id)
    ).all()
    assert sorted(ids) == sorted([first_id, again_id])
