"""Inspections: checklist catalogue, patrols, spot checks and draws, findings, and the loops on
them in sub-packages: rectifications (`rectification/`), complaints and commendations with the
好差评 import (`complaints/`), and integrity cases for the discipline office (`integrity/`)."""

from __future__ import annotations

import logging

from . import models  # noqa: F401  (tables must be known to the metadata)
from .complaints import models as _complaint_models  # noqa: F401
from .integrity import models as _integrity_models  # noqa: F401

logger = logging.getLogger(__name__)


def init_app(app) -> None:
    """Register blueprints, API, jobs, ledgers, CLI commands and demo data of this package."""

    from compliance.demo import register_demo

    from . import (
        api,
        complaints,
        demo,
        group_notices,
        integrity,
        ledgers,
        rectification,
        tasks,
        views,
    )

    views.init_app(app)
    api.init_app(app)
    tasks.init_app(app)
    register_demo(app, demo.load, order=20)
    rectification.init_app(app)
    integrity.init_app(app)
    complaints.init_app(app)
    ledgers.init_app(app)
    group_notices.init_app(app)
    _register_audit_scopes()


def _register_audit_scopes() -> None:
    """Let site-scoped readers (e.g. a discipline officer of one hall) see the audit events of
    inspection records at their sites."""
    import sqlalchemy as sa

    from compliance.audit_views import register_audit_scope, restrict_audit_entities

    from .complaints.models import ConductRecord
    from .integrity.models import IntegrityCase
    from .models import Finding, Inspection
    from .rectification.models import Rectification

    def by_site(model):
        return lambda ids: sa.select(sa.cast(model.id, sa.String)).where(model.site_id.in_(ids))

    for model in (Inspection, Finding, Rectification, ConductRecord, IntegrityCase):
        register_audit_scope(model.__name__, by_site(model))
    # Integrity cases are confidential: their trail is for discipline officers and admins only.
    restrict_audit_entities([IntegrityCase.__name__], ("discipline", "admin"))
