"""Who may see and do what in rotation: the roles of the pages and the API, and the object rule
for plans (a reader sees a plan that moves someone to a site in their scope, or that they wrote)."""

from __future__ import annotations

import sqlalchemy as sa

from compliance.access import scope_ids
from compliance.models import User

from .models import RotationMove, RotationPlan
from .services import APPROVER_ROLES

READERS = ("hr", "discipline", "leader", "admin")
MANAGERS = ("hr", "admin")
DECIDERS = APPROVER_ROLES


def plan_in_scope(plan: RotationPlan, user: User) -> bool:
    ids = scope_ids(user)
    if ids is None or plan.author_id == user.id:
        return True
    return any(m.to_site_id in ids for m in plan.moves)


def visible_plans_query(user: User) -> sa.Select:
    """Plans the user may see (scope or authorship), unordered."""
    query = sa.select(RotationPlan)
    ids = scope_ids(user)
    if ids is not None:
        in_scope_ids = sa.select(RotationMove.plan_id).where(RotationMove.to_site_id.in_(list(ids)))
        query = query.where(
            sa.or_(RotationPlan.id.in_(in_scope_ids), RotationPlan.author_id == user.id)
        )
    return query
