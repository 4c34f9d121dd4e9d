"""The 好差评 import: upload the platform's export, check the column mapping of its source, see
what will be created, skipped or refused (row by row, with the reason), then import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from compliance.access import roles_required, sites_in_scope
from compliance.db import db
from compliance.domain import translate
from compliance.uow import domain_errors

from .. import services as svc
from ..forms import MappingForm, UploadForm, select_choices
from ..models import RatingImport, RatingImportProfile
from ..services import importer
from ..services.rating_file import FIELDS, MAX_BYTES, REQUIRED_FIELDS, RatingFileError
from .common import bp

PREVIEW_ROWS = 300


def _load(import_id: int) -> RatingImport:
    imp = db.session.get(RatingImport, import_id)
    if imp is None or not importer.can_see_import(current_user, imp):
        abort(404)
    return imp


def _mapping_form(imp: RatingImport, formdata=None) -> MappingForm:
    """The mapping form of a file: one select of its column titles per field."""
    headers = imp.headers or []

    class Form(MappingForm):
        pass

    for key, (label, _aliases) in FIELDS.items():
        required = key in REQUIRED_FIELDS
        text = _(label) + (" *" if required else "")
        setattr(
            Form,
            f"map_{key}",
            SelectField(
                text,
                choices=[SelectChoice("", "—")] + [SelectChoice(h, h) for h in headers if h],
                validators=[Optional()],
            ),
        )
    profile = imp.profile
    data = {f"map_{k}": v for k, v in (profile.mapping or {}).items() if v in headers}
    data["bad_ratings"] = "，".join(profile.bad_ratings or [])
    data["default_site"] = profile.default_site_id or 0
    form = Form(formdata=formdata, data=data)
    form.default_site.choices = select_choices(
        ((s.id, f"{s.code} {s.name}") for s in sites_in_scope(current_user)), blank="—"
    )
    return form


def _notes(notes) -> list[tuple[int, str, str]]:
    return [(n.row, n.external_no, translate(n.message, n.params)) for n in notes]


@bp.route("/complaints/import", methods=["GET", "POST"])
@roles_required(*svc.RECORD_ROLES)
def imports():
    form = UploadForm()
    profiles = list(
        db.session.scalars(sa.select(RatingImportProfile).order_by(RatingImportProfile.name))
    )
    form.profile.choices = select_choices(
        ((p.id, p.name) for p in profiles), blank=_("(a new source)")
    )
    if request.method == "GET" and profiles:
        form.profile.data = profiles[0].id
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(MAX_BYTES + 1)
        profile = (
            db.session.get(RatingImportProfile, form.profile.data) if form.profile.data else None
        )
        with domain_errors(form, fields={"profile_name": "profile_name"}):
            imp = importer.upload(
                db.session,
                current_user,
                filename=upload.filename or "",
                data=data,
                profile=profile,
                new_profile_name=form.profile_name.data,
            )
            return redirect(url_for(".import_detail", import_id=imp.id))
    query = sa.select(RatingImport).order_by(
        RatingImport.uploaded_at.desc(), RatingImport.id.desc()
    )
    if not current_user.has_role("admin"):
        query = query.where(RatingImport.uploaded_by_id == current_user.id)
    recent = list(db.session.scalars(query.limit(20)))
    status = 400 if form.errors else 200
    return render_template(
        "inspections/complaints/imports.html",
        form=form,
        recent=recent,
        max_mb=MAX_BYTES // (1024 * 1024),
    ), status


@bp.route("/complaints/import/<int:import_id>")
@roles_required(*svc.RECORD_ROLES)
def import_detail(import_id: int, mapping_form=None, status: int = 200):
    imp = _load(import_id)
    ctx = {"imp": imp, "fields": FIELDS, "limit": PREVIEW_ROWS}
    if imp.status == "applied":
        ctx["skipped"] = _notes(importer.stored_notes(imp, "skipped"))
        ctx["errors"] = _notes(importer.stored_notes(imp, "errors"))
        return render_template("inspections/complaints/import_detail.html", **ctx), status
    gaps = importer.mapping_gaps(imp.profile, imp.headers or [])
    ctx["gaps"] = [_(FIELDS[g][0]) for g in gaps if g in FIELDS]
    ctx["mapping_form"] = mapping_form or _mapping_form(imp)
    if not gaps:
        try:
            result = importer.preview(db.session, current_user, imp)
        except RatingFileError as exc:
            ctx["file_error"] = exc.translated()
        else:
            ctx["plan"] = result
            ctx["skipped"] = _notes(result.skipped)
            ctx["errors"] = _notes(result.errors)
    return render_template("inspections/complaints/import_detail.html", **ctx), status


@bp.route("/complaints/import/<int:import_id>/mapping", methods=["POST"])
@roles_required(*svc.RECORD_ROLES)
def import_mapping(import_id: int):
    imp = _load(import_id)
    form = _mapping_form(imp, formdata=request.form)
    if not form.validate_on_submit():
        return import_detail(import_id, mapping_form=form, status=400)
    mapping = {key: getattr(form, f"map_{key}").data or None for key in FIELDS}
    with domain_errors(form, fields={k: f"map_{k}" for k in FIELDS}) as outcome:
        importer.save_profile(
            db.session,
            current_user,
            imp.profile,
            mapping=mapping,
            bad_ratings=form.bad_ratings.data,
            default_site_id=form.default_site.data or None,
        )
        flash(_("The column mapping of %(name)s is saved.", name=imp.profile.name), "success")
        return redirect(url_for(".import_detail", import_id=import_id))
    return import_detail(import_id, mapping_form=form, status=outcome.status)


@bp.route("/complaints/import/<int:import_id>/apply", methods=["POST"])
@roles_required(*svc.RECORD_ROLES)
def import_apply(import_id: int):
    imp = _load(import_id)
    with domain_errors() as outcome:
        result = importer.apply_import(db.session, current_user, imp)
        flash(
            _(
                "Imported: %(created)s complaints created, %(skipped)s rows skipped, "
                "%(errors)s rows refused.",
                created=len(result.create),
                skipped=len(result.skipped),
                errors=len(result.errors),
            ),
            "success",
        )
        return redirect(url_for(".import_detail", import_id=import_id))
    return import_detail(import_id, status=outcome.status)
