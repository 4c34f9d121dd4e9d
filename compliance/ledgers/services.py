"""Exporting a ledger: the one path the page, the API, the command line, the queue and the monthly
job all take. Every export writes an audit event naming the user, the ledger, the filters and the
row count, in the caller's transaction."""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..audit import record
from ..db import db, utcnow
from ..models import Site, User
from ..timeutil import local_now
from .models import ExportJob
from .registry import (
    COMMON_LABELS,
    Ledger,
    LedgerError,
    describe_filters,
    get_ledger,
    parse_filters,
    previous_month,
)
from .writer import ExportInfo, LedgerWriter

logger = logging.getLogger(__name__)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHLY_LEDGERS = ("summary", "rectifications")
_MONTHLY_NAME = re.compile(r"^(\d{4}-\d{2})-([a-z_]+)\.xlsx$")


class LedgerAccessError(LedgerError):
    """The user's roles do not include this ledger."""


@dataclass
class ExportResult:
    rows: int
    file_name: str


def user_locale(user: User | None, default: str = "zh") -> str:
    if user is not None and user.locale in ("zh", "en"):
        return user.locale
    return default


def check_access(user: User | None, ledger: Ledger) -> None:
    if not ledger.allowed(user):
        raise LedgerAccessError(_("Your role cannot export this ledger."))


def file_name_for(ledger: Ledger, filters: dict, locale: str) -> str:
    with force_locale(locale):
        title = str(ledger.title)
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", title).strip("_") or ledger.code
    return f"{safe}_{filters['date_from'].isoformat()}_{filters['date_to'].isoformat()}.xlsx"


def _parameters(session, user: User | None, ledger: Ledger, filters: dict) -> list[tuple[str, str]]:
    """The filters in words, for the parameters block (inside the export's locale)."""
    params = [
        (str(COMMON_LABELS["date_from"]), filters["date_from"].isoformat()),
        (str(COMMON_LABELS["date_to"]), filters["date_to"].isoformat()),
    ]
    if filters.get("site_codes"):
        names = session.execute(
            sa.select(Site.code, Site.name)
            .where(Site.code.in_(filters["site_codes"]))
            .order_by(Site.code)
        ).all()
        params.append((str(COMMON_LABELS["sites"]), "; ".join(f"{c} {n}" for c, n in names)))
    else:
        if user is None or user.all_sites:
            scope = _("All sites")
        else:
            names = session.scalars(
                sa.select(Site.name).where(Site.id.in_(user.scope_site_ids)).order_by(Site.code)
            ).all()
            scope = _("Sites in your scope: %(names)s", names="; ".join(names))
        params.append((str(COMMON_LABELS["sites"]), scope))
    for spec in ledger.filters:
        value = filters.get(spec.key)
        if spec.kind == "staff":
            value = filters.get(spec.key + "_numbers")
        if value in (None, [], False):
            continue
        if spec.kind == "bool":
            text = _("Yes")
        elif spec.kind in ("choice", "one"):
            values = value if isinstance(value, list) else [value]
            text = ", ".join(str(spec.choices.get(v, v)) for v in values)
        else:
            text = ", ".join(map(str, value))
        params.append((str(spec.label), text))
    return params


