"""Group notices against a loopback robot that plays WeCom and DingTalk: delivery as markdown
with links, DingTalk's signature, retries with backoff on errcode / HTTP 500 / timeouts, a
record of every attempt, in-app notifications that never depend on the group, and integrity
cases that never reach a group."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.notifications import Notification, notify
from compliance.notifications.channels import enqueue_group_notice, mark_confidential
from compliance.notifications.channels.models import GroupSend
from compliance.notifications.channels.sender import MAX_ATTEMPTS, build_request, dingtalk_sign
from compliance.notifications.channels.services import create_channel, queue_send
from compliance.scheduler import run_job
from compliance.timeutil import local_today

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
WECOM_KEY = "wk-0d5c8a71-3f2b-4c9e-9a4b-7e6f5d4c3b2a"
DING_TOKEN = "dt7f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",))


@pytest.fixture
def groups(app, robot, make_site, admin):
    """A site with a WeCom group and a signed DingTalk group, both taking missing patrols."""
    site = make_site(name="大面便民服务中心")
    robot.secrets[DING_TOKEN] = SECRET
    wecom = create_channel(
        db.session,
        admin,
        site=site,
        kind="wecom",
        name="大面窗口工作群",
        webhook=robot.wecom_url(WECOM_KEY),
        events=["patrol.missing"],
    )
    ding = create_channel(
        db.session,
        admin,
        site=site,
        kind="dingtalk",
        name="大面督查钉钉群",
        webhook=robot.dingtalk_url(DING_TOKEN),
        secret=SECRET,
        events=["patrol.missing"],
    )
    db.session.commit()
    return {"site": site, "wecom": wecom, "ding": ding}


def send_now(app):
    return run_job(app, "notifications.send_group", local_today())


def queue(site, key="k1", title="巡查未完成", body="计划 2 次，完成 0 次。"):
    n = enqueue_group_notice(
        db.session,
        site_id=site.id,
        event="patrol.missing",
        title=title,
        body=body,
        link=f"/patrols?site={site.id}",
        dedupe_key=key,
    )
    db.session.commit()
    return n


def sends() -> list[GroupSend]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(GroupSend).order_by(GroupSend.id)))


def fast_forward() -> None:
    """Make every waiting retry due now (as if its backoff had passed)."""
    db.session.execute(
        sa.update(GroupSend)
        .where(GroupSend.status == "pending")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_dingtalk_signature_follows_the_documented_recipe():
    # timestamp + "\n" + secret, HMAC-SHA256 keyed with the secret, base64, then URL-encoded
    # (the robot server checks the same independently).
    sign = dingtalk_sign("SECabc", 1700000000000)
    assert sign == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"
    url, body = build_request(
        "dingtalk", "https://x/robot/send?access_token=t", "SECabc", "T", "x", 1
    )
    assert url.startswith("https://x/robot/send?access_token=t&timestamp=1&sign=")
    assert body == {"msgtype": "markdown", "markdown": {"title": "T", "text": "x"}}


def test_a_notice_reaches_both_groups_as_markdown_with_a_link(app, robot, groups):
    assert queue(groups["site"]) == 2
    run = send_now(app)
    assert run.outcome == "success", run.error
    assert run.counts["sent"] == 2
    assert robot.rejected == []
    by_kind = {r.kind: r for r in robot.received}
    assert set(by_kind) == {"wecom", "dingtalk"}
    assert by_kind["wecom"].token == WECOM_KEY
    assert by_kind["dingtalk"].signature_ok is True
    assert by_kind["dingtalk"].body["markdown"]["title"] == "巡查未完成"
    for text in robot.texts():
        assert text.startswith("#### 【窗口督查】巡查未完成")
        assert "计划 2 次，完成 0 次。" in text
        assert f"[在系统中查看](https://dc.example.gov.cn/patrols?site={groups['site'].id})" in text
    for send in sends():
        assert (send.status, send.attempts, send.http_status, send.errcode) == ("sent", 1, 200, 0)
        assert send.sent_at is not None and len(send.attempt_log) == 1
    # Sent once: a second run and a second enqueue of the same event send nothing more.
    assert queue(groups["site"]) == 0
    assert send_now(app).counts.get("sent", 0) == 0
    assert len(robot.received) == 2


def test_a_robot_error_is_retried_after_a_delay_and_every_attempt_is_recorded(app, robot, groups):
    robot.answer_next(WECOM_KEY, ("errcode", 45009))  # WeCom: API rate limit exceeded
    queue(groups["site"])
    first = send_now(app)
    assert first.counts["sent"] == 1 and first.counts["retrying"] == 1
    wecom = next(s for s in sends() if s.channel_id == groups["wecom"].id)
    assert (wecom.status, wecom.attempts, wecom.errcode) == ("pending", 1, 45009)
    assert "errcode 45009" in wecom.error
    assert wecom.next_attempt_at > utcnow() + timedelta(seconds=30)  # backoff, not at once
    # Not due yet: the next run leaves it alone.
    send_now(app)
    assert len([r for r in robot.received if r.kind == "wecom"]) == 1
    fast_forward()
    assert send_now(app).counts["sent"] == 1
    wecom = next(s for s in sends() if s.channel_id == groups["wecom"].id)
    assert (wecom.status, wecom.attempts, wecom.errcode, wecom.error) == ("sent", 2, 0, None)
    assert [a["errcode"] for a in wecom.attempt_log] == [45009, 0]


def test_http_500_and_timeouts_fail_after_the_last_attempt_and_say_why(app, robot, groups):
    robot.stall = 1.0  # longer than the app's 0.5 s timeout
    robot.answer_next(WECOM_KEY, *["http500"] * MAX_ATTEMPTS)
    robot.answer_next(DING_TOKEN, *["timeout"] * MAX_ATTEMPTS)
    queue(groups["site"])
    for _ in range(MAX_ATTEMPTS):
        run = send_now(app)
        assert run.outcome == "success", run.error
        fast_forward()
    wecom, ding = sorted(sends(), key=lambda s: s.channel_id)
    assert (wecom.status, wecom.attempts, wecom.http_status) == ("failed", MAX_ATTEMPTS, 500)
    assert wecom.error.startswith("HTTP 500")
    assert (ding.status, ding.attempts, ding.http_status) == ("failed", MAX_ATTEMPTS, None)
    assert "no answer within 0.5 s" in ding.error
    assert len(ding.attempt_log) == MAX_ATTEMPTS
    # Given up: later runs do not call the robots again.
    calls = len(robot.received)
    send_now(app)
    assert len(robot.received) == calls


def test_an_answer_that_is_not_the_robots_json_is_a_failure(app, robot, groups):
    robot.answer_next(WECOM_KEY, "garbage")
    queue(groups["site"])
    send_now(app)
    wecom = next(s for s in sends() if s.channel_id == groups["wecom"].id)
    assert wecom.status == "pending" and "unexpected answer" in wecom.error


def test_a_redirect_is_not_followed(app, robot, groups):
    robot.answer_next(WECOM_KEY, "redirect")
    queue(groups["site"])
    send_now(app)
    wecom = next(s for s in sends() if s.channel_id == groups["wecom"].id)
    assert wecom.status == "pending" and wecom.http_status == 307
    assert robot.rejected == []  # nothing asked for /internal/admin


def test_a_wrong_dingtalk_secret_is_refused_by_the_robot_and_recorded(app, robot, groups):
    robot.secrets[DING_TOKEN] = "SECsomething-else-entirely-0000000000"
    queue(groups["site"])
    send_now(app)
    ding = next(s for s in sends() if s.channel_id == groups["ding"].id)
    assert ding.errcode == 310000 and ding.status == "pending"
    assert robot.rejected == [f"bad signature for {DING_TOKEN}"]


def test_the_in_app_notification_exists_whatever_the_group_answers(app, robot, groups, make_user):
    inspector = make_user(roles=("inspector",), sites=[groups["site"]])
    robot.answer_next(WECOM_KEY, "http500")
    robot.answer_next(DING_TOKEN, "timeout")
    notify(db.session, inspector, "patrol_missing", "大面：今日巡查未完成")
    queue(groups["site"])
    send_now(app)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == inspector.id)
        )
        == 1
    )
    assert {s.status for s in sends()} == {"pending"}


def test_a_broken_group_queue_never_undoes_the_in_app_notification(
    app, groups, make_user, monkeypatch, caplog
):
    from compliance.notifications.channels import services

    inspector = make_user(roles=("inspector",), sites=[groups["site"]])
    notify(db.session, inspector, "patrol_missing", "大面：今日巡查未完成")

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(services, "channels_for", broken)
    with caplog.at_level(logging.ERROR):
        assert queue(groups["site"]) == 0
    assert "not queued" in caplog.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == inspector.id)
        )
        == 1
    )


def test_integrity_cases_never_reach_a_group(app, robot, groups, admin):
    site = groups["site"]
    for channel in (groups["wecom"], groups["ding"]):
        channel.events = ["patrol.missing", "rectification.escalated"]
    db.session.commit()

    class IntegrityCase:  # the discipline module's case, as far as the guard can tell
        pass

    class Lead:
        __confidential__ = True

    for event, entity in (
        ("integrity.case_registered", None),
        ("integrity.case_overdue", None),
        ("rectification.escalated", IntegrityCase()),
        ("rectification.escalated", Lead()),
    ):
        n = enqueue_group_notice(
            db.session,
            site_id=site.id,
            event=event,
            title="吃拿卡要线索",
            body="被反映人：王某",
            link="/integrity/cases/1",
            entity=entity,
            dedupe_key=f"leak:{event}:{type(entity).__name__}",
        )
        assert n == 0
    mark_confidential("ConfidentialThing")
    # A row that got into the queue anyway (a bug elsewhere) is refused by the sender too.
    for entity_type in ("IntegrityCase", "ConfidentialThing"):
        queue_send(
            db.session,
            groups["wecom"],
            event="rectification.escalated",
            title="吃拿卡要线索",
            text="被反映人：王某",
            dedupe_key=f"forged:{entity_type}",
            site_id=site.id,
            entity_type=entity_type,
            entity_id="1",
        )
    db.session.commit()
    send_now(app)
    assert robot.received == []
    forged = sends()
    assert [s.status for s in forged] == ["failed", "failed"]
    assert all("confidential" in s.error for s in forged)


def test_secrets_never_appear_in_logs_or_records(app, robot, groups, caplog):
    robot.answer_next(WECOM_KEY, "http500")
    robot.answer_next(DING_TOKEN, ("errcode", 300001))
    with caplog.at_level(logging.DEBUG):
        queue(groups["site"])
        send_now(app)
    stored = " ".join(f"{s.error} {s.attempt_log} {s.text}" for s in sends())
    for secret in (WECOM_KEY, DING_TOKEN, SECRET):
        assert secret not in caplog.text
        assert secret not in stored
    raw = db.session.execute(sa.text("SELECT webhook_enc, secret_enc FROM group_channel")).all()
    assert all(WECOM_KEY not in str(r) and DING_TOKEN not in str(r) for r in raw)
    assert all(SECRET not in str(r) for r in raw)


def test_a_channel_switched_off_gets_nothing_and_its_queue_is_skipped(app, robot, groups):
    queue(groups["site"])
    groups["wecom"].is_active = False
    db.session.commit()
    send_now(app)
    assert [r.kind for r in robot.received] == ["dingtalk"]
    wecom = next(s for s in sends() if s.channel_id == groups["wecom"].id)
    assert wecom.status == "skipped"


def test_stale_news_expires_instead_of_flooding_the_group(app, robot, groups):
    queue(groups["site"])
    db.session.execute(sa.update(GroupSend).values(next_attempt_at=utcnow() - timedelta(hours=30)))
    db.session.commit()
    run = send_now(app)
    assert run.counts["expired"] == 2
    assert robot.received == []


def test_a_robot_that_does_not_answer_is_not_called_again_in_the_same_run(app, robot, groups):
    robot.stall = 1.0
    robot.answer_next(DING_TOKEN, "timeout")
    for n in range(3):
        queue(groups["site"], key=f"k{n}")
    send_now(app)
    ding = [r for r in robot.received if r.kind == "dingtalk"]
    assert len(ding) == 1  # the other two wait for the next run, no attempt counted
    waiting = [s for s in sends() if s.channel_id == groups["ding"].id and s.attempts == 0]
    assert len(waiting) == 2 and {s.status for s in waiting} == {"pending"}
