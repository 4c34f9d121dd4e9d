"""Organisation: sites, windows, posts, staff members, assignments, leave and conflicts.

The core's models live in `compliance.models`; this package holds their rules (`services`), the
pages (`views`), the JSON API (`api`) and the Excel roster import (`importer`).
"""

from __future__ import annotations

import logging

from .. import models  # noqa: F401  (the organisation tables belong to the core metadata)
from . import models as _roster_models  # noqa: F401  (roster import previews)
from .services import on_duty

__all__ = ["init_app", "on_duty"]

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register the organisation pages, API, navigation entries and the HR dashboard panel."""
    from flask_babel import lazy_gettext as _l

    from ..api import register
    from ..ui import register_dashboard_panel, register_nav
    from . import api, views

    app.register_blueprint(views.bp)
    for blueprint in api.BLUEPRINTS:
        register(app, blueprint)
    readers = ("admin", "hr", "discipline", "inspector", "leader")
    register_nav(
        app,
        "org.staff_list",
        _l("Staff"),
        roles=readers,
        order=20,
        icon="people",
        daily=("hr", "admin"),
    )
    register_nav(
        app, "org.leave_list", _l("Leave"), roles=readers, order=22, icon="calendar", daily=("hr",)
    )
    register_nav(
        app,
        "org.sites",
        _l("Organisation"),
        roles=readers,
        order=80,
        icon="sitemap",
        daily=("admin",),
    )
    register_dashboard_panel(app, views.hr_panel, roles=("hr",), order=30)

    from ..scheduler import register_job
    from .importer import JOB, PURGE_JOB, apply_queued_job, purge_previews_job

    register_job(
        app,
        JOB,
        apply_queued_job,
        _l("Apply confirmed roster imports that are too large for one page request"),
        quiet=True,
        minute="*",
    )
    register_job(
        app,
        PURGE_JOB,
        purge_previews_job,
        _l("Delete roster-import previews nobody confirmed (from earlier days)"),
        hour=3,
        minute=20,
    )

    from ..demo import register_demo

    register_demo(app, _demo_conflicts, order=10)


def _demo_conflicts(app, session, demo) -> dict:
    """Two recorded conflicts of interest (回避) between people at different sites."""
    from .services import create_conflict

    staff = demo["staff"]
    admin = demo["users"].get("hr")
    pairs = [(0, 26, "relative", "夫妻"), (5, 37, "interest", "共同经营个体工商户")]
    made = 0
    for a, b, kind, reason in pairs:
        if a < len(staff) and b < len(staff):
            create_conflict(session, admin, staff[a].id, staff[b].id, kind=kind, reason=reason)
            made += 1
    return {"conflicts": made}
