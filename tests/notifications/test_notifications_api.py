"""The notifications API a phone polls."""

from __future__ import annotations

import json

from compliance.db import db
from compliance.notifications import Notification
from tests.core.db_state import changed_tables, table_rows


def test_listing_my_notifications_with_unread_filter_and_pagination(
    client, login, make_user, make_notification
):
    user = make_user()
    notes = [make_notification(user, title=f"n{i}", link=f"/x/{i}") for i in range(5)]
    make_notification(make_user(), title="someone else's")
    db.session.get(Notification, notes[0].id).read_at = notes[0].created_at
    db.session.commit()
    login(client, user)
    response = client.get("/api/v1/notifications")
    assert response.status_code == 200
    items = response.get_json()
    assert [i["title"] for i in items] == ["n4", "n3", "n2", "n1", "n0"]
    assert items[0]["link"] == "/x/4" and items[0]["is_read"] is False
    assert items[-1]["is_read"] is True and items[-1]["read_at"].endswith("+00:00")
    assert items[0]["created_at"].endswith("+00:00")
    unread = client.get("/api/v1/notifications?unread=true").get_json()
    assert len(unread) == 4
    page = client.get("/api/v1/notifications?page=2&page_size=2")
    assert [i["title"] for i in page.get_json()] == ["n2", "n1"]
    assert json.loads(page.headers["X-Pagination"])["total"] == 5
    assert client.get("/api/v1/notifications/unread-count").get_json() == {"unread": 4}


def test_marking_read_over_the_api(client, login, make_user, make_notification):
    user = make_user()
    a = make_notification(user)
    make_notification(user)
    theirs = make_notification(make_user())
    login(client, user)
    response = client.post(f"/api/v1/notifications/{a.id}/read")
    assert response.status_code == 200
    assert response.get_json()["is_read"] is True
    missing = client.post(f"/api/v1/notifications/{theirs.id}/read")
    assert missing.status_code == 404
    assert missing.get_json()["status"] == 404
    assert db.session.get(Notification, theirs.id).read_at is None
    response = client.post("/api/v1/notifications/read-all")
    assert response.get_json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/notifications/unread-count").get_json() == {"unread": 0}


def test_the_api_needs_authentication_and_csrf_for_session_writes(
    client, login, make_user, make_notification
):
    assert client.get("/api/v1/notifications").status_code == 401
    user = make_user()
    note = make_notification(user)
    login(client, user)
    before = table_rows()
    response = client.post(f"/api/v1/notifications/{note.id}/read", csrf=False)
    assert response.status_code == 400
    assert db.session.get(Notification, note.id).read_at is None
    assert changed_tables(before, table_rows()) == []


def test_a_bearer_token_reads_the_inbox(client, app, make_user, make_notification):
    from compliance.auth.security import create_api_token

    user = make_user()
    make_notification(user, title="for the phone")
    token = create_api_token(db.session, user, "phone")
    db.session.commit()
    response = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [i["title"] for i in response.get_json()] == ["for the phone"]


def test_the_openapi_document_describes_the_notifications_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/notifications" in spec["paths"]
    assert "/api/v1/notifications/{notification_id}/read" in spec["paths"]
    assert "/api/v1/notifications/read-all" in spec["paths"]
