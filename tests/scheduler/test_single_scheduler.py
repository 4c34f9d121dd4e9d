"""Exactly one scheduler runs jobs: the database lease, standby, takeover and SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.scheduler import lock
from compliance.scheduler.models import SchedulerLock
from compliance.scheduler.runner import SchedulerService, start_embedded_scheduler

ROOT = Path(__file__).resolve().parents[2]


def _engine(app):
    with app.app_context():
        return db.engine


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_live_lease_is_not_taken_and_its_owner_can_renew_it(fresh_app):
    engine = _engine(fresh_app())
    assert lock.try_acquire(engine, "alpha", ttl=60)
    assert not lock.try_acquire(engine, "beta", ttl=60)
    assert lock.try_acquire(engine, "alpha", ttl=60)  # renewal by the owner
    assert lock.heartbeat(engine, "alpha", ttl=60)
    assert not lock.heartbeat(engine, "beta", ttl=60)
    assert lock.current_holder(engine).owner == "alpha"


def test_the_lease_of_a_holder_that_died_expires(fresh_app):
    engine = _engine(fresh_app())
    # "dead" took the lease two minutes ago with a 60 s lifetime and never renewed it.
    assert lock.try_acquire(engine, "dead", ttl=60, now=utcnow() - timedelta(minutes=2))
    assert not lock.current_holder(engine).alive
    assert lock.try_acquire(engine, "heir", ttl=60)
    assert lock.current_holder(engine).owner == "heir"
    # The old holder finds out at its next heartbeat and must stop running jobs.
    assert not lock.heartbeat(engine, "dead", ttl=60)


def test_a_second_scheduler_refuses_to_run_jobs_with_a_clear_log_line(fresh_app, caplog):
    app = fresh_app(SCHEDULER_POLL_SECONDS=0.2)
    first = SchedulerService(app, owner="first-host:111")
    thread = threading.Thread(target=first.run, daemon=True)
    thread.start()
    try:
        assert first.holding.wait(15), "the first scheduler never took the lease"
        second = SchedulerService(app, owner="second-host:222")
        with caplog.at_level(logging.INFO, logger="compliance.scheduler"):
            assert second.run(wait=False) == 1
        refusal = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any(
            "Another scheduler is running" in m
            and "first-host:111" in m
            and "will not run jobs" in m
            for m in refusal
        ), refusal
        assert second.scheduler is None and not second.holding.is_set()
    finally:
        first.stop()
        thread.join(15)
    assert not thread.is_alive()
    # A clean stop gives the lease up at once.
    assert lock.current_holder(_engine(app)) is None


def test_a_standby_scheduler_takes_over_when_the_lease_expires(fresh_app, caplog):
    app = fresh_app(SCHEDULER_POLL_SECONDS=0.1, SCHEDULER_LOCK_TTL=30)
    engine = _engine(app)
    assert lock.try_acquire(engine, "crashed-host:1", ttl=1)
    standby = SchedulerService(app, owner="standby-host:2")
    thread = threading.Thread(target=standby.run, daemon=True)
    with caplog.at_level(logging.INFO, logger="compliance.scheduler"):
        thread.start()
        try:
            assert _wait_for(lambda: any("Standing by" in r.getMessage() for r in caplog.records))
            assert not standby.holding.is_set()
            assert standby.holding.wait(15), "the standby never took over the expired lease"
            assert lock.current_holder(engine).owner == "standby-host:2"
        finally:
            standby.stop()
            thread.join(15)


def test_embedded_scheduler_starts_once_per_process(fresh_app):
    app = fresh_app(SCHEDULER_POLL_SECONDS=0.2)
    service = start_embedded_scheduler(app)
    try:
        assert service.holding.wait(15)
        assert start_embedded_scheduler(app) is service
        # Another process (a reloader child, a second worker) only stands by.
        other = SchedulerService(app, owner="worker-2")
        assert other.run(wait=False) == 1
    finally:
        service.stop()
        service.thread.join(15)


def _start(url: str, tmp_path, *args) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY="test-secret",
        INSTANCE_PATH=str(tmp_path / "instance"),
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "compliance.cli", "scheduler", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    seen = []
    result = {}

    def reader():
        for line in proc.stdout:
            seen.append(line)
            if needle in line:
                result["hit"] = True
                return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    assert result.get("hit"), f"{needle!r} not in output:\n{''.join(seen)}"
    return "".join(seen)


def test_scheduler_command_refuses_a_second_copy_and_stops_cleanly_on_sigterm(
    fresh_app, tmp_path, caplog
):
    app = fresh_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first = _start(url, tmp_path)
    try:
        _read_until(first, "scheduler lock acquired")
        # The second copy: `compliance scheduler --no-wait` against the same database (run in
        # this process to spare a second interpreter start-up).
        handlers = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
        try:
            with caplog.at_level(logging.INFO, logger="compliance.scheduler"):
                result = app.test_cli_runner().invoke(args=["scheduler", "--no-wait"])
        finally:
            signal.signal(signal.SIGTERM, handlers[0])
            signal.signal(signal.SIGINT, handlers[1])
        assert result.exit_code == 1, result.output
        refusal = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
        assert "Another scheduler is running: the scheduler lock is held by" in refusal
        assert "will not run jobs" in refusal
        first.send_signal(signal.SIGTERM)
        tail = _read_until(first, "released the lock", timeout=60)
        assert first.wait(60) == 0, tail
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SchedulerLock)) == 0


def test_the_holder_writes_its_heartbeat_only_once_half_the_lease_has_run_out(fresh_app):
    app = fresh_app(SCHEDULER_LOCK_TTL=600)
    service = SchedulerService(app, owner="quiet-holder")
    assert service._acquire()
    first = lock.current_holder(_engine(app)).heartbeat_at
    time.sleep(0.01)
    assert service.renew()
    assert lock.current_holder(_engine(app)).heartbeat_at == first  # no write yet
    assert service.renew(force=True)
    assert lock.current_holder(_engine(app)).heartbeat_at > first


def test_a_database_outage_during_a_scheduler_step_is_logged_not_fatal(caplog):
    def poll_queue():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with caplog.at_level(logging.WARNING, logger="compliance.scheduler"):
        SchedulerService._safely(poll_queue)
    assert any(
        "poll_queue failed" in r.getMessage() and "retrying later" in r.getMessage()
        for r in caplog.records
    )
