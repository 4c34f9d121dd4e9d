"""Spot-check draws (双随机, 一公开): making a draw, weekly draw schedules, a draw's detail with its
re-run check and each spot check's signatures, publishing, the published results every signed-in
user may read, and the public page of a published draw (no sign-in; names masked)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import roles_required, scope_ids
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import ROLES, Site, StaffMember, User, Window
from compliance.timeutil import local_today
from compliance.uow import domain_errors

from .. import draws as draw_svc
from ..forms import WEEKDAYS, DrawForm, DrawScheduleForm
from ..models import Draw, DrawSchedule, Finding, Inspection, InspectionInspector
from ..services import redraw_inspector
from .common import PER_PAGE, bp, page_arg

DRAW_ROLES = draw_svc.DRAW_ROLES
# The services' field names on the draw forms.
DRAW_FIELDS = {"site_ids": "sites", "inspector_ids": "inspectors"}


def _draw_or_404(draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None:
        abort(404)
    allowed = scope_ids(current_user)
    if allowed is not None and not set(draw.site_ids or []) <= allowed:
        abort(404)
    return draw


def _draw_view_data(draw: Draw) -> dict:
    inspections = list(
        db.session.scalars(
            sa.select(Inspection)
            .options(
                selectinload(Inspection.team).joinedload(InspectionInspector.user),
                joinedload(Inspection.target_window),
                joinedload(Inspection.target_staff),
            )
            .where(Inspection.draw_id == draw.id)
            .order_by(Inspection.id)
        )
    )
    users = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(draw.inspector_pool)))
    }
    if draw.target_kind == "window":
        targets = {
            w.id: w.label
            for w in db.session.scalars(sa.select(Window).where(Window.id.in_(draw.target_pool)))
        }
    else:
        targets = {
            s.id: f"{s.name} ({s.staff_no})"
            for s in db.session.scalars(
                sa.select(StaffMember).where(StaffMember.id.in_(draw.target_pool))
            )
        }
    sites = list(db.session.scalars(sa.select(Site).where(Site.id.in_(draw.site_ids))))
    by_target = {(i.target_window_id or i.target_staff_id): i for i in inspections}
    findings: dict[int, list[Finding]] = {}
    if inspections:
        for f in db.session.scalars(
            sa.select(Finding)
            .where(Finding.inspection_id.in_([i.id for i in inspections]))
            .order_by(Finding.id)
        ):
            findings.setdefault(f.inspection_id, []).append(f)
    members = {(i.id, m.user_id): m for i in inspections for m in i.team}
    return {
        "draw": draw,
        "members": members,
        "inspections": inspections,
        "users": users,
        "targets": targets,
        "sites": sites,
        "by_target": by_target,
        "findings": findings,
        "reproduced": draw_svc.rerun(draw) == draw.result,
    }


@bp.route("/draws")
@roles_required(*DRAW_ROLES)
def draw_list():
    page = db.paginate(
        sa.select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    draw_schedules = list(db.session.scalars(sa.select(DrawSchedule).order_by(DrawSchedule.id)))
    return render_template(
        "inspections/draw_list.html", page=page, schedules=draw_schedules, weekdays=WEEKDAYS
    )


def _draw_form_args(form) -> dict:
    return dict(
        title=form.title.data,
        target_kind=form.target_kind.data,
        site_ids=form.sites.data,
        post_ids=form.posts.data,
        inspector_ids=form.inspectors.data,
        target_count=form.target_count.data,
        target_percent=form.target_percent.data,
        inspectors_per_target=form.inspectors_per_target.data,
    )


@bp.route("/draws/new", methods=["GET", "POST"])
@roles_required(*DRAW_ROLES)
def draw_new():
    form = DrawForm(current_user)
    if form.validate_on_submit():
        with domain_errors(form, fields=DRAW_FIELDS):
            draw = draw_svc.create_draw(
                db.session, current_user, day=local_today(), **_draw_form_args(form)
            )
            flash(_("Draw made: %(n)s targets.", n=len(draw.result)), "success")
            return redirect(url_for(".draw_detail", draw_id=draw.id))
    return render_template("inspections/draw_form.html", form=form, title=_("New spot-check draw"))


@bp.route("/draws/schedules/new", methods=["GET", "POST"])
@roles_required(*DRAW_ROLES)
def draw_schedule_new():
    form = DrawScheduleForm(current_user)
    if form.validate_on_submit():
        with domain_errors(form, fields=DRAW_FIELDS):
            draw_svc.create_schedule(
                db.session, current_user, weekday=form.weekday.data, **_draw_form_args(form)
            )
            flash(_("Recurring draw saved."), "success")
            return redirect(url_for(".draw_list"))
    return render_template("inspections/draw_form.html", form=form, title=_("New weekly draw"))


@bp.route("/draws/<int:draw_id>")
@roles_required(*DRAW_ROLES)
def draw_detail(draw_id: int):
    """A draw with its spot checks (its status moves on when the last spot check is submitted)."""
    draw = _draw_or_404(draw_id)
    return render_template("inspections/draw_detail.html", public=False, **_draw_view_data(draw))


@bp.route("/draws/schedules/<int:schedule_id>/toggle", methods=["POST"])
@roles_required(*DRAW_ROLES)
def draw_schedule_toggle(schedule_id: int):
    schedule = db.session.get(DrawSchedule, schedule_id)
    if schedule is None:
        abort(404)
    draw_svc.set_schedule_active(db.session, current_user, schedule, not schedule.is_active)
    flash(
        _("Recurring draw resumed.") if schedule.is_active else _("Recurring draw paused."),
        "success",
    )
    return redirect(url_for(".draw_list"))


@bp.route("/draws/<int:draw_id>/publish", methods=["POST"])
@roles_required(*DRAW_ROLES)
def draw_publish(draw_id: int):
    draw = _draw_or_404(draw_id)
    with domain_errors():
        draw_svc.publish_draw(db.session, current_user, draw)
        flash(_("Draw published."), "success")
    return redirect(url_for(".draw_detail", draw_id=draw_id))


@bp.route("/draws/<int:draw_id>/checks/<int:inspection_id>/redraw", methods=["POST"])
@roles_required(*DRAW_ROLES)
def draw_redraw(draw_id: int, inspection_id: int):
    """Replace a drawn inspector who cannot take part by drawing another from the pool."""
    draw = _draw_or_404(draw_id)
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or inspection.draw_id != draw.id:
        abort(404)
    user_id = request.form.get("user_id", "")
    with domain_errors():
        new = redraw_inspector(
            db.session,
            current_user,
            inspection,
            parse_id(user_id) or -1,
            reason=request.form.get("reason", ""),
        )
        flash(_("Drawn instead: %(name)s.", name=db.session.get(User, new.user_id).display_name))
    return redirect(url_for(".draw_detail", draw_id=draw.id, _anchor=f"check-{inspection.id}"))


# --------------------------------------------------------------------------- publication (一公开)


@bp.route("/spot-checks/published")
@roles_required(*ROLES)
def draw_public_list():
    page = db.paginate(
        sa.select(Draw).where(Draw.status == "published").order_by(Draw.published_at.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("inspections/draw_public_list.html", page=page)


@bp.route("/spot-checks/published/<int:draw_id>")
@roles_required(*ROLES)
def draw_public(draw_id: int):
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.status != "published":
        abort(404)
    return render_template("inspections/draw_detail.html", public=True, **_draw_view_data(draw))


# --------------------------------------------------------------------------- public page (一公开)
# Readable without signing in at a stable address: what was drawn, when, the seed and the result
# per target. People's names are masked (`draws.mask_name`); staff numbers, reasons and notes
# (free text that may name people) are left out.


def _public_view_data(draw: Draw) -> dict:
    data = _draw_view_data(draw)
    if draw.target_kind == "window":
        targets = data["targets"]
    else:
        targets = {
            s.id: draw_svc.mask_name(s.name)
            for s in db.session.scalars(
                sa.select(StaffMember).where(StaffMember.id.in_(draw.target_pool))
            )
        }
    masked = {uid: draw_svc.mask_name(u.display_name) for uid, u in data["users"].items()}
    return {
        "draw": draw,
        "sites": data["sites"],
        "targets": targets,
        "masked": masked,
        "by_target": data["by_target"],
        "findings": data["findings"],
        "reproduced": data["reproduced"],
    }


@bp.route("/public/spot-checks")
def draw_public_page_list():
    """Published draws, for anyone (no sign-in)."""
    page = db.paginate(
        sa.select(Draw).where(Draw.status == "published").order_by(Draw.published_at.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("inspections/draw_public_page_list.html", page=page)


@bp.route("/public/spot-checks/<int:draw_id>")
def draw_public_page(draw_id: int):
    """One published draw, for anyone (no sign-in); unpublished or unknown draws are 404."""
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.status != "published":
        abort(404)
    return render_template("inspections/draw_public_page.html", **_public_view_data(draw))
