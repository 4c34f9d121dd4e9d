"""The weekly shadow log reminder: one reminder to the mentor per missed week, however often
the job runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.notifications import Notification
from compliance.scheduler import run_job
from training.pairings import add_shadow_log, create_pairing

JOB = "training.shadow_log_reminders"


@pytest.fixture
def pairing(app, make_staff, user_for, today):
    mentor = make_staff(hired_on=today - timedelta(days=3000))
    mentee = make_staff(hired_on=today - timedelta(days=30))
    start = today - timedelta(days=21)  # three full weeks ago (a Monday or not)
    p = create_pairing(db.session, None, mentor, mentee, start, today=today)
    db.session.commit()
    return {"pairing": p, "mentor": user_for(mentor), "mentee": user_for(mentee), "start": start}


def _reminders(user):
    return db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "training.log_missing"
        )
    ).all()


def test_missed_week_reminds_the_mentor_once(app, pairing):
    start = pairing["start"]
    run_on = start + timedelta(days=8)  # day 2 of week 2: week 1 has passed without a log
    first = run_job(app, JOB, run_on)
    assert first.outcome == "success" and first.counts["reminded"] == 1
    assert run_job(app, JOB, run_on).counts["reminded"] == 0  # the same day again
    assert run_job(app, JOB, run_on + timedelta(days=1)).counts["reminded"] == 0  # next day
    (note,) = _reminders(pairing["mentor"])
    assert note.link == f"/training/pairings/{pairing['pairing'].id}"
    assert _reminders(pairing["mentee"]) == []


def test_a_log_in_the_week_means_no_reminder(app, pairing):
    start = pairing["start"]
    add_shadow_log(
        db.session,
        pairing["mentee"],
        pairing["pairing"],
        worked_on=start + timedelta(days=6),
        hours=2,
        practised="跟岗",
        today=start + timedelta(days=6),
    )
    db.session.commit()
    assert run_job(app, JOB, start + timedelta(days=7)).counts["reminded"] == 0
    # The following week passes without one: a new reminder for that week.
    assert run_job(app, JOB, start + timedelta(days=14)).counts["reminded"] == 1
    assert len(_reminders(pairing["mentor"])) == 1


def test_each_missed_week_gets_its_own_reminder(app, pairing):
    start = pairing["start"]
    run_job(app, JOB, start + timedelta(days=7))
    run_job(app, JOB, start + timedelta(days=10))
    run_job(app, JOB, start + timedelta(days=14))
    assert len(_reminders(pairing["mentor"])) == 2


def test_no_reminder_in_the_first_week_or_after_sign_off(app, pairing):
    start = pairing["start"]
    assert run_job(app, JOB, start + timedelta(days=6)).counts["reminded"] == 0
    p = db.session.get(type(pairing["pairing"]), pairing["pairing"].id)
    p.status = "signed_off"
    db.session.commit()
    assert run_job(app, JOB, start + timedelta(days=8)).counts["reminded"] == 0
