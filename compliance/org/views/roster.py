"""Roster import page and its downloadable template."""

from __future__ import annotations

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import roles_required
from ...db import db
from ...domain import translate
from ...timeutil import local_today
from ...uow import domain_errors
from .. import importer
from ..forms import (
    ImportForm,
)
from .common import HR, _scope, bp


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*HR)
def roster_import():
    form = ImportForm()
    row_errors: list[tuple[int, str]] = []
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or ""
        data = upload.stream.read(importer.MAX_BYTES + 1)
        if not filename.lower().endswith(".xlsx"):
            form.file.errors = list(form.file.errors or []) + [
                _("Upload an Excel .xlsx file (use the template).")
            ]
        else:
            with domain_errors(form, show_details=False) as outcome:
                result = importer.import_roster(
                    db.session,
                    current_user,
                    data,
                    filename=filename,
                    scope=_scope(),
                    today=local_today(),
                )
                flash(
                    _(
                        "Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s "
                        "unchanged.",
                        created=result.created,
                        updated=result.updated,
                        unchanged=result.unchanged,
                    ),
                    "success",
                )
                return redirect(url_for("org.staff_list"))
            if outcome.failed:
                row_errors = [
                    (params["row"], translate(message, params))
                    for message, params in outcome.error.details
                ]
    return render_template(
        "org/import.html",
        form=form,
        row_errors=row_errors,
        max_mb=importer.MAX_BYTES // (1024 * 1024),
    )


@bp.route("/import/template.xlsx")
@roles_required(*HR)
def roster_template():
    import io

    return send_file(
        io.BytesIO(importer.template_workbook()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="roster-template.xlsx",
    )
