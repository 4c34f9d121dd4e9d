"""Plausibility flags: a round too fast for its windows, or recorded far from a site with
coordinates, is flagged (never refused); discipline officers, centre heads and admins see the
flagged rounds with the reason; the thresholds are administrator settings."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.settings import get_setting
from inspections.models import Inspection, InspectionFlag
from inspections.services import start_round, submit_round
from inspections.services.plausibility import (
    MAX_DISTANCE_KEY,
    SECONDS_PER_WINDOW_KEY,
    assess,
    distance_m,
)

CENTRE = (30.5835, 104.1712)


def _facts(**kw):
    facts = dict(
        seconds=600,
        windows=10,
        min_seconds_per_window=10,
        distance=None,
        accuracy=None,
        max_distance=1000,
    )
    facts.update(kw)
    return facts


def test_assess_flags_too_fast_rounds_and_only_those():
    assert assess(**_facts(seconds=100)) == []  # exactly 10 s per window
    [(code, detail)] = assess(**_facts(seconds=99))
    assert code == "too_fast"
    assert detail == {"seconds": 99, "windows": 10, "minimum": 100, "per_window": 10}
    assert assess(**_facts(seconds=5, min_seconds_per_window=0)) == []  # switched off
    assert assess(**_facts(seconds=None)) == []  # not submitted: unknown
    assert assess(**_facts(seconds=0, windows=0)) == []


def test_assess_flags_far_rounds_allowing_for_the_phones_accuracy():
    assert assess(**_facts(distance=900)) == []
    [(code, detail)] = assess(**_facts(distance=2500, accuracy=30))
    assert code == "far_from_site"
    assert detail == {"distance_m": 2500, "accuracy_m": 30, "limit_m": 1000}
    assert assess(**_facts(distance=2500, accuracy=2000)) == []  # within what the fix allows
    assert assess(**_facts(distance=2500, max_distance=0)) == []  # switched off
    assert assess(**_facts(distance=None)) == []  # no coordinates or no location


def test_distance_is_the_great_circle_distance():
    assert distance_m(*CENTRE, *CENTRE) == 0
    one_degree = distance_m(30.0, 104.0, 31.0, 104.0)
    assert 111_100 < one_degree < 111_300
    assert 2390 < distance_m(*CENTRE, CENTRE[0] + 0.0216, CENTRE[1]) < 2410


@pytest.fixture
def located_hall(make_hall, catalogue):
    site, windows, staff = make_hall(windows=4, per_window=1)
    site.latitude, site.longitude = CENTRE
    db.session.commit()
    return site


def _round(site, inspector, seconds, latitude=None, longitude=None, accuracy=None):
    inspection = start_round(
        db.session,
        inspector,
        site,
        uuid=str(uuid.uuid4()),
        latitude=latitude,
        longitude=longitude,
        accuracy=accuracy,
    )
    submit_round(
        db.session, inspector, inspection, at=inspection.started_at + timedelta(seconds=seconds)
    )
    db.session.commit()
    return inspection


def _codes(inspection) -> list[str]:
    return sorted(
        db.session.scalars(
            sa.select(InspectionFlag.code).where(InspectionFlag.inspection_id == inspection.id)
        )
    )


def test_a_submitted_round_is_flagged_both_ways_and_accepted(located_hall, make_user):
    site = located_hall
    inspector = make_user(roles=("inspector",), sites=[site])
    assert get_setting(db.session, SECONDS_PER_WINDOW_KEY) == 10
    hurried = _round(site, inspector, 39, CENTRE[0] + 0.03, CENTRE[1], 20)  # 4 windows: 40 s
    assert hurried.status == "submitted"  # flagged, not refused
    assert _codes(hurried) == ["far_from_site", "too_fast"]
    careful = _round(site, inspector, 40, CENTRE[0] + 0.001, CENTRE[1], 20)  # 111 m away
    assert _codes(careful) == []
    no_location = _round(site, inspector, 600)
    assert _codes(no_location) == []
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "inspection.flag", AuditEvent.entity_id == str(hurried.id)
        )
    ).all()
    assert sorted(e.after["code"] for e in events) == ["far_from_site", "too_fast"]


def test_sites_without_coordinates_are_not_checked_for_distance(make_hall, catalogue, make_user):
    site, windows, staff = make_hall(windows=1, per_window=1)
    inspector = make_user(roles=("inspector",), sites=[site])
    far = _round(site, inspector, 600, 39.9, 116.4, 10)  # Beijing
    assert _codes(far) == []


def test_the_thresholds_are_administrator_settings(located_hall, make_user, client_for):
    site = located_hall
    admin = client_for("admin")
    page = admin.get("/patrols/plausibility")
    assert page.status_code == 200
    bad = admin.post(
        "/patrols/plausibility", data={"seconds_per_window": -1, "max_distance_m": 500}
    )
    assert bad.status_code == 400
    saved = admin.post(
        "/patrols/plausibility", data={"seconds_per_window": 30, "max_distance_m": 0}
    )
    assert saved.status_code == 302
    assert get_setting(db.session, SECONDS_PER_WINDOW_KEY) == 30
    assert get_setting(db.session, MAX_DISTANCE_KEY) == 0
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "setting.update")
    )
    inspector = make_user(roles=("inspector",), sites=[site])
    slow_but_not_enough = _round(site, inspector, 100, 39.9, 116.4, 10)  # 4 x 30 s = 120 s
    assert _codes(slow_but_not_enough) == ["too_fast"]  # distance check switched off
    assert client_for("discipline").get("/patrols/plausibility").status_code == 403


def test_discipline_officers_see_the_flagged_rounds_with_the_reason(
    located_hall, make_user, client_for
):
    site = located_hall
    inspector = make_user(roles=("inspector",), sites=[site], display_name="督查快手")
    hurried = _round(site, inspector, 12)
    fine = _round(site, inspector, 300)
    for role in ("discipline", "leader", "admin"):
        reader = client_for(role)
        listed = reader.get("/inspections?flagged=1").get_data(as_text=True)
        assert f"/inspections/{hurried.id}" in listed and f"/inspections/{fine.id}" not in listed
        assert "4 个窗口仅用 12 秒（应至少 40 秒" in listed  # the reason, with its figures
        detail = reader.get(f"/inspections/{hurried.id}").get_data(as_text=True)
        assert 'class="card flagged"' in detail
        assert "督查快手" in reader.get("/dashboard").get_data(as_text=True)
    # An inspector reads the same inspections without the supervision signal.
    colleague = client_for("inspector", sites=[site])
    listed = colleague.get("/inspections?flagged=1").get_data(as_text=True)
    assert f"/inspections/{fine.id}" in listed  # the filter does not apply
    assert 'class="card flagged"' not in colleague.get(f"/inspections/{hurried.id}").get_data(
        as_text=True
    )
    officer = client_for("discipline")
    api = officer.get("/api/v1/inspections?flagged=true").json
    assert [i["id"] for i in api] == [hurried.id]
    detail = officer.get(f"/api/v1/inspections/{hurried.uuid}").json
    assert (
        detail["flags"][0]["code"] == "too_fast" and detail["flags"][0]["detail"]["seconds"] == 12
    )
    assert client_for("inspector").get(f"/api/v1/inspections/{hurried.uuid}").json["flags"] == []


def test_a_spot_check_is_judged_on_its_one_window(app, catalogue, make_hall, make_user):
    from compliance.timeutil import local_today
    from inspections.draws import create_draw
    from inspections.services import open_spot_check, sign_spot_check

    site, windows, staff = make_hall(windows=5, per_window=1)
    inspector = make_user(roles=("inspector",), sites=[site])
    draw = create_draw(
        db.session,
        None,
        title="t",
        target_kind="window",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[inspector.id],
        target_count=1,
        inspectors_per_target=1,
        day=local_today(),
    )
    check = db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)).one()
    member = open_spot_check(db.session, inspector, check)
    sign_spot_check(db.session, inspector, check, at=member.opened_at + timedelta(seconds=15))
    assert check.status == "submitted" and _codes(check) == []  # 15 s >= 1 window x 10 s
