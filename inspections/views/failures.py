"""The failure panel of a draft round: marking a failure for one target (item, reason, note,
photos; an item that requires a photo is refused without one), editing it in place when it is
opened again, and undoing it after asking."""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance import limits
from compliance.access import roles_required
from compliance.db import db
from compliance.domain import DomainError
from compliance.integers import parse_id
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from ..models import CheckResult, Inspection, Photo
from ..photos import MAX_BYTES, store_photo
from ..services import (
    Target,
    active_items,
    detach_photos,
    draft_failures,
    record_failure,
    remove_failure,
    require_photo,
    round_targets,
    site_roster,
)
from .common import ROUND_ROLES, bp
from .naming import target_label, where
from .rounds import _round_or_404

# A refusal on the failure panel is shown in the panel's own alert, whatever field it names.
_PANEL_FIELDS = dict.fromkeys(
    ("", "item", "severity", "target", "photos", "reason", "note"), "alert"
)


def _target_failures(inspection: Inspection, target: Target) -> list[CheckResult]:
    """The failures already marked in the draft for exactly this target."""
    return [
        f
        for f in draft_failures(db.session, inspection)
        if (
            f.staff_member_id
            if target.kind == "staff"
            else f.window_id
            if target.kind == "window"
            else None
        )
        == target.id
        and (target.kind != "window" or f.staff_member_id is None)
    ]


def _photos_of(results) -> dict[int, list[Photo]]:
    photos: dict[int, list[Photo]] = {}
    if results:
        for p in db.session.scalars(
            sa.select(Photo)
            .where(Photo.check_result_id.in_([r.id for r in results]))
            .order_by(Photo.id)
        ):
            photos.setdefault(p.check_result_id, []).append(p)
    return photos


def _anchor(target: Target, result: CheckResult | None) -> str | None:
    if target.kind == "area":
        return "area"
    window_id = result.window_id if result is not None else None
    return f"w{window_id}" if window_id else None


@bp.route("/rounds/<uuid>/fail", methods=["GET", "POST"])
@roles_required(*ROUND_ROLES)
def fail(uuid: str):
    """The small panel: choose the failed item, reason, note and photos for one target. Opening
    it for an item already marked edits that failure in place (its reason, note and photos)."""
    inspection = _round_or_404(uuid, work=True)
    if inspection.status != "draft":
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    try:
        target = Target.parse(request.values.get("target", ""))
    except DomainError:
        abort(404)
    roster = site_roster(db.session, inspection.site, local_today())
    if target not in round_targets(inspection, roster):
        abort(404)  # e.g. the area, or another window, in a spot check of one window
    label = target_label(inspection, target, roster)
    items = [(i, v) for i, v in active_items(db.session) if i.target == target.kind]
    existing = _target_failures(inspection, target)
    photos = _photos_of(existing)
    by_item = {f.item_version.item.code: f for f in existing}
    error = None
    item_error = None
    code = (request.values.get("item", "") or "").upper()
    current = by_item.get(code)
    form = {
        "item": code,
        "severity": current.severity
        if current and current.severity != current.item_version.severity
        else "",
        "reason": (current.reason or "") if current else "",
        "note": (current.note or "") if current else "",
    }
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in ("severity", "reason", "note")})
        files = [f for f in request.files.getlist("photos") if f and f.filename]
        drop = {i for i in map(parse_id, request.form.getlist("remove_photo")) if i is not None}
        kept = [p for p in photos.get(current.id, [])] if current else []
        kept = [p for p in kept if p.id not in drop]
        panel = SimpleNamespace(alert=SimpleNamespace(errors=[]))
        if not form["item"]:
            panel.alert.errors.append(_("Choose the item that failed."))
        else:
            with domain_errors(panel, fields=_PANEL_FIELDS) as outcome:
                require_photo(db.session, form["item"], len(kept) + len(files))
                result = record_failure(
                    db.session,
                    current_user,
                    inspection,
                    target=target,
                    item_code=form["item"],
                    severity=form["severity"] or None,
                    reason=form["reason"],
                    note=form["note"],
                    roster=roster,
                )
                detach_photos(db.session, current_user, inspection, result, drop)
                for upload in files:
                    store_photo(
                        db.session,
                        current_user,
                        upload.read(),
                        upload_folder=current_app.config["UPLOAD_FOLDER"],
                        inspection_uuid=inspection.uuid,
                        check_result_id=result.id,
                        max_bytes=current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES),
                    )
                # The feedback shows next to the target just marked, not at the top of the page.
                return redirect(
                    url_for(
                        ".round",
                        uuid=inspection.uuid,
                        done=target.key,
                        item=form["item"],
                        _anchor=_anchor(target, result),
                    )
                )
            if outcome.failed and outcome.error is not None:
                if outcome.error.code == "inspections.photo_required":
                    item_error = form["item"]
        error = panel.alert.errors[0] if panel.alert.errors else None
    entry = roster.entry_for(target.id) if target.kind == "staff" else None
    return render_template(
        "inspections/fail.html",
        inspection=inspection,
        target=target,
        label=label,
        items=items,
        form=form,
        error=error,
        item_error=item_error,
        existing=existing,
        current=current,
        photos=photos,
        on_leave=bool(entry and entry.on_leave),
        limits=limits,
    ), (422 if error else 200)


@bp.route("/rounds/<uuid>/failures/<int:result_id>/remove", methods=["GET", "POST"])
@roles_required(*ROUND_ROLES)
def remove(uuid: str, result_id: int):
    """Undo a failure: the page asks first (it deletes the failure and takes its photos off)."""
    inspection = _round_or_404(uuid, work=True)
    result = db.session.get(CheckResult, result_id)
    if result is None or result.inspection_id != inspection.id:
        abort(404)
    if inspection.status != "draft":
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    if request.method == "GET":
        roster = site_roster(db.session, inspection.site, local_today())
        return render_template(
            "inspections/remove_failure.html",
            inspection=inspection,
            failure=result,
            where=where(result, roster),
            photos=_photos_of([result]).get(result.id, []),
        )
    target = Target("area")
    if result.staff_member_id:
        target = Target("staff", result.staff_member_id)
    elif result.window_id:
        target = Target("window", result.window_id)
    with domain_errors():
        remove_failure(db.session, current_user, inspection, result)
        return redirect(
            url_for(
                ".round", uuid=inspection.uuid, removed=target.key, _anchor=_anchor(target, result)
            )
        )
    return redirect(url_for(".round", uuid=inspection.uuid))
