"""The bound on concurrent password checks (SIGN_IN_CONCURRENCY / SIGN_IN_WAIT_SECONDS)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from compliance.auth.gate import SignInBusy, password_check_slot
from compliance.config import ConfigError, finalise
from compliance.db import db
from compliance.models import LoginAttempt


def _run_threads(n, target):
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)


def test_no_more_than_the_configured_checks_run_at_once():
    # A size no other test uses, so the process-wide semaphore is this test's own.
    config = {"SIGN_IN_CONCURRENCY": 3, "SIGN_IN_WAIT_SECONDS": 5}
    lock = threading.Lock()
    running = []
    peak = []
    done = []

    def sign_in():
        with password_check_slot(config):
            with lock:
                running.append(1)
                peak.append(len(running))
            time.sleep(0.03)
            with lock:
                running.pop()
        done.append(1)

    _run_threads(9, sign_in)
    assert len(done) == 9
    assert max(peak) == 3


def test_a_sign_in_that_finds_every_slot_busy_is_refused_after_the_wait():
    config = {"SIGN_IN_CONCURRENCY": 4, "SIGN_IN_WAIT_SECONDS": 0.1}
    release = threading.Event()
    holding = threading.Barrier(5)

    def hold():
        with password_check_slot(config):
            holding.wait(5)
            release.wait(5)

    holders = [threading.Thread(target=hold) for _ in range(4)]
    for t in holders:
        t.start()
    holding.wait(5)  # all four slots are taken
    outcome = {}

    def late():
        started = time.perf_counter()
        try:
            with password_check_slot(config):
                outcome["ok"] = True
        except SignInBusy as busy:
            outcome["busy"] = busy.retry_after
        outcome["waited"] = time.perf_counter() - started

    _run_threads(1, late)
    assert outcome.get("busy") == 1 and "ok" not in outcome
    assert 0.09 <= outcome["waited"] < 1.0
    release.set()
    for t in holders:
        t.join(5)
    # Once the slots are free again, the next sign-in gets one at once.
    outcome.clear()
    _run_threads(1, late)
    assert outcome.get("ok") is True


def test_zero_switches_the_bound_off():
    config = {"SIGN_IN_CONCURRENCY": 0, "SIGN_IN_WAIT_SECONDS": 0}
    with password_check_slot(config), password_check_slot(config), password_check_slot(config):
        pass


@pytest.mark.parametrize(
    "name, value",
    [("SIGN_IN_CONCURRENCY", -1), ("SIGN_IN_WAIT_SECONDS", -0.5), ("SIGN_IN_WAIT_SECONDS", 31)],
)
def test_out_of_range_settings_stop_start_up(tmp_path, name, value):
    config = {
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "x",
        "AUDIT_KEY": "y",
        "SESSION_RETENTION_DAYS": 30,
        "LOGIN_ATTEMPT_RETENTION_DAYS": 180,
        "NOTIFICATION_RETENTION_DAYS": 180,
        "GROUP_SEND_RETENTION_DAYS": 90,
        "NOTIFICATION_RETENTION_MODE": "archive",
        name: value,
    }
    with pytest.raises(ConfigError, match=name):
        finalise(config)


def test_busy_sign_in_answers_503_with_retry_after_and_writes_nothing(
    app, client, make_user, login, monkeypatch
):
    user = make_user()
    monkeypatch.setitem(app.config, "SIGN_IN_CONCURRENCY", 1)
    monkeypatch.setitem(app.config, "SIGN_IN_WAIT_SECONDS", 0.05)
    release = threading.Event()
    taken = threading.Event()

    def hold():  # another sign-in's password check, in another thread
        with password_check_slot(app.config):
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(5)
        response = client.post(
            "/login", data={"username": user.username, "password": "correct-horse-42"}
        )
    finally:
        release.set()
        holder.join(5)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "当前登录人数较多" in response.get_data(as_text=True)
    attempts = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.user_id == user.id)
    )
    assert attempts == 0
    # The slot is free again: the same sign-in now succeeds.
    login(client, user)
