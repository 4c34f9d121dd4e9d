"""Rotation plans: the list, one plan with its moves, rule check and history, editing a draft,
submitting, deciding (approve or return, never one's own plan) and drafting a reversal; and the
dashboard panel of plans waiting for a decision."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from compliance.access import roles_required, scope_ids
from compliance.db import db
from compliance.integers import parse_id
from compliance.models import AuditEvent
from compliance.pagination import paginate_list
from compliance.timeutil import local_today

from .. import services
from ..access import DECIDERS, MANAGERS, READERS, visible_plans_query
from ..forms import DecisionForm
from ..models import PLAN_STATUSES, RotationMove, RotationPlan
from ..services import MoveSpec
from .common import (
    _status_label,
    bp,
    get_plan_or_404,
    move_reason_label,
    parse_candidates,
    parse_date,
    refusals,
    violation_texts,
)

# Moves shown per page of a plan: a district's quarterly plan may move hundreds of people; the
# edit form keeps the moves of the other pages as they are.
MOVES_PER_PAGE = 50


@bp.route("/plans")
@roles_required(*READERS)
def plans():
    status = request.args.get("status") or ""
    query = visible_plans_query(current_user).options(joinedload(RotationPlan.author))
    if status in PLAN_STATUSES:
        query = query.where(RotationPlan.status == status)
    page = db.paginate(
        query.order_by(RotationPlan.created_at.desc(), RotationPlan.id.desc()),
        per_page=30,
        error_out=False,
    )
    move_counts = dict(
        db.session.execute(
            sa.select(RotationMove.plan_id, sa.func.count(RotationMove.id))
            .where(RotationMove.plan_id.in_([p.id for p in page.items]))
            .group_by(RotationMove.plan_id)
        ).all()
    )
    return render_template(
        "rotation/plans.html",
        page=page,
        status=status,
        statuses=PLAN_STATUSES,
        move_counts=move_counts,
    )


def _seat_choices(plan: RotationPlan, typed=()) -> list[services.SeatOption]:
    """The seats of the plan's own moves (so current values have labels) and, of the seat
    numbers `typed`, those that are key seats in scope: the seats a move may target. The page
    lists the plan's seats alone; others are suggested as the user types (the seat lookup)."""
    ids = {m.from_assignment_id for m in plan.moves} | {m.seat_assignment_id for m in plan.moves}
    return services.seat_options(
        db.session, scope_ids(current_user), sorted(ids), only_ids=sorted(set(typed))
    )


@bp.route("/plans/<int:plan_id>")
@roles_required(*READERS)
def plan_detail(plan_id: int):
    plan = get_plan_or_404(plan_id)
    violations = (
        services.plan_violations(db.session, plan)
        if plan.status in ("draft", "returned", "submitted")
        else []
    )
    move_ids = [str(m.id) for m in plan.moves]
    history = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    sa.and_(
                        AuditEvent.entity_type == "RotationPlan",
                        AuditEvent.entity_id == str(plan.id),
                    ),
                    sa.and_(
                        AuditEvent.entity_type == "RotationMove", AuditEvent.entity_id.in_(move_ids)
                    ),
                )
            )
            .order_by(AuditEvent.id)
        )
    )
    can_edit = plan.is_editable and current_user.has_role(*MANAGERS)
    can_decide = (
        plan.status == "submitted"
        and current_user.has_role(*DECIDERS)
        and plan.author_id != current_user.id
    )
    moves = paginate_list(plan.moves, per_page=MOVES_PER_PAGE)
    return render_template(
        "rotation/plan.html",
        plan=plan,
        violations=violation_texts(violations),
        history=history,
        can_edit=can_edit,
        can_decide=can_decide,
        moves=moves,
        # What the rows repeat, translated once per distinct value instead of once per row.
        reasons={r: move_reason_label(r) for r in {m.reason for m in moves.items}},
        statuses={s: _status_label(s) for s in {m.status for m in moves.items}},
        handover=_("handover from %(name)s"),
        seats=[(o.id, o.label) for o in _seat_choices(plan)] if can_edit else [],
        form=DecisionForm(),
        today=local_today(),
    )


