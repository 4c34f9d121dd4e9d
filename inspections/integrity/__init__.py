"""Integrity cases (问题线索): a failure on an integrity check item (吃拿卡要, 擅自收费...) or an
upheld complaint of an integrity category is a confidential lead for the discipline office, not a
rectification. Only discipline officers and administrators see it; its notices stay in the app
(kinds "integrity.*", never a group channel); it has its own ledger (线索台账)."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)

logger = logging.getLogger(__name__)


def _on_finding_created(session, actor, finding) -> None:
    from .services import open_for_finding

    if finding.is_integrity:
        open_for_finding(session, actor, finding)


def init_app(app) -> None:
    """Register the pages, API, job, ledger, panel, demo and the finding hook."""
    from flask_babel import lazy_gettext as _l

    from compliance.api import register
    from compliance.demo import register_demo
    from compliance.scheduler import register_job
    from compliance.ui import register_dashboard_panel, register_nav

    from ..hooks import on_finding_created
    from . import api, demo, ledgers, panels, tasks, views
    from .services import CASE_ROLES
    from .views.notice import finding_box

    on_finding_created(_on_finding_created)
    app.register_blueprint(views.bp)
    register(app, api.blp)
    ledgers.init_app(app)
    register_job(
        app,
        "integrity.escalate",
        tasks.escalate_job,
        _l("Integrity cases: unassigned leads, deadline reminders, overdue notices, escalation"),
        hour=7,
        minute=35,
    )
    register_nav(app, "integrity.case_list", _l("Integrity cases"), roles=CASE_ROLES, order=34)
    register_dashboard_panel(app, panels.discipline_panel, roles=CASE_ROLES, order=23)
    register_demo(app, demo.load_demo, order=160)
    app.extensions.setdefault("finding_detail_extra", []).append(finding_box)
