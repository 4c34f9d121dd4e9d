"""The JSON API: list with the board's filters, read with the timeline, respond/verify/reject
with the same rules as the pages."""

from __future__ import annotations

import io

import pytest

from compliance.db import db
from inspections.rectification.models import Rectification
from tests.inspections.rect_factories import MONDAY, make_finding, png_bytes, rect_for

EN = {"Accept-Language": "en"}


@pytest.fixture
def scene(make_site, make_staff, make_user, login, app):
    site = make_site()
    member = make_staff(site=site)
    staff_user = make_user(roles=("staff",), sites=[site], staff_member=member)
    inspector = make_user(roles=("inspector",), sites=[site])
    return {
        "site": site,
        "member": member,
        "staff": login(app.test_client(), staff_user),
        "inspector": login(app.test_client(), inspector),
        "inspector_user": inspector,
    }


def test_list_and_read_with_filters(app, scene, client_for, make_site, make_staff):
    make_finding(site=scene["site"], staff=scene["member"], severity="major", found_on=MONDAY)
    make_finding(site=scene["site"], staff=scene["member"], severity="minor", category="hygiene")
    other_site = make_site()
    make_finding(site=other_site, staff=make_staff(site=other_site))
    r = scene["inspector"].get("/api/v1/rectifications")
    assert r.status_code == 200
    assert len(r.json) == 2  # the other site is out of scope
    assert r.headers.get("X-Pagination")
    r = scene["inspector"].get("/api/v1/rectifications?severity=major")
    assert [x["severity"] for x in r.json] == ["major"]
    assert r.json[0]["deadline_on"] == "2026-11-26"
    assert (
        scene["inspector"].get("/api/v1/rectifications?category=hygiene").json[0]["category"]
        == "hygiene"
    )
    assert (
        scene["inspector"]
        .get("/api/v1/rectifications?date_from=2026-11-23&date_to=2026-11-23")
        .json[0]["severity"]
        == "major"
    )
    assert scene["inspector"].get("/api/v1/rectifications?overdue=true&status=verified").json == []
    bad = scene["inspector"].get("/api/v1/rectifications?severity=huge")
    assert bad.status_code == 422 and bad.json["code"]
    # A staff member sees only their own.
    assert len(scene["staff"].get("/api/v1/rectifications").json) == 2
    other = client_for("staff", sites=[scene["site"]])
    assert other.get("/api/v1/rectifications").json == []
    rid = r.json[0]["id"]
    detail = scene["staff"].get(f"/api/v1/rectifications/{rid}")
    assert detail.status_code == 200
    assert [e["kind"] for e in detail.json["events"]] == ["opened"]
    assert other.get(f"/api/v1/rectifications/{rid}").status_code == 404
    assert (
        client_for("inspector", sites=[other_site]).get(f"/api/v1/rectifications/{rid}").status_code
        == 404
    )


def test_respond_verify_and_reject_through_the_api(app, scene, make_user, login):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"]))
    base = f"/api/v1/rectifications/{rect.id}"
    # Photos are uploaded first, then referenced by id.
    up = scene["staff"].post(
        base + "/photos",
        data={"photo": (io.BytesIO(png_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 201, up.json
    bad_up = scene["staff"].post(
        base + "/photos",
        data={"photo": (io.BytesIO(b"nope"), "a.png")},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert bad_up.status_code == 422 and "image" in bad_up.json["reason"]
    r = scene["inspector"].post(base + "/respond", json={"text": "x", "version": rect.version})
    assert r.status_code == 403
    r = scene["staff"].post(
        base + "/respond",
        json={"text": "已整改", "version": rect.version, "photo_ids": [up.json["id"]]},
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "responded"
    assert r.json["events"][-1]["photo_ids"] == [up.json["id"]]
    version = r.json["version"]
    # A stale version is a 409 with a clear reason.
    stale = scene["inspector"].post(
        base + "/reject", json={"reason": "no", "version": version - 1}, headers=EN
    )
    assert stale.status_code == 409 and "changed" in stale.json["reason"]
    missing = scene["inspector"].post(base + "/reject", json={"version": version})
    assert missing.status_code == 422
    r = scene["inspector"].post(base + "/reject", json={"reason": "不合格", "version": version})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert r.json["rejection_count"] == 1
    r = scene["staff"].post(
        base + "/respond", json={"text": "再次整改", "version": r.json["version"]}
    )
    assert r.status_code == 200
    r = scene["inspector"].post(base + "/verify", json={"version": r.json["version"]})
    assert r.status_code == 200 and r.json["status"] == "verified"
    assert r.json["closed_on_time"] is True
    again = scene["inspector"].post(base + "/verify", json={"version": r.json["version"]})
    assert again.status_code == 409


def test_self_verification_is_refused_in_the_api(app, scene, make_staff, make_user, login):
    member = make_staff(site=scene["site"])
    dual_user = make_user(roles=("staff", "inspector"), sites=[scene["site"]], staff_member=member)
    dual = login(app.test_client(), dual_user)
    rect = rect_for(make_finding(site=scene["site"], staff=member))
    base = f"/api/v1/rectifications/{rect.id}"
    r = dual.post(base + "/respond", json={"text": "已整改", "version": rect.version})
    assert r.status_code == 200
    r = dual.post(base + "/verify", json={"version": r.json["version"]}, headers=EN)
    assert r.status_code == 403
    assert "another inspector must verify" in r.json["reason"]
    assert db.session.get(Rectification, rect.id).status == "responded"


def test_api_requires_a_role_and_sign_in(app, client, client_for):
    assert client.get("/api/v1/rectifications").status_code == 401
    norole = client_for()
    # client_for() with no roles gives "staff"; a user with no role at all gets 403.
    from compliance.models import UserRole

    db.session.query(UserRole).filter_by(user_id=norole.user.id).delete()
    db.session.commit()
    assert norole.get("/api/v1/rectifications").status_code == 403


def test_openapi_documents_the_actions(app, client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    assert "/api/v1/rectifications/{rect_id}/verify" in paths
    assert "/api/v1/rectifications/{rect_id}/respond" in paths
