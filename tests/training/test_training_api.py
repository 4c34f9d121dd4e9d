"""The training API: read courses, sessions and pairings; mark attendance; add and confirm
shadow logs; errors as JSON with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from training.models import SessionAttendee, ShadowLog
from training.pairings import create_pairing


@pytest.fixture
def world(app, make_site, make_staff, make_session, make_course, today):
    site = make_site()
    mentee = make_staff(site=site, hired_on=today - timedelta(days=5))
    mentor = make_staff(site=site, hired_on=today - timedelta(days=3000))
    ts = make_session(
        site=site,
        day=today,
        invite=[mentee],
        course=make_course(kind="thematic_meeting", title="纪律作风"),
    )
    pairing = create_pairing(
        db.session, None, mentor, mentee, today - timedelta(days=3), today=today
    )
    db.session.commit()
    return {"site": site, "session": ts, "pairing": pairing, "mentee": mentee, "mentor": mentor}


def test_read_courses_sessions_and_pairings(client_for, world):
    hr = client_for("hr")
    courses = hr.get("/api/v1/training/courses?kind=thematic_meeting").get_json()
    assert [c["title"] for c in courses] == ["纪律作风"]
    sessions = hr.get("/api/v1/training/sessions").get_json()
    assert [s["id"] for s in sessions] == [world["session"].id]
    detail = hr.get(f"/api/v1/training/sessions/{world['session'].id}").get_json()
    assert detail["attendees"][0]["staff_member_id"] == world["mentee"].id
    pairing = hr.get(f"/api/v1/training/pairings/{world['pairing'].id}").get_json()
    assert pairing["mentee_id"] == world["mentee"].id and pairing["logs"] == []
    assert [p["id"] for p in hr.get("/api/v1/training/pairings?status=open").get_json()] == [
        world["pairing"].id
    ]


def test_staff_see_only_their_own(client_for, world, app, user_for, login):
    stranger = client_for("staff")
    assert stranger.get("/api/v1/training/sessions").get_json() == []
    assert stranger.get(f"/api/v1/training/pairings/{world['pairing'].id}").status_code == 404
    mentee = app.test_client()
    login(mentee, user_for(world["mentee"]))
    assert len(mentee.get("/api/v1/training/sessions").get_json()) == 1
    assert len(mentee.get("/api/v1/training/pairings").get_json()) == 1


def test_mark_attendance(client_for, world):
    hr = client_for("hr")
    url = f"/api/v1/training/sessions/{world['session'].id}/attendance"
    ok = hr.post(url, json={"staff_member_id": world["mentee"].id, "status": "excused"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "excused"
    assert db.session.scalar(sa.select(SessionAttendee.status)) == "excused"
    bad = hr.post(url, json={"staff_member_id": world["mentee"].id, "status": "asleep"})
    assert bad.status_code == 422
    stranger = hr.post(url, json={"staff_member_id": world["mentor"].id, "status": "present"})
    assert stranger.status_code == 409 and stranger.get_json()["code"] == "training.not_invited"
    assert stranger.get_json()["reason"]  # in the user's language
    assert (
        client_for("staff")
        .post(url, json={"staff_member_id": world["mentee"].id, "status": "present"})
        .status_code
        == 403
    )


def test_add_and_confirm_shadow_logs(app, world, user_for, login, client_for, today):
    mentee, mentor = app.test_client(), app.test_client()
    login(mentee, user_for(world["mentee"]))
    login(mentor, user_for(world["mentor"]))
    url = f"/api/v1/training/pairings/{world['pairing'].id}/logs"
    created = mentee.post(
        url, json={"worked_on": today.isoformat(), "hours": "3.5", "practised": "首问负责"}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["author_role"] == "mentee" and body["confirmed_at"] is None
    assert body["hours"] == 3.5
    future = mentee.post(
        url,
        json={"worked_on": (today + timedelta(days=2)).isoformat(), "hours": 2, "practised": "x"},
    )
    assert future.status_code == 409 and future.get_json()["code"] == "training.log_in_future"
    assert future.get_json()["reason"]
    from compliance.notifications import Notification

    note = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "training.log_to_confirm")
    )
    assert note is not None and note.entity_id == str(body["id"])
    confirm = f"/api/v1/training/logs/{body['id']}/confirm"
    assert mentee.post(confirm, json={}).status_code == 403
    done = mentor.post(confirm, json={"mentor_comment": "好"})
    assert done.status_code == 200 and done.get_json()["mentor_comment"] == "好"
    assert mentor.post(confirm, json={}).status_code == 409
    assert db.session.scalar(sa.select(ShadowLog.confirmed_by_id)) is not None
    hr = client_for("hr")
    assert (
        hr.post(
            url, json={"worked_on": today.isoformat(), "hours": 2, "practised": "x"}
        ).status_code
        == 403
    )


def test_openapi_documents_the_training_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/training/pairings/{pairing_id}/logs" in spec["paths"]


def test_bad_api_input_gets_json_errors(client_for, world):
    hr = client_for("hr")
    assert hr.get("/api/v1/training/sessions?when=someday").status_code == 422
    assert hr.get("/api/v1/training/sessions/999999").status_code == 404
    assert hr.post("/api/v1/training/logs/999999/confirm", json={}).status_code == 404
    bad = hr.post(
        f"/api/v1/training/pairings/{world['pairing'].id}/logs",
        json={"worked_on": "yesterday", "hours": "many"},
    )
    assert bad.status_code == 422 and bad.get_json()["errors"]
    assert client_for().get("/api/v1/training/pairings/999999").status_code == 404
