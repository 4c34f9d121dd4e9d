"""Password policy and hashing parameters."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from compliance.auth.passwords import hash_password, verify_password
from compliance.auth.security import MIN_PASSWORD_LENGTH, check_password_policy
from compliance.config import Config
from compliance.domain import InvalidError

DEFAULT_METHOD = "argon2id:19456:2:1"  # OWASP: m=19 MiB, t=2, p=1


@pytest.mark.parametrize(
    "password,reason",
    [
        ("", "too_short"),
        ("abc-12345", "too_short"),  # 9 characters
        ("password123", "common"),
        ("PASSWORD123", "common"),  # the list is case-insensitive
        ("1234567890", "common"),
        ("aaaaaaaaaaaa", "common"),  # too few distinct characters
        ("my-zhangsan-pass", "username"),
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(InvalidError) as info:
        check_password_policy(password, "zhangsan")
    assert info.value.code == f"auth.password_{reason}"


def test_ten_characters_that_are_not_common_are_accepted():
    assert MIN_PASSWORD_LENGTH == 10
    check_password_policy("abc-123456", "zhangsan")  # exactly 10 characters


def test_default_hash_is_argon2id_with_the_owasp_parameters(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    method = Config().PASSWORD_HASH_METHOD
    assert method == DEFAULT_METHOD
    hashed = hash_password("violet-harbour-77", method)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hashed, "violet-harbour-77")
    assert not verify_password(hashed, "violet-harbour-78")


def test_tests_use_a_cheaper_hash(app, make_user):
    assert app.config["PASSWORD_HASH_METHOD"] != DEFAULT_METHOD
    user = make_user()
    assert user.password_hash.startswith("$argon2id$v=19$m=256,t=1,p=1$")


def test_an_old_scrypt_hash_signs_in_and_is_upgraded_to_argon2id(app, make_user, client):
    from compliance.db import db

    user = make_user(username="legacy")
    user.password_hash = generate_password_hash("old-scrypt-pass-1", method="scrypt:1024:8:1")
    db.session.commit()
    wrong = client.post("/login", data={"username": "legacy", "password": "old-scrypt-pass-2"})
    assert wrong.status_code == 200
    assert db.session.get(type(user), user.id).password_hash.startswith("scrypt:")
    ok = client.post("/login", data={"username": "legacy", "password": "old-scrypt-pass-1"})
    assert ok.status_code == 302
    upgraded = db.session.get(type(user), user.id).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=256,t=1,p=1$")
    assert verify_password(upgraded, "old-scrypt-pass-1")


def test_account_page_refuses_a_weak_new_password(client_for):
    c = client_for("staff")
    response = c.post(
        "/account",
        data={
            "which": "password",
            "pw-current_password": "correct-horse-42",
            "pw-new_password": "password123",
            "pw-confirm": "password123",
        },
    )
    assert response.status_code == 200
    assert "常见" in response.get_data(as_text=True)
