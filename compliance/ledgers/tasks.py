"""Exports that run as jobs: queued exports (on a thread of the web process that queued them, or
picked up by the every-minute queue job) and last month's reports written on the 1st.

The scheduled jobs run inside the job runner's application context and unit of work. A queued
export commits in steps of its own, as a batch job does: claiming the job (so no other worker
takes it), its progress (so the page can show it), then the file and its audit event together,
or, when it fails, the failure."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, after_this_request
from flask_babel import force_locale
from flask_babel import gettext as _

from ..db import db, utcnow
from ..domain import N_, DomainError, ForbiddenError, NotFoundError
from ..uow import commit_batch, track_file, unit_of_work
from .models import ExportJob
from .registry import LedgerError, get_ledger, parse_filters, previous_month
from .services import (
    MONTHLY_LEDGERS,
    export_ledger,
    exports_folder,
    file_name_for,
    monthly_folder,
)

logger = logging.getLogger(__name__)

KEEP_EXPORT_DAYS = 7


# -- queued exports -----------------------------------------------------------------------------


def claim_job(session, job_id: int) -> bool:
    """Move a queued job to running (flushes); False when another worker got it first."""
    result = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    return result.rowcount == 1


def run_export_job(job_id: int, progress_every: int = 2000) -> str:
    """Claim and run one queued job inside the current app context, committing as it goes
    (claim, progress, result). Returns the job's final status ("skipped" when someone else
    claimed it). Call it with nothing pending in the session."""
    session = db.session
    with unit_of_work(session):
        claimed = claim_job(session, job_id)
    if not claimed:
        return "skipped"
    job = session.get(ExportJob, job_id)
    with force_locale(job.locale):
        return _run_claimed_job(session, job, progress_every)


def _run_claimed_job(session, job: ExportJob, progress_every: int) -> str:
    job_id = job.id
    path = exports_folder() / f"job-{job.id}-{secrets.token_hex(8)}.xlsx"
    part = path.with_suffix(".part")
    try:
        with unit_of_work(session):
            ledger = get_ledger(job.ledger)
            if ledger is None:
                raise NotFoundError("ledger.gone", N_("This ledger is no longer available."))
            user = job.user
            if not user.active:
                raise ForbiddenError(
                    "ledger.account_disabled",
                    N_("The account that asked for this export is disabled."),
                )
            filters = parse_filters(session, user, ledger, job.filters)

            def progress(n: int) -> None:
                if n and n % progress_every == 0:
                    session.execute(
                        sa.update(ExportJob).where(ExportJob.id == job_id).values(progress_rows=n)
                    )
                    commit_batch(session)

            result = export_ledger(
                session,
                user,
                ledger,
                filters,
                str(part),
                locale=job.locale,
                route=job.route,
                progress=progress,
                file_name=file_name_for(ledger, filters, job.locale),
            )
            os.replace(part, path)
            track_file(session, path)  # removed again if this transaction rolls back
            job = session.get(ExportJob, job_id)
            job.status = "done"
            job.progress_rows = result.rows
            job.total_rows = result.rows
            job.file_path = str(path)
            job.file_name = result.file_name
            job.finished_at = utcnow()
        return "done"
    except Exception as exc:
        for leftover in (path, part):
            leftover.unlink(missing_ok=True)
        with unit_of_work(session):
            job = session.get(ExportJob, job_id)
            job.status = "failed"
            job.error = (
                exc.translated() if isinstance(exc, DomainError) else _("The export failed.")
            )
            job.finished_at = utcnow()
        if not isinstance(exc, DomainError):
            logger.exception("export job %s failed", job_id)
        return "failed"


def _failure_text(exc: Exception) -> str:
    """Why a queued export failed, in the job's language (its bad fields, for a request that is
    no longer valid; nothing internal for an unexpected error)."""
    if isinstance(exc, LedgerError):
        return str(exc)
    if isinstance(exc, DomainError):
        return exc.translated()
    return _("The export failed.")


def pending_job_ids(session, limit: int = 10) -> list[int]:
    return list(
        session.scalars(
            sa.select(ExportJob.id)
            .where(ExportJob.status == "queued")
            .order_by(ExportJob.created_at, ExportJob.id)
            .limit(limit)
        )
    )


def start_background(app: Flask, job_id: int) -> None:
    """Run a queued job on a thread of this process, so the request returns at once. The thread
    is a job of its own: a fresh session, and the job's own commits."""
    if app.config.get("EXPORT_WORKER", "thread") != "thread":
        return

    def work():
        with app.app_context():
            # A fresh session: never one left registered under a recycled context id.
            db.session.remove()
            try:
                run_export_job(job_id)
            finally:
                db.session.remove()

    threading.Thread(target=work, name=f"export-job-{job_id}", daemon=True).start()


def start_after_request(app: Flask, job_id: int) -> None:
    """Start the job's thread once the request that queued it has committed (the thread must
    find the job; if the request fails after all, the thread finds nothing to claim)."""

    @after_this_request
    def _start(response):
        start_background(app, job_id)
        return response


def process_queue_job(app: Flask, run_on: date) -> dict:
    """Scheduled every minute: runs jobs still queued (e.g. queued by another process), fails
    jobs whose worker died (running for over two hours) and deletes finished files after a week."""
    exported = failed = removed = 0
    old = utcnow() - timedelta(days=KEEP_EXPORT_DAYS)
    for job in db.session.scalars(
        sa.select(ExportJob).where(
            ExportJob.status == "done",
            ExportJob.file_path.is_not(None),
            ExportJob.finished_at < old,
        )
    ):
        Path(job.file_path).unlink(missing_ok=True)
        job.file_path = None
        removed += 1
    stale = utcnow().timestamp() - 2 * 3600
    for job in db.session.scalars(sa.select(ExportJob).where(ExportJob.status == "running")):
        if job.started_at and job.started_at.timestamp() < stale:
            job.status = "failed"
            job.error = _("The export was interrupted.")
            job.finished_at = utcnow()
            failed += 1
    commit_batch()  # the housekeeping stays done whatever the exports below do
    for job_id in pending_job_ids(db.session):
        outcome = run_export_job(job_id)
        exported += outcome == "done"
        failed += outcome == "failed"
    return {"exported": exported, "failed": failed, "removed": removed}


# -- monthly reports ----------------------------------------------------------------------------


def monthly_reports_job(app: Flask, run_on: date) -> dict:
    """On the 1st: last month's summary and rectification ledger into the reports folder, as
    system exports. Idempotent: a month already written is skipped. A file and its audit event
    go together: the file is removed again if the job's transaction rolls back."""
    written = skipped = 0
    start, end = previous_month(run_on)
    folder = monthly_folder(app)
    locale = app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    with force_locale(locale):
        for code in MONTHLY_LEDGERS:
            ledger = get_ledger(code, app)
            if ledger is None:
                continue
            final = folder / f"{start:%Y-%m}-{code}.xlsx"
            if final.exists():
                skipped += 1
                continue
            part = final.with_suffix(".part")
            filters = parse_filters(
                db.session, None, ledger, {"from": start.isoformat(), "to": end.isoformat()}
            )
            try:
                export_ledger(
                    db.session,
                    None,
                    ledger,
                    filters,
                    str(part),
                    locale=locale,
                    route="monthly",
                    file_name=final.name,
                )
            except BaseException:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, final)
            track_file(db.session, final)
            written += 1
    return {"written": written, "skipped": skipped}
