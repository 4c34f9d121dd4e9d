"""Optimistic-lock versions are required whole numbers on every action form and API action: a
missing or malformed version (abc, 1e3, NaN, -1, 1.0, a number past the column) is refused with
400 on a page (with the reason shown) and 422 on the API, and changes nothing; a stale one is 409.
"""

from __future__ import annotations

import io

import pytest

from compliance.db import db
from inspections.rectification.models import RectificationEvent
from tests.core.db_state import changed_tables, table_rows
from tests.inspections.rect_factories import make_finding, png_bytes, rect_for

MALFORMED = ["abc", "1e3", "NaN", "-1", "0", "1.0", " ", "99999999999999999999999"]
EN = {"Accept-Language": "en"}


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user, login, app):
    site = make_site()
    window = make_window(site=site)
    member = make_staff(site=site, window=window, name="李四")
    other = make_staff(site=site, window=window, name="王五")
    staff_user = make_user(roles=("staff",), sites=[site], staff_member=member)
    inspector = make_user(roles=("inspector",), sites=[site])
    admin = make_user(roles=("admin",), sites=None)
    finding = make_finding(site=site, staff=member)
    return {
        "finding": finding,
        "other": other,
        "staff": login(app.test_client(), staff_user),
        "inspector": login(app.test_client(), inspector),
        "admin": login(app.test_client(), admin),
    }


def _respond(scene) -> None:
    rect = rect_for(scene["finding"])
    r = scene["staff"].post(
        f"/rectifications/{rect.id}/respond", data={"text": "已整改", "version": rect.version}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


def _actions(scene):
    """(client, action, data without version, needs a response first)."""
    return [
        (scene["staff"], "respond", {"text": "已整改"}, False),
        (scene["inspector"], "verify", {"note": "合格"}, True),
        (scene["inspector"], "reject", {"reason": "不合格"}, True),
        (scene["inspector"], "fix-on-spot", {"text": "当场整改", "witness": "张三"}, False),
        (
            scene["admin"],
            "reassign",
            {"responsible": scene["other"].id, "supervisor": "", "reason": "换人"},
            False,
        ),
    ]


@pytest.mark.parametrize("action_index", range(5))
def test_page_actions_refuse_a_missing_or_malformed_version(app, scene, action_index):
    client, action, data, needs_response = _actions(scene)[action_index]
    if needs_response:
        _respond(scene)
    rect = rect_for(scene["finding"])
    seen = rect.version
    url = f"/rectifications/{rect.id}/{action}"
    before = table_rows()
    for bad in [*MALFORMED, None]:
        body = dict(data) if bad is None else dict(data, version=bad)
        response = client.post(url, data=body, headers=EN)
        assert response.status_code == 400, (action, bad, response.status_code)
        assert "reload the page" in response.get_data(as_text=True), (action, bad)
    assert changed_tables(before, table_rows()) == []
    assert rect_for(scene["finding"]).version == seen

    # The version the user saw, but someone changed the record since: 409.
    stale = client.post(url, data=dict(data, version=seen + 1), headers=EN)
    assert stale.status_code == 409, action
    assert changed_tables(before, table_rows()) == []

    # The current version goes through.
    final = dict(data, version=seen)
    if action == "fix-on-spot":  # a fix on the spot needs its photo
        final["photos"] = [(io.BytesIO(png_bytes()), "fix.png")]
    done = client.post(url, data=final, content_type="multipart/form-data")
    assert done.status_code == 302, (action, done.get_data(as_text=True)[:500])
    assert rect_for(scene["finding"]).version > seen


@pytest.mark.parametrize("action", ["respond", "verify", "reject"])
def test_api_actions_refuse_a_missing_or_malformed_version(app, scene, action):
    if action != "respond":
        _respond(scene)
    rect = rect_for(scene["finding"])
    client = scene["staff"] if action == "respond" else scene["inspector"]
    body = {"respond": {"text": "已整改"}, "verify": {}, "reject": {"reason": "不合格"}}[action]
    url = f"/api/v1/rectifications/{rect.id}/{action}"
    events = db.session.query(RectificationEvent).count()
    for bad in ["abc", "1e3", "NaN", -1, 0, 1.5, float(rect.version), True, 2**31, None]:
        payload = dict(body) if bad is None else dict(body, version=bad)
        response = client.post(url, json=payload, headers=EN)
        assert response.status_code == 422, (action, bad, response.json)
        assert "version" in response.json["reason"], (action, bad)
        assert "version" in str(response.json["errors"])
    assert db.session.query(RectificationEvent).count() == events
    stale = client.post(url, json=dict(body, version=rect.version + 1), headers=EN)
    assert stale.status_code == 409 and stale.json["code"]
    ok = client.post(url, json=dict(body, version=rect.version))
    assert ok.status_code == 200, ok.json
