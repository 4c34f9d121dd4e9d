"""Inspections: checklist catalogue, patrols, spot checks and draws, findings, rectifications,
conduct records."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""

    from compliance.demo import register_demo

    from . import api, demo, ledgers, rectification, tasks, views

    views.init_app(app)
    api.init_app(app)
    tasks.init_app(app)
    register_demo(app, demo.load, order=20)
    rectification.init_app(app)
    ledgers.init_app(app)
