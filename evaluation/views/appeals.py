"""Appeals: the list, filing one against a finding (with photos), reading and deciding one."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db
from compliance.domain import DomainError
from compliance.integers import required_version
from compliance.uow import domain_errors
from inspections.public import MIME_TYPES, Finding, Photo, photo_path

from .. import services as svc
from ..models import AppealPhoto
from .common import ALL_ROLES, APPEAL_LABELS, READERS, bp, int_arg

STATUSES = ("open", "upheld", "accepted")


@bp.route("/appeals")
@roles_required(*ALL_ROLES)
def appeals():
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, description="status")
    rows = db.session.scalars(svc.appeals_query(current_user, status).limit(500)).all()
    findings = {
        f.id: f
        for f in db.session.query(Finding).filter(Finding.id.in_([a.finding_id for a in rows]))
    }
    return render_template(
        "evaluation/appeals.html",
        rows=rows,
        findings=findings,
        status=status,
        labels=APPEAL_LABELS,
    )


def _finding_for_appeal() -> Finding | None:
    finding_id = int_arg("finding")
    if finding_id is None:
        return None
    try:
        finding = svc.appeals.appealable_finding(db.session, finding_id)
    except DomainError:
        abort(404)
    if not svc.may_appeal(db.session, current_user, finding):
        abort(404)
    return finding


@bp.route("/appeals/new", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def appeal_new():
    finding = _finding_for_appeal()
    if finding is None:
        # Without a finding: the caller's findings of the last weeks, to choose one.
        return render_template(
            "evaluation/appeal_pick.html",
            findings=svc.appeals.own_recent_findings(db.session, current_user),
        )
    deadline = svc.appeal_deadline(db.session, finding)
    if request.method == "POST":
        files = [f for f in request.files.getlist("photos") if f and f.filename]
        with domain_errors(quiet=True) as outcome:
            appeal = svc.file_appeal(
                db.session,
                current_user,
                finding.id,
                request.form.get("reason"),
                [f.read() for f in files],
                upload_folder=current_app.config["UPLOAD_FOLDER"],
            )
            flash(_("Your appeal has been filed."), "success")
            return redirect(url_for(".appeal_detail", appeal_id=appeal.id))
        return (
            render_template(
                "evaluation/appeal_new.html",
                finding=finding,
                deadline=deadline,
                reason=request.form.get("reason", ""),
                error=outcome.message,
                error_field=outcome.error.field,
            ),
            outcome.status,
        )
    return render_template(
        "evaluation/appeal_new.html",
        finding=finding,
        deadline=deadline,
        reason="",
        error=None,
        error_field=None,
    )


def _load(appeal_id: int):
    try:
        return svc.get_appeal(db.session, current_user, appeal_id)
    except DomainError:
        abort(404)


@bp.route("/appeals/<int:appeal_id>")
@roles_required(*ALL_ROLES)
def appeal_detail(appeal_id: int):
    return _render_detail(_load(appeal_id))


def _render_detail(appeal, status: int = 200):
    finding = db.session.get(Finding, appeal.finding_id)
    may_decide = (
        appeal.status == "open"
        and current_user.has_role("discipline")
        and finding.found_by_id != current_user.id
    )
    return render_template(
        "evaluation/appeal_detail.html",
        appeal=appeal,
        finding=finding,
        may_decide=may_decide,
        labels=APPEAL_LABELS,
        reader=current_user.has_role(*READERS),
    ), status


@bp.route("/appeals/<int:appeal_id>/decide", methods=["POST"])
@roles_required("discipline")
def appeal_decide(appeal_id: int):
    appeal = _load(appeal_id)
    with domain_errors() as outcome:  # a damaged or outdated form never skips the check
        version = required_version(request.form.get("version"))
    if outcome.failed:
        return _render_detail(appeal, outcome.status)
    with domain_errors():
        svc.decide_appeal(
            db.session,
            current_user,
            appeal,
            request.form.get("outcome"),
            request.form.get("note"),
            version,
        )
        flash(_("The appeal has been decided."), "success")
    return redirect(url_for(".appeal_detail", appeal_id=appeal.id))


@bp.route("/appeals/<int:appeal_id>/photos/<int:photo_id>/<variant>")
@roles_required(*ALL_ROLES)
def appeal_photo(appeal_id: int, photo_id: int, variant: str):
    appeal = _load(appeal_id)
    if variant not in ("display", "thumb") or not db.session.get(
        AppealPhoto, (appeal.id, photo_id)
    ):
        abort(404)
    photo = db.session.get(Photo, photo_id)
    path = photo_path(current_app.config["UPLOAD_FOLDER"], photo, variant)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=MIME_TYPES["JPEG"], max_age=3600)
