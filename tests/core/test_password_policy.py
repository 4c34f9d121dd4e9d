"""Password policy and hashing parameters."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from compliance.auth.security import (
    MIN_PASSWORD_LENGTH,
    check_password_policy,
    hash_password,
)
from compliance.config import Config
from compliance.domain import InvalidError

DEFAULT_METHOD = "scrypt:131072:8:1"


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


def test_default_hash_is_scrypt_with_n_131072(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    method = Config().PASSWORD_HASH_METHOD
    assert method == DEFAULT_METHOD
    hashed = hash_password("violet-harbour-77", method)
    assert hashed.startswith("scrypt:131072:8:1$")
    assert check_password_hash(hashed, "violet-harbour-77")
    assert not check_password_hash(hashed, "violet-harbour-78")


def test_tests_use_a_cheaper_hash(app, make_user):
    assert app.config["PASSWORD_HASH_METHOD"] != DEFAULT_METHOD
    user = make_user()
    assert user.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")


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
