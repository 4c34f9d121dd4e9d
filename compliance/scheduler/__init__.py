"""Scheduled jobs: a registry each package adds to through `register_job` in its `init_app`, one
scheduler process that runs them (`compliance scheduler`), and the job history page."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)
from .registry import JobSpec, get_jobs, register_job, run_job  # noqa: F401

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from .cli import register_commands
    from .runner import start_embedded_scheduler
    from .tasks import purge_old_sessions, purge_old_sign_in_attempts
    from .views import bp

    app.extensions.setdefault("compliance_jobs", {})
    app.extensions["start_embedded_scheduler"] = start_embedded_scheduler
    app.register_blueprint(bp)
    register_nav(app, "scheduler.history", _l("Scheduled jobs"), roles=("admin",), order=900)
    register_commands(app)
    register_job(
        app,
        "core.purge_sessions",
        purge_old_sessions,
        _l("Delete sign-in sessions that ended longer ago than SESSION_RETENTION_DAYS"),
        hour=3,
        minute=30,
    )
    register_job(
        app,
        "core.purge_sign_in_attempts",
        purge_old_sign_in_attempts,
        _l("Delete sign-in attempts older than LOGIN_ATTEMPT_RETENTION_DAYS"),
        hour=3,
        minute=35,
    )
