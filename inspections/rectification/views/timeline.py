"""One rectification: its timeline with photos before and after, and the actions on it (respond,
verify, reject, fix on the spot, comment, reassign). Each action runs its service inside
`domain_errors()`: a refusal undoes only that call, is flashed, and the timeline is shown again
with the refusal's status (403, 409...)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from compliance.access import roles_required
from compliance.db import db
from compliance.domain import N_, DomainError
from compliance.integers import required_version
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from ...models import Photo
from ...photos import MIME_TYPES, VARIANTS, photo_path, store_photo
from .. import services as svc
from ..forms import (
    CommentForm,
    FixOnSpotForm,
    ReassignForm,
    RejectForm,
    RespondForm,
    VerifyForm,
    select_choices,
)
from ..models import Rectification, RectificationEvent, RectificationEventPhoto
from .common import ANY_ROLE, bp, form_errors, load_rect, staff_choices

MAX_PHOTOS = 6


def _store_photos(files, rect: Rectification) -> list[Photo]:
    """Store uploaded photos, linked to the finding (when there is one). A refused photo is a
    DomainError ("rectification.photo"); the files already written go with the savepoint."""
    files = [f for f in files if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise DomainError(
            "rectification.too_many_photos",
            N_("At most %(n)s photos."),
            field="photos",
            n=MAX_PHOTOS,
        )
    photos = []
    for f in files:
        try:
            photos.append(
                store_photo(
                    db.session,
                    current_user,
                    f.read(),
                    upload_folder=current_app.config["UPLOAD_FOLDER"],
                    finding_id=rect.finding_id,
                )
            )
        except DomainError as exc:
            # A refused photo is a plain refusal on these pages (400, as every form error).
            raise DomainError(exc.code, exc.message, field="photos", **exc.params) from exc
    return photos


def _version(form) -> int:
    """The version the form carried (a missing or malformed one is refused: 400)."""
    return required_version(form.version.data)


def _timeline_context(rect: Rectification) -> dict:
    events = list(
        db.session.scalars(
            sa.select(RectificationEvent)
            .where(RectificationEvent.rectification_id == rect.id)
            .options(
                selectinload(RectificationEvent.photos), selectinload(RectificationEvent.actor)
            )
            .order_by(RectificationEvent.at, RectificationEvent.id)
        )
    )
    event_photo_ids = {p.id for e in events for p in e.photos}
    before_photos = []
    if rect.finding_id:
        before_photos = [
            p
            for p in db.session.scalars(
                sa.select(Photo).where(Photo.finding_id == rect.finding_id).order_by(Photo.id)
            )
            if p.id not in event_photo_ids
        ]
    offence_count = 0
    subject = rect.finding.staff_member_id if rect.finding else None
    subject = subject or (rect.complaint.staff_member_id if rect.complaint else None)
    level = None
    if subject:
        offence_count = svc.offence_counts(db.session, local_today(), [subject]).get(subject, 0)
        level = svc.level_for(offence_count, svc.ladder_thresholds(db.session))
    verify_refusal = svc.verify_refusal(current_user, rect, db.session)
    return {
        "rect": rect,
        "events": events,
        "before_photos": before_photos,
        "today": local_today(),
        "offence_count": offence_count,
        "level": level,
        "can_respond": svc.respond_refusal(current_user, rect) is None,
        "can_verify": verify_refusal is None,
        "verify_blocked": (
            verify_refusal.translated()
            if verify_refusal is not None
            and rect.status == "responded"
            and current_user.has_role(*svc.VERIFYING_ROLES)
            else None
        ),
        "can_fix": (
            rect.status in ("open", "rejected") and current_user.has_role(*svc.VERIFYING_ROLES)
        ),
        "can_reassign": rect.is_open and current_user.has_role("admin"),
        "can_comment": (
            current_user.has_role(*svc.SUPERVISING_ROLES)
            or current_user.staff_member_id == rect.responsible_staff_id
        ),
    }


def _render_timeline(rect: Rectification, status: int = 200, **forms):
    ctx = _timeline_context(rect)
    version = {"version": rect.version}
    ctx["respond_form"] = forms.get("respond_form") or RespondForm(data=version)
    ctx["verify_form"] = forms.get("verify_form") or VerifyForm(data=version)
    ctx["reject_form"] = forms.get("reject_form") or RejectForm(data=version)
    ctx["fix_form"] = forms.get("fix_form") or FixOnSpotForm(data=version)
    ctx["comment_form"] = forms.get("comment_form") or CommentForm()
    if ctx["can_reassign"]:
        form = forms.get("reassign_form") or ReassignForm(
            data={
                "version": rect.version,
                "responsible": rect.responsible_staff_id or 0,
                "supervisor": rect.supervisor_staff_id or 0,
            }
        )
        form.responsible.choices = select_choices(staff_choices(rect.site_id))
        form.supervisor.choices = select_choices(staff_choices(rect.site_id, blank=_("(none)")))
        ctx["reassign_form"] = form
    for form in ("respond_form", "verify_form", "reject_form", "fix_form"):
        if form not in forms:
            ctx[form].version.data = rect.version
    return render_template("inspections/rectification/timeline.html", **ctx), status


def _done(rect_id: int, message: str):
    flash(message, "success")
    return redirect(url_for(".timeline", rect_id=rect_id))


def _refused(rect_id: int, outcome):
    """The timeline again, as it stands now, with the refusal's status (the reason is flashed)."""
    return _render_timeline(load_rect(rect_id), outcome.status)