def export_ledger(
    session,
    user: User | None,
    ledger: Ledger,
    filters: dict,
    target,
    *,
    locale: str = "zh",
    route: str = "web",
    progress: Callable[[int], None] | None = None,
    file_name: str | None = None,
) -> ExportResult:
    """Write `ledger` with validated `filters` (see `parse_filters`) to `target` (a path or a binary
    file object) as `user` sees it (None = a system export of every site), then record the audit
    event. Flushes, never commits.

    Raises LedgerAccessError when the user's roles do not include the ledger."""
    check_access(user, ledger)
    file_name = file_name or file_name_for(ledger, filters, locale)
    tzname = current_app.config.get("TIMEZONE", "Asia/Shanghai")
    with force_locale(locale):
        info = ExportInfo(
            title=str(ledger.title),
            parameters=_parameters(session, user, ledger, filters),
            exported_by=(
                f"{user.display_name} ({user.username})"
                if user is not None
                else _("System (scheduled job)")
            ),
            exported_at=local_now(tzname).replace(tzinfo=None, microsecond=0),
        )
        block_labels = {
            "ledger": _("Ledger"),
            "exported_by": _("Exported by"),
            "exported_at": _("Exported at"),
            "rows": _("Rows"),
        }
        if ledger.render is not None:
            rows = ledger.render(
                session,
                user,
                filters,
                target,
                info=info,
                labels=block_labels,
                timezone=tzname,
                progress=progress,
            )
        else:
            labels = [str(c.label) for c in ledger.columns]
            enum_labels = {
                c.key: {k: str(v) for k, v in c.choices.items()}
                for c in ledger.columns
                if c.choices
            }
            writer = LedgerWriter(
                ledger.columns,
                labels,
                info,
                timezone=tzname,
                enum_labels=enum_labels,
                parameters_title=_("Parameters"),
                labels_block=block_labels,
            )
            writer.write_rows(ledger.rows(session, user, filters), progress=progress)
            rows = writer.finish(target)
    record(
        session,
        user,
        "ledger.export",
        entity_type="Ledger",
        entity_id=ledger.code,
        after={
            "ledger": ledger.code,
            "filters": describe_filters(ledger, filters),
            "rows": rows,
            "route": route,
            "file": file_name,
        },
    )
    logger.info(
        "ledger %s exported by %s via %s: %s rows",
        ledger.code,
        user.id if user is not None else "system",
        route,
        rows,
    )
    return ExportResult(rows=rows, file_name=file_name)


def count_rows(session, user: User | None, ledger: Ledger, filters: dict) -> int:
    if ledger.count is None:
        return 0
    return ledger.count(session, user, filters)


# -- queued exports -----------------------------------------------------------------------------


