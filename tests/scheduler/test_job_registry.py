"""The job registry, the APScheduler set-up and how runs are recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.models import Setting
from compliance.scheduler import get_jobs, register_job, run_job
from compliance.scheduler.models import JobRun
from compliance.scheduler.registry import did_work
from compliance.scheduler.runner import SchedulerService, build_scheduler, missed_firing

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _noop(app, run_on):
    return {"created": 0}


def test_reregistering_a_job_replaces_it_under_its_stable_id(app, isolated_jobs):
    register_job(app, "test.daily", _noop, "first", hour=6, minute=0)
    register_job(app, "test.daily", _noop, "second", hour=8, minute=15)
    assert [n for n in get_jobs(app) if n == "test.daily"] == ["test.daily"]
    assert get_jobs(app)["test.daily"].description == "second"

    scheduler = build_scheduler(app, lambda name: None)
    scheduler.start(paused=True)
    try:
        ids = [job.id for job in scheduler.get_jobs()]
        assert sorted(ids) == sorted(get_jobs(app))
        # A restart re-adds every job: still one APScheduler job per id.
        from compliance.scheduler.runner import add_spec

        add_spec(scheduler, get_jobs(app)["test.daily"], lambda name: None)
        assert [job.id for job in scheduler.get_jobs()].count("test.daily") == 1
        assert str(scheduler.get_job("test.daily").trigger.fields[5]) == "8"  # hour
    finally:
        scheduler.shutdown(wait=False)


def test_a_bad_cron_field_fails_at_registration(app, isolated_jobs):
    with pytest.raises(ValueError):
        register_job(app, "test.bad", _noop, hour=25)


def test_apscheduler_jobs_coalesce_and_survive_a_restart_of_minutes(app):
    scheduler = build_scheduler(app, lambda name: None)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert {job.id for job in jobs} >= {"core.purge_sessions", "notifications.send_email"}
        for job in jobs:
            assert job.coalesce is True
            assert job.misfire_grace_time >= 3600
            assert job.max_instances == 1
            assert str(job.trigger.timezone) == "Asia/Shanghai"
    finally:
        scheduler.shutdown(wait=False)


def test_missed_firing_is_found_within_the_grace_time_only(app, isolated_jobs):
    spec = register_job(app, "test.seven", _noop, hour=7, minute=0)
    seven = datetime(2026, 3, 2, 7, 0, tzinfo=SHANGHAI)
    assert missed_firing(spec, SHANGHAI, seven + timedelta(minutes=5), 6 * 3600) == seven
    # 23 hours after yesterday's firing: too late, nothing to catch up.
    assert missed_firing(spec, SHANGHAI, seven - timedelta(hours=1), 6 * 3600) is None


class _Recorder:
    def __init__(self):
        self.added = []

    def __call__(self, func, *args):
        self.added.append((func.__name__, list(args)))


def test_a_daily_job_missed_during_a_restart_is_run_once_on_start(app, isolated_jobs):
    now = datetime.now(UTC).astimezone(SHANGHAI) - timedelta(minutes=5)
    register_job(app, "test.missed", _noop, hour=now.hour, minute=now.minute)
    service = SchedulerService(app, owner="test")
    service.submit = _Recorder()
    scheduled = dict(service.catch_up())
    assert scheduled["test.missed"] == now.date()
    assert ("_run_catchup", ["test.missed", now.date()]) in service.submit.added

    run_job(app, "test.missed", now.date(), trigger="catchup")
    service.submit = _Recorder()
    assert "test.missed" not in dict(service.catch_up())


def test_a_run_is_recorded_with_its_counts(app, isolated_jobs):
    def job(app_, run_on):
        return {"notified": 3, "checked": 10}

    register_job(app, "test.counts", job)
    run = run_job(app, "test.counts", date(2026, 5, 4))
    stored = db.session.get(JobRun, run.id)
    assert stored.outcome == "success"
    assert stored.counts == {"notified": 3, "checked": 10}
    assert stored.run_on == date(2026, 5, 4)
    assert stored.finished_at >= stored.started_at
    assert stored.trigger == "manual"


def test_a_failing_job_is_recorded_with_its_error_and_its_changes_rolled_back(app, isolated_jobs):
    def job(app_, run_on):
        with app_.app_context():
            db.session.add(Setting(key="test.half_done", value=1))
            db.session.flush()
            raise ValueError("the ledger is on fire")

    register_job(app, "test.fails", job)
    run = run_job(app, "test.fails", date(2026, 5, 4))
    assert run.outcome == "failed"
    stored = db.session.get(JobRun, run.id)
    assert stored.outcome == "failed"
    assert "ValueError: the ledger is on fire" in stored.error
    assert stored.finished_at is not None
    assert db.session.get(Setting, "test.half_done") is None


def test_a_quiet_job_keeps_scheduled_runs_in_the_history_only_when_it_did_work(app, isolated_jobs):
    result = {"sent": 0, "not_emailed": 0}
    register_job(app, "test.quiet", lambda a, d: dict(result), quiet=True, minute="*")
    count = sa.select(sa.func.count()).select_from(JobRun).where(JobRun.job == "test.quiet")
    run_job(app, "test.quiet", date(2026, 5, 4), trigger="schedule")
    assert db.session.scalar(count) == 0
    # A run somebody asked for is always kept.
    run_job(app, "test.quiet", date(2026, 5, 4), trigger="manual")
    assert db.session.scalar(count) == 1
    result["sent"] = 2
    run_job(app, "test.quiet", date(2026, 5, 4), trigger="schedule")
    assert db.session.scalar(count) == 2


def test_catch_up_leaves_frequent_jobs_to_their_next_regular_run(app, isolated_jobs):
    register_job(app, "test.every_minute", _noop, minute="*")
    service = SchedulerService(app, owner="test")
    service.submit = _Recorder()
    assert "test.every_minute" not in dict(service.catch_up())


def test_a_job_writing_through_its_own_session_is_recorded_on_a_real_database(fresh_app):
    """Regression: on SQLite a read snapshot held by the recorder across the job's own commit
    made recording the outcome fail with "database is locked"."""
    app = fresh_app()

    def job(app_, run_on):
        with app_.app_context():
            db.session.add(Setting(key=f"test.ran.{run_on}", value=True))
            db.session.commit()
        return {"created": 1}

    register_job(app, "test.writes", job)
    run = run_job(app, "test.writes", date(2026, 5, 4))
    assert run.outcome == "success", run.error
    with app.app_context():
        assert db.session.get(Setting, "test.ran.2026-05-04").value is True
        assert db.session.get(JobRun, run.id).counts == {"created": 1}


def test_a_run_with_only_zero_counts_did_no_work():
    assert not did_work({"sent": 0, "failed": 0, "note": "x"})
    assert did_work({"sent": 0, "failed": 1})
