"""Patrol rounds and spot checks on a phone: the patrol page, starting or resuming a round (also
from a window's QR code), the round page, the failure panel, saving and submitting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from compliance import limits
from compliance.access import in_scope, roles_required, sites_in_scope
from compliance.db import db
from compliance.integers import parse_id
from compliance.limits import checked_text
from compliance.models import Site, Window
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from .. import schedules
from ..models import Inspection, Photo
from ..services import (
    draft_failures,
    may_work_on,
    set_location,
    site_roster,
    start_round,
    submit_round,
    team_member,
)
from .common import ROUND_ROLES, bp, int_arg, my_open_rounds
from .naming import feedback, where
from .spot_checks import sign_from_round, spot_check_gate

# --------------------------------------------------------------------------- starting a round


@bp.route("/patrols")
@roles_required(*ROUND_ROLES)
def patrol_start():
    today = local_today()
    status = {s.site.id: s for s in schedules.patrol_status(db.session, today, current_user)}
    return render_template(
        "inspections/patrol_start.html",
        sites=sites_in_scope(current_user),
        status=status,
        open_rounds=my_open_rounds(current_user),
        highlight=int_arg("site"),
    )


def _open_draft(site: Site) -> Inspection | None:
    """The user's latest draft patrol round of the site, to resume."""
    return db.session.scalars(
        sa.select(Inspection)
        .where(
            Inspection.status == "draft",
            Inspection.kind == "patrol",
            Inspection.site_id == site.id,
            Inspection.inspector_id == current_user.id,
        )
        .order_by(Inspection.created_at.desc())
        .limit(1)
    ).first()


@bp.route("/patrols/start", methods=["POST"])
@roles_required(*ROUND_ROLES)
def patrol_begin():
    """Resume the user's open round of the site, or start one (the phone sends its UUID, time and
    location). From a window's QR code the round opens at that window."""
    site_id = parse_id(request.form.get("site_id", ""))  # past the id range: 404, not 500
    site = db.session.get(Site, site_id) if site_id is not None else None
    if site is None or not in_scope(current_user, site.id):
        abort(404)
    window_id = parse_id(request.form.get("window_id", ""))
    anchor = f"w{window_id}" if window_id is not None else None
    with domain_errors():
        inspection = _open_draft(site) or start_round(
            db.session,
            current_user,
            site,
            uuid=request.form.get("uuid") or None,
            device_time=request.form.get("device_time"),
            latitude=request.form.get("latitude"),
            longitude=request.form.get("longitude"),
            accuracy=request.form.get("accuracy"),
        )
        return redirect(url_for(".round", uuid=inspection.uuid, _anchor=anchor))
    return redirect(url_for(".patrol_start"))


@bp.route("/patrols/window/<int:window_id>")
@roles_required(*ROUND_ROLES)
def window_entry(window_id: int):
    """Where a window's QR code leads: the user's open round of the site at that window, or a
    button that starts one (reading this page never starts a round by itself)."""
    window = db.session.get(Window, window_id)
    if window is None or not in_scope(current_user, window.site_id):
        abort(404)
    draft = _open_draft(window.site)
    if draft is not None:
        return redirect(url_for(".round", uuid=draft.uuid, _anchor=f"w{window.id}"))
    return render_template("inspections/window_entry.html", window=window, site=window.site)


# --------------------------------------------------------------------------- the round page


def _round_or_404(uuid: str, *, work: bool = False) -> Inspection:
    inspection = db.session.scalars(
        sa.select(Inspection)
        .options(joinedload(Inspection.site), selectinload(Inspection.team))
        .where(Inspection.uuid == uuid)
    ).first()
    if inspection is None or not in_scope(current_user, inspection.site_id):
        abort(404)
    if work and not may_work_on(current_user, inspection):
        if inspection.status != "draft":
            return inspection
        abort(403)
    return inspection


def _round_windows(inspection: Inspection, roster) -> list:
    """Windows to show: a spot check of a window or a staff member shows that window only."""
    if inspection.target_window_id is not None:
        return [w for w in roster.windows if w.id == inspection.target_window_id]
    if inspection.target_staff_id is not None:
        entry = roster.entry_for(inspection.target_staff_id)
        return [entry.window] if entry else []
    return roster.windows


@bp.route("/rounds/<uuid>")
@roles_required(*ROUND_ROLES)
def round(uuid: str):  # noqa: A001  (the endpoint name users see in URLs)
    gate = spot_check_gate(_round_or_404(uuid))
    if gate is not None:
        return gate
    inspection = _round_or_404(uuid, work=True)
    if inspection.status != "draft":
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    roster = site_roster(db.session, inspection.site, local_today())
    failures = draft_failures(db.session, inspection)
    photo_counts = dict(
        db.session.execute(
            sa.select(Photo.check_result_id, sa.func.count(Photo.id))
            .where(Photo.inspection_uuid == inspection.uuid, Photo.check_result_id.is_not(None))
            .group_by(Photo.check_result_id)
        ).all()
    )
    by_target: dict[str, int] = {}
    for f in failures:
        key = (
            f"s{f.staff_member_id}"
            if f.staff_member_id
            else f"w{f.window_id}"
            if f.window_id
            else "a"
        )
        by_target[key] = by_target.get(key, 0) + 1
    return render_template(
        "inspections/round.html",
        inspection=inspection,
        roster=roster,
        windows=_round_windows(inspection, roster),
        failures=failures,
        where={f.id: where(f, roster) for f in failures},
        by_target=by_target,
        photo_counts=photo_counts,
        show_area=inspection.draw_id is None,
        only_staff=inspection.target_staff_id,
        feedback=feedback(failures, roster),
    )


@bp.route("/rounds/<uuid>/save", methods=["POST"])
@roles_required(*ROUND_ROLES)
def save(uuid: str):
    """Save the draft (note, location) to resume later; failures are saved as they are made."""
    inspection = _round_or_404(uuid, work=True)
    if inspection.status == "draft":
        if inspection.latitude is None:
            set_location(
                inspection,
                request.form.get("latitude"),
                request.form.get("longitude"),
                request.form.get("accuracy"),
            )
        with domain_errors():
            inspection.note = checked_text(
                request.form.get("note"), limits.INSPECTION_NOTE, field="note"
            )
            flash(_("Round saved. You can resume it from the patrol page."), "success")
            return redirect(url_for(".patrol_start"))
        return redirect(url_for(".round", uuid=uuid))
    return redirect(url_for(".patrol_start"))


@bp.route("/rounds/<uuid>/submit", methods=["POST"])
@roles_required(*ROUND_ROLES)
def submit(uuid: str):
    """Submit the round; a spot check's draw is marked done when its last spot check is in.
    On a spot check this is the inspector's signature (submitted once every one has signed)."""
    inspection = _round_or_404(uuid)
    if inspection.status == "draft" and team_member(inspection, current_user) is not None:
        return sign_from_round(inspection)  # also answers a second tap by a signed inspector
    inspection = _round_or_404(uuid, work=True)
    with domain_errors():
        findings = submit_round(
            db.session,
            current_user,
            inspection,
            device_time=request.form.get("device_time"),
            latitude=request.form.get("latitude"),
            longitude=request.form.get("longitude"),
            accuracy=request.form.get("accuracy"),
            note=request.form.get("note"),
        )
        flash(_("Round submitted: %(n)s findings.", n=len(findings)), "success")
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    return redirect(url_for(".round", uuid=uuid))
