"""Spot checks by their drawn team (双随机): the check's page (who opened and signed it, what has
been recorded, and what this inspector can do next), opening it (which starts its clock) and
signing it. The round page leads here for a spot check not yet opened or already signed."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import in_scope, roles_required
from compliance.db import db
from compliance.models import User
from compliance.uow import domain_errors

from ..access import can_view_inspection
from ..models import Inspection, InspectionInspector
from ..services import draft_failures, open_spot_check, sign_spot_check, team_member
from .common import ROUND_ROLES, bp, photos_for

# Browser and system names worth showing for a signature's device (the full text is kept).
_SYSTEMS = (
    ("HarmonyOS", "HarmonyOS"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
_BROWSERS = (
    ("wxwork", "企业微信"),
    ("MicroMessenger", "微信"),
    ("DingTalk", "钉钉"),
    ("EdgA?/", "Edge"),
    ("HeadlessChrome", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Firefox/", "Firefox"),
    ("Safari/", "Safari"),
)


@bp.app_template_filter("device")
def device_label(user_agent: str | None) -> str:
    """A short name for the device a signature came from ("Android · 微信")."""
    if not user_agent:
        return "—"
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    browser = next((name for key, name in _BROWSERS if re.search(key, user_agent)), None)
    parts = [p for p in (system, browser) if p]
    return " · ".join(parts) if parts else user_agent[:40]


def _check_or_404(uuid) -> Inspection:
    inspection = db.session.scalars(
        sa.select(Inspection)
        .options(
            joinedload(Inspection.site),
            joinedload(Inspection.target_window),
            joinedload(Inspection.target_staff),
            selectinload(Inspection.team).joinedload(InspectionInspector.user),
        )
        .where(Inspection.uuid == str(uuid))
    ).first()
    if inspection is None or not inspection.team or not in_scope(current_user, inspection.site_id):
        abort(404)
    return inspection


def spot_check_gate(inspection: Inspection):
    """For the round page: a drawn inspector who has not opened the spot check yet, or has signed
    it, goes to the check's page (opening is a POST: reading a page never starts the clock)."""
    if not inspection.team or inspection.status != "draft":
        return None
    member = team_member(inspection, current_user)
    if member is not None and (member.opened_at is None or member.signed_at is not None):
        return redirect(url_for("inspections.spot_check", uuid=inspection.uuid))
    return None


def _form_values() -> dict:
    return dict(
        device_time=request.form.get("device_time"),
        latitude=request.form.get("latitude"),
        longitude=request.form.get("longitude"),
        accuracy=request.form.get("accuracy"),
    )


def sign_from_round(inspection: Inspection):
    """The round page's submit button on a spot check: this inspector's signature."""
    return _sign(inspection, note=request.form.get("note"))


def _sign(inspection: Inspection, *, note=None, remark=None):
    with domain_errors():
        _member, findings = sign_spot_check(
            db.session,
            current_user,
            inspection,
            user_agent=request.user_agent.string,
            note=note,
            remark=remark,
            **_form_values(),
        )
        if findings is None:
            flash(
                _("Signed. The spot check is complete when every drawn inspector has signed."),
                "success",
            )
            return redirect(url_for(".spot_check", uuid=inspection.uuid))
        flash(
            _(
                "Signed by every drawn inspector: spot check submitted, %(n)s findings.",
                n=len(findings),
            ),
            "success",
        )
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    return redirect(url_for(".spot_check", uuid=inspection.uuid))


@bp.route("/spot-checks/<uuid:uuid>")
@roles_required(*ROUND_ROLES)
def spot_check(uuid):
    """The spot check's page: the target, the team with their openings and signatures, what has
    been recorded (by whom, confirmed by whom) and this inspector's next step."""
    inspection = _check_or_404(uuid)
    member = team_member(inspection, current_user)
    if inspection.status != "draft":
        if not can_view_inspection(current_user, inspection) and member is None:
            abort(404)
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    if member is None and not can_view_inspection(current_user, inspection):
        abort(403)
    failures = draft_failures(db.session, inspection)
    photos = photos_for(result_ids=[f.id for f in failures])
    recorders = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(
                User.id.in_({f.recorded_by_id for f in failures if f.recorded_by_id} or {-1})
            )
        )
    }
    confirmed = {
        f.id: [
            m.user for m in inspection.team if m.signed_at and f.id in (m.signed_result_ids or [])
        ]
        for f in failures
    }
    signed = [m for m in inspection.team if m.signed_at]
    if member is None:
        state = "observer"
    elif member.signed_at is not None:
        state = "signed"
    elif member.opened_at is None:
        state = "not_opened"
    else:
        state = "working"
    return render_template(
        "inspections/spot_check.html",
        inspection=inspection,
        member=member,
        state=state,
        failures=failures,
        photos=photos,
        recorders=recorders,
        confirmed=confirmed,
        signed=signed,
        waiting=[m for m in inspection.team if m.signed_at is None],
    )


@bp.route("/spot-checks/<uuid:uuid>/open", methods=["POST"])
@roles_required(*ROUND_ROLES)
def spot_check_open(uuid):
    """Start (or join) the spot check: the first opening starts its clock."""
    inspection = _check_or_404(uuid)
    with domain_errors():
        open_spot_check(db.session, current_user, inspection, **_form_values())
        return redirect(url_for(".round", uuid=inspection.uuid))
    return redirect(url_for(".spot_check", uuid=inspection.uuid))


@bp.route("/spot-checks/<uuid:uuid>/sign", methods=["POST"])
@roles_required(*ROUND_ROLES)
def spot_check_sign(uuid):
    """Confirm what is recorded with this inspector's signature."""
    inspection = _check_or_404(uuid)
    return _sign(inspection, remark=request.form.get("remark"))
