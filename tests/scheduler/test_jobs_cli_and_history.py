"""`compliance jobs list/run` and the administrators' job history page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db, utcnow
from compliance.models import AuditEvent, UserSession
from compliance.scheduler import register_job
from compliance.scheduler.models import JobRun
from compliance.scheduler.registry import claim_queued, run_claimed
from compliance.timeutil import local_today


def _runs(job):
    return db.session.scalars(sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.id)).all()


def test_jobs_list_shows_every_job_with_its_schedule(runner):
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    assert "core.purge_sessions" in result.output
    assert "notifications.send_email" in result.output
    assert "schedule: hour=3 minute=30 (Asia/Shanghai)" in result.output
    assert "never run" in result.output
    assert (
        "Delete sign-in sessions that ended longer ago than SESSION_RETENTION_DAYS" in result.output
    )


def test_jobs_run_runs_a_job_for_the_given_date_and_records_it(runner):
    result = runner.invoke(args=["jobs", "run", "core.purge_sessions", "--date", "2026-01-15"])
    assert result.exit_code == 0, result.output
    assert "success" in result.output
    [run] = _runs("core.purge_sessions")
    assert (run.run_on, run.trigger, run.outcome) == (date(2026, 1, 15), "manual", "success")
    assert run.counts == {"deleted_sessions": 0}


def test_jobs_run_without_date_uses_the_local_date(runner):
    assert runner.invoke(args=["jobs", "run", "core.purge_sessions"]).exit_code == 0
    assert _runs("core.purge_sessions")[-1].run_on == local_today()


def test_jobs_run_refuses_unknown_jobs_and_bad_dates(runner):
    result = runner.invoke(args=["jobs", "run", "no.such_job"])
    assert result.exit_code == 1
    assert "No job named 'no.such_job'" in result.output
    assert "core.purge_sessions" in result.output
    result = runner.invoke(args=["jobs", "run", "core.purge_sessions", "--date", "15/01/2026"])
    assert result.exit_code == 2
    assert not _runs("core.purge_sessions")


def test_jobs_run_exits_non_zero_when_the_job_fails(runner, app, isolated_jobs):
    def broken(app_, run_on):
        raise RuntimeError("mail server exploded")

    register_job(app, "test.broken", broken)
    result = runner.invoke(args=["jobs", "run", "test.broken", "--date", "2026-01-15"])
    assert result.exit_code == 1
    assert "FAILED: RuntimeError: mail server exploded" in result.output
    assert _runs("test.broken")[0].outcome == "failed"


def test_purge_sessions_deletes_only_old_ended_sessions_and_is_idempotent(app, make_user):
    from compliance.scheduler import run_job

    user = make_user()
    now = utcnow()
    old = UserSession(
        token_hash="a" * 64,
        user_id=user.id,
        created_at=now - timedelta(days=45),
        last_seen_at=now - timedelta(days=45),
        ended_at=now - timedelta(days=40),
    )
    stale = UserSession(
        token_hash="b" * 64,
        user_id=user.id,
        created_at=now - timedelta(days=50),
        last_seen_at=now - timedelta(days=50),
    )
    recent = UserSession(
        token_hash="c" * 64,
        user_id=user.id,
        created_at=now - timedelta(days=12),
        last_seen_at=now - timedelta(days=12),
        ended_at=now - timedelta(days=10),
    )
    live = UserSession(token_hash="d" * 64, user_id=user.id)
    db.session.add_all([old, stale, recent, live])
    db.session.commit()
    assert run_job(app, "core.purge_sessions", local_today()).counts == {"deleted_sessions": 2}
    assert run_job(app, "core.purge_sessions", local_today()).counts == {"deleted_sessions": 0}
    left = set(
        db.session.scalars(sa.select(UserSession.token_hash).where(UserSession.user_id == user.id))
    )
    assert left == {"c" * 64, "d" * 64}


@pytest.mark.parametrize(
    "roles,status",
    [
        (("admin",), 200),
        (("inspector",), 403),
        (("hr",), 403),
        (("discipline",), 403),
        (("staff",), 403),
    ],
)
def test_job_history_page_is_for_administrators(client_for, roles, status):
    client = client_for(*roles)
    assert client.get("/admin/jobs/").status_code == status
    assert client.post(
        "/admin/jobs/run", data={"job": "core.purge_sessions", "run_on": "2026-01-01"}
    ).status_code in ((302,) if status == 200 else (status,))


def test_job_history_page_needs_sign_in(client):
    response = client.get("/admin/jobs/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _history(response) -> str:
    """The run history table of the page (the jobs table above it shows last runs too)."""
    return response.get_data(as_text=True).split('id="run-history"', 1)[1]


def test_history_shows_schedule_next_run_and_filters_runs(app, client_for, isolated_jobs):
    def broken(app_, run_on):
        raise RuntimeError("boom")

    register_job(app, "test.broken", broken)
    from compliance.scheduler import run_job

    run_job(app, "core.purge_sessions", date(2026, 2, 1))
    failed = run_job(app, "test.broken", date(2026, 2, 2))
    admin = client_for("admin")
    page = admin.get("/admin/jobs/").get_data(as_text=True)
    assert "core.purge_sessions" in page and "hour=3 minute=30" in page
    assert "2026-02-01" in page and "2026-02-02" in page
    assert "No scheduler is running" in page or "没有运行中的调度程序" in page
    filtered = _history(admin.get("/admin/jobs/?outcome=failed"))
    assert "2026-02-02" in filtered and "2026-02-01" not in filtered
    by_job = _history(admin.get("/admin/jobs/?job=core.purge_sessions"))
    assert "2026-02-01" in by_job and "2026-02-02" not in by_job
    detail = admin.get(f"/admin/jobs/runs/{failed.id}").get_data(as_text=True)
    assert "RuntimeError: boom" in detail
    assert admin.get("/admin/jobs/runs/999999").status_code == 404


def test_admin_queues_a_run_that_only_the_scheduler_executes(app, client_for):
    admin = client_for("admin")
    day = local_today() - timedelta(days=3)
    response = admin.post(
        "/admin/jobs/run", data={"job": "core.purge_sessions", "run_on": day.isoformat()}
    )
    assert response.status_code == 302
    [run] = _runs("core.purge_sessions")
    # The web request only queued it.
    assert (run.outcome, run.trigger, run.run_on, run.requested_by_id) == (
        "queued",
        "admin",
        day,
        admin.user.id,
    )
    audit = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "job_run.request")
    ).all()
    assert [(a.actor_id, a.entity_id) for a in audit] == [(admin.user.id, str(run.id))]
    # Asking again while it is queued is refused.
    again = admin.post(
        "/admin/jobs/run", data={"job": "core.purge_sessions", "run_on": day.isoformat()}
    )
    assert again.status_code == 409
    # The scheduler process claims and runs it.
    assert claim_queued(db.session) == [run.id]
    db.session.commit()
    assert claim_queued(db.session) == []
    done = run_claimed(app, run.id)
    assert done.outcome == "success"
    assert db.session.get(JobRun, run.id).counts == {"deleted_sessions": 0}


def test_queueing_refuses_future_dates_and_unknown_jobs(client_for):
    admin = client_for("admin")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = admin.post(
        "/admin/jobs/run", data={"job": "core.purge_sessions", "run_on": tomorrow}
    )
    assert response.status_code == 422
    response = admin.post("/admin/jobs/run", data={"job": "nope", "run_on": "2026-01-01"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 0


def test_runs_left_running_by_a_dead_scheduler_are_marked_failed_on_the_next_start(app):
    from compliance.scheduler.registry import fail_interrupted_runs

    day = date(2026, 3, 1)
    orphan = JobRun(job="core.purge_sessions", run_on=day, outcome="running", trigger="schedule")
    by_hand = JobRun(job="core.purge_sessions", run_on=day, outcome="running", trigger="manual")
    queued = JobRun(job="core.purge_sessions", run_on=day, outcome="queued", trigger="admin")
    db.session.add_all([orphan, by_hand, queued])
    db.session.commit()
    assert fail_interrupted_runs(db.session) == 1
    db.session.expire_all()
    assert orphan.outcome == "failed" and "Interrupted" in orphan.error
    assert (by_hand.outcome, queued.outcome) == ("running", "queued")
