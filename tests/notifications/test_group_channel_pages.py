"""The administrator's group-channel pages: setting up a robot, masked addresses, the audit
trail without secrets, wrong input on the form, scope, test messages and send records."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import AuditEvent
from compliance.notifications.channels import crypto
from compliance.notifications.channels.models import GroupChannel, GroupSend
from compliance.notifications.channels.services import create_channel
from compliance.scheduler import run_job
from compliance.timeutil import local_today

TOKEN = "d1e2a3d4b5e6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2"
SECRET = "SECfa1afe1f00d5ecre7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7"
WECOM_KEY = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.fixture
def site(make_site):
    return make_site(name="大面便民服务中心")


def _form(site, robot, **over):
    data = {
        "site": site.id,
        "kind": "dingtalk",
        "name": "大面督查钉钉群",
        "webhook": robot.dingtalk_url(TOKEN),
        "secret": SECRET,
        "events": ["rectification.escalated", "patrol.missing"],
        "include_children": "y",
        "is_active": "y",
    }
    data.update(over)
    return data


def _channel() -> GroupChannel:
    db.session.expire_all()
    return db.session.scalars(sa.select(GroupChannel)).one()


def _audit_text() -> str:
    rows = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type.in_(("GroupChannel", "GroupSend")))
    ).all()
    return json.dumps([[r.action, r.before, r.after] for r in rows], ensure_ascii=False)


def test_an_admin_sets_up_a_signed_dingtalk_robot_and_sees_it_masked(app, client_for, site, robot):
    admin = client_for("admin")
    response = admin.post("/admin/group-channels/new", data=_form(site, robot))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    channel = _channel()
    assert crypto.decrypt(channel.webhook_enc) == robot.dingtalk_url(TOKEN)
    assert crypto.decrypt(channel.secret_enc) == SECRET
    assert TOKEN not in channel.webhook_enc and SECRET not in (channel.secret_enc or "")
    assert channel.events == ["patrol.missing", "rectification.escalated"]
    for url in ("/admin/group-channels/", f"/admin/group-channels/{channel.id}/edit"):
        html = admin.get(url).get_data(as_text=True)
        assert TOKEN not in html and SECRET not in html
        assert f"access_token=…{TOKEN[-4:]}" in html
    audit = _audit_text()
    assert '"webhook_changed": true' in audit and '"secret_changed": true' in audit
    assert TOKEN not in audit and SECRET not in audit and TOKEN[-4:] not in audit


def test_a_blank_address_keeps_the_stored_one_and_a_new_one_replaces_it(
    app, client_for, site, robot
):
    admin = client_for("admin")
    admin.post("/admin/group-channels/new", data=_form(site, robot))
    channel = _channel()
    edit = f"/admin/group-channels/{channel.id}/edit"
    form = _form(site, robot, webhook="", secret="", name="改名后的群", version=channel.version)
    assert admin.post(edit, data=form).status_code == 302
    channel = _channel()
    assert channel.name == "改名后的群"
    assert crypto.decrypt(channel.webhook_enc) == robot.dingtalk_url(TOKEN)
    assert crypto.decrypt(channel.secret_enc) == SECRET
    new_token = "f" * 40
    form = _form(site, robot, webhook=robot.dingtalk_url(new_token), secret="", version=2)
    form["clear_secret"] = "y"
    assert admin.post(edit, data=form).status_code == 302
    channel = _channel()
    assert crypto.decrypt(channel.webhook_enc) == robot.dingtalk_url(new_token)
    assert channel.secret_enc is None
    audit = _audit_text()
    assert audit.count('"webhook_changed": true') == 2  # the creation and the replacement
    assert new_token not in audit and TOKEN not in audit


@pytest.mark.parametrize(
    ("kind", "webhook", "secret", "field_message"),
    [
        ("wecom", "dingtalk", "", "地址中没有 key"),
        (
            "wecom",
            "https://oapi.dingtalk.com/robot/send?access_token=1234567890",
            "",
            "企业微信机器人地址形如",
        ),
        (
            "wecom",
            "https://evil.example/cgi-bin/webhook/send?key=1234567890",
            "",
            "企业微信机器人地址形如",
        ),
        (
            "dingtalk",
            "http://oapi.dingtalk.com/robot/send?access_token=1234567890",
            "",
            "钉钉机器人地址形如",
        ),
        ("wecom", "wecom-no-key", "", "地址中没有 key"),
        ("dingtalk", "dingtalk", "not-a-secret", "钉钉加签密钥以 SEC 开头"),
    ],
)
def test_wrong_addresses_and_secrets_are_refused_on_the_form(
    app, client_for, site, robot, kind, webhook, secret, field_message
):
    webhook = {
        "dingtalk": robot.dingtalk_url(TOKEN),
        "wecom-no-key": f"{robot.base()}/cgi-bin/webhook/send",
    }.get(webhook, webhook)
    admin = client_for("admin")
    response = admin.post(
        "/admin/group-channels/new",
        data=_form(site, robot, kind=kind, webhook=webhook, secret=secret),
    )
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(GroupChannel.id))) == 0


def test_a_stale_edit_is_refused_and_changes_nothing(app, client_for, site, robot):
    admin = client_for("admin")
    admin.post("/admin/group-channels/new", data=_form(site, robot))
    channel = _channel()
    form = _form(site, robot, webhook="", secret="", name="旧页面的改动", version=channel.version)
    admin.post(
        f"/admin/group-channels/{channel.id}/edit",
        data=_form(site, robot, webhook="", secret="", name="别人先改了", version=channel.version),
    )
    response = admin.post(f"/admin/group-channels/{channel.id}/edit", data=form)
    assert response.status_code == 200
    assert "该记录已被他人修改" in response.get_data(as_text=True)
    assert _channel().name == "别人先改了"


def test_only_administrators_in_scope_see_a_channel(app, client_for, make_site, make_user, robot):
    here, there = make_site(), make_site()
    channel = create_channel(
        db.session,
        make_user(roles=("admin",)),
        site=there,
        kind="wecom",
        name="别处的群",
        webhook=robot.wecom_url(WECOM_KEY),
        events=["patrol.missing"],
    )
    send = GroupSend(
        channel_id=channel.id,
        event="patrol.missing",
        title="t",
        text="x",
        dedupe_key="d",
        status="failed",
    )
    db.session.add(send)
    db.session.commit()
    local_admin = client_for("admin", sites=[here])
    for url in (
        f"/admin/group-channels/{channel.id}/edit",
        f"/admin/group-channels/sends/{send.id}",
    ):
        assert local_admin.get(url).status_code == 404
    for url in (
        f"/admin/group-channels/{channel.id}/test",
        f"/admin/group-channels/sends/{send.id}/retry",
    ):
        assert local_admin.post(url).status_code == 404
    assert "别处的群" not in local_admin.get("/admin/group-channels/").get_data(as_text=True)
    assert "别处的群" not in local_admin.get("/admin/group-channels/sends").get_data(as_text=True)
    response = local_admin.post(
        "/admin/group-channels/new",
        data=_form(there, robot, kind="wecom", webhook=robot.wecom_url(WECOM_KEY), secret=""),
    )
    assert response.status_code == 200  # not a site this admin may choose
    assert db.session.scalar(sa.select(sa.func.count(GroupChannel.id))) == 1
    for role in ("discipline", "inspector", "hr", "leader", "staff"):
        other = client_for(role)
        assert other.get("/admin/group-channels/").status_code == 403
        assert other.get(f"/admin/group-channels/{channel.id}/edit").status_code == 403


def test_a_test_message_is_queued_then_sent_by_the_scheduler(app, client_for, site, robot):
    admin = client_for("admin")
    admin.post("/admin/group-channels/new", data=_form(site, robot))
    robot.secrets[TOKEN] = SECRET
    channel = _channel()
    assert admin.post(f"/admin/group-channels/{channel.id}/test").status_code == 302
    assert robot.received == []  # nothing is sent inside the web request
    run_job(app, "notifications.send_group", local_today())
    [received] = robot.received
    assert received.signature_ok is True
    assert "测试消息" in received.body["markdown"]["text"]
    page = admin.get(f"/admin/group-channels/{channel.id}/edit").get_data(as_text=True)
    assert "已发送" in page
    assert "group_channel.test" in _audit_text()


def test_a_failed_notice_can_be_sent_again_and_its_attempts_are_shown(app, client_for, site, robot):
    admin = client_for("admin")
    admin.post(
        "/admin/group-channels/new",
        data=_form(site, robot, kind="wecom", webhook=robot.wecom_url(WECOM_KEY), secret=""),
    )
    channel = _channel()
    send = GroupSend(
        channel_id=channel.id,
        event="patrol.missing",
        title="巡查未完成",
        text="#### 【窗口督查】巡查未完成",
        dedupe_key="x",
        status="failed",
        attempts=5,
        http_status=500,
        error="HTTP 500 Internal Server Error",
        attempt_log=[
            {
                "at": "2026-11-30T01:00:00",
                "http_status": 500,
                "errcode": None,
                "error": "HTTP 500 Internal Server Error",
                "ms": 12,
            }
        ],
    )
    db.session.add(send)
    db.session.commit()
    detail = admin.get(f"/admin/group-channels/sends/{send.id}").get_data(as_text=True)
    assert "HTTP 500 Internal Server Error" in detail
    listing = admin.get(f"/admin/group-channels/sends?channel={channel.id}&status=failed")
    assert "巡查未完成" in listing.get_data(as_text=True)
    assert admin.post(f"/admin/group-channels/sends/{send.id}/retry").status_code == 302
    run_job(app, "notifications.send_group", local_today())
    db.session.expire_all()
    send = db.session.get(GroupSend, send.id)
    assert (send.status, send.attempts) == ("sent", 1)
    response = admin.post(f"/admin/group-channels/sends/{send.id}/retry", follow_redirects=True)
    assert "只有发送失败或已过期的通知可以重新发送" in response.get_data(as_text=True)


def test_a_changed_key_makes_the_stored_webhook_unreadable_and_says_so(
    app, client_for, site, robot, monkeypatch
):
    admin = client_for("admin")
    admin.post(
        "/admin/group-channels/new",
        data=_form(site, robot, kind="wecom", webhook=robot.wecom_url(WECOM_KEY), secret=""),
    )
    channel = _channel()
    monkeypatch.setitem(app.config, "GROUP_CHANNEL_KEY", "a-new-key-after-a-leak")
    html = admin.get("/admin/group-channels/").get_data(as_text=True)
    assert "无法用当前密钥解密" in html
    admin.post(f"/admin/group-channels/{channel.id}/test")
    run_job(app, "notifications.send_group", local_today())
    send = db.session.scalars(sa.select(GroupSend)).one()
    db.session.refresh(send)
    assert send.status == "failed" and "re-enter" in send.error
    assert robot.received == []
