"""The server side of the round kept on the phone: the page carrying what a round of a site
needs (windows, who is on duty today, the checklist in force), the session check the outbox makes
before sending, the pages fetched ahead for an inspector, and the outbox's exact sequence of
requests replayed: one inspection, one finding per failure, each photo once; the same UUID with
other content is a 409 the phone can show."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid as uuidlib

import sqlalchemy as sa

from compliance.db import db
from inspections.models import Finding, Inspection, Photo


def _round_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="round-data">(.*?)</script>', html, re.S)
    assert match, "the page carries no round data"
    return json.loads(match.group(1))


def test_round_page_carries_windows_duty_and_checklist(
    app, client_for, catalogue, make_hall, make_user
):
    from compliance.models import Leave
    from compliance.timeutil import local_today

    site, windows, staff = make_hall(windows=2, per_window=2)
    db.session.add(
        Leave(
            staff_member_id=staff[3].id,
            starts_on=local_today(),
            ends_on=local_today(),
            reason="病假",
        )
    )
    db.session.commit()
    client = client_for("inspector", sites=[site])
    response = client.get(f"/patrols/sites/{site.id}/round")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = _round_data(html)
    assert data["site"]["id"] == site.id and data["user"] == client.user.id
    assert set(data["targets"]) == {"a", *(f"w{w.id}" for w in windows)} | {
        f"s{s.id}" for s in staff
    }
    assert data["leave"] == [f"s{staff[3].id}"]
    items = {i["code"]: i for i in data["items"]}
    assert len(items) == 26 and items["B02"]["photo"] is True and items["D06"]["photo"] is False
    assert items["B02"]["target"] == "staff"
    # who and where each failure is, as the failures list names it
    assert data["targets"][f"s{staff[0].id}"]["where"].endswith(windows[0].code)
    # a ✗ per person on duty, per window and for the area; none for the person on leave
    assert html.count('data-fail="s') == 3
    assert f'data-fail="s{staff[3].id}"' not in html
    # reading the page writes nothing: the round lives on the phone until it is sent
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 0


def test_round_page_of_a_site_outside_scope_is_not_found(app, client_for, catalogue, make_site):
    mine, other = make_site(), make_site()
    client = client_for("inspector", sites=[mine])
    assert client.get(f"/patrols/sites/{other.id}/round").status_code == 404
    assert client_for("staff").get(f"/patrols/sites/{mine.id}/round").status_code == 403


def test_session_check_gives_the_user_and_a_fresh_token_and_is_never_stored(
    app, client_for, client
):
    inspector = client_for("inspector")
    response = inspector.get("/patrols/offline/session")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == inspector.user.id and body["csrf_token"]
    assert response.headers["Cache-Control"] == "no-store"
    # signed out: a redirect to the sign-in page (the outbox reads it as "sign in again")
    anonymous = client.get("/patrols/offline/session")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_inspector_gets_the_patrol_page_and_each_round_page_ahead(app, client_for, make_site):
    centre, hall = make_site(), make_site()
    inspector = client_for("inspector", sites=[centre, hall])
    pages = inspector.get("/pwa/precache.json").get_json()
    urls = [p["url"] for p in pages["pages"]]
    assert pages["user"] == inspector.user.id
    assert urls == [
        "/patrols",
        f"/patrols/sites/{centre.id}/round",
        f"/patrols/sites/{hall.id}/round",
    ]
    for url in urls:
        assert inspector.get(url).status_code == 200
    # people who do not patrol get nothing ahead
    assert client_for("hr").get("/pwa/precache.json").get_json()["pages"] == []


def test_service_worker_keeps_the_round_scripts_and_runs_the_outbox(app, client):
    script = client.get("/sw.js").get_data(as_text=True)
    for name in ("store.js", "outbox.js", "phone_rounds.js", "round_page.js", "inspections.css"):
        assert re.search(rf"/static/inspections/{name}\?v=[0-9a-f]{{12}}", script), name
    assert re.search(r'importScripts\("/static/inspections/store\.js\?v=', script)
    assert "^/patrols/sites/\\\\d+/round$" in script


def _photo(color) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (160, 120), color).save(out, "JPEG", quality=80)
    return out.getvalue()


def _send_like_the_outbox(client, payload: dict, photos: list[bytes]) -> list[int]:
    """What outbox.js sends for one round: the session check, each photo, then the round."""
    token = client.get("/patrols/offline/session").get_json()["csrf_token"]
    statuses = []
    for data in photos:
        r = client.post(
            f"/api/v1/inspections/{payload['uuid']}/photos",
            data={"file": (io.BytesIO(data), "p.jpg"), "sha256": hashlib.sha256(data).hexdigest()},
            headers={"X-CSRFToken": token},
            content_type="multipart/form-data",
            csrf=False,
        )
        statuses.append(r.status_code)
    r = client.post("/api/v1/inspections", json=payload, headers={"X-CSRFToken": token}, csrf=False)
    statuses.append(r.status_code)
    return statuses


def test_outbox_replayed_any_number_of_times_creates_everything_once(
    app, client_for, catalogue, make_hall
):
    site, windows, staff = make_hall(windows=2, per_window=1)
    client = client_for("inspector", sites=[site])
    photos = [_photo((200, 30, 30)), _photo((30, 30, 200))]
    shas = [hashlib.sha256(p).hexdigest() for p in photos]
    payload = {
        "uuid": str(uuidlib.uuid4()),
        "site_id": site.id,
        "device_started_at": "2026-11-30T01:00:00.000Z",
        "device_submitted_at": "2026-11-30T01:12:00.000Z",
        "latitude": None,
        "longitude": None,
        "location_accuracy_m": None,
        "note": None,
        "failures": [
            {
                "target": f"w{windows[0].id}",
                "item_code": "C01",
                "severity": None,
                "reason": "台面杂乱",
                "note": None,
                "photos": [shas[0]],
            },
            {
                "target": f"s{staff[1].id}",
                "item_code": "B02",
                "severity": None,
                "reason": None,
                "note": "未戴工牌",
                "photos": [shas[1]],
            },
        ],
    }
    assert _send_like_the_outbox(client, payload, photos) == [201, 201, 201]
    for _ in range(3):
        assert _send_like_the_outbox(client, payload, photos) == [200, 200, 200]
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 1
    findings = db.session.scalars(sa.select(Finding).order_by(Finding.id)).all()
    assert len(findings) == 2
    stored = db.session.scalars(sa.select(Photo).order_by(Photo.id)).all()
    assert [p.finding_id for p in stored] == [f.id for f in findings]

    # The same UUID with other content: 409, and the server's version can be read to show both.
    changed = dict(payload, note="改过的说明")
    token = client.get("/patrols/offline/session").get_json()["csrf_token"]
    r = client.post("/api/v1/inspections", json=changed, headers={"X-CSRFToken": token}, csrf=False)
    assert r.status_code == 409 and r.get_json()["code"] == "inspections.uuid_content_differs"
    server = client.get(f"/api/v1/inspections/{payload['uuid']}").get_json()
    assert len(server["finding_ids"]) == 2
    assert db.session.scalar(sa.select(sa.func.count(Inspection.id))) == 1
