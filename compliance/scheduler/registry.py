"""The job registry and the one way a job runs (by the scheduler, the CLI or a test)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import Flask

from ..db import db, utcnow
from .models import JobRun

logger = logging.getLogger(__name__)


@dataclass
class JobSpec:
    """A scheduled job. `func(app, run_on) -> dict | None` opens its own transaction, commits once
    and returns counts (e.g. {"notified": 3}). `cron` holds APScheduler cron trigger fields."""

    name: str
    func: Callable
    cron: dict = field(default_factory=lambda: {"hour": 7, "minute": 0})
    description: str = ""


def register_job(app: Flask, name: str, func: Callable, description: str = "", **cron) -> JobSpec:
    """Register (or replace) a job under a stable name."""
    spec = JobSpec(name=name, func=func, cron=cron or {"hour": 7, "minute": 0}, description=description)
    app.extensions.setdefault("compliance_jobs", {})[name] = spec
    return spec


def get_jobs(app: Flask) -> dict[str, JobSpec]:
    return app.extensions.get("compliance_jobs", {})


def run_job(app: Flask, name: str, run_on: date, trigger: str = "manual") -> JobRun:
    """Run one job for a logical date and record the run; failures are recorded, not raised."""
    spec = get_jobs(app)[name]
    with app.app_context():
        run = JobRun(job=name, run_on=run_on, trigger=trigger)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        logger.info("job %s for %s started (run %s)", name, run_on, run_id)
        try:
            counts = spec.func(app, run_on) or {}
            outcome, error = "success", None
        except Exception:  # a failing job must be recorded, never crash the scheduler
            db.session.rollback()
            counts, outcome, error = {}, "failed", traceback.format_exc()[-4000:]
            logger.exception("job %s for %s failed", name, run_on)
        run = db.session.get(JobRun, run_id)
        run.finished_at = utcnow()
        run.outcome = outcome
        run.counts = counts
        run.error = error
        db.session.commit()
        logger.info("job %s for %s finished: %s %s", name, run_on, outcome, counts)
        return run
