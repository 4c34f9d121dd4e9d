"""Bulletin pages: the list (with the draft form for discipline officers), the printable page,
the edit form, the approve / return / publish buttons, and the Word download (a POST: the
download is recorded, as archived reports are)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from compliance.access import roles_required, sites_in_scope
from compliance.audit import record
from compliance.db import db
from compliance.domain import NotFoundError
from compliance.models import ROLES
from compliance.settings import get_setting, set_setting
from compliance.uow import domain_errors

from . import services
from .content import TEXT_PARTS
from .docx import render_docx
from .forms import TEXT_LABELS, DraftForm, EditForm, ReturnForm, SettingsForm, VersionForm
from .labels import document_words
from .models import Bulletin

bp = Blueprint("bulletins", __name__, url_prefix="/evaluation/bulletins")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _load(bulletin_id: int) -> Bulletin:
    try:
        return services.get_readable(db.session, current_user, bulletin_id)
    except NotFoundError:
        abort(404)


def _version(form) -> int:
    return form.version.version  # a VersionField: validated as a positive whole number


def _invalid_status(form) -> int:
    """400 for a form without a valid version (damaged or out of date), else 422."""
    return 400 if "version" in form.errors else 422


def _draft_form(form: DraftForm | None = None) -> DraftForm:
    form = form or DraftForm()
    choices = [SelectChoice("", _("The whole centre"))] if current_user.all_sites else []
    choices += [SelectChoice(str(s.id), f"{s.code} {s.name}") for s in sites_in_scope(current_user)]
    form.site.choices = choices
    return form


def _render_list(form: DraftForm | None = None, status: int = 200):
    can_draft = current_user.has_role(*services.EDITOR_ROLES)
    return render_template(
        "evaluation/bulletins/list.html",
        bulletins=services.visible(db.session, current_user),
        statuses=services.STATUS_LABELS,
        form=_draft_form(form) if can_draft else None,
    ), status


@bp.route("/")
@roles_required(*ROLES)
def bulletin_list():
    return _render_list()


@bp.route("/draft", methods=["POST"])
@roles_required(*services.EDITOR_ROLES)
def bulletin_draft():
    form = _draft_form()
    if not form.validate_on_submit():
        return _render_list(form, 422)
    with domain_errors(form, fields={"site": "site", "index": "index"}) as outcome:
        bulletin = services.draft_bulletin(
            db.session,
            current_user,
            kind=form.kind.data,
            year=form.year.data,
            index=form.index.data,
            site_id=int(form.site.data) if form.site.data else None,
        )
        flash(_("The bulletin has been drafted; edit its words, then approve it."), "success")
        return redirect(url_for(".bulletin_detail", bulletin_id=bulletin.id))
    return _render_list(form, outcome.status)


def _render_detail(bulletin: Bulletin, status: int = 200, return_form: ReturnForm | None = None):
    content = services.content_of(bulletin)
    version_form = VersionForm(data={"version": bulletin.version})
    return_form = return_form or ReturnForm(data={"version": bulletin.version})
    return render_template(
        "evaluation/bulletins/detail.html",
        bulletin=bulletin,
        content=content,
        words=document_words(content),
        statuses=services.STATUS_LABELS,
        version_form=version_form,
        return_form=return_form,
        can={
            a: services.may(db.session, current_user, bulletin, a)
            for a in ("edit", "approve", "return", "publish")
        },
    ), status


@bp.route("/<int:bulletin_id>")
@roles_required(*ROLES)
def bulletin_detail(bulletin_id: int):
    return _render_detail(_load(bulletin_id))


@bp.route("/<int:bulletin_id>/edit", methods=["GET", "POST"])
@roles_required(*services.EDITOR_ROLES)
def bulletin_edit(bulletin_id: int):
    bulletin = _load(bulletin_id)
    content = services.content_of(bulletin)
    form = EditForm()
    status = 200
    if form.validate_on_submit():
        with domain_errors(form) as outcome:
            services.update_bulletin(
                db.session,
                current_user,
                bulletin,
                version=_version(form),
                title=form.title.data,
                organ=form.organ.data,
                addressees=form.addressees.data,
                cc=form.cc.data,
                texts={part: getattr(form, part).data for part in TEXT_PARTS},
            )
            flash(_("Saved."), "success")
            return redirect(url_for(".bulletin_detail", bulletin_id=bulletin.id))
        status = outcome.status
    elif form.is_submitted():
        status = _invalid_status(form)
    else:
        form = EditForm(
            data={
                "version": bulletin.version,
                "title": content.title,
                "organ": content.organ,
                "addressees": content.addressees,
                "cc": content.cc,
                **{part: content.texts.get(part, "") for part in TEXT_PARTS},
            }
        )
    return render_template(
        "evaluation/bulletins/edit.html",
        bulletin=bulletin,
        form=form,
        parts=TEXT_PARTS,
        labels=TEXT_LABELS,
    ), status


def _step(bulletin_id: int, action, done: str, form_class=VersionForm, **extra):
    bulletin = _load(bulletin_id)
    form = form_class()
    if not form.validate_on_submit():
        if "version" in form.errors:
            flash(form.errors["version"][0], "danger")
        else:
            flash(_("The form has expired or is incomplete; please submit it again."), "danger")
        return _render_detail(
            bulletin, _invalid_status(form), form if form_class is ReturnForm else None
        )
    with domain_errors(form) as outcome:
        kwargs = {key: getattr(form, key).data for key in extra}
        action(db.session, current_user, bulletin, version=_version(form), **kwargs)
        flash(done, "success")
        return redirect(url_for(".bulletin_detail", bulletin_id=bulletin.id))
    db.session.refresh(bulletin)
    return _render_detail(bulletin, outcome.status, form if form_class is ReturnForm else None)


@bp.route("/<int:bulletin_id>/approve", methods=["POST"])
@roles_required("discipline", "leader")
def bulletin_approve(bulletin_id: int):
    return _step(bulletin_id, services.approve_bulletin, _("The bulletin has been approved."))


@bp.route("/<int:bulletin_id>/return", methods=["POST"])
@roles_required("discipline", "leader")
def bulletin_return(bulletin_id: int):
    return _step(
        bulletin_id,
        services.return_bulletin,
        _("The bulletin is a draft again."),
        ReturnForm,
        reason=True,
    )


@bp.route("/<int:bulletin_id>/publish", methods=["POST"])
@roles_required(*services.PUBLISHER_ROLES)
def bulletin_publish(bulletin_id: int):
    return _step(
        bulletin_id,
        services.publish_bulletin,
        _("The bulletin has been published and its readers notified."),
    )


@bp.route("/<int:bulletin_id>/download", methods=["POST"])
@roles_required(*ROLES)
def bulletin_download(bulletin_id: int):
    """The Word document (a POST button: the download is recorded in the audit trail)."""
    bulletin = _load(bulletin_id)
    data = render_docx(services.content_of(bulletin), in_default_language=True)
    record(
        db.session,
        current_user,
        "bulletin.download",
        entity_type="Bulletin",
        entity_id=bulletin.id,
        after={"number": bulletin.number, "status": bulletin.status},
    )
    name = f"bulletin-{bulletin.year}-{bulletin.seq:02d}.docx"
    return Response(
        data,
        mimetype=DOCX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


SETTING_KEYS = {
    "organ": "evaluation.bulletin_organ",
    "addressees": "evaluation.bulletin_addressees",
    "cc": "evaluation.bulletin_cc",
    "names_people": "evaluation.bulletin_names_people",
    "leader_approves": "evaluation.bulletin_leader_approves",
}


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def bulletin_settings():
    form = SettingsForm(data={f: get_setting(db.session, k) for f, k in SETTING_KEYS.items()})
    if form.validate_on_submit():
        for name, key in SETTING_KEYS.items():
            value = getattr(form, name).data
            value = bool(value) if isinstance(value, bool) else (value or "").strip()
            if value != get_setting(db.session, key):
                set_setting(db.session, current_user, key, value)
        flash(_("The settings have been saved."), "success")
        return redirect(url_for(".bulletin_settings"))
    return render_template(
        "evaluation/bulletins/settings.html", form=form
    ), 400 if form.errors else 200
