"""The administrators' job history page: registered jobs, the scheduler's state, past runs, and a
button that queues a run for the scheduler process (web workers never run jobs themselves)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import roles_required
from ..db import db
from ..timeutil import local_today
from . import lock
from .forms import HistoryFilterForm, RunJobForm
from .models import OUTCOMES, JobRun
from .registry import get_jobs, queue_run

logger = logging.getLogger(__name__)

bp = Blueprint("scheduler", __name__, url_prefix="/admin/jobs")

OUTCOME_LABELS = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "success": _l("Succeeded"),
    "failed": _l("Failed"),
}
TRIGGER_LABELS = {
    "schedule": _l("Schedule"),
    "catchup": _l("Catch-up"),
    "manual": _l("Command line"),
    "admin": _l("Requested on this page"),
}
PER_PAGE = 50


def _run_form() -> RunJobForm:
    form = RunJobForm()
    form.job.choices = [(name, name) for name in sorted(get_jobs(current_app))]
    if request.method == "GET":
        form.run_on.data = local_today()
    return form


def _job_rows() -> list[dict]:
    from .runner import scheduler_settings

    tz = scheduler_settings(current_app)["tz"]
    specs = get_jobs(current_app)
    latest = (
        sa.select(JobRun.job, sa.func.max(JobRun.id).label("id"))
        .where(JobRun.outcome != "queued")
        .group_by(JobRun.job)
        .subquery()
    )
    last = {
        r.job: r
        for r in db.session.scalars(sa.select(JobRun).join(latest, JobRun.id == latest.c.id))
    }
    now = datetime.now(UTC)
    return [
        {"spec": specs[name], "next": specs[name].next_run_time(tz, now), "last": last.get(name)}
        for name in sorted(specs)
    ]


def _render(form: RunJobForm, status: int = 200):
    filters = HistoryFilterForm(request.args)
    filters.job.choices = [("", _("All jobs"))] + [(n, n) for n in sorted(get_jobs(current_app))]
    filters.outcome.choices = [("", _("All outcomes"))] + [
        (o, str(OUTCOME_LABELS[o])) for o in OUTCOMES
    ]
    stmt = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    job = request.args.get("job", "")
    outcome = request.args.get("outcome", "")
    if job:
        stmt = stmt.where(JobRun.job == job)
    if outcome in OUTCOMES:
        stmt = stmt.where(JobRun.outcome == outcome)
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    holder = lock.current_holder(db.session)
    return render_template(
        "scheduler/history.html",
        form=form,
        filters=filters,
        page=page,
        jobs=_job_rows(),
        holder=holder,
        outcome_labels=OUTCOME_LABELS,
        trigger_labels=TRIGGER_LABELS,
    ), status


@bp.route("/")
@roles_required("admin")
def history():
    return _render(_run_form())


@bp.route("/run", methods=["POST"])
@roles_required("admin")
def request_run():
    form = _run_form()
    if not form.validate_on_submit():
        return _render(form, 422)
    run, created = queue_run(db.session, current_user, form.job.data, form.run_on.data)
    if not created:
        form.job.errors.append(_("This job is already queued or running for that date."))
        return _render(form, 409)
    holder = lock.current_holder(db.session)
    if holder is not None and holder.alive:
        flash(_("The job is queued; the scheduler runs it within a minute."), "success")
    else:
        flash(
            _(
                "The job is queued, but no scheduler is running: start `compliance scheduler` "
                "or run `compliance jobs run %(name)s --date %(date)s`.",
                name=run.job,
                date=run.run_on.isoformat(),
            ),
            "warning",
        )
    return redirect(url_for("scheduler.history"))


@bp.route("/runs/<int:run_id>")
@roles_required("admin")
def run_detail(run_id: int):
    run = db.session.get(JobRun, run_id)
    if run is None:
        abort(404)
    return render_template(
        "scheduler/run.html",
        run=run,
        outcome_labels=OUTCOME_LABELS,
        trigger_labels=TRIGGER_LABELS,
        spec=get_jobs(current_app).get(run.job),
    )
