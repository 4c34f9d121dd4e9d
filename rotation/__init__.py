"""The rotation package: key-post policies, tenure, the rotation planner, plans and their
execution. See ../shared/DESIGN.md for its place in the product."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to create_all)

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""

    from . import api, demo, ledgers, tasks, views

    views.init_app(app)
    api.init_app(app)
    tasks.init_app(app)
    demo.init_app(app)
    ledgers.init_app(app)
