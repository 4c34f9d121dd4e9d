"""User administration pages: list, create, edit roles and scope, deactivate, reset password,
API tokens, and the administrator's dashboard panel."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.models import ApiToken, AuditEvent, LoginAttempt, User, UserSession

NEW_PASSWORD = "violet-harbour-77"


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _events(action: str, entity_id) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.entity_id == str(entity_id)
            )
        )
    )


def _create_form(**overrides) -> dict:
    data = {
        "username": "wangfang",
        "display_name": "王芳",
        "email": "wangfang@example.org",
        "roles": ["inspector", "hr"],
        "all_sites": "",
        "sites": [],
        "staff_no": "",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    if not data["all_sites"]:
        data.pop("all_sites")
    return data


def test_admin_creates_user_with_several_roles_and_chosen_sites(
    client_for, make_site, make_staff, app, login
):
    admin = client_for("admin")
    site_a, site_b = make_site(), make_site()
    member = make_staff(site=site_a)
    response = admin.post(
        "/admin/users/new",
        data=_create_form(sites=[str(site_a.id), str(site_b.id)], staff_no=member.staff_no),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = _user("wangfang")
    assert user.roles == {"inspector", "hr"}
    assert user.scope_site_ids == {site_a.id, site_b.id}
    assert not user.all_sites
    assert user.staff_member_id == member.id
    assert user.email == "wangfang@example.org"
    (event,) = _events("user.create", user.id)
    assert event.actor_id == admin.user.id
    assert event.after["roles"] == ["hr", "inspector"]
    assert "password_hash" not in event.after
    # The initial password works.
    login(app.test_client(), user, NEW_PASSWORD)


def test_admin_creates_user_for_all_sites(client_for):
    admin = client_for("admin")
    response = admin.post(
        "/admin/users/new", data=_create_form(all_sites="y", roles=["discipline"])
    )
    assert response.status_code == 302
    user = _user("wangfang")
    assert user.all_sites and user.roles == {"discipline"}


def test_duplicate_username_is_a_form_error(client_for, make_user):
    admin = client_for("admin")
    existing = make_user(username="lisi")
    response = admin.post(
        "/admin/users/new", data=_create_form(username=existing.username, all_sites="y")
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "已存在" in text  # "A user with this username already exists."
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.username == "lisi")
        )
        == 1
    )


def test_weak_passwords_are_form_errors(client_for):
    admin = client_for("admin")
    short = admin.post(
        "/admin/users/new", data=_create_form(all_sites="y", password="short-1", confirm="short-1")
    )
    assert "至少 10 个字符" in short.get_data(as_text=True)
    common = admin.post(
        "/admin/users/new",
        data=_create_form(all_sites="y", password="password123", confirm="password123"),
    )
    assert "过于常见" in common.get_data(as_text=True) or "常见" in common.get_data(as_text=True)
    assert _user("wangfang") is None


def test_scope_and_role_are_required(client_for):
    admin = client_for("admin")
    response = admin.post("/admin/users/new", data=_create_form(roles=[], sites=[]))
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "至少选择一个角色" in text
    assert "至少选择一个服务场所" in text
    assert _user("wangfang") is None


def test_unknown_staff_number_and_double_link_are_refused(client_for, make_staff, make_user):
    admin = client_for("admin")
    response = admin.post("/admin/users/new", data=_create_form(all_sites="y", staff_no="NOPE"))
    assert "没有工作人员使用此工号" in response.get_data(as_text=True)
    member = make_staff()
    make_user(staff_member=member)
    response = admin.post(
        "/admin/users/new", data=_create_form(all_sites="y", staff_no=member.staff_no)
    )
    assert "已关联到另一个用户" in response.get_data(as_text=True)
    assert _user("wangfang") is None


def test_admin_edits_roles_scope_and_link(client_for, make_user, make_site, make_staff):
    admin = client_for("admin")
    site = make_site()
    member = make_staff(site=site)
    user = make_user(roles=("inspector",))
    page = admin.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and user.username in page.get_data(as_text=True)
    response = admin.post(
        f"/admin/users/{user.id}",
        data={
            "display_name": "新名字",
            "email": "",
            "roles": ["staff"],
            "sites": [str(site.id)],
            "staff_no": member.staff_no,
        },
    )
    assert response.status_code == 302
    user = db.session.get(User, user.id)
    assert user.roles == {"staff"} and not user.all_sites
    assert user.scope_site_ids == {site.id}
    assert user.staff_member_id == member.id and user.display_name == "新名字"
    (event,) = _events("user.update", user.id)
    assert event.before["roles"] == ["inspector"] and event.after["roles"] == ["staff"]


def test_admin_cannot_remove_own_admin_role(client_for):
    admin = client_for("admin")
    response = admin.post(
        f"/admin/users/{admin.user.id}",
        data={
            "display_name": "x",
            "roles": ["inspector"],
            "all_sites": "y",
        },
    )
    assert response.status_code == 400
    assert "不能取消自己的系统管理员角色" in response.get_data(as_text=True)
    assert db.session.get(User, admin.user.id).roles == {"admin"}


def test_deactivation_ends_sessions_at_once_and_reactivation_allows_sign_in(
    client_for, make_user, app, login
):
    admin = client_for("admin")
    user = make_user()
    victim = login(app.test_client(), user)
    assert victim.get("/dashboard").status_code == 200
    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    response = victim.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        )
        == 0
    )
    refused = app.test_client().post(
        "/login", data={"username": user.username, "password": "correct-horse-42"}
    )
    assert refused.status_code == 200
    assert _events("user.deactivate", user.id)
    admin.post(f"/admin/users/{user.id}/activate")
    assert db.session.get(User, user.id).active
    login(app.test_client(), user)


def test_admin_cannot_deactivate_self(client_for):
    admin = client_for("admin")
    response = admin.post(f"/admin/users/{admin.user.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    assert db.session.get(User, admin.user.id).active


def test_reset_password_checks_policy_and_ends_sessions(client_for, make_user, app, login):
    admin = client_for("admin")
    user = make_user()
    other = login(app.test_client(), user)
    weak = admin.post(
        f"/admin/users/{user.id}/password", data={"pw-password": "abc", "pw-confirm": "abc"}
    )
    assert weak.status_code == 400 and "至少 10 个字符" in weak.get_data(as_text=True)
    assert other.get("/dashboard").status_code == 200
    ok = admin.post(
        f"/admin/users/{user.id}/password",
        data={"pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    assert other.get("/dashboard").status_code == 302
    login(app.test_client(), user, NEW_PASSWORD)
    (event,) = _events("user.reset_password", user.id)
    assert NEW_PASSWORD not in str(event.after)


def test_user_list_filters_by_role_status_and_search(client_for, make_user):
    admin = client_for("admin")
    make_user(roles=("hr",), username="hr_zhang", display_name="张人事")
    inactive = make_user(roles=("inspector",), username="insp_li")
    make_user(roles=("inspector",), username="insp_wang")
    admin.post(f"/admin/users/{inactive.id}/deactivate")

    def names(**params) -> set[str]:
        page = admin.get("/admin/users", query_string=params)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return {n for n in ("hr_zhang", "insp_li", "insp_wang") if f">{n}<" in text}

    assert names() == {"hr_zhang", "insp_li", "insp_wang"}
    assert names(role="inspector") == {"insp_li", "insp_wang"}
    assert names(role="inspector", active="1") == {"insp_wang"}
    assert names(active="0") == {"insp_li"}
    assert names(q="张人事") == {"hr_zhang"}
    assert names(q="INSP_") == {"insp_li", "insp_wang"}


def test_only_admins_reach_user_administration(client_for):
    for role in ("inspector", "hr", "discipline", "staff"):
        c = client_for(role)
        assert c.get("/admin/users").status_code == 403
        assert c.post("/admin/users/new", data=_create_form(all_sites="y")).status_code == 403
    assert _user("wangfang") is None


def test_unknown_user_is_404(client_for):
    admin = client_for("admin")
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.post("/admin/users/999999/deactivate").status_code == 404


def test_personal_token_is_shown_once_works_and_can_be_revoked(client_for, app):
    user_client = client_for("inspector")
    response = user_client.post("/account/tokens", data={"name": "导出脚本"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    token = text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("cmp_")
    api = app.test_client()
    me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == user_client.user.username
    # The token is not shown again.
    assert token not in user_client.get("/account/tokens").get_data(as_text=True)
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user_client.user.id))
    assert row.name == "导出脚本"
    assert user_client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert (
        api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    assert _events("api_token.revoke", row.id)


def test_someone_elses_token_cannot_be_revoked_from_the_account_page(client_for, app):
    owner = client_for("hr")
    owner.post("/account/tokens", data={"name": "t1"})
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == owner.user.id))
    thief = client_for("inspector")
    assert thief.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, row.id).revoked_at is None


def test_admin_lists_and_revokes_tokens(client_for, make_user, app):
    from compliance.auth.security import create_api_token

    admin = client_for("admin")
    user = make_user(roles=("hr",), username="token_owner")
    token = create_api_token(db.session, user, "nightly")
    db.session.commit()
    page = admin.get("/admin/tokens")
    assert page.status_code == 200
    assert "token_owner" in page.get_data(as_text=True) and "nightly" in page.get_data(as_text=True)
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert admin.post(f"/admin/tokens/{row.id}/revoke").status_code == 302
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    response = app.test_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    admin.get("/admin/tokens")  # shows (and consumes) the "revoked" flash message
    assert "nightly" not in admin.get("/admin/tokens").get_data(as_text=True)
    assert "nightly" in admin.get("/admin/tokens?revoked=1").get_data(as_text=True)


def test_dashboard_panel_shows_role_counts_locked_accounts_and_failures(client_for, make_user, app):
    admin = client_for("admin", display_name="管理员")
    victim = make_user(username="locked_out")
    other = app.test_client()
    for _ in range(5):
        other.post("/login", data={"username": victim.username, "password": "wrong-password-9"})
    other.post("/login", data={"username": "nobody-here", "password": "wrong-password-9"})
    text = admin.get("/dashboard").get_data(as_text=True)
    assert "用户账户" in text
    assert "locked_out" in text and "锁定至" in text
    assert "nobody-here" in text
    # Once the failures are older than the lock, the account is no longer listed as locked.
    for attempt in db.session.scalars(
        sa.select(LoginAttempt).where(LoginAttempt.user_id == victim.id)
    ):
        attempt.at = utcnow() - timedelta(minutes=40)
    db.session.commit()
    text = admin.get("/dashboard").get_data(as_text=True)
    assert "锁定至" not in text


def test_panel_is_only_for_admins(client_for):
    assert "用户账户" not in client_for("inspector").get("/dashboard").get_data(as_text=True)


def test_user_page_lists_recent_sign_in_attempts(client_for, make_user, app):
    admin = client_for("admin")
    user = make_user()
    app.test_client().post(
        "/login", data={"username": user.username, "password": "wrong-password-9"}
    )
    text = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "最近的登录尝试" in text and "密码错误" in text
