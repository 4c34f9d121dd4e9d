"""Complaints and commendations (投诉与表扬). A complaint about a staff member, a window or a site,
from 好差评 (差评), the 12345 hotline, a letter or on site, is verified by a deadline in working
days, concluded (upheld opens a rectification, or an integrity case for an integrity category),
and closed only after a callback to the citizen (回访). 差评 can be imported from the 好差评
platform's export."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register the pages, API, job, ledgers and demo."""
    from flask_babel import lazy_gettext as _l

    from compliance.api import register
    from compliance.demo import register_demo
    from compliance.scheduler import register_job
    from compliance.ui import register_dashboard_panel, register_nav

    from . import api, demo, ledgers, panels, tasks, views
    from .services import CALLBACK_ROLES, READ_ROLES

    app.register_blueprint(views.bp)
    register(app, api.blp)
    ledgers.init_app(app)
    register_job(
        app,
        "complaints.remind",
        tasks.remind_job,
        _l("Complaints: verification reminders and overdue notices"),
        hour=7,
        minute=40,
    )
    register_nav(
        app, "complaints.records", _l("Complaints & commendations"), roles=READ_ROLES, order=33
    )
    register_dashboard_panel(app, panels.complaints_panel, roles=CALLBACK_ROLES, order=24)
    register_demo(app, demo.load_demo, order=170)
