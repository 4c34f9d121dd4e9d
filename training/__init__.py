"""The training package. See ../shared/DESIGN.md for its place in the product."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to create_all)
from .models import Course, MentorPairing  # noqa: F401

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""
    from flask_babel import lazy_gettext as _l

    from compliance.api import register
    from compliance.demo import register_demo
    from compliance.review import register_review_section
    from compliance.scheduler import register_job
    from compliance.ui import register_dashboard_panel, register_nav

    from . import api, demo, ledgers, tasks, views

    app.register_blueprint(views.bp)
    register(app, api.blp)
    register_nav(
        app,
        "training.my_training",
        _l("My training"),
        roles=("staff",),
        order=400,
        icon="book",
        daily=("staff",),
    )
    register_nav(
        app,
        "training.sessions",
        _l("Training"),
        roles=("hr", "admin", "discipline", "leader"),
        order=410,
        icon="book",
        daily=("hr",),
    )
    register_nav(
        app,
        "training.plans",
        _l("Onboarding"),
        roles=("hr", "admin", "discipline", "leader"),
        order=420,
    )
    register_nav(
        app,
        "training.pairings",
        _l("Mentor pairing"),
        roles=("hr", "admin", "discipline", "leader"),
        order=430,
    )
    register_dashboard_panel(app, views.render_hr_panel, roles=("hr", "admin"), order=400)
    register_dashboard_panel(app, views.render_staff_panel, order=410)
    register_dashboard_panel(
        app, views.dashboards.onboarding_panel, roles=views.dashboards.PANEL_ROLES, order=62
    )
    register_review_section(app, "meetings", views.dashboards.review_meetings, order=40)
    register_review_section(app, "onboarding", views.dashboards.review_onboarding, order=50)
    register_job(
        app,
        "training.onboarding_plans",
        tasks.create_onboarding_plans,
        _l("Create onboarding plans for recently hired staff without one"),
        hour=6,
        minute=30,
    )
    register_job(
        app,
        "training.shadow_log_reminders",
        tasks.remind_missing_shadow_logs,
        _l("Remind mentors of a week without a shadow log"),
        hour=8,
        minute=0,
    )
    register_demo(app, demo.load_demo, order=400)
    _register_audit_scopes()
    ledgers.init_app(app)


def _register_audit_scopes() -> None:
    """Let site-scoped readers see the audit events of training records at their sites."""
    import sqlalchemy as sa

    from compliance.audit_views import register_audit_scope
    from compliance.models import StaffMember

    from .models import (
        OnboardingPlan,
        SessionAttendee,
        ShadowLog,
        TrainingSession,
    )

    def as_str(column):
        return sa.cast(column, sa.String)

    register_audit_scope(
        "TrainingSession",
        lambda ids: sa.select(as_str(TrainingSession.id)).where(TrainingSession.site_id.in_(ids)),
    )
    register_audit_scope(
        "SessionAttendee",
        lambda ids: (
            sa.select(as_str(SessionAttendee.id))
            .join(TrainingSession, TrainingSession.id == SessionAttendee.session_id)
            .where(TrainingSession.site_id.in_(ids))
        ),
    )
    register_audit_scope(
        "OnboardingPlan",
        lambda ids: (
            sa.select(as_str(OnboardingPlan.id))
            .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
            .where(StaffMember.site_id.in_(ids))
        ),
    )
    register_audit_scope(
        "MentorPairing",
        lambda ids: (
            sa.select(as_str(MentorPairing.id))
            .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
            .where(StaffMember.site_id.in_(ids))
        ),
    )
    register_audit_scope(
        "ShadowLog",
        lambda ids: (
            sa.select(as_str(ShadowLog.id))
            .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
            .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
            .where(StaffMember.site_id.in_(ids))
        ),
    )
