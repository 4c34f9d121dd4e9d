"""The operators' console commands: create-user, create-token / revoke-tokens, backup."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from compliance.cli import main as cli
from compliance.db import db
from compliance.models import AuditEvent, User

STRONG = "amber-lantern-93"


def _user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_create_user_with_all_sites(runner):
    result = runner.invoke(
        cli, ["create-user", "root", "--role", "admin", "--all-sites", "--password", STRONG]
    )
    assert result.exit_code == 0, result.output
    assert "root" in result.output
    user = _user("root")
    assert user.roles == {"admin"} and user.all_sites and user.active
    assert user.password_hash.startswith("$argon2id$")
    assert (
        db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.action == "user.create", AuditEvent.entity_id == str(user.id)
            )
        ).actor_name
        == "system"
    )


def test_create_user_with_sites_and_several_roles(runner, make_site):
    site = make_site(code="DMX")
    result = runner.invoke(
        cli,
        [
            "create-user",
            "li",
            "--role",
            "inspector",
            "--role",
            "hr",
            "--site",
            "DMX",
            "--password",
            STRONG,
            "--name",
            "李督查",
        ],
    )
    assert result.exit_code == 0, result.output
    user = _user("li")
    assert user.roles == {"inspector", "hr"} and user.scope_site_ids == {site.id}
    assert user.display_name == "李督查"


def test_weak_password_is_refused(runner):
    result = runner.invoke(
        cli, ["create-user", "weak", "--role", "admin", "--all-sites", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    common = runner.invoke(
        cli, ["create-user", "weak", "--role", "admin", "--all-sites", "--password", "password123"]
    )
    assert common.exit_code != 0 and "too common" in common.output
    assert _user("weak") is None


def test_unknown_site_code_is_refused(runner):
    result = runner.invoke(
        cli,
        ["create-user", "lost", "--role", "inspector", "--site", "NOWHERE", "--password", STRONG],
    )
    assert result.exit_code != 0
    assert "NOWHERE" in result.output
    assert _user("lost") is None


def test_scope_is_required(runner):
    result = runner.invoke(
        cli, ["create-user", "noscope", "--role", "inspector", "--password", STRONG]
    )
    assert result.exit_code != 0 and "--all-sites" in result.output
    assert _user("noscope") is None


def test_duplicate_username_is_refused(runner, make_user):
    make_user(username="twice")
    result = runner.invoke(
        cli, ["create-user", "twice", "--role", "admin", "--all-sites", "--password", STRONG]
    )
    assert result.exit_code != 0 and "already exists" in result.output


def test_created_token_authenticates_api_calls_until_revoked(runner, make_user, app):
    user = make_user(roles=("inspector",), username="script_user")
    result = runner.invoke(cli, ["create-token", "script_user", "--name", "nightly"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("cmp_")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 200
    assert response.json["username"] == "script_user"
    # A bearer-token write needs no CSRF header (no cookie is involved).
    patched = client.patch("/api/v1/users/me", json={"locale": "en"}, headers=headers, csrf=False)
    assert patched.status_code == 200 and patched.json["locale"] == "en"
    # A wrong token is refused.
    assert (
        client.get("/api/v1/users/me", headers={"Authorization": "Bearer cmp_wrong"}).status_code
        == 401
    )
    revoked = runner.invoke(cli, ["revoke-tokens", "script_user"])
    assert revoked.exit_code == 0 and "1" in revoked.output
    response = client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"
    assert user.id


def test_token_of_deactivated_user_stops_working(runner, make_user, app):
    from compliance.accounts import set_active

    admin = make_user(roles=("admin",))
    make_user(username="gone")
    token = runner.invoke(cli, ["create-token", "gone"]).output.strip().splitlines()[-1]
    set_active(db.session, admin, _user("gone"), False)
    db.session.commit()
    response = app.test_client().get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_create_token_for_unknown_user_fails(runner):
    result = runner.invoke(cli, ["create-token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


def test_backup(runner, app, tmp_path):
    target = tmp_path / "backup.db"
    result = runner.invoke(cli, ["backup", str(target)])
    if db.engine.url.get_backend_name() == "postgresql":
        assert result.exit_code != 0
        assert "pg_dump" in result.output
        assert not target.exists()
        return
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"user_account", "audit_event", "site"} <= tables
    finally:
        con.close()
    again = runner.invoke(cli, ["backup", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
