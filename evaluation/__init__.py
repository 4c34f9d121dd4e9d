"""The monthly assessment (百分制考评): scheme, live scores, appeals, month close, ranking and
the assessment ledger. Reads inspections and training through their `public` modules."""

from __future__ import annotations

import logging

from . import bulletins, models  # noqa: F401  (tables must be known to create_all)

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, panels and demo data of this package."""
    bulletins.init_app(app)
