"""Rotation pages: tenure board, policies, check pairs, exemptions, planner and plans.

HR manages; discipline officers and administrators read and decide on plans; an administrator
edits policies. Inspectors and window staff get 403. One blueprint ("rotation"), split by concern.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from compliance.review import register_review_section
from compliance.ui import register_dashboard_panel, register_nav

from ..access import DECIDERS, READERS
from . import board, dashboards, lookup, plans, policies, proposals  # noqa: F401  (routes register on the blueprint)
from .common import bp
from .plans import approvals_panel

__all__ = ["bp", "approvals_panel", "init_app"]


def init_app(app) -> None:
    app.register_blueprint(bp)
    register_nav(
        app, "rotation.board", _l("Rotation"), roles=READERS, order=60, icon="rotate", daily=("hr",)
    )
    # The tenure chart (with the most urgent holders listed) replaces the list-only HR panel.
    register_dashboard_panel(app, dashboards.tenure_panel, roles=dashboards.PANEL_ROLES, order=60)
    register_review_section(app, "rotation", dashboards.review_rotation, order=60)
    register_dashboard_panel(app, approvals_panel, roles=DECIDERS, order=61)