@bp.route("/rectifications/<int:rect_id>")
@roles_required(*ANY_ROLE)
def timeline(rect_id: int):
    return _render_timeline(load_rect(rect_id))


@bp.route("/rectifications/finding/<int:finding_id>")
@roles_required(*ANY_ROLE)
def for_finding(finding_id: int):
    rect = db.session.scalar(sa.select(Rectification).where(Rectification.finding_id == finding_id))
    if rect is None or not svc.can_view(current_user, rect, db.session):
        abort(404)
    return redirect(url_for(".timeline", rect_id=rect.id))


@bp.route("/rectifications/<int:rect_id>/respond", methods=["POST"])
@roles_required(*ANY_ROLE)
def respond(rect_id: int):
    rect = load_rect(rect_id)
    form = RespondForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, respond_form=form)
    with domain_errors() as outcome:
        photos = (
            _store_photos(request.files.getlist("photos"), rect)
            if svc.respond_refusal(current_user, rect) is None
            else ()
        )
        svc.respond(
            db.session, current_user, rect, form.text.data, photos, expected_version=_version(form)
        )
        return _done(rect_id, _("Your response has been sent for verification."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/<int:rect_id>/verify", methods=["POST"])
@roles_required(*ANY_ROLE)
def verify(rect_id: int):
    rect = load_rect(rect_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, verify_form=form)
    with domain_errors() as outcome:
        svc.verify(db.session, current_user, rect, form.note.data, expected_version=_version(form))
        return _done(rect_id, _("The rectification is verified and closed."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/<int:rect_id>/reject", methods=["POST"])
@roles_required(*ANY_ROLE)
def reject(rect_id: int):
    rect = load_rect(rect_id)
    form = RejectForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, reject_form=form)
    with domain_errors() as outcome:
        svc.reject(
            db.session, current_user, rect, form.reason.data, expected_version=_version(form)
        )
        return _done(rect_id, _("The response was rejected; the rectification is open again."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/<int:rect_id>/fix-on-spot", methods=["POST"])
@roles_required("inspector", "admin")
def fix_on_spot(rect_id: int):
    rect = load_rect(rect_id)
    form = FixOnSpotForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, fix_form=form)
    with domain_errors() as outcome:
        svc.fix_on_spot(
            db.session,
            current_user,
            rect,
            form.text.data,
            _store_photos(request.files.getlist("photos"), rect),
            witness=form.witness.data,
            expected_version=_version(form),
        )
        return _done(rect_id, _("Recorded as fixed on the spot and closed."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/<int:rect_id>/comment", methods=["POST"])
@roles_required(*ANY_ROLE)
def comment(rect_id: int):
    rect = load_rect(rect_id)
    form = CommentForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, comment_form=form)
    with domain_errors() as outcome:
        svc.add_comment(db.session, current_user, rect, form.text.data)
        return _done(rect_id, _("The comment has been added."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/<int:rect_id>/reassign", methods=["POST"])
@roles_required("admin")
def reassign(rect_id: int):
    rect = load_rect(rect_id)
    form = ReassignForm()
    form.responsible.choices = select_choices(staff_choices(rect.site_id))
    form.supervisor.choices = select_choices(staff_choices(rect.site_id, blank=_("(none)")))
    if not form.validate_on_submit():
        form_errors(form)
        return _render_timeline(rect, 400, reassign_form=form)
    with domain_errors() as outcome:
        svc.reassign(
            db.session,
            current_user,
            rect,
            form.responsible.data or None,
            form.supervisor.data or None,
            form.reason.data,
            expected_version=_version(form),
        )
        return _done(rect_id, _("The responsible person has been changed."))
    return _refused(rect_id, outcome)


@bp.route("/rectifications/photos/<int:photo_id>/<variant>")
@roles_required(*ANY_ROLE)
def photo(photo_id: int, variant: str):
    """A photo of a finding or of a rectification event, for people who may see the
    rectification."""
    if variant not in VARIANTS:
        abort(404)
    ph = db.session.get(Photo, photo_id)
    if ph is None:
        abort(404)
    rects = list(
        db.session.scalars(
            sa.select(Rectification)
            .join(RectificationEvent, RectificationEvent.rectification_id == Rectification.id)
            .join(
                RectificationEventPhoto, RectificationEventPhoto.event_id == RectificationEvent.id
            )
            .where(RectificationEventPhoto.photo_id == ph.id)
        )
    )
    if ph.finding_id:
        rects += list(
            db.session.scalars(
                sa.select(Rectification).where(Rectification.finding_id == ph.finding_id)
            )
        )
    if not any(svc.can_view(current_user, r, db.session) for r in rects):
        abort(404)
    path = photo_path(current_app.config["UPLOAD_FOLDER"], ph, variant)
    if not path.exists():
        abort(404)
    mimetype = MIME_TYPES[ph.original_format] if variant == "original" else "image/jpeg"
    response = send_file(path, mimetype=mimetype, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
