"""The scheduler process: hold the lease, run registered jobs on their cron schedule, pick up runs
that an administrator queued, and give the lease up on SIGTERM.

Exactly one process runs jobs. A second one started against the same database logs who holds
the lease and either exits (`--no-wait`) or stands by until the lease expires.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from ..db import db
from . import lock
from .models import JobRun
from .registry import (
    JobSpec,
    claim_queued,
    fail_interrupted_runs,
    get_jobs,
    run_claimed,
    run_job,
)

logger = logging.getLogger(__name__)

# Seconds without a heartbeat before another process may take over; the holder renews at half
# that. SQLite gets a longer lease: every write there can make a concurrent web request that
# read first fail to write ("database is locked"), so the scheduler writes as rarely as it can.
DEFAULT_LOCK_TTL = 120
SQLITE_LOCK_TTL = 600
DEFAULT_POLL = 10  # seconds between checks of the lease and of the run queue (reads only)
# A daily job whose time passed while the scheduler was restarting still runs if the scheduler is
# back within this many seconds (APScheduler's misfire_grace_time and our start-up catch-up).
DEFAULT_MISFIRE_GRACE = 6 * 3600


def scheduler_settings(app: Flask) -> dict:
    return {
        "ttl": float(
            app.config.get("SCHEDULER_LOCK_TTL")
            or (
                SQLITE_LOCK_TTL
                if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
                else DEFAULT_LOCK_TTL
            )
        ),
        "poll": float(app.config.get("SCHEDULER_POLL_SECONDS", DEFAULT_POLL)),
        "grace": int(app.config.get("SCHEDULER_MISFIRE_GRACE", DEFAULT_MISFIRE_GRACE)),
        "tz": ZoneInfo(app.config.get("TIMEZONE", "Asia/Shanghai")),
    }


def local_run_date(app: Flask, when: datetime | None = None):
    """The logical run date of a firing: the local date at that moment."""
    tz = scheduler_settings(app)["tz"]
    return (when or datetime.now(UTC)).astimezone(tz).date()


def build_scheduler(app: Flask, fire, grace: int | None = None) -> BackgroundScheduler:
    """An APScheduler with one job per registered spec (id = the job's stable name).

    `fire(name)` is what each APScheduler job calls. Adding a spec twice replaces it.
    """
    settings = scheduler_settings(app)
    scheduler = BackgroundScheduler(
        timezone=settings["tz"],
        executors={"default": JobExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": grace or settings["grace"],
            "max_instances": 1,
        },
    )
    for spec in get_jobs(app).values():
        add_spec(scheduler, spec, fire)
    return scheduler


def add_spec(scheduler, spec: JobSpec, fire) -> None:
    scheduler.add_job(
        fire,
        spec.trigger(scheduler.timezone),
        args=[spec.name],
        id=spec.name,
        name=spec.name,
        replace_existing=True,
    )


def missed_firing(spec: JobSpec, tz, now: datetime, grace: int) -> datetime | None:
    """The latest firing of `spec` in (now - grace, now], or None."""
    trigger = spec.trigger(tz)
    start = (now - timedelta(seconds=grace)).astimezone(tz)
    last = None
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(last, last + timedelta(seconds=1))
    return last


class SchedulerService:
    """Runs jobs while holding the lease; `run()` blocks until `stop()` (e.g. on SIGTERM)."""

    def __init__(self, app: Flask, owner: str | None = None) -> None:
        self.app = app
        self.owner = owner or lock.make_owner_id()
        self.settings = scheduler_settings(app)
        self.stop_event = threading.Event()
        self.holding = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self._lease_until: datetime | None = None
        self._run_lock = threading.Lock()  # one job at a time, scheduled or one-off
        self._oneoff: ThreadPoolExecutor | None = None
        # APScheduler logs two lines per execution; every-minute jobs would flood the log, and
        # registry.run_job logs each run that matters.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)

    # -- lease ---------------------------------------------------------------------------------
    def _engine(self):
        with self.app.app_context():
            return db.engine

    def _acquire(self) -> bool:
        from ..db import utcnow

        try:
            ok = lock.try_acquire(self._engine(), self.owner, self.settings["ttl"])
        except sa.exc.OperationalError as exc:
            logger.warning("scheduler lock: database unavailable (%s); retrying", exc.orig)
            return False
        if ok:
            self._lease_until = utcnow() + timedelta(seconds=self.settings["ttl"])
        return ok

    def renew(self, force: bool = False) -> bool:
        """Renew the lease once half of it has run out; False once it is lost. A database hiccup
        is tolerated while the lease we last renewed has not expired."""
        from ..db import utcnow

        half = timedelta(seconds=self.settings["ttl"] / 2)
        if not force and self._lease_until is not None and self._lease_until - utcnow() > half:
            return True  # nobody can take an unexpired lease: no need to write yet
        try:
            ok = lock.heartbeat(self._engine(), self.owner, self.settings["ttl"])
        except sa.exc.OperationalError as exc:
            logger.warning("scheduler heartbeat failed (%s)", exc.orig)
            return self._lease_until is not None and utcnow() < self._lease_until
        if ok:
            self._lease_until = utcnow() + timedelta(seconds=self.settings["ttl"])
        return ok

    # -- jobs ----------------------------------------------------------------------------------
    def fire(self, name: str) -> None:
        """Called by APScheduler at a job's time: run it for today's local date."""
        with self._run_lock:
            if not self.renew():
                logger.error(
                    "job %s not run: process %s no longer holds the scheduler lock",
                    name,
                    self.owner,
                )
                return
            run_job(self.app, name, local_run_date(self.app), trigger="schedule")

    def _run_catchup(self, name: str, run_on) -> None:
        with self._run_lock:
            try:
                if self.renew():
                    run_job(self.app, name, run_on, trigger="catchup")
            except Exception:  # e.g. the database is unreachable; the next start retries
                logger.exception("catch-up run of %s for %s could not be recorded", name, run_on)

    def _run_claimed(self, run_id: int) -> None:
        with self._run_lock:
            try:
                run_claimed(self.app, run_id)
            except Exception:
                logger.exception("queued run %s could not be recorded", run_id)

    def submit(self, func, *args) -> None:
        """Run a one-off (catch-up or queued run) on this service's own worker thread. (One-off
        APScheduler jobs race with its shutdown in 3.x and raise JobLookupError.)"""
        self._oneoff.submit(func, *args)

    def catch_up(self) -> list[tuple[str, object]]:
        """Queue a run for each firing missed within the grace time while no scheduler ran
        (a restart across 07:00 must not skip the 07:00 job)."""
        now = datetime.now(UTC)
        scheduled = []
        with self.app.app_context():
            for spec in get_jobs(self.app).values():
                missed = missed_firing(spec, self.settings["tz"], now, self.settings["grace"])
                if missed is None:
                    continue
                following = spec.trigger(self.settings["tz"]).get_next_fire_time(
                    missed, missed + timedelta(seconds=1)
                )
                if following is not None and following - missed <= timedelta(hours=1):
                    continue  # a frequent job: its next regular run comes soon enough
                run_on = missed.date()
                missed_utc = missed.astimezone(UTC).replace(tzinfo=None)
                done = db.session.scalar(
                    sa.select(JobRun.id)
                    .where(
                        JobRun.job == spec.name,
                        sa.or_(
                            JobRun.started_at >= missed_utc,
                            sa.and_(JobRun.run_on == run_on, JobRun.outcome == "success"),
                        ),
                    )
                    .limit(1)
                )
                if done is None:
                    logger.info(
                        "job %s missed its run at %s; running it now for %s",
                        spec.name,
                        missed.isoformat(),
                        run_on,
                    )
                    scheduled.append((spec.name, run_on))
            db.session.remove()
        for name, run_on in scheduled:
            self.submit(self._run_catchup, name, run_on)
        return scheduled

    def poll_queue(self) -> list[int]:
        """Hand runs that an administrator queued to the executor."""
        with self.app.app_context():
            claimed = claim_queued(db.session)
            db.session.remove()
        for run_id in claimed:
            logger.info("running queued run %s", run_id)
            self.submit(self._run_claimed, run_id)
        return claimed

    # -- main loop -----------------------------------------------------------------------------
    def stop(self, *_args) -> None:
        logger.info("scheduler %s stopping", self.owner)
        self.stop_event.set()

    def run(self, wait: bool = True) -> int:
        """Run until stopped. Returns 0 after a clean stop, 1 when refused with `wait=False`."""
        poll = self.settings["poll"]
        while not self.stop_event.is_set():
            if not self._acquire():
                try:
                    holder = lock.current_holder(self._engine())
                except sa.exc.SQLAlchemyError:
                    holder = None
                who = (
                    f"{holder.owner} (last heartbeat {holder.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
                    if holder
                    else "another process"
                )
                if not wait:
                    logger.error(
                        "Another scheduler is running: the scheduler lock is held by %s. "
                        "This process (%s) will not run jobs.",
                        who,
                        self.owner,
                    )
                    return 1
                logger.warning(
                    "Another scheduler is running: the scheduler lock is held by %s. "
                    "Standing by; this process (%s) runs no jobs until the lock "
                    "expires.",
                    who,
                    self.owner,
                )
                while not self.stop_event.wait(poll):
                    if self._acquire():
                        break
                else:
                    break
            logger.info(
                "scheduler lock acquired by %s; running %d job(s): %s",
                self.owner,
                len(get_jobs(self.app)),
                ", ".join(sorted(get_jobs(self.app))),
            )
            self._serve(poll)
        return 0

    def _fail_interrupted(self) -> None:
        with self.app.app_context():
            fail_interrupted_runs(db.session)
            db.session.remove()

    @staticmethod
    def _safely(step) -> None:
        """A database outage must not end the scheduler: log it and try again next time."""
        try:
            step()
        except sa.exc.SQLAlchemyError as exc:
            logger.warning(
                "scheduler step %s failed (%s); retrying later",
                step.__name__,
                getattr(exc, "orig", exc),
            )

    def _serve(self, poll: float) -> None:
        self._oneoff = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scheduler-oneoff")
        self.scheduler = build_scheduler(self.app, self.fire)
        self.scheduler.start()
        self.holding.set()
        try:
            for job in self.scheduler.get_jobs():
                logger.info("job %s next runs at %s", job.id, job.next_run_time)
            self._safely(self._fail_interrupted)
            self._safely(self.catch_up)
            self._safely(self.poll_queue)
            while not self.stop_event.wait(poll):
                if not self.renew():
                    logger.error(
                        "scheduler %s lost the scheduler lock; stopping its jobs", self.owner
                    )
                    break
                self._safely(self.poll_queue)
        finally:
            self.holding.clear()
            self.scheduler.shutdown(wait=True)
            self._oneoff.shutdown(wait=True, cancel_futures=True)
            self.scheduler = None
            if self.stop_event.is_set():
                try:
                    lock.release(self._engine(), self.owner)
                    logger.info("scheduler %s stopped and released the lock", self.owner)
                except sa.exc.OperationalError as exc:
                    logger.warning(
                        "could not release the scheduler lock (%s); it expires by itself", exc.orig
                    )


def start_embedded_scheduler(app: Flask) -> SchedulerService:
    """Run the scheduler in a background thread of this process (single-process demo only).

    The database lease guards it: a second worker or a reloader child that calls this too only
    stands by. Calling it twice in one process returns the running service.
    """
    import atexit

    existing = app.extensions.get("embedded_scheduler")
    if existing is not None and existing.thread.is_alive():
        return existing
    service = SchedulerService(app)
    service.thread = threading.Thread(
        target=service.run, kwargs={"wait": True}, name="compliance-scheduler", daemon=True
    )
    app.extensions["embedded_scheduler"] = service
    service.thread.start()

    def _stop() -> None:
        service.stop()
        service.thread.join(timeout=30)

    atexit.register(_stop)
    return service