def _edited_moves(plan: RotationPlan) -> tuple[list[MoveSpec], list[str]]:
    """The moves of the edit form (seat, date, removal of each move; one person added), and
    what was wrong with the input."""
    specs: list[MoveSpec] = []
    errors: list[str] = []
    for move in plan.moves:
        if request.form.get(f"remove_{move.id}"):
            continue
        seat_id = parse_id(request.form.get(f"seat_{move.id}")) or move.seat_assignment_id
        on = parse_date(request.form.get(f"date_{move.id}"), move.effective_on)
        if on is None:
            errors.append(
                _("The date of the move of %(name)s is not valid.", name=move.staff_member.name)
            )
            continue
        specs.append(MoveSpec(move.staff_member_id, seat_id, on, move.reason))
    add_no = (request.form.get("add_staff_no") or "").strip()
    if add_no:
        ids, unknown = parse_candidates(add_no)
        seat_id = parse_id(request.form.get("add_seat"))
        on = parse_date(request.form.get("add_date"), plan.planning_on)
        if unknown or len(ids) != 1:
            errors.append(_("Unknown staff numbers: %(numbers)s", numbers=add_no))
        elif not seat_id or on is None:
            errors.append(_("Choose a seat and a date for the added person."))
        elif any(s.staff_member_id == ids[0] for s in specs):
            errors.append(_("This person is already in the plan."))
        else:
            specs.append(MoveSpec(ids[0], seat_id, on, "candidate"))
    return specs, errors


@bp.route("/plans/<int:plan_id>/edit", methods=["POST"])
@roles_required(*MANAGERS)
def plan_edit(plan_id: int):
    plan = get_plan_or_404(plan_id)
    specs, errors = _edited_moves(plan)
    # Seats are typed as numbers now (with suggestions): only the seats the page offers count.
    typed = {spec.seat_assignment_id for spec in specs}
    offered = {o.id for o in _seat_choices(plan, typed)}
    errors += [
        _("Seat number %(seat)s is not one of the seats offered.", seat=spec.seat_assignment_id)
        for spec in specs
        if spec.seat_assignment_id not in offered
    ]
    if errors:
        for e in errors:
            flash(e, "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan.id))
    with refusals():
        services.update_plan_moves(db.session, current_user, plan, specs)
        flash(_("The plan was changed; every rule was checked again."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/reverse", methods=["POST"])
@roles_required(*MANAGERS)
def plan_reverse(plan_id: int):
    plan = get_plan_or_404(plan_id)
    on = parse_date(request.form.get("effective_on"), local_today())
    if on is None:
        flash(_("The date is not valid."), "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan_id))
    with refusals():
        reversal = services.create_reversal_plan(db.session, current_user, plan, on)
        flash(_("A reversal plan was drafted: it needs approval like any plan."), "success")
        return redirect(url_for("rotation.plan_detail", plan_id=reversal.id))
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@roles_required(*MANAGERS)
def plan_submit(plan_id: int):
    plan = get_plan_or_404(plan_id)
    with refusals():
        services.submit_plan(db.session, current_user, plan)
        flash(_("The plan was submitted for approval."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/<any(approve, return):decision>", methods=["POST"])
@roles_required(*DECIDERS)
def plan_decide(plan_id: int, decision: str):
    plan = get_plan_or_404(plan_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The form is not valid."), "danger")
        return redirect(url_for("rotation.plan_detail", plan_id=plan_id))
    with refusals():
        if decision == "approve":
            services.approve_plan(db.session, current_user, plan, form.note.data)
            flash(_("The plan was approved."), "success")
        else:
            services.return_plan(db.session, current_user, plan, form.note.data)
            flash(_("The plan was returned."), "success")
    return redirect(url_for("rotation.plan_detail", plan_id=plan_id))


def approvals_panel(user) -> Markup | None:
    """Submitted plans this user may decide on (never their own)."""
    query = visible_plans_query(user).where(
        RotationPlan.status == "submitted",
        sa.or_(RotationPlan.author_id.is_(None), RotationPlan.author_id != user.id),
    )
    plans = list(db.session.scalars(query.order_by(RotationPlan.submitted_at)))
    if not plans:
        return None
    return Markup(render_template("rotation/_panel_approvals.html", plans=plans))
