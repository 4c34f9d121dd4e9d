"""Sign-in, sign-out, lock-out and server-side sessions."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from compliance.models import LoginAttempt, UserSession

from .db_state import changed_tables, table_rows


def test_sign_in_leads_to_the_dashboard_in_chinese(client, make_user, login):
    user = make_user(roles=("inspector",))
    login(client, user)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "工作台" in page.get_data(as_text=True) or "Dashboard" not in page.get_data(as_text=True)


def test_wrong_password_is_refused_and_logged(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": "nope-nope-nope"})
    assert response.status_code == 200
    attempts = db.session.scalars(
        sa.select(LoginAttempt).where(LoginAttempt.user_id == user.id)
    ).all()
    assert [a.outcome for a in attempts] == ["bad_password"]


def test_five_failures_lock_only_that_account(client, app, make_user, login):
    victim = make_user()
    bystander = make_user()
    for _ in range(5):
        client.post("/login", data={"username": victim.username, "password": "wrong-password-1"})
    # Even the right password is refused while locked, with a message that says so.
    response = client.post(
        "/login", data={"username": victim.username, "password": "correct-horse-42"}
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "锁定" in text or "locked" in text
    # Another account is unaffected.
    other = app.test_client()
    login(other, bystander)


def test_lock_expires_after_fifteen_minutes(client, app, make_user, login):
    user = make_user()
    for _ in range(5):
        client.post("/login", data={"username": user.username, "password": "wrong-password-1"})
    for attempt in db.session.scalars(
        sa.select(LoginAttempt).where(LoginAttempt.user_id == user.id)
    ):
        attempt.at -= timedelta(minutes=16)
    db.session.commit()
    login(client, user)


def test_signed_out_cookie_cannot_be_reused(app, make_user, login):
    user = make_user(roles=("admin",))
    first = app.test_client()
    login(first, user)
    cookie = first.get_cookie("compliance_session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("compliance_session", cookie.value)
    assert thief.get("/dashboard").status_code == 200
    first.post("/logout")
    response = thief.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivated_user_is_signed_out_at_once(app, make_user, login):
    from compliance.accounts import set_active

    admin = make_user(roles=("admin",))
    user = make_user()
    c = app.test_client()
    login(c, user)
    assert c.get("/dashboard").status_code == 200
    set_active(db.session, admin, user, False)
    db.session.commit()
    assert c.get("/dashboard").status_code == 302


def test_session_ends_after_thirty_idle_minutes(app, make_user, login):
    user = make_user()
    c = app.test_client()
    login(c, user)
    for row in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)):
        row.last_seen_at -= timedelta(minutes=31)
    db.session.commit()
    assert c.get("/dashboard").status_code == 302


def test_session_ends_after_twelve_hours_even_when_active(app, make_user, login):
    user = make_user()
    c = app.test_client()
    login(c, user)
    for row in db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)):
        row.created_at -= timedelta(hours=12, minutes=1)
        row.last_seen_at = row.created_at + timedelta(hours=12)
    db.session.commit()
    assert c.get("/dashboard").status_code == 302


def test_session_cookie_is_renewed_at_sign_in(app, make_user, login):
    user = make_user()
    c = app.test_client()
    c.get("/login")
    before = c.get_cookie("compliance_session")
    login(c, user)
    after = c.get_cookie("compliance_session")
    assert after is not None and (before is None or before.value != after.value)


def test_form_without_csrf_token_is_refused(client, make_user):
    user = make_user()
    before = table_rows()
    response = client.post(
        "/login", data={"username": user.username, "password": "correct-horse-42"}, csrf=False
    )
    assert response.status_code == 400
    # Refused before the view ran: no sign-in attempt logged, no session started.
    assert changed_tables(before, table_rows()) == []


def test_next_parameter_cannot_redirect_off_site(client, make_user):
    user = make_user()
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": user.username, "password": "correct-horse-42"},
    )
    assert response.headers["Location"].endswith("/dashboard")


def _message(response) -> str:
    """The page's flashed messages (the CSRF token and the typed name aside)."""
    import re

    text = response.get_data(as_text=True)
    return " | ".join(re.findall(r'<div class="flash [^"]*"[^>]*>(.*?)</div>', text, re.S))


def test_unknown_and_locked_accounts_answer_the_same_to_a_wrong_password(app, make_user):
    victim = make_user()
    attacker = app.test_client()
    answers = []
    for _ in range(7):  # the fifth failure locks the account; two more while locked
        response = attacker.post(
            "/login", data={"username": victim.username, "password": "wrong-password-1"}
        )
        answers.append((response.status_code, _message(response)))
    unknown = attacker.post(
        "/login", data={"username": "no-such-user-x", "password": "wrong-password-1"}
    )
    assert answers[0][1], "no message shown"
    assert set(answers) == {(unknown.status_code, _message(unknown))}
    for text in (answers[-1][1], _message(unknown)):
        assert "锁定" not in text and "locked" not in text
    # Only the right password learns that the account is locked (and still cannot sign in).
    right = attacker.post(
        "/login", data={"username": victim.username, "password": "correct-horse-42"}
    )
    assert "锁定" in _message(right) or "locked" in _message(right)
    assert attacker.get("/dashboard").status_code == 302
