"""Every registered job, whichever package registers it, is idempotent for its run date: a
second run for the same date leaves every table exactly as the first run left it and reports no
new work. New jobs are covered automatically."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.db import db
from compliance.demo import load_demo
from compliance.scheduler import get_jobs, run_job
from compliance.timeutil import local_today

# job_run grows by design (one row per run); nothing else may change on a second run.
IGNORED_TABLES = {"job_run"}

# Counts that name work done (the registry asks jobs to name work with a past participle);
# other counts ("checked", "sites_due", "missed_weeks") describe what the job looked at.
WORK_WORDS = (
    "created",
    "notified",
    "sent",
    "emailed",
    "escalated",
    "reminded",
    "executed",
    "deleted",
    "purged",
    "inserted",
    "updated",
    "generated",
    "exported",
    "drawn",
    "added",
    "closed",
    "reopened",
    "moved",
    "recorded",
    "scheduled",
    "published",
    "flagged",
    "assigned",
    "paired",
    "written",
)


def reported_work(counts: dict | None) -> dict:
    return {
        key: value
        for key, value in (counts or {}).items()
        if any(word in key for word in WORK_WORDS)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value
    }


def _state() -> dict[str, list]:
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in IGNORED_TABLES:
            continue
        rows = db.session.execute(sa.select(table)).all()
        state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return state


def _diff(before: dict, after: dict) -> list[str]:
    problems = []
    for name in before:
        if before[name] != after[name]:
            added = len(after[name]) - len(before[name])
            problems.append(
                f"{name}: {len(before[name])} -> {len(after[name])} rows"
                + ("" if added else " (rows changed)")
            )
    return problems


def test_every_registered_job_run_twice_for_one_date_changes_nothing_the_second_time(app):
    load_demo(app, db.session)
    db.session.commit()
    today = local_today()
    jobs = sorted(get_jobs(app))
    assert "core.purge_sessions" in jobs and "notifications.send_email" in jobs
    failures = []
    for name in jobs:
        first = run_job(app, name, today, trigger="manual")
        if first.outcome != "success":
            failures.append(f"{name}: first run failed: {first.error}")
            continue
        before = _state()
        second = run_job(app, name, today, trigger="manual")
        after = _state()
        if second.outcome != "success":
            failures.append(f"{name}: second run failed: {second.error}")
        for problem in _diff(before, after):
            failures.append(f"{name}: second run changed {problem}")
        if reported_work(second.counts):
            failures.append(f"{name}: second run reported work {reported_work(second.counts)}")
    assert not failures, "\n".join(failures)
