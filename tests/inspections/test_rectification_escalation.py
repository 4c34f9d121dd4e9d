"""The escalation job: a reminder the day before the deadline, overdue notices to the responsible
person and the supervisor, escalation to the site's discipline officers after 3 overdue days;
running it again for the same date changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.notifications.models import Notification
from compliance.scheduler import run_job
from inspections.rectification import services as svc
from inspections.rectification.models import RectificationEvent, WindowKeeper
from tests.inspections.rect_factories import MONDAY, make_finding, rect_for

JOB = "rectification.escalate"


@pytest.fixture
def scene(make_site, make_window, make_staff, make_user):
    site = make_site()
    other_site = make_site()
    window = make_window(site=site)
    member = make_staff(site=site, window=window)
    boss = make_staff(site=site)
    db.session.add(WindowKeeper(window_id=window.id, supervisor_staff_id=boss.id))
    db.session.commit()
    return {
        "site": site,
        "member": member,
        "staff_user": make_user(roles=("staff",), sites=[site], staff_member=member),
        "boss_user": make_user(roles=("staff",), sites=[site], staff_member=boss),
        "officer": make_user(roles=("discipline",), sites=[site]),
        "officer_all": make_user(roles=("discipline",), sites=None),
        "officer_elsewhere": make_user(roles=("discipline",), sites=[other_site]),
        "inspector": make_user(roles=("inspector",), sites=[site]),
    }


def notices(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def test_escalation_notifies_the_right_people_once_per_date(app, scene):
    finding = make_finding(
        site=scene["site"], staff=scene["member"], severity="minor", found_on=MONDAY
    )
    rect = rect_for(finding)
    assert rect.supervisor_staff_id is not None
    deadline = rect.deadline_on

    # The day before the deadline: a reminder to the responsible person only.
    run = run_job(app, JOB, deadline - timedelta(days=1))
    assert run.outcome == "success", run.error
    assert run.counts["reminded"] == 1
    assert len(notices(scene["staff_user"], "rectification.reminder")) == 1
    assert notices(scene["boss_user"]) == []
    again = run_job(app, JOB, deadline - timedelta(days=1))
    assert again.counts["notices"] == 0
    assert len(notices(scene["staff_user"], "rectification.reminder")) == 1

    # The deadline day itself: nothing.
    assert run_job(app, JOB, deadline).counts["notices"] == 0

    # First overdue day: the responsible person and the supervisor, not discipline.
    day1 = run_job(app, JOB, deadline + timedelta(days=1))
    assert day1.counts == {"reminded": 0, "overdue": 1, "escalated": 0, "notices": 2}
    assert len(notices(scene["staff_user"], "rectification.overdue")) == 1
    assert len(notices(scene["boss_user"], "rectification.overdue")) == 1
    assert notices(scene["officer"]) == []
    assert run_job(app, JOB, deadline + timedelta(days=1)).counts["notices"] == 0

    # After 3 overdue days: the site's discipline officers too (and only theirs).
    day3 = run_job(app, JOB, deadline + timedelta(days=3))
    assert day3.counts["escalated"] == 1
    assert len(notices(scene["officer"], "rectification.escalated")) == 1
    assert len(notices(scene["officer_all"], "rectification.escalated")) == 1
    assert notices(scene["officer_elsewhere"]) == []
    before = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    events_before = db.session.scalar(sa.select(sa.func.count(RectificationEvent.id)))
    rerun = run_job(app, JOB, deadline + timedelta(days=3))
    assert rerun.outcome == "success" and rerun.counts["notices"] == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == before
    assert db.session.scalar(sa.select(sa.func.count(RectificationEvent.id))) == events_before

    # A later day does not escalate to discipline again for the same deadline.
    day4 = run_job(app, JOB, deadline + timedelta(days=4))
    assert day4.counts["escalated"] == 0 and day4.counts["overdue"] == 1
    assert len(notices(scene["officer"], "rectification.escalated")) == 1

    # The timeline shows the reminder, the overdue notice and the escalation once each.
    kinds = [e.kind for e in rect_for(finding).events]
    assert kinds.count("reminded") == 1
    assert kinds.count("overdue") == 1
    assert kinds.count("escalated") == 1


def test_closed_rectifications_are_not_escalated(app, scene):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY))
    with app.test_request_context():
        svc.respond(db.session, scene["staff_user"], rect, "done")
        svc.verify(db.session, scene["inspector"], rect)
    db.session.commit()
    run = run_job(app, "rectification.escalate", rect.deadline_on + timedelta(days=5))
    assert run.counts["notices"] == 0


def test_overdue_counts_while_a_response_waits_for_verification(app, scene):
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY))
    with app.test_request_context():
        svc.respond(db.session, scene["staff_user"], rect, "done")
    db.session.commit()
    assert rect_for(rect.finding_id).overdue_days(rect.deadline_on + timedelta(days=2)) == 2
    run = run_job(app, "rectification.escalate", rect.deadline_on + timedelta(days=2))
    assert run.counts["overdue"] == 1


def test_escalation_threshold_is_a_setting(app, scene, make_user):
    from compliance.settings import set_setting

    set_setting(db.session, make_user(roles=("admin",)), svc.ESCALATE_KEY, 1)
    db.session.commit()
    rect = rect_for(make_finding(site=scene["site"], staff=scene["member"], found_on=MONDAY))
    run = run_job(app, "rectification.escalate", rect.deadline_on + timedelta(days=1))
    assert run.counts["escalated"] == 1
