"""Mentor pairing: ranked suggestions with reasons, pairing rules, shadow logs written by
mentor or mentee, confirmation, assessment, HR sign-off, extension and early end."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.domain import DomainError
from compliance.models import AuditEvent, Conflict
from compliance.settings import set_setting
from training.models import MentorPairing, ShadowLog
from training.pairings import (
    add_shadow_log,
    approve_sign_off,
    assess_pairing,
    confirm_shadow_log,
    create_pairing,
    end_pairing,
    extend_pairing,
    suggest_mentors,
)
from training.services import is_new_staff


@pytest.fixture
def hall(make_site, make_post, make_window, make_staff, today):
    """A site with a post held at two windows; a new hire at window A."""
    site = make_site()
    post, other_post = make_post(name="综合受理"), make_post(name="收费")
    win_a, win_b = make_window(site=site, code="A01"), make_window(site=site, code="A02")
    old = today - timedelta(days=5 * 365)
    return {
        "site": site,
        "post": post,
        "mentee": make_staff(
            site=site, post=post, window=win_a, name="新人", hired_on=today - timedelta(days=10)
        ),
        "same_window": make_staff(
            site=site,
            post=post,
            window=win_a,
            name="同窗口",
            hired_on=old,
            started_on=today - timedelta(days=2 * 365),
        ),
        "same_post": make_staff(
            site=site,
            post=post,
            window=win_b,
            name="同岗位",
            hired_on=old,
            started_on=today - timedelta(days=4 * 365),
        ),
        "other_post": make_staff(
            site=site, post=other_post, name="别的岗位", hired_on=old, started_on=old
        ),
        "newcomer": make_staff(
            site=site, post=post, name="也是新人", hired_on=today - timedelta(days=30)
        ),
    }


def _names(suggestions):
    return [s.staff.name for s in suggestions]


def test_suggestions_rank_by_fit_and_explain_it(app, hall, today):
    ranked = suggest_mentors(db.session, hall["mentee"], today=today)
    assert _names(ranked) == ["同窗口", "同岗位", "别的岗位"]  # new staff are not suggested
    top = ranked[0]
    msgids = [m for m, _p in top.reasons]
    assert any("same post" in m for m in msgids)
    assert any("same window" in m for m in msgids)
    assert any("no open major findings" in m for m in msgids)
    assert all(s.eligible for s in ranked)


def _finding(staff, severity="major", days_ago=5):
    from inspections.models import Finding

    f = Finding(
        category="conduct",
        target="staff",
        site_id=staff.site_id,
        staff_member_id=staff.id,
        severity=severity,
        description="服务态度生硬",
        found_at=utcnow() - timedelta(days=days_ago),
    )
    db.session.add(f)
    db.session.commit()
    return f


def test_open_major_findings_lower_the_rank_until_rectified(app, hall, today):
    finding = _finding(hall["same_window"])
    _finding(hall["same_post"], severity="minor")  # minor findings do not count
    _finding(hall["same_post"], days_ago=120)  # too old to count
    ranked = suggest_mentors(db.session, hall["mentee"], today=today)
    assert _names(ranked)[0] == "同岗位"
    penalised = next(s for s in ranked if s.staff.name == "同窗口")
    assert penalised.open_findings == 1
    assert any("open findings" in m for m, _p in penalised.reasons)

    from inspections.rectification.models import Rectification

    db.session.add(
        Rectification(
            finding_id=finding.id,
            site_id=finding.site_id,
            category="conduct",
            severity="major",
            title="整改",
            status="verified",
            opened_on=today,
            first_deadline_on=today,
            deadline_on=today,
        )
    )
    db.session.commit()
    assert _names(suggest_mentors(db.session, hall["mentee"], today=today))[0] == "同窗口"


def test_mentor_at_the_limit_is_not_eligible_and_cannot_be_paired(app, hall, make_staff, today):
    mentor = hall["same_window"]
    for _ in range(2):
        create_pairing(db.session, None, mentor, make_staff(hired_on=today), today, today=today)
    db.session.commit()
    ranked = suggest_mentors(db.session, hall["mentee"], today=today)
    assert _names(ranked)[-1] == "同窗口" and not ranked[-1].eligible
    with pytest.raises(DomainError, match="limit 2"):
        create_pairing(db.session, None, mentor, hall["mentee"], today, today=today)
    db.session.rollback()
    set_setting(db.session, None, "training.max_mentees", 3)
    create_pairing(db.session, None, mentor, hall["mentee"], today, today=today)


def test_conflict_of_interest_excludes_a_mentor(app, hall, today):
    a, b = sorted([hall["mentee"].id, hall["same_window"].id])
    db.session.add(Conflict(staff_a_id=a, staff_b_id=b, reason="亲属"))
    db.session.commit()
    ranked = suggest_mentors(db.session, hall["mentee"], today=today)
    assert not next(s for s in ranked if s.staff.name == "同窗口").eligible
    with pytest.raises(DomainError, match="conflict of interest"):
        create_pairing(db.session, None, hall["same_window"], hall["mentee"], today, today=today)


def test_new_staff_cannot_mentor_and_weeks_default_to_twelve(app, hall, today):
    with pytest.raises(DomainError, match="new staff"):
        create_pairing(db.session, None, hall["newcomer"], hall["mentee"], today, today=today)
    pairing = create_pairing(
        db.session, None, hall["same_window"], hall["mentee"], today, today=today
    )
    assert pairing.ends_on == today + timedelta(weeks=12, days=-1)
    assert pairing.post_id == hall["post"].id


@pytest.fixture
def paired(app, hall, user_for, today):
    start = today - timedelta(days=20)
    pairing = create_pairing(
        db.session, None, hall["same_window"], hall["mentee"], start, today=today
    )
    db.session.commit()
    return {
        "pairing": pairing,
        "mentor": user_for(hall["same_window"]),
        "mentee": user_for(hall["mentee"]),
        "hall": hall,
        "start": start,
    }


def test_mentee_log_waits_for_the_mentor(app, paired, today):
    p = paired["pairing"]
    log = add_shadow_log(
        db.session,
        paired["mentee"],
        p,
        worked_on=today - timedelta(days=1),
        hours="4",
        practised="受理社保业务",
        mentor_comment="自己写的评语",
        today=today,
    )
    assert log.author_role == "mentee" and not log.is_confirmed
    assert log.mentor_comment is None  # the mentee cannot write the mentor's comment
    with pytest.raises(DomainError, match="Only the mentor"):
        confirm_shadow_log(db.session, paired["mentee"], log)
    confirm_shadow_log(db.session, paired["mentor"], log, "操作规范")
    assert log.is_confirmed and log.mentor_comment == "操作规范"
    with pytest.raises(DomainError, match="already confirmed"):
        confirm_shadow_log(db.session, paired["mentor"], log)


def test_mentor_log_is_confirmed_at_once(app, paired, today):
    log = add_shadow_log(
        db.session,
        paired["mentor"],
        paired["pairing"],
        worked_on=today,
        hours=6,
        practised="一次性告知",
        mentor_comment="很好",
        today=today,
    )
    assert log.is_confirmed and log.mentor_comment == "很好"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"worked_on_days": 1}, "future"),
        ({"worked_on_days": -30}, "outside the pairing"),
        ({"hours": "0"}, "between 0.5 and 12"),
        ({"hours": "x"}, "must be a number"),
        ({"practised": "  "}, "what was practised"),
    ],
)
def test_bad_logs_are_refused(app, paired, today, kwargs, message):
    with pytest.raises(DomainError, match=message):
        add_shadow_log(
            db.session,
            paired["mentor"],
            paired["pairing"],
            worked_on=today + timedelta(days=kwargs.get("worked_on_days", 0)),
            hours=kwargs.get("hours", "2"),
            practised=kwargs.get("practised", "学习"),
            today=today,
        )


def test_outsiders_cannot_write_logs(app, paired, make_user, today):
    with pytest.raises(DomainError, match="Only the mentor or the mentee"):
        add_shadow_log(
            db.session,
            make_user(roles=("hr",)),
            paired["pairing"],
            worked_on=today,
            hours=2,
            practised="学习",
            today=today,
        )


def test_sign_off_needs_the_mentor_then_hr(app, paired, make_user, today):
    p = paired["pairing"]
    hr = make_user(roles=("hr",))
    mentee_id = p.mentee_id
    add_shadow_log(
        db.session, paired["mentee"], p, worked_on=today, hours=3, practised="跟岗", today=today
    )
    with pytest.raises(DomainError, match="has not assessed"):
        approve_sign_off(db.session, hr, p)
    with pytest.raises(DomainError, match="Only the mentor"):
        assess_pairing(db.session, paired["mentee"], p, "ready")
    with pytest.raises(DomainError, match="pending shadow logs"):
        assess_pairing(db.session, paired["mentor"], p, "ready")
    with pytest.raises(DomainError, match="why more time"):
        assess_pairing(db.session, paired["mentor"], p, "needs_more_time", "")
    assess_pairing(db.session, paired["mentor"], p, "needs_more_time", "收费业务还不熟练")
    assert p.status == "active" and p.assessment == "needs_more_time"
    for log in db.session.scalars(sa.select(ShadowLog)):
        confirm_shadow_log(db.session, paired["mentor"], log)
    assess_pairing(db.session, paired["mentor"], p, "ready", "可以独立上岗")
    assert p.status == "assessed"
    with pytest.raises(DomainError, match="cannot approve their own"):
        approve_sign_off(db.session, paired["mentor"], p)
    assert is_new_staff(db.session, mentee_id)
    approve_sign_off(db.session, hr, p, today=today)
    db.session.commit()
    assert p.status == "signed_off" and p.signed_off_on == today and p.approved_by_id == hr.id
    assert not is_new_staff(db.session, mentee_id)
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {
        "shadow_log.create",
        "shadow_log.confirm",
        "mentor_pairing.assess",
        "mentor_pairing.sign_off",
    } <= actions


def test_extend_sends_back_and_end_early_closes(app, paired, make_user, today):
    p = paired["pairing"]
    hr = make_user(roles=("hr",))
    ends = p.ends_on
    assess_pairing(db.session, paired["mentor"], p, "ready")
    extend_pairing(db.session, hr, p, 4, "需要再跟岗一个月")
    assert p.ends_on == ends + timedelta(weeks=4) and p.status == "active"
    with pytest.raises(DomainError, match="reason"):
        end_pairing(db.session, hr, p, " ")
    end_pairing(db.session, hr, p, "导师调岗", today=today)
    assert p.status == "ended" and p.ended_on == today
    with pytest.raises(DomainError, match="closed"):
        add_shadow_log(
            db.session, paired["mentor"], p, worked_on=today, hours=2, practised="学习", today=today
        )
    # An ended pairing frees the mentee for a new one.
    assert (
        create_pairing(
            db.session,
            hr,
            paired["hall"]["same_post"],
            paired["hall"]["mentee"],
            today,
            today=today,
        ).status
        == "active"
    )
    assert db.session.scalar(sa.select(sa.func.count(MentorPairing.id))) == 2
