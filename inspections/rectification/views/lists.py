"""Lists: my rectifications, the verification queue, the board with its filters and counts, and
the staff flagged by the repeat-offence ladder."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from compliance.access import in_scope, roles_required, scope_filter, sites_in_scope
from compliance.db import db
from compliance.models import StaffMember
from compliance.pagination import Page, page_number
from compliance.settings import get_setting
from compliance.timeutil import local_today

from ...models import CATEGORIES, SEVERITIES
from .. import services as svc
from ..models import OPEN_STATUSES, STATUSES, ConductRecord, Rectification
from .common import ANY_ROLE, PER_PAGE, bp, filters_from_args, int_arg


@bp.route("/rectifications/mine")
@roles_required(*ANY_ROLE)
def mine():
    today = local_today()
    staff_id = current_user.staff_member_id
    open_rects, closed, commendations, level, count = [], [], [], None, 0
    if staff_id:
        base = (
            sa.select(Rectification)
            .where(Rectification.responsible_staff_id == staff_id)
            # Joined, not selectin: the same statements however many rows and sites.
            .options(joinedload(Rectification.site), joinedload(Rectification.window))
        )
        open_rects = list(
            db.session.scalars(
                base.where(Rectification.status.in_(OPEN_STATUSES)).order_by(
                    Rectification.deadline_on, Rectification.id
                )
            )
        )
        closed = list(
            db.session.scalars(
                base.where(Rectification.status == "verified")
                .order_by(Rectification.closed_at.desc())
                .limit(20)
            )
        )
        commendations = list(
            db.session.scalars(
                sa.select(ConductRecord)
                .where(
                    ConductRecord.staff_member_id == staff_id, ConductRecord.kind == "commendation"
                )
                .order_by(ConductRecord.received_on.desc())
                .limit(20)
            )
        )
        count = svc.offence_counts(db.session, today, [staff_id]).get(staff_id, 0)
        level = svc.level_for(count, svc.ladder_thresholds(db.session))
    return render_template(
        "inspections/rectification/mine.html",
        open_rects=open_rects,
        closed=closed,
        commendations=commendations,
        today=today,
        level=level,
        offence_count=count,
        window_days=get_setting(db.session, svc.WINDOW_KEY),
        linked=bool(staff_id),
    )


@bp.route("/rectifications/queue")
@roles_required("inspector", "admin")
def queue():
    query = svc.verification_queue(db.session, current_user).options(*svc.with_people())
    page = db.paginate(query, page=int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    return render_template("inspections/rectification/queue.html", page=page, today=local_today())


@bp.route("/rectifications")
@roles_required("discipline", "leader", "admin")
def board():
    today = local_today()
    filters = filters_from_args()
    # The responsible person is typed (a staff code, suggested as you type): thousands of staff
    # make a select too heavy to send. `responsible=<id>` (links from other pages) still works.
    responsible, unknown_code = _responsible_from_args(filters)
    query = svc.filtered_query(db.session, current_user, filters, today)
    counts = svc.counts_for(db.session, query, today)
    ordered = query.options(*svc.with_people()).order_by(
        Rectification.opened_at.desc(), Rectification.id.desc()
    )
    page = db.paginate(ordered, page=int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    sites = sites_in_scope(current_user)
    return render_template(
        "inspections/rectification/board.html",
        page=page,
        counts=counts,
        filters=filters,
        sites=sites,
        responsible=responsible,
        unknown_code=unknown_code,
        today=today,
        statuses=STATUSES,
        categories=CATEGORIES,
        severities=SEVERITIES,
    )


def _responsible_from_args(filters: svc.Filters) -> tuple[StaffMember | None, str]:
    """The person of `?responsible_no=<staff code>` (else `?responsible=<id>`) in the user's
    scope; sets the filter. Returns (the person or None, the code that matched nobody)."""
    code = (request.args.get("responsible_no") or "").strip()[:32]
    if code:
        member = db.session.scalar(
            sa.select(StaffMember).where(
                sa.func.upper(StaffMember.staff_no) == code.upper(),
                scope_filter(current_user, StaffMember.site_id),
            )
        )
        filters.responsible_staff_id = member.id if member is not None else -1
        return member, ("" if member is not None else code)
    if filters.responsible_staff_id:
        member = db.session.get(StaffMember, filters.responsible_staff_id)
        if member is not None and in_scope(current_user, member.site_id):
            return member, ""
    return None, ""


@bp.route("/rectifications/flagged")
@roles_required("discipline", "leader", "admin")
def flagged():
    today = local_today()
    level = "written_notice"
    total = svc.flagged_count(db.session, current_user, today, min_level=level)
    number = min(page_number(), max(1, -(-total // PER_PAGE)))
    rows = (
        svc.flagged_staff(
            db.session,
            current_user,
            today,
            min_level=level,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
        if total
        else []
    )
    return render_template(
        "inspections/rectification/flagged.html",
        page=Page(rows, number, PER_PAGE, total),
        today=today,
        thresholds=svc.ladder_thresholds(db.session),
        window_days=get_setting(db.session, svc.WINDOW_KEY),
    )
