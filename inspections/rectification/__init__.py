"""The rectification (整改) closed loop on findings and upheld complaints."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)

logger = logging.getLogger(__name__)


def _on_finding_created(session, actor, finding) -> None:
    from .services import open_for_finding

    if finding.is_integrity:
        return  # an integrity case for the discipline office (inspections/integrity)
    open_for_finding(session, actor, finding)


def init_app(app) -> None:
    """Register rectification pages, API, jobs, the ledger and the finding hook."""
    from flask_babel import lazy_gettext as _l

    from compliance.api import register
    from compliance.demo import register_demo
    from compliance.review import register_review_section
    from compliance.scheduler import register_job
    from compliance.ui import register_dashboard_panel, register_nav

    from ..hooks import on_finding_created
    from . import api, dashboards, demo, ledgers, panels, tasks, views

    on_finding_created(_on_finding_created)
    app.register_blueprint(views.bp)
    register(app, api.blp)
    ledgers.init_app(app)
    register_job(
        app,
        "rectification.escalate",
        tasks.escalate_job,
        _l("Rectification reminders, overdue notices and escalation"),
        hour=7,
        minute=30,
    )
    register_nav(
        app,
        "rectification.mine",
        _l("My rectifications"),
        roles=("staff",),
        order=30,
        icon="wrench",
        daily=("staff",),
    )
    register_nav(
        app,
        "rectification.queue",
        _l("Verification queue"),
        roles=("inspector", "admin"),
        order=31,
        icon="verify",
        daily=("inspector",),
    )
    register_nav(
        app,
        "rectification.board",
        _l("Rectifications"),
        roles=("discipline", "leader", "admin"),
        order=32,
        icon="wrench",
        daily=("discipline", "leader"),
    )
    register_dashboard_panel(app, panels.staff_panel, roles=("staff",), order=20)
    register_dashboard_panel(app, panels.inspector_panel, roles=("inspector", "admin"), order=21)
    register_dashboard_panel(
        app, panels.discipline_panel, roles=("discipline", "leader", "admin"), order=22
    )
    chart_roles = ("discipline", "leader", "admin")
    register_dashboard_panel(app, dashboards.on_time_panel, roles=chart_roles, order=42)
    register_dashboard_panel(app, dashboards.open_age_panel, roles=chart_roles, order=43)
    register_review_section(app, "rectification", dashboards.review_rectification, order=30)
    register_review_section(app, "conduct", dashboards.review_conduct, order=70)
    register_demo(app, demo.load_demo, order=150)
    app.extensions.setdefault("finding_detail_extra", []).append(_finding_extra)


def _finding_extra(finding) -> str:
    """The rectification box shown on a finding's page (status, deadline, link to the timeline)."""
    import sqlalchemy as sa
    from flask import render_template
    from flask_login import current_user
    from sqlalchemy.orm import joinedload

    from compliance.db import db
    from compliance.timeutil import local_today

    from . import services as svc
    from .forms import STATUS_LABELS
    from .models import Rectification

    rect = db.session.scalar(
        sa.select(Rectification)
        .where(Rectification.finding_id == finding.id)
        .options(joinedload(Rectification.responsible_staff))
    )
    if rect is None or not svc.can_view(current_user, rect, db.session):
        return ""
    return render_template(
        "inspections/rectification/_finding_extra.html",
        rect=rect,
        status_label=STATUS_LABELS.get(rect.status, rect.status),
        overdue=rect.overdue_days(local_today()),
    )
