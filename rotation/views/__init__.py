"""Rotation pages: tenure board, policies, check pairs, exemptions, planner and plans.

HR manages; discipline officers and administrators read and decide on plans; an administrator
edits policies. Inspectors and window staff get 403. One blueprint ("rotation"), split by concern.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from compliance.ui import register_dashboard_panel, register_nav

from ..access import DECIDERS, READERS
from . import board, plans, policies, proposals  # noqa: F401  (routes register on the blueprint)
from .board import hr_panel
from .common import bp
from .plans import approvals_panel

__all__ = ["bp", "hr_panel", "approvals_panel", "init_app"]


def init_app(app) -> None:
    app.register_blueprint(bp)
    register_nav(
        app, "rotation.board", _l("Rotation"), roles=READERS, order=60, icon="rotate", daily=("hr",)
    )
    register_dashboard_panel(app, hr_panel, roles=("hr",), order=60)
    register_dashboard_panel(app, approvals_panel, roles=DECIDERS, order=61)
