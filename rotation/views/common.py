"""Shared parts of the rotation pages: the blueprint, labels, the plan loader, input helpers and
how a refused rule check is shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload, selectinload

from compliance.access import scope_filter
from compliance.db import db
from compliance.models import Assignment, StaffMember, User
from compliance.uow import Outcome, domain_errors

from ..access import plan_in_scope
from ..models import RotationMove, RotationPlan
from ..services import RulesBroken

bp = Blueprint("rotation", __name__, url_prefix="/rotation")

STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
    "executed": _l("Executed"),
    "planned": _l("Planned"),
    "blocked": _l("Blocked"),
}

SOLVER_LABELS = {
    "assignment": _l("optimal assignment (Hungarian method)"),
    "branch-and-bound": _l("branch and bound over optimal assignments"),
    "milp": _l("0/1 integer program (HiGHS)"),
}

ACTION_LABELS = {
    "rotation_plan.create": _l("Drafted from a proposal"),
    "rotation_plan.edit": _l("Edited (rules re-checked)"),
    "rotation_plan.submit": _l("Submitted"),
    "rotation_plan.approve": _l("Approved"),
    "rotation_plan.return": _l("Returned"),
    "rotation_plan.execute": _l("Executed"),
    "rotation_move.execute": _l("Move executed"),
    "rotation_move.block": _l("Move blocked"),
}

# How many broken rules a page lists after a refused plan action.
SHOWN_VIOLATIONS = 12


def violation_texts(violations) -> list[str]:
    return [v.text(_) for v in violations]


@contextmanager
def refusals(form=None, **kwargs) -> Iterator[Outcome]:
    """`domain_errors` for rotation pages: a refused service call is undone and its message
    shown (on the form field it names, else flashed); when rules were broken, the first
    violations are listed too."""
    with domain_errors(form, **kwargs) as outcome:
        yield outcome
    if isinstance(outcome.error, RulesBroken):
        for text in violation_texts(outcome.error.violations)[:SHOWN_VIOLATIONS]:
            flash(text, "warning")


def move_reason_label(reason: str | None) -> str:
    if reason and reason.startswith("due:"):
        return _("Due for rotation since %(due)s", due=reason[4:])
    if reason and reason.startswith("reversal:"):
        return _("Reverses plan #%(plan)s", plan=reason[9:])
    return _("Candidate")


def get_plan_or_404(plan_id: int) -> RotationPlan:
    plan = db.session.scalar(
        sa.select(RotationPlan)
        .where(RotationPlan.id == plan_id)
        .options(
            # The author's name only: not their roles and sites.
            joinedload(RotationPlan.author).options(
                lazyload(User.role_rows), lazyload(User.site_rows)
            ),
            joinedload(RotationPlan.decided_by).options(
                lazyload(User.role_rows), lazyload(User.site_rows)
            ),
            selectinload(RotationPlan.moves).options(
                joinedload(RotationMove.staff_member),
                joinedload(RotationMove.predecessor),
                joinedload(RotationMove.to_post),
                joinedload(RotationMove.to_site),
                joinedload(RotationMove.to_window),
                joinedload(RotationMove.from_assignment).options(
                    joinedload(Assignment.post),
                    joinedload(Assignment.site),
                    joinedload(Assignment.window),
                ),
            ),
        )
    )
    if plan is None or not plan_in_scope(plan, current_user):
        abort(404)
    return plan


def parse_date(value: str | None, default: date | None = None) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def staff_in_scope_query() -> sa.Select:
    return (
        sa.select(StaffMember)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.staff_no)
    )


def parse_candidates(text: str | None) -> tuple[list[int], list[str]]:
    """Staff numbers typed by HR -> staff ids in the user's scope, and unknown numbers."""
    numbers = [n for n in re.split(r"[\s,，;；]+", text or "") if n]
    if not numbers:
        return [], []
    found = {
        s.staff_no: s.id
        for s in db.session.scalars(staff_in_scope_query().where(StaffMember.staff_no.in_(numbers)))
    }
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


@bp.app_template_filter("rotation_status")
def _status_label(value: str) -> str:
    return str(STATUS_LABELS.get(value, value))


@bp.app_context_processor
def _helpers():
    return {
        "rotation_reason": move_reason_label,
        "solver_label": lambda name: str(SOLVER_LABELS.get(name, name)),
        "action_label": lambda action: str(ACTION_LABELS.get(action, action)),
    }
