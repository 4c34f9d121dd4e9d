"""What inspections send to a site's WeCom / DingTalk groups: overdue and escalated
rectifications, missing patrols, published draws and the daily summary; each once per event,
after the in-app notifications, and only to groups that asked for it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import Site
from compliance.notifications.channels.models import GroupSend
from compliance.notifications.channels.services import create_channel
from compliance.notifications.models import Notification
from compliance.scheduler import run_job
from compliance.timeutil import local_today
from inspections.draws import create_draw, publish_draw
from inspections.models import Inspection, PatrolPlan
from inspections.rectification.models import WindowKeeper
from inspections.services.spot_checks import sign_spot_check
from tests.inspections.rect_factories import MONDAY, make_finding, rect_for
from tests.notifications.robot_server import robot_fixture  # noqa: F401  (fixture)

ALL_EVENTS = [
    "rectification.overdue",
    "rectification.escalated",
    "rectification.daily_summary",
    "patrol.missing",
    "draw.published",
]


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",))


def add_group(admin, site, robot, events=ALL_EVENTS, key="k" * 20, include_children=True):
    channel = create_channel(
        db.session,
        admin,
        site=site,
        kind="wecom",
        name=f"{site.name}工作群",
        webhook=robot.wecom_url(key),
        events=events,
        include_children=include_children,
    )
    db.session.commit()
    return channel


def sends(event=None) -> list[GroupSend]:
    db.session.expire_all()
    query = sa.select(GroupSend).order_by(GroupSend.id)
    if event:
        query = query.where(GroupSend.event == event)
    return list(db.session.scalars(query))


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    centre = make_site(name="大面便民服务中心")
    hall = make_site(name="大面片区中心", parent=centre)
    window = make_window(site=hall)
    member = make_staff(site=hall, window=window, name="王小明")
    boss = make_staff(site=hall)
    db.session.add(WindowKeeper(window_id=window.id, supervisor_staff_id=boss.id))
    db.session.commit()
    make_user(roles=("staff",), sites=[hall], staff_member=member)
    officer = make_user(roles=("discipline",), sites=[hall])
    return {"centre": centre, "hall": hall, "member": member, "officer": officer}


def test_overdue_and_escalated_rectifications_reach_the_sites_groups_once_a_day(
    app, scene, admin, robot
):
    hall_group = add_group(admin, scene["hall"], robot)
    centre_group = add_group(admin, scene["centre"], robot, key="c" * 20)
    only_escalations = add_group(
        admin, scene["hall"], robot, events=["rectification.escalated"], key="e" * 20
    )
    rect = rect_for(
        make_finding(site=scene["hall"], staff=scene["member"], found_on=MONDAY, severity="minor")
    )
    day1 = rect.deadline_on + timedelta(days=1)
    run_job(app, "rectification.escalate", day1)
    overdue = sends("rectification.overdue")
    assert {s.channel_id for s in overdue} == {hall_group.id, centre_group.id}
    assert sends("rectification.escalated") == []
    text = overdue[0].text
    assert "大面片区中心：1 项整改已逾期" in text
    assert "王小明" in text and "逾期 1 天" in text
    assert f"https://dc.example.gov.cn/rectifications/{rect.id}" in text
    run_job(app, "rectification.escalate", day1)  # the same day again: nothing new
    assert len(sends("rectification.overdue")) == 2

    day3 = rect.deadline_on + timedelta(days=3)
    run_job(app, "rectification.escalate", day3)
    escalated = sends("rectification.escalated")
    assert {s.channel_id for s in escalated} == {
        hall_group.id,
        centre_group.id,
        only_escalations.id,
    }
    assert "1 项整改已上报纪检" in escalated[0].text
    # The officers had their in-app notice first; the group notice does not replace it.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == scene["officer"].id,
                Notification.kind == "rectification.escalated",
            )
        )
        == 1
    )
    # A later overdue day lists it again as overdue but does not announce a new escalation.
    run_job(app, "rectification.escalate", day3 + timedelta(days=1))
    assert len(sends("rectification.escalated")) == 3
    assert len(sends("rectification.overdue")) == 6  # hall + centre, three overdue days

    run = run_job(app, "notifications.send_group", local_today())
    assert run.outcome == "success", run.error
    assert robot.rejected == []
    assert len(robot.received) == 9  # the test runs days ago: not expired (24 h from queueing)


def test_a_group_without_sub_sites_hears_nothing_of_its_halls(app, scene, admin, robot):
    add_group(admin, scene["centre"], robot, include_children=False)
    rect = rect_for(make_finding(site=scene["hall"], staff=scene["member"], found_on=MONDAY))
    run_job(app, "rectification.escalate", rect.deadline_on + timedelta(days=5))
    assert sends() == []


def test_missing_patrol_rounds_go_to_the_group_after_the_inspectors_notice(
    app, make_site, make_user, admin, robot
):
    site = make_site(name="南坪社区驿站")
    db.session.add(PatrolPlan(site_id=site.id, rounds_per_day=2))
    db.session.commit()
    inspector = make_user(roles=("inspector",), sites=[site])
    add_group(admin, site, robot)
    thursday = date(2026, 11, 26)
    run = run_job(app, "inspections.patrol_missing", thursday)
    assert run.counts == {"sites_due": 1, "notified": 1}
    [send] = sends("patrol.missing")
    assert "南坪社区驿站：今日巡查未完成" in send.text
    assert "计划巡查 2 次，已完成 0 次" in send.text
    assert f"/patrols?site={site.id}" in send.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == inspector.id)
        )
        == 1
    )
    run_job(app, "inspections.patrol_missing", thursday)
    assert len(sends("patrol.missing")) == 1


def test_a_published_draw_is_announced_to_its_sites_groups(
    app, catalogue, make_hall, make_user, admin, robot
):
    site, windows, staff = make_hall(windows=4, per_window=1)
    inspectors = [make_user(roles=("inspector",), sites=[site]) for _ in range(3)]
    officer = make_user(roles=("discipline",))
    group = add_group(admin, site, robot)
    draw = create_draw(
        db.session,
        officer,
        title="十一月窗口抽查",
        target_kind="window",
        site_ids=[site.id],
        post_ids=None,
        inspector_ids=[u.id for u in inspectors],
        target_count=2,
        inspectors_per_target=2,
        day=local_today(),
    )
    db.session.commit()
    assert sends() == []  # a draw is only announced when published
    team = {entry["target"]: entry["inspectors"] for entry in draw.result}
    for check in db.session.scalars(sa.select(Inspection).where(Inspection.draw_id == draw.id)):
        # Both drawn inspectors sign; the second signature submits the check.
        for user_id in team[check.target_window_id]:
            drawn = next(u for u in inspectors if u.id == user_id)
            sign_spot_check(db.session, drawn, check)
    publish_draw(db.session, officer, draw)
    db.session.commit()
    [send] = sends("draw.published")
    assert send.channel_id == group.id and send.entity_type == "Draw"
    assert "抽查结果公开：十一月窗口抽查" in send.text
    assert "抽取 2 个对象" in send.text
    assert f"https://dc.example.gov.cn/spot-checks/published/{draw.id}" in send.text


def test_the_daily_summary_counts_open_rectifications_per_group(
    app, scene, admin, robot, make_site
):
    group = add_group(admin, scene["centre"], robot)
    quiet_site = make_site(name="无整改的驿站")
    quiet = add_group(admin, quiet_site, robot, key="q" * 20)
    late = rect_for(make_finding(site=scene["hall"], staff=scene["member"], found_on=MONDAY))
    make_finding(site=scene["hall"], staff=scene["member"], found_on=late.deadline_on)
    day = late.deadline_on + timedelta(days=2)
    run = run_job(app, "notifications.group_summary", day)
    assert run.counts == {"queued": 1}
    [send] = sends("rectification.daily_summary")
    assert send.channel_id == group.id
    assert f"大面便民服务中心：{day.isoformat()} 未办结整改汇总" in send.text
    assert "未办结 2 项（待整改 2，待复查 0）；已逾期 1 项。" in send.text
    assert "逾期最久" in send.text and "逾期 2 天" in send.text
    assert run_job(app, "notifications.group_summary", day).counts == {"queued": 0}
    assert not [s for s in sends() if s.channel_id == quiet.id]


def test_nothing_is_queued_for_a_site_without_a_group(app, scene):
    rect = rect_for(make_finding(site=scene["hall"], staff=scene["member"], found_on=MONDAY))
    run_job(app, "rectification.escalate", rect.deadline_on + timedelta(days=4))
    run_job(app, "notifications.group_summary", rect.deadline_on)
    assert sends() == []
    assert db.session.scalar(sa.select(sa.func.count(Site.id))) >= 2
