"""How long a round took: a spot check counts from the moment a drawn inspector opens it (not from
the draw), and a round sent through the API in one request from the phone's own clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.timeutil import local_today
from inspections.draws import create_draw
from inspections.models import Inspection
from inspections.services import open_spot_check, sign_spot_check


def _spot_check(site, inspectors, per_target=1):
    draw = create_draw(
        db.session,
        None,
        title="t",
        target_kind="window",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[u.id for u in inspectors],
        target_count=1,
        inspectors_per_target=per_target,
        day=local_today(),
    )
    return db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).one()


def test_a_spot_check_times_from_its_opening_not_from_the_draw(
    app, catalogue, make_hall, make_user, login
):
    site, windows, staff = make_hall(windows=2, per_window=1)
    inspector = make_user(roles=("inspector",), sites=[site])
    check = _spot_check(site, [inspector])
    drawn_at = utcnow() - timedelta(minutes=13)
    check.started_at = drawn_at  # drawn 13 minutes ago
    db.session.commit()
    client = login(app.test_client(), inspector)
    # Reading the round page does not start the clock: it leads to the check's page.
    assert client.get(f"/rounds/{check.uuid}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Inspection, check.id).started_at == drawn_at
    before = utcnow()
    opened = client.post(
        f"/spot-checks/{check.uuid}/open", data={"device_time": "2026-05-04T02:00:00Z"}
    )
    assert opened.headers["Location"].endswith(f"/rounds/{check.uuid}")
    db.session.expire_all()
    check = db.session.get(Inspection, check.id)
    assert check.started_at >= before and check.is_opened
    assert check.device_started_at.isoformat() == "2026-05-04T02:00:00"
    page = client.get(f"/rounds/{check.uuid}").get_data(as_text=True)
    assert f'data-started="{check.started_at.isoformat()}Z"' in page  # the running timer
    # Opening again (or the second inspector joining) does not restart it.
    open_spot_check(db.session, inspector, check, at=check.started_at + timedelta(minutes=3))
    assert check.started_at >= before
    started = check.started_at
    sign_spot_check(db.session, inspector, check, at=started + timedelta(minutes=6, seconds=5))
    assert check.status == "submitted" and check.duration_seconds == 365


def test_the_second_inspector_joining_keeps_the_first_opening_as_the_start(
    app, catalogue, make_hall, make_user
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    a, b = (make_user(roles=("inspector",), sites=[site]) for _ in range(2))
    check = _spot_check(site, [a, b], per_target=2)
    first, second = (db.session.get(type(a), m.user_id) for m in check.team)
    t0 = utcnow()
    open_spot_check(db.session, first, check, at=t0)
    open_spot_check(db.session, second, check, at=t0 + timedelta(minutes=2))
    assert check.started_at == t0
    assert [m.opened_at for m in check.team] == [t0, t0 + timedelta(minutes=2)]


def _api_round(client, site, **times):
    payload = {"uuid": str(uuid.uuid4()), "site_id": site.id, "failures": [], **times}
    response = client.post("/api/v1/inspections", json=payload)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_an_api_round_takes_its_duration_from_the_device_times(
    app, catalogue, make_hall, client_for
):
    site, windows, staff = make_hall(windows=1, per_window=1)
    phone = client_for("inspector", sites=[site])
    ten_minutes = _api_round(
        phone,
        site,
        device_started_at="2026-05-04T09:00:00+08:00",
        device_submitted_at="2026-05-04T01:10:00Z",
    )
    assert ten_minutes["duration_seconds"] == 600
    assert ten_minutes["device_started_at"].startswith("2026-05-04T01:00:00")
    assert _api_round(phone, site)["duration_seconds"] == 0  # no device times: the request
    backwards = _api_round(
        phone,
        site,
        device_started_at="2026-05-04T01:10:00Z",
        device_submitted_at="2026-05-04T01:00:00Z",
    )
    assert backwards["duration_seconds"] == 0  # a clock that ran backwards is not believed
    two_days = _api_round(
        phone,
        site,
        device_started_at="2026-05-02T01:00:00Z",
        device_submitted_at="2026-05-04T01:00:00Z",
    )
    assert two_days["duration_seconds"] == 0
