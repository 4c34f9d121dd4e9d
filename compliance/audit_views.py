"""Pages to browse and filter the audit trail (read-only) and to verify its hash chain, and the
registration of the trail's ledger and nightly check.

Who may read which events lives in `compliance.audit_scope` (`register_audit_scope` and
`scope_clause` are imported from here by the feature packages), the ledger in
`compliance.audit_ledger`, the nightly check in `compliance.audit_jobs`.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, ValidationError
from wtforms.validators import Length, Optional

from .access import roles_required
from .audit_jobs import FULL, NIGHTLY, problem_of, verify_chain_full_job, verify_chain_job
from .audit_ledger import register_audit_ledger
from .audit_scope import (  # noqa: F401  (register_audit_scope, restrict_audit_entities: packages)
    AuditFilters,
    diff_rows,
    events_query,
    register_audit_scope,
    restrict_audit_entities,
    scope_clause,
)
from .db import db
from .domain import translate
from .integers import page_arg
from .models import AuditEvent
from .scheduler import lock, register_job
from .scheduler.models import JobRun
from .scheduler.registry import queue_run
from .timeutil import local_today
from .ui import register_nav

logger = logging.getLogger(__name__)

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("Actor (username)"), validators=[Optional(), Length(max=64)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    entity_type = StringField(_l("Record type"), validators=[Optional(), Length(max=64)])
    entity_id = StringField(_l("Record id"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


@bp.route("")
@roles_required("admin", "discipline")
def events():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    page = page_arg()
    rows: list[AuditEvent] = []
    has_next = False
    if valid:
        filters = AuditFilters(
            actor=form.actor.data or None,
            action=form.action.data or None,
            entity_type=form.entity_type.data or None,
            entity_id=form.entity_id.data or None,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
        # No COUNT(*) over a table of millions of rows: fetch one extra row to know if more follow.
        rows = list(
            db.session.scalars(
                events_query(db.session, filters, current_user)
                .offset((page - 1) * PER_PAGE)
                .limit(PER_PAGE + 1)
            )
        )
        has_next = len(rows) > PER_PAGE
        rows = rows[:PER_PAGE]
    args = {k: v for k, v in request.args.items() if k != "page"}
    last_check = last_nightly_check() if current_user.has_role("admin") else None
    return render_template(
        "audit/events.html",
        form=form,
        events=rows,
        page=page,
        has_next=has_next,
        args=args,
        last_check=last_check,
    ), (200 if valid else 400)


def last_nightly_check():
    """The latest finished run of the nightly chain check, if any."""
    return db.session.scalar(
        sa.select(JobRun)
        .where(JobRun.job.in_((NIGHTLY, FULL)), JobRun.outcome.in_(("success", "failed")))
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    )


@bp.route("/<int:event_id>")
@roles_required("admin", "discipline")
def event(event_id: int):
    row = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.id == event_id, scope_clause(current_user))
    )
    if row is None:
        abort(404)
    return render_template("audit/event.html", event=row, rows=diff_rows(row.before, row.after))


@bp.route("/verify", methods=["POST"])
@roles_required("admin")
def verify():
    """Queue a full check of the chain for the scheduler (never run inside a web request) and
    show its progress page."""
    run, created = queue_run(
        db.session, current_user, FULL, local_today(), audit_action="audit.verify_request"
    )
    if not created:
        flash(_("A check of the audit trail is already queued or running."), "info")
    return redirect(url_for("audit.verify_status", run_id=run.id))


@bp.route("/verify/<int:run_id>")
@roles_required("admin")
def verify_status(run_id: int):
    """Progress and result of a chain check; refreshes itself while the check runs."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.job not in (FULL, NIGHTLY):
        abort(404)
    holder = lock.current_holder(db.session)
    problem = problem_of(run.counts) if run.outcome == "success" else None
    return render_template(
        "audit/verify.html",
        run=run,
        counts=run.counts or {},
        problem=translate(*problem) if problem else None,
        scheduler_alive=holder is not None and holder.alive,
        finished=run.outcome in ("success", "failed"),
    )


def init_app(app) -> None:
    """Register the audit trail pages, its ledger and the nightly chain check."""
    app.register_blueprint(bp)
    register_nav(app, "audit.events", _l("Audit trail"), roles=("admin", "discipline"), order=950)
    register_audit_ledger(app)
    register_job(
        app,
        NIGHTLY,
        verify_chain_job,
        _l(
            "Verify the audit trail's hash chain since the last checkpoint; tell administrators "
            "if it is broken"
        ),
        writes=False,
        hour=2,
        minute=15,
    )
    register_job(
        app,
        FULL,
        verify_chain_full_job,
        _l("Verify the whole audit trail's hash chain; tell administrators if it is broken"),
        writes=False,
        day_of_week="sun",
        hour=3,
        minute=30,
    )
