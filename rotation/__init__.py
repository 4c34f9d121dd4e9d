"""The rotation package: key-post policies, tenure, the rotation planner, plans and their
execution. See ../shared/DESIGN.md for its place in the product."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from compliance.audit_views import register_audit_scope
from compliance.models import StaffMember

from . import models  # noqa: F401  (tables must be known to create_all)
from .models import RotationExemption, RotationMove

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""

    from . import api, demo, ledgers, tasks, views

    views.init_app(app)
    api.init_app(app)
    tasks.init_app(app)
    demo.init_app(app)
    ledgers.init_app(app)
    _register_audit_scopes()


def _register_audit_scopes() -> None:
    """Let site-scoped readers see the audit events of rotation records at their sites."""
    register_audit_scope(
        "RotationMove",
        lambda ids: sa.select(sa.cast(RotationMove.id, sa.String)).where(
            RotationMove.to_site_id.in_(ids)
        ),
    )
    register_audit_scope(
        "RotationPlan",
        lambda ids: sa.select(sa.cast(RotationMove.plan_id, sa.String)).where(
            RotationMove.to_site_id.in_(ids)
        ),
    )
    register_audit_scope(
        "RotationExemption",
        lambda ids: (
            sa.select(sa.cast(RotationExemption.id, sa.String))
            .join(StaffMember, StaffMember.id == RotationExemption.staff_member_id)
            .where(StaffMember.site_id.in_(ids))
        ),
    )
