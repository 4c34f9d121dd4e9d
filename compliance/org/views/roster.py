"""Roster import pages: upload -> preview (stored, nothing else written) -> confirm -> result or
the background job's progress; and the downloadable template."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import roles_required
from ...db import db
from ...domain import DomainError, translate
from ...scheduler import lock
from ...scheduler.models import JobRun
from ...timeutil import local_today
from ...uow import domain_errors
from .. import importer
from ..forms import STATUS_LABELS, ConfirmImportForm, ImportForm
from ..importer.planning import CHANGE_FIELDS
from .common import HR, _scope, bp

SHOWN_ROWS = 500  # rows of each list drawn on the page; the counts cover all of them
UNCHANGED_LISTED = 10  # unchanged rows are listed only when there are this few

FIELD_LABELS = {
    "staff_no": "工号",
    "name": "姓名",
    "phone": "电话",
    "hired_on": "入职日期",
    "site": "场所编码",
    "status": "状态",
    "post": "岗位编码",
    "window": "窗口编号",
}


def _row_errors(errors) -> list[tuple[int, str, str]]:
    return [
        (e.row, FIELD_LABELS.get(e.column or "", ""), translate(e.message, e.params))
        for e in errors
    ]


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*HR)
def roster_import():
    """Upload a roster: a good file is stored as a preview and shown; a file with wrong rows is
    answered with every problem (row, column, message) and nothing is stored."""
    form = ImportForm()
    row_errors: list[tuple[int, str, str]] = []
    plan = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or ""
        data = upload.stream.read(importer.MAX_BYTES + 1)
        if not filename.lower().endswith(".xlsx"):
            form.file.errors = list(form.file.errors or []) + [
                _("Upload an Excel .xlsx file (use the template).")
            ]
            status = 422
        else:
            with domain_errors(form) as outcome:
                imp, plan = importer.preview(
                    db.session,
                    current_user,
                    data,
                    filename=filename,
                    scope=_scope(),
                    today=local_today(),
                )
                if imp is not None:
                    return redirect(url_for("org.roster_preview", token=imp.token))
                row_errors = _row_errors(plan.errors)
                status = 422
            if outcome.failed:
                status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "org/import.html",
        form=form,
        row_errors=row_errors,
        plan=plan,
        max_mb=importer.MAX_BYTES // (1024 * 1024),
    ), status


def _preview_page(imp, form, status: int = 200):
    plan = imp.plan or {}
    run = db.session.get(JobRun, imp.job_run_id) if imp.job_run_id else None
    counts = (run.counts or {}) if run is not None and run.outcome == "running" else {}
    holder = lock.current_holder(db.session) if imp.status == "queued" else None
    unchanged = plan.get("unchanged", [])
    return render_template(
        "org/import_preview.html",
        imp=imp,
        form=form,
        creates=plan.get("create", [])[:SHOWN_ROWS],
        changes=plan.get("change", [])[:SHOWN_ROWS],
        unchanged=unchanged if len(unchanged) <= UNCHANGED_LISTED else [],
        skipped=[(row, translate(msg, params)) for row, msg, params in plan.get("skipped", [])],
        shown_rows=SHOWN_ROWS,
        background_rows=importer.BACKGROUND_ROWS,
        change_fields=CHANGE_FIELDS,
        field_labels=FIELD_LABELS,
        status_labels=STATUS_LABELS,
        done=counts.get("done", 0) if counts.get("import") == imp.id else 0,
        scheduler_alive=holder is not None and holder.alive,
        error=translate(*imp.error) if imp.error else None,
        finished=imp.status != "queued",
    ), status


@bp.route("/import/<token>")
@roles_required(*HR)
def roster_preview(token: str):
    """The stored preview (with its confirm button), the background job's progress (the page
    refreshes itself until the import is done), or the outcome."""
    try:
        imp = importer.get_preview(db.session, current_user, token)
    except DomainError:
        abort(404)
    return _preview_page(imp, ConfirmImportForm(sha256=imp.sha256))


@bp.route("/import/<token>/confirm", methods=["POST"])
@roles_required(*HR)
def roster_confirm(token: str):
    """Apply the preview exactly as shown (409 when the data changed since; preview again)."""
    try:
        imp = importer.get_preview(db.session, current_user, token)
    except DomainError:
        abort(404)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("The confirmation is incomplete; open the preview again."), "danger")
        return _preview_page(imp, ConfirmImportForm(sha256=imp.sha256), 400)
    with domain_errors(form) as outcome:
        how = importer.confirm(
            db.session, current_user, imp, sha256=form.sha256.data, today=local_today()
        )
        if how == "applied":
            flash(
                _(
                    "Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s "
                    "unchanged.",
                    created=imp.to_create,
                    updated=imp.to_change,
                    unchanged=imp.unchanged,
                ),
                "success",
            )
        return redirect(url_for("org.roster_preview", token=token))
    db.session.refresh(imp)
    return _preview_page(imp, ConfirmImportForm(sha256=imp.sha256), outcome.status or 409)


@bp.route("/import/template.xlsx")
@roles_required(*HR)
def roster_template():
    return send_file(
        io.BytesIO(importer.template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="roster-template.xlsx",
    )
