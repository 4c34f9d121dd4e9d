"""The planner page: people due for rotation, candidates HR marks, the optimal proposal (or why
there is none) and saving it as a draft plan."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from compliance.access import roles_required, scope_ids
from compliance.db import db
from compliance.models import Assignment, Post, StaffMember
from compliance.timeutil import local_today

from .. import planner, services
from ..access import MANAGERS
from ..forms import PlannerForm
from .common import bp, parse_candidates, refusals, violation_texts


def suggested_candidates(rows, limit: int = 40) -> list[StaffMember]:
    """Active staff in non-key posts at the sites of due seats (people HR may want to mark)."""
    sites = {r.site.id for r in rows}
    if not sites:
        return []
    return list(
        db.session.scalars(
            sa.select(StaffMember)
            .join(
                Assignment,
                sa.and_(
                    Assignment.staff_member_id == StaffMember.id, Assignment.ended_on.is_(None)
                ),
            )
            .join(Post, Post.id == Assignment.post_id)
            .where(
                StaffMember.status == "active", ~Post.is_key, Assignment.site_id.in_(list(sites))
            )
            .order_by(StaffMember.staff_no)
            .limit(limit)
        )
    )


@bp.route("/planner", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def planner_page():
    today = local_today()
    form = PlannerForm(data={"planning_on": today} if request.method == "GET" else None)
    proposal = None
    unknown: list[str] = []
    site_ids = scope_ids(current_user)
    on = form.planning_on.data or today
    board_rows = [
        r for r in services.tenure_board(db.session, on, site_ids) if r.status == "overdue"
    ]
    if request.method == "POST" and form.validate_on_submit():
        candidate_ids, unknown = parse_candidates(form.candidates.data)
        if unknown:
            form.candidates.errors.append(
                _("Unknown staff numbers: %(numbers)s", numbers=", ".join(unknown))
            )
        elif request.form.get("action") == "save" and form.planning_on.data < today:
            form.planning_on.errors.append(_("A plan cannot start in the past."))
        elif request.form.get("action") == "save":
            with refusals():
                plan = services.create_plan_from_proposal(
                    db.session,
                    current_user,
                    form.planning_on.data,
                    candidate_ids,
                    site_ids,
                    form.title.data,
                )
                flash(_("Draft plan saved: review it and submit it for approval."), "success")
                return redirect(url_for("rotation.plan_detail", plan_id=plan.id))
        if not form.errors:
            proposal = services.propose(db.session, form.planning_on.data, candidate_ids, site_ids)
    groups = planner.chains(proposal.result.moves) if proposal is not None and proposal.ok else []
    return render_template(
        "rotation/planner.html",
        form=form,
        proposal=proposal,
        groups=groups,
        due_rows=board_rows,
        suggestions=suggested_candidates(board_rows),
        violation_texts=violation_texts,
    )
