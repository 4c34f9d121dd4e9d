"""Repeat offences: findings per staff member in a rolling 90-day window step up a ladder
(1 reminder, 2 written notice, 3+ formal-talk candidate flagged to discipline officers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.notifications.models import Notification
from compliance.settings import set_setting
from inspections.rectification import services as svc
from tests.inspections.rect_factories import MONDAY, make_finding, rect_for


@pytest.fixture
def scene(make_site, make_staff, make_user):
    site = make_site()
    member = make_staff(site=site)
    return {
        "site": site,
        "member": member,
        "staff_user": make_user(roles=("staff",), sites=[site], staff_member=member),
        "officer": make_user(roles=("discipline",), sites=[site]),
        "other_officer": make_user(roles=("discipline",), sites=[make_site()]),
    }


def _kinds(user):
    return db.session.scalars(
        sa.select(Notification.title).where(
            Notification.user_id == user.id, Notification.kind == "rectification.ladder"
        )
    ).all()


def test_ladder_steps_up_with_findings_in_the_window(app, scene):
    levels = []
    for i in range(4):
        f = make_finding(
            site=scene["site"], staff=scene["member"], found_on=MONDAY + timedelta(days=i)
        )
        levels.append(rect_for(f).offence_level)
    assert levels == ["reminder", "written_notice", "talk", "talk"]
    # Discipline officers of the site are told once, not for every further finding.
    assert len(_kinds(scene["officer"])) == 1
    assert _kinds(scene["other_officer"]) == []
    assert len(_kinds(scene["staff_user"])) == 2  # the reminder and the written notice


def test_findings_older_than_the_window_do_not_count(app, scene):
    make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY - timedelta(days=120))
    make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY - timedelta(days=100))
    f = make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY)
    assert rect_for(f).offence_level == "reminder"
    counts = svc.offence_counts(db.session, MONDAY, [scene["member"].id])
    assert counts[scene["member"].id] == 1
    # The window's last day still counts (89 days back, inclusive window of 90).
    make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY - timedelta(days=89))
    assert svc.offence_counts(db.session, MONDAY, [scene["member"].id])[scene["member"].id] == 2


def test_thresholds_are_settings(app, scene, make_user):
    set_setting(
        db.session,
        make_user(roles=("admin",)),
        svc.THRESHOLDS_KEY,
        {"reminder": 1, "written_notice": 3, "talk": 5},
    )
    db.session.commit()
    levels = [
        rect_for(
            make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY)
        ).offence_level
        for _ in range(3)
    ]
    assert levels == ["reminder", "reminder", "written_notice"]


def test_discipline_officers_see_the_flagged_list(app, scene, client_for, make_staff):
    calm = make_staff(site=scene["site"], name="安静")
    make_finding(site=scene["site"], staff=calm)
    for _ in range(3):
        make_finding(site=scene["site"], staff=scene["member"])
    c = client_for("discipline", sites=[scene["site"]])
    page = c.get("/rectifications/flagged")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert scene["member"].name in html and 'data-level="talk"' in html
    assert "安静" not in html  # one finding: below the written-notice step
    elsewhere = client_for("discipline", sites=[scene["officer"] and _other_site(scene)])
    assert scene["member"].name not in elsewhere.get("/rectifications/flagged").get_data(
        as_text=True
    )
    staff_client = client_for("staff", sites=[scene["site"]])
    assert staff_client.get("/rectifications/flagged").status_code == 403


def _other_site(scene):
    from compliance.models import Site

    return db.session.scalar(sa.select(Site).where(Site.id != scene["site"].id).limit(1))


def test_staff_page_shows_the_ladder_step(app, scene, login):
    for _ in range(2):
        make_finding(site=scene["site"], staff=scene["member"])
    c = app.test_client()
    login(c, scene["staff_user"])
    html = c.get("/rectifications/mine", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Written notice" in html or "书面提醒" in html
