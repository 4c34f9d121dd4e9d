"""The training package. See ../shared/DESIGN.md for its place in the product."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to create_all)
from .models import Course, MentorPairing  # noqa: F401

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""

    from . import ledgers

    ledgers.init_app(app)
