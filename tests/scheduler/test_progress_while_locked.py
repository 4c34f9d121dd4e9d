"""A writing job's progress report on SQLite waits briefly for the write lock, not the 10 s busy
timeout, and the pooled connection gets its normal timeout back."""

import sqlite3
import time
from datetime import date

import pytest
import sqlalchemy as sa

from compliance.db import SQLITE_BUSY_TIMEOUT_MS, db
from compliance.scheduler.models import JobRun
from compliance.scheduler.registry import current_run_id, report_progress


def test_progress_report_gives_up_quickly_while_a_writer_holds_the_lock(fresh_app, backend):
    if backend != "sqlite":
        pytest.skip("only SQLite has a single write lock that a progress report can wait on")
    app = fresh_app()
    with app.app_context():
        run = JobRun(job="demo.job", run_on=date(2026, 1, 5), outcome="running", trigger="admin")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        path = db.engine.url.database
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    token = current_run_id.set(run_id)
    try:
        with app.app_context():
            started = time.monotonic()
            report_progress(app, {"done": 1})
            waited = time.monotonic() - started
            with db.engine.connect() as conn:
                timeout = conn.connection.dbapi_connection.execute(
                    "PRAGMA busy_timeout"
                ).fetchone()[0]
    finally:
        current_run_id.reset(token)
        holder.rollback()
        holder.close()
    assert waited < 5, f"the report waited {waited:.1f} s for the lock"
    assert timeout == SQLITE_BUSY_TIMEOUT_MS
    holder_free = sqlite3.connect(path)
    counts = holder_free.execute("SELECT counts FROM job_run WHERE id = ?", (run_id,)).fetchone()[0]
    holder_free.close()
    assert counts in (None, "null")  # nothing recorded while the lock was held


def test_progress_is_recorded_when_the_database_is_free(fresh_app):
    app = fresh_app()
    with app.app_context():
        run = JobRun(job="demo.job", run_on=date(2026, 1, 5), outcome="running", trigger="admin")
        db.session.add(run)
        db.session.commit()
        token = current_run_id.set(run.id)
        try:
            report_progress(app, {"done": 3, "total": 9})
        finally:
            current_run_id.reset(token)
        db.session.rollback()  # a fresh snapshot: the report committed on its own connection
        assert db.session.scalar(sa.select(JobRun.counts).where(JobRun.id == run.id)) == {
            "done": 3,
            "total": 9,
        }