def exports_folder(app: Flask | None = None) -> Path:
    app = app or current_app
    folder = Path(app.config["REPORTS_FOLDER"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def queue_export(
    session,
    user: User,
    ledger: Ledger,
    filters: dict,
    *,
    locale: str,
    route: str = "web",
    total: int | None = None,
) -> ExportJob:
    """Record an export to run in the background. Flushes, never commits.

    Raises LedgerAccessError when the user's roles do not include the ledger."""
    check_access(user, ledger)
    job = ExportJob(
        user_id=user.id,
        ledger=ledger.code,
        filters=describe_filters(ledger, filters),
        locale=locale,
        route=route,
        status="queued",
        total_rows=total,
    )
    session.add(job)
    session.flush()
    logger.info("export job %s queued by %s for %s (%s rows)", job.id, user.id, ledger.code, total)
    return job


def claim_job(session, job_id: int) -> bool:
    """Move a queued job to running; False when another worker got it first."""
    result = session.execute(
        sa.update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1


def run_export_job(job_id: int, progress_every: int = 2000) -> str:
    """Claim and run one queued job inside the current app context; commits its progress as it
    goes. Returns the job's final status ("skipped" when someone else claimed it)."""
    session = db.session
    if not claim_job(session, job_id):
        return "skipped"
    job = session.get(ExportJob, job_id)
    with force_locale(job.locale):
        return _run_claimed_job(session, job, progress_every)


def _run_claimed_job(session, job: ExportJob, progress_every: int) -> str:
    job_id = job.id
    path = None
    try:
        ledger = get_ledger(job.ledger)
        if ledger is None:
            raise LedgerError(_("This ledger is no longer available."))
        user = job.user
        if not user.active:
            raise LedgerError(_("The account that asked for this export is disabled."))
        filters = parse_filters(session, user, ledger, job.filters)
        file_name = file_name_for(ledger, filters, job.locale)
        path = exports_folder() / f"job-{job.id}-{secrets.token_hex(8)}.xlsx"
        part = path.with_suffix(".part")

        def progress(n: int) -> None:
            if n and n % progress_every == 0:
                session.execute(
                    sa.update(ExportJob).where(ExportJob.id == job_id).values(progress_rows=n)
                )
                session.commit()

        result = export_ledger(
            session,
            user,
            ledger,
            filters,
            str(part),
            locale=job.locale,
            route=job.route,
            progress=progress,
            file_name=file_name,
        )
        os.replace(part, path)
        job = session.get(ExportJob, job_id)
        job.status = "done"
        job.progress_rows = result.rows
        job.total_rows = result.rows
        job.file_path = str(path)
        job.file_name = result.file_name
        job.finished_at = utcnow()
        session.commit()
        return "done"
    except Exception as exc:
        session.rollback()
        if path is not None:
            for leftover in (path, path.with_suffix(".part")):
                leftover.unlink(missing_ok=True)
        job = session.get(ExportJob, job_id)
        job.status = "failed"
        job.error = str(exc) if isinstance(exc, LedgerError) else _("The export failed.")
        job.finished_at = utcnow()
        session.commit()
        if not isinstance(exc, LedgerError):
            logger.exception("export job %s failed", job_id)
        return "failed"


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
    """Run a queued job on a thread of this process, so the request returns at once."""
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


KEEP_EXPORT_DAYS = 7


def process_queue_job(app: Flask, run_on: date) -> dict:
    """Scheduled every minute: runs jobs still queued (e.g. queued by another process), fails
    jobs whose worker died (running for over two hours) and deletes finished files after a week."""
    exported = failed = removed = 0
    with app.app_context():
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
        db.session.commit()
        for job_id in pending_job_ids(db.session):
            outcome = run_export_job(job_id)
            exported += outcome == "done"
            failed += outcome == "failed"
    return {"exported": exported, "failed": failed, "removed": removed}


# -- monthly reports ----------------------------------------------------------------------------


def monthly_folder(app: Flask | None = None) -> Path:
    app = app or current_app
    folder = Path(app.config["REPORTS_FOLDER"]) / "monthly"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def monthly_reports_job(app: Flask, run_on: date) -> dict:
    """On the 1st: last month's summary and rectification ledger into the reports folder, as
    system exports. Idempotent: a month already written is skipped."""
    written = skipped = 0
    with app.app_context():
        start, end = previous_month(run_on)
        folder = monthly_folder(app)
        locale = app.config.get("BABEL_DEFAULT_LOCALE", "zh")
        finished: list[tuple[Path, Path]] = []
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
                finished.append((part, final))
                written += 1
        db.session.commit()
        for part, final in finished:
            os.replace(part, final)
    return {"written": written, "skipped": skipped}


@dataclass
class MonthlyReport:
    name: str
    month: str
    ledger: Ledger
    size: int
    modified: datetime


def monthly_reports_for(user: User, app: Flask | None = None) -> list[MonthlyReport]:
    """Archived monthly reports the user may download: they hold every site, so only users whose
    scope is every site and whose role includes the ledger see them."""
    app = app or current_app
    if not user.all_sites:
        return []
    folder = Path(app.config["REPORTS_FOLDER"]) / "monthly"
    if not folder.is_dir():
        return []
    reports = []
    for path in folder.iterdir():
        match = _MONTHLY_NAME.match(path.name)
        if not match:
            continue
        ledger = get_ledger(match.group(2), app)
        if ledger is None or not ledger.allowed(user):
            continue
        stat = path.stat()
        reports.append(
            MonthlyReport(
                path.name,
                match.group(1),
                ledger,
                stat.st_size,
                datetime.fromtimestamp(stat.st_mtime),
            )
        )
    reports.sort(key=lambda r: (r.month, r.ledger.order), reverse=True)
    return reports


def monthly_report_path(
    user: User, name: str, app: Flask | None = None
) -> tuple[Path, MonthlyReport] | None:
    for report in monthly_reports_for(user, app):
        if report.name == name:
            return monthly_folder(app) / name, report
    return None
