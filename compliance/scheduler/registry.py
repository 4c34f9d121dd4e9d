"""The job registry and the one way a job runs (by the scheduler, the CLI or a test)."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from ..audit import record
from ..db import SQLITE_BUSY_TIMEOUT_MS, db, utcnow
from ..uow import unit_of_work
from .models import JobRun

logger = logging.getLogger(__name__)

DEFAULT_CRON = {"hour": 7, "minute": 0}

# The JobRun a job is executing as (None for a quiet scheduled run, which has no row yet).
current_run_id: ContextVar[int | None] = ContextVar("compliance_job_run_id", default=None)


@dataclass
class JobSpec:
    """A scheduled job. `func(app, run_on) -> dict | None` runs inside an application context and a
    unit of work opened by the runner (it never commits; the runner commits once when it returns
    and rolls back when it raises; a long job may call `compliance.uow.commit_batch()`) and returns counts (e.g. {"checked": 40, "notified": 3}); name the work done with a past
    participle ("created", "notified", "sent"...) so a second run for the same date can be seen to
    report none. `cron` holds APScheduler cron trigger fields, read in the configured time zone.
    A `quiet` job (e.g. every minute) keeps its run in the history only when a count is non-zero
    or it failed."""

    name: str
    func: Callable
    cron: dict = field(default_factory=lambda: dict(DEFAULT_CRON))
    description: str = ""
    quiet: bool = False
    # False for a job that mostly reads (e.g. recomputing the audit chain): its transaction
    # begins without the write lock and it calls `compliance.uow.begin_writing()` to write.
    writes: bool = True

    def trigger(self, timezone) -> CronTrigger:
        return CronTrigger(timezone=timezone, **self.cron)

    def next_run_time(self, timezone, now: datetime | None = None) -> datetime | None:
        from datetime import UTC

        now = now or datetime.now(UTC)
        return self.trigger(timezone).get_next_fire_time(None, now.astimezone(timezone))

    @property
    def schedule(self) -> str:
        """The cron fields as text, e.g. "hour=7 minute=0"."""
        return " ".join(f"{k}={v}" for k, v in self.cron.items())


def register_job(
    app: Flask,
    name: str,
    func: Callable,
    description: str = "",
    *,
    quiet: bool = False,
    writes: bool = True,
    **cron,
) -> JobSpec:
    """Register (or replace) a job under a stable name; raises ValueError for bad cron fields."""
    if not name or len(name) > 64:
        raise ValueError(f"job name must be 1-64 characters: {name!r}")
    cron = cron or dict(DEFAULT_CRON)
    CronTrigger(**cron)  # a typo in the schedule fails at start-up, not at 7 in the morning
    spec = JobSpec(
        name=name, func=func, cron=cron, description=description, quiet=quiet, writes=writes
    )
    app.extensions.setdefault("compliance_jobs", {})[name] = spec
    return spec


def get_jobs(app: Flask) -> dict[str, JobSpec]:
    return app.extensions.get("compliance_jobs", {})


def _jsonable_counts(counts) -> dict:
    if not isinstance(counts, dict):
        return {"result": str(counts)}
    return {
        str(k): v if isinstance(v, int | float | str | bool) or v is None else str(v)
        for k, v in counts.items()
    }


def did_work(counts: dict | None) -> bool:
    """True when any numeric count is non-zero (a quiet job's run is then kept in the history)."""
    return any(
        value
        for value in (counts or {}).values()
        if isinstance(value, int | float) and not isinstance(value, bool)
    )


def run_job(app: Flask, name: str, run_on: date, trigger: str = "manual") -> JobRun:
    """Run one job for a logical date and record the run; failures are recorded, not raised.

    Raises KeyError for a job name that is not registered. The returned JobRun is detached with
    its attributes loaded.
    """
    spec = get_jobs(app)[name]
    if spec.quiet and trigger in ("schedule", "catchup"):
        return _run_quiet(app, spec, run_on, trigger)
    with app.app_context():
        run = JobRun(
            job=name,
            run_on=run_on,
            trigger=trigger,
            outcome="running",
            host=socket.gethostname()[:120],
        )
        db.session.add(run)
        db.session.flush()
        run_id = run.id  # read before the commit: reading after it would open a transaction
        db.session.commit()
        return _execute(app, spec, run_id, run_on)


def run_claimed(app: Flask, run_id: int) -> JobRun | None:
    """Execute a run that the scheduler claimed from the queue (outcome already "running")."""
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        if run is None:
            return None
        spec = get_jobs(app).get(run.job)
        if spec is None:
            run.outcome, run.finished_at = "failed", utcnow()
            run.error = f"No job named {run.job} is registered."
            db.session.commit()
            return run
        run_on = run.run_on
        db.session.commit()  # no read transaction may stay open while the job writes (SQLite)
        return _execute(app, spec, run_id, run_on)


def queue_run(
    session, actor, name: str, run_on: date, *, audit_action: str = "job_run.request"
) -> tuple[JobRun, bool]:
    """Queue a run of `name` for the scheduler (or return the one already queued or running for
    that date). Returns the run and whether it was created now; audited when created."""
    pending = session.scalar(
        sa.select(JobRun)
        .where(
            JobRun.job == name,
            JobRun.run_on == run_on,
            JobRun.outcome.in_(("queued", "running")),
        )
        .order_by(JobRun.id.desc())
        .limit(1)
    )
    if pending is not None:
        return pending, False
    run = JobRun(
        job=name,
        run_on=run_on,
        outcome="queued",
        trigger="admin",
        requested_by_id=actor.id if actor is not None else None,
    )
    session.add(run)
    session.flush()
    record(
        session, actor, audit_action, run, after={"job": run.job, "run_on": run.run_on.isoformat()}
    )
    logger.info("run %s of job %s for %s queued", run.id, run.job, run.run_on)
    return run, True


def report_progress(app: Flask, counts: dict) -> None:
    """Show a running job's progress on its run (best effort, in a short transaction of its own
    so the job's own transaction stays a reader)."""
    run_id = current_run_id.get()
    if run_id is None:
        return
    try:
        with db.engine.connect() as conn:
            # On SQLite a writing job holds the write lock: wait briefly, not the 10 s timeout.
            # The pragma goes to the driver before the transaction begins (BEGIN IMMEDIATE would
            # otherwise wait the full timeout first) and is restored for the pooled connection.
            raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
            if raw is not None:
                raw.execute("PRAGMA busy_timeout=200")
            try:
                with conn.begin():
                    conn.execute(
                        sa.update(JobRun)
                        .where(JobRun.id == run_id, JobRun.outcome == "running")
                        .values(counts=_jsonable_counts(counts))
                    )
            finally:
                if raw is not None:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except sa.exc.OperationalError:
        logger.info("progress of run %s not recorded (database busy)", run_id)


def claim_queued(session) -> list[int]:
    """Mark queued runs as running and return their ids. Each claim is one conditional UPDATE in
    its own transaction, so two processes never take the same run. Commits."""
    queued = list(
        session.scalars(
            sa.select(JobRun.id).where(JobRun.outcome == "queued").order_by(JobRun.id).limit(20)
        )
    )
    session.commit()
    claimed = []
    for run_id in queued:
        taken = session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id, JobRun.outcome == "queued")
            .values(outcome="running", started_at=utcnow(), host=socket.gethostname()[:120])
        ).rowcount
        session.commit()
        if taken == 1:
            claimed.append(run_id)
    return claimed


