"""The in-app inbox: unread count in the top bar, the list, following a notification to its
record, mark read and mark all read."""

from __future__ import annotations

import re

import sqlalchemy as sa

from compliance.db import db
from compliance.models import User
from compliance.notifications import Notification, notify, unread_count
from tests.core.db_state import changed_tables, table_rows


def _unread_badge(html: str) -> int | None:
    match = re.search(r'data-unread="(\d+)"', html)
    return int(match.group(1)) if match else None


def test_notify_is_idempotent_with_a_dedupe_key_and_skips_inactive_users(app, make_user):
    alice = make_user()
    gone = make_user()
    gone.active = False
    first = notify(db.session, [alice, gone, alice], "rect.overdue", "整改逾期", dedupe_key="k:1")
    again = notify(db.session, [alice], "rect.overdue", "整改逾期", dedupe_key="k:1")
    db.session.commit()
    assert [n.user_id for n in first] == [alice.id]
    assert again == []
    assert unread_count(db.session, alice) == 1
    assert unread_count(db.session, gone) == 0


def test_notify_marks_mail_pending_only_for_users_with_an_address_who_did_not_opt_out(
    app, make_user
):
    with_mail = make_user(email="a@example.org")
    opted_out = make_user(email="b@example.org")
    opted_out.email_opt_out = True
    no_mail = make_user()
    rows = notify(db.session, [with_mail, opted_out, no_mail], "x", "标题")
    assert {r.user_id: r.email_status for r in rows} == {
        with_mail.id: "pending",
        opted_out.id: "skipped",
        no_mail.id: "skipped",
    }


def test_the_top_bar_shows_the_unread_count(client, login, make_user, make_notification):
    user = make_user()
    other = make_user()
    make_notification(user)
    make_notification(user)
    make_notification(other)
    login(client, user)
    assert _unread_badge(client.get("/dashboard").get_data(as_text=True)) == 2


