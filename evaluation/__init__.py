"""The monthly assessment (百分制考评): scheme, live scores, appeals, month close, ranking and
the assessment ledger. Reads inspections and training through their `public` modules."""

from __future__ import annotations

import logging

from . import bulletins, models  # noqa: F401  (tables must be known to create_all)

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, panels and demo data of this package."""
    from flask_babel import lazy_gettext as _l

    from compliance.api import register
    from compliance.demo import register_demo
    from compliance.scheduler import register_job
    from compliance.ui import register_dashboard_panel, register_nav

    from . import api, demo, ledgers, tasks, views

    app.register_blueprint(views.bp)
    register(app, api.blp)
    register_nav(
        app,
        "evaluation.scores",
        _l("Assessment"),
        roles=("admin", "inspector", "hr", "discipline", "leader"),
        order=470,
        icon="chart",
    )
    register_nav(app, "evaluation.my_score", _l("My score"), roles=("staff",), order=471)
    register_dashboard_panel(
        app, views.panels.scores_panel, roles=views.panels.PANEL_ROLES, order=64
    )
    register_job(
        app,
        "evaluation.month_close_reminder",
        tasks.remind_month_close,
        _l("Remind discipline officers on the month-close day"),
        hour=8,
        minute=15,
    )
    register_demo(app, demo.load_demo, order=500)
    ledgers.init_app(app)
    bulletins.init_app(app)
    _register_audit_scopes()


def _register_audit_scopes() -> None:
    """Let site-scoped readers see the audit events of appeals at their sites."""
    import sqlalchemy as sa

    from compliance.audit_views import register_audit_scope

    from .models import Appeal

    register_audit_scope(
        "Appeal",
        lambda ids: sa.select(sa.cast(Appeal.id, sa.String)).where(Appeal.site_id.in_(ids)),
    )
