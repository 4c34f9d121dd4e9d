"""The reports page: choose a ledger and filters, download it (or queue it when large), follow
queued exports and download archived monthly reports.

Every export is an audit event, written in the request that asks for it: a direct download
(POST), a queued export (written when the job builds the file; fetching the finished file is a
plain GET that changes nothing), an archived monthly report (a POST button: the download is
recorded)."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..access import roles_required, sites_in_scope
from ..db import db
from ..timeutil import local_today
from .models import ExportJob
from .registry import REPORT_ROLES, LedgerError, get_ledger, ledgers_for, parse_filters
from .services import (
    ascii_file_name,
    count_rows,
    export_ledger,
    monthly_reports_for,
    open_monthly_report,
    queue_export,
    send_ledger_file,
)
from .tasks import start_after_request

bp = Blueprint("ledgers", __name__, url_prefix="/reports")


def current_locale() -> str:
    locale = get_locale()
    return "en" if locale is not None and str(locale).startswith("en") else "zh"


def _ledger_or_404(code: str):
    ledger = get_ledger(code)
    if ledger is None:
        abort(404)
    if not ledger.allowed(current_user):
        abort(403)
    return ledger


def _default_values() -> dict:
    today = local_today()
    return {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}


def _page(selected=None, values=None, errors=None, status=200):
    ledgers = ledgers_for(current_user)
    if not ledgers:
        abort(403)
    if selected is None:
        code = request.args.get("ledger")
        selected = next((x for x in ledgers if x.code == code), ledgers[0])
    jobs = db.session.scalars(
        sa.select(ExportJob)
        .where(ExportJob.user_id == current_user.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
        .limit(15)
    ).all()
    active = any(j.status in ("queued", "running") for j in jobs)
    return render_template(
        "ledgers/index.html",
        ledgers=ledgers,
        selected=selected,
        values=values if values is not None else _default_values(),
        errors=errors or {},
        sites=sites_in_scope(current_user),
        jobs=jobs,
        active=active,
        reports=monthly_reports_for(current_user),
        threshold=current_app.config.get("EXPORT_ASYNC_ROWS", 5000),
    ), status


@bp.route("/")
@roles_required(*REPORT_ROLES)
def index():
    return _page()


def _form_values() -> dict:
    values = {}
    for key in request.form:
        items = request.form.getlist(key)
        values[key] = items if len(items) > 1 or key in ("sites",) else items[0]
    values.pop("csrf_token", None)
    return values


@bp.route("/<code>/export", methods=["POST"])
@roles_required(*REPORT_ROLES)
def export(code: str):
    ledger = _ledger_or_404(code)
    values = _form_values()
    try:
        filters = parse_filters(db.session, current_user, ledger, values)
    except LedgerError as exc:
        return _page(ledger, values, exc.errors, status=400)
    locale = current_locale()
    total = count_rows(db.session, current_user, ledger, filters)
    threshold = current_app.config.get("EXPORT_ASYNC_ROWS", 5000)
    if total > threshold or values.get("queue"):
        job = queue_export(
            db.session, current_user, ledger, filters, locale=locale, route="web", total=total
        )
        start_after_request(current_app._get_current_object(), job.id)
        flash(
            _(
                "The ledger has %(rows)s rows; it is being prepared. It will be offered below "
                "when ready.",
                rows=total,
            ),
            "info",
        )
        return redirect(url_for("ledgers.index", ledger=ledger.code, job=job.id))
    buffer = io.BytesIO()
    result = export_ledger(
        db.session, current_user, ledger, filters, buffer, locale=locale, route="web"
    )
    buffer.seek(0)
    return send_ledger_file(buffer, result.file_name, _fallback(ledger.code, filters))


def _fallback(code: str, filters: dict) -> str:
    return ascii_file_name(code, filters["date_from"].isoformat(), filters["date_to"].isoformat())


def _own_job_or_404(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


def job_status(job: ExportJob, download_endpoint: str = "ledgers.job_file") -> dict:
    return {
        "id": job.id,
        "ledger": job.ledger,
        "status": job.status,
        "progress_rows": job.progress_rows,
        "total_rows": job.total_rows,
        "percent": job.percent,
        "error": job.error,
        "file_name": job.file_name,
        "download_url": (
            url_for(download_endpoint, job_id=job.id)
            if job.status == "done" and job.file_path
            else None
        ),
    }


@bp.route("/jobs/<int:job_id>")
@roles_required(*REPORT_ROLES)
def job(job_id: int):
    return jsonify(job_status(_own_job_or_404(job_id)))


def send_job_file(job: ExportJob):
    if job.status != "done" or not job.file_path or not Path(job.file_path).is_file():
        abort(404)
    filters = job.filters or {}
    fallback = ascii_file_name(job.ledger, filters.get("from"), filters.get("to"))
    return send_ledger_file(job.file_path, job.file_name or fallback, fallback)


@bp.route("/jobs/<int:job_id>/file")
@roles_required(*REPORT_ROLES)
def job_file(job_id: int):
    job = _own_job_or_404(job_id)
    ledger = get_ledger(job.ledger)
    if ledger is None or not ledger.allowed(current_user):
        abort(404)
    return send_job_file(job)


@bp.route("/monthly/<name>", methods=["POST"])
@roles_required(*REPORT_ROLES)
def monthly_file(name: str):
    """Download an archived monthly report (a POST button: the download is recorded)."""
    path = open_monthly_report(db.session, current_user, name)
    return send_ledger_file(path, name, name)


def init_app(app) -> None:
    app.register_blueprint(bp)