def test_the_inbox_lists_unread_first_and_only_my_notifications(
    client, login, make_user, make_notification
):
    user = make_user()
    old_unread = make_notification(user, title="较早的未读通知")
    read = make_notification(user, title="已读通知")
    new_unread = make_notification(user, title="最新的未读通知")
    make_notification(make_user(), title="别人的通知")
    db.session.get(Notification, read.id).read_at = read.created_at
    db.session.commit()
    login(client, user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "别人的通知" not in html
    positions = [html.index(t) for t in ("最新的未读通知", "较早的未读通知", "已读通知")]
    assert positions == sorted(positions)
    unread_only = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "已读通知" not in unread_only and "最新的未读通知" in unread_only
    assert old_unread.id != new_unread.id


def _follow_form(html: str, note_id: int) -> bool:
    """The notification's title is a button in a POST form to its follow URL."""
    return bool(
        re.search(
            rf'<form method="post" action="/notifications/{note_id}/open"[^>]*>\s*'
            r'<input type="hidden" name="csrf_token"[^>]*>\s*<button type="submit"',
            html,
        )
    )


def test_following_a_notification_marks_it_read_and_leads_to_its_record(
    client, login, make_user, make_notification
):
    user = make_user()
    note = make_notification(user, link="/inspections/findings/42")
    login(client, user)
    assert _follow_form(client.get("/notifications/").get_data(as_text=True), note.id)
    assert _follow_form(client.get("/dashboard").get_data(as_text=True), note.id)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inspections/findings/42"
    assert db.session.get(Notification, note.id).read_at is not None
    assert _unread_badge(client.get("/dashboard").get_data(as_text=True)) is None


def test_following_is_a_post_a_get_changes_nothing(client, login, make_user, make_notification):
    user = make_user()
    note = make_notification(user, link="/inspections/findings/42")
    login(client, user)
    before = table_rows()
    assert client.get(f"/notifications/{note.id}/open").status_code == 405
    assert client.post(f"/notifications/{note.id}/open", csrf=False).status_code == 400
    assert db.session.get(Notification, note.id).read_at is None
    assert changed_tables(before, table_rows()) == []


def test_a_link_leaving_the_site_is_not_followed(client, login, make_user, make_notification):
    user = make_user()
    note = make_notification(user, link="https://evil.example/phish")
    login(client, user)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"


def test_someone_elses_notification_is_not_found(client, login, make_user, make_notification):
    note = make_notification(make_user())
    login(client, make_user())
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert db.session.get(Notification, note.id).read_at is None


def test_mark_one_read_and_mark_all_read(client, login, make_user, make_notification):
    user = make_user()
    a, b, c = (make_notification(user) for _ in range(3))
    other = make_notification(make_user())
    login(client, user)
    response = client.post(f"/notifications/{a.id}/read", data={"next": "/notifications/?page=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/?page=1"
    assert unread_count(db.session, db.session.get(Notification, a.id).user) == 2
    assert client.post("/notifications/read-all").status_code == 302
    unread = db.session.scalars(
        sa.select(Notification.id).where(Notification.read_at.is_(None))
    ).all()
    assert unread == [other.id]
    assert {b.id, c.id}.isdisjoint(unread)


def test_mark_read_needs_a_csrf_token(client, login, make_user, make_notification):
    user = make_user()
    note = make_notification(user)
    login(client, user)
    before = table_rows()
    assert client.post(f"/notifications/{note.id}/read", csrf=False).status_code == 400
    assert db.session.get(Notification, note.id).read_at is None
    assert changed_tables(before, table_rows()) == []


def test_the_inbox_needs_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_inbox_is_paginated(client, login, make_user, make_notification):
    user = make_user()
    for i in range(35):
        make_notification(user, title=f"第{i:02d}条")
    login(client, user)
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "第34条" in first and "第00条" not in first
    assert "第00条" in second


def test_the_dashboard_shows_the_newest_unread_notifications(
    client, login, make_user, make_notification
):
    user = make_user()
    for i in range(7):
        make_notification(user, title=f"待办通知{i}")
    login(client, user)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "panel-inbox" in html
    assert "待办通知6" in html and "待办通知2" in html and "待办通知1" not in html
    client.post("/notifications/read-all")
    assert "panel-inbox" not in client.get("/dashboard").get_data(as_text=True)


def test_notify_each_with_per_user_parameters_writes_what_notify_would(app, make_user):
    """The bulk path (one INSERT): each active user once, none for a user who already has the
    dedupe key, the title in the user's own language filled with their own figures, the mail
    status as `notify` sets it; user rows (not only User objects) are accepted."""
    from compliance.notifications import notify_each

    zh = make_user(email="zh@example.org")
    en = make_user()
    en.locale = "en"
    had = make_user()
    gone = make_user()
    gone.active = False
    notify(db.session, had, "x", "旧", dedupe_key="k:2")
    db.session.flush()
    rows = db.session.execute(
        sa.select(User.id, User.locale, User.active, User.email, User.email_opt_out).where(
            User.id.in_([zh.id, en.id, had.id, gone.id])
        )
    ).all()
    n = notify_each(
        db.session,
        [*rows, rows[0]],
        "x",
        "Your assessment score for %(month)s: %(score)s (rank %(rank)s)",
        per_user=lambda u: {"score": str(u.id), "rank": 1, "link": f"/u/{u.id}"},
        dedupe_key="k:2",
        month="2025-12",
    )
    db.session.commit()
    assert n == 2
    made = {
        r.user_id: r
        for r in db.session.scalars(sa.select(Notification).where(Notification.kind == "x"))
        if r.user_id != had.id
    }
    assert set(made) == {zh.id, en.id}
    assert made[en.id].title == f"Your assessment score for 2025-12: {en.id} (rank 1)"
    assert made[zh.id].title != made[en.id].title and str(zh.id) in made[zh.id].title
    assert made[zh.id].link == f"/u/{zh.id}"
    assert (made[zh.id].email_status, made[en.id].email_status) == ("pending", "skipped")