SCHEDULER_TRIGGERS = ("schedule", "catchup", "admin")  # runs only a scheduler process executes


def fail_interrupted_runs(session) -> int:
    """Mark runs that a scheduler left "running" (it died mid-job) as failed. Called by the
    process that has just taken the scheduler lease, so no other scheduler can be running them;
    `compliance jobs run` runs are left alone. Commits; returns how many were marked."""
    n = session.execute(
        sa.update(JobRun)
        .where(JobRun.outcome == "running", JobRun.trigger.in_(SCHEDULER_TRIGGERS))
        .values(
            outcome="failed",
            finished_at=utcnow(),
            error="Interrupted: the scheduler process stopped while this run was going on.",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if n:
        logger.warning("%s run(s) interrupted by a scheduler stop marked failed", n)
    return n


def _call(spec: JobSpec, app: Flask, run_on: date, run_label) -> tuple[dict, str, str | None]:
    """Run the job in its own application context and unit of work: it commits once when the
    job returns and rolls back when it raises (jobs themselves never commit)."""
    token = current_run_id.set(run_label if isinstance(run_label, int) else None)
    try:
        with app.app_context(), unit_of_work(write=spec.writes):
            counts = _jsonable_counts(spec.func(app, run_on) or {})
        return counts, "success", None
    except Exception:  # a failing job must be recorded, never crash the scheduler
        logger.exception("job %s for %s failed (run %s)", spec.name, run_on, run_label)
        return {}, "failed", traceback.format_exc()[-4000:]
    finally:
        current_run_id.reset(token)


def _run_quiet(app: Flask, spec: JobSpec, run_on: date, trigger: str) -> JobRun:
    """A frequent job fired by the schedule: recorded only when it did something or failed, so an
    idle minute writes nothing at all."""
    started = utcnow()
    with app.app_context():
        counts, outcome, error = _call(spec, app, run_on, "-")
        db.session.rollback()
        run = JobRun(
            job=spec.name,
            run_on=run_on,
            trigger=trigger,
            started_at=started,
            finished_at=utcnow(),
            outcome=outcome,
            counts=counts,
            error=error,
            host=socket.gethostname()[:120],
        )
        if outcome == "success" and not did_work(counts):
            return run
        db.session.add(run)
        db.session.commit()
        db.session.refresh(run)
        db.session.expunge(run)
        db.session.commit()
    logger.info("job %s for %s finished: %s %s", spec.name, run_on, outcome, counts)
    return run


def _execute(app: Flask, spec: JobSpec, run_id: int, run_on: date) -> JobRun:
    # The caller's session has no open transaction here: the job writes through its own session,
    # and on SQLite a read snapshot held across its commit cannot be upgraded to a write after
    # it ("database is locked"). For the same reason the outcome is written by one UPDATE.
    logger.info("job %s for %s started (run %s)", spec.name, run_on, run_id)
    counts, outcome, error = _call(spec, app, run_on, run_id)
    db.session.rollback()  # drop whatever a job left uncommitted in a shared session
    finished = utcnow()
    db.session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id)
        .values(finished_at=finished, outcome=outcome, counts=counts, error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    run = db.session.get(JobRun, run_id, populate_existing=True)
    db.session.expunge(run)
    db.session.commit()
    logger.info("job %s for %s finished: %s %s", spec.name, run_on, outcome, counts)
    return run
