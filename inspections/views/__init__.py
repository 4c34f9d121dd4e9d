"""Pages of the inspections package, one module per concern on the one `inspections` blueprint
(endpoint names and URLs do not depend on the module):

- `rounds`: the patrol page, starting a round (also from a window's QR code), the round page,
  saving and submitting;
- `failures`: the failure panel (mark, edit in place, undo after asking); `naming`: how a failure
  and a target are named;
- `offline`: the round kept on the phone (works without a network) and what it needs;
- `records`: inspections and findings (lists, details) and their photos;
- `catalogue`: the checklist catalogue;
- `qr`: printable window QR codes;
- `spot_checks`: a spot check's page, opening it and each drawn inspector's signature;
- `draws`: spot-check draws, weekly draw schedules and the published results (also the public
  page of a published draw, readable without signing in);
- `plausibility`: the plausibility settings of rounds (administrators);
- `plans`: patrol plans per site;
- `panels`: the dashboard panels;
- `dashboards`: the chart panels and the year-in-review sections.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from compliance.pwa import register_offline
from compliance.review import register_review_section
from compliance.ui import register_dashboard_panel, register_nav

from ..access import READER_ROLES
from . import (  # noqa: F401  (routes register on bp)
    catalogue,
    dashboards,
    draws,
    failures,
    offline,
    plans,
    plausibility,
    qr,
    records,
    rounds,
    spot_checks,
)
from .common import ROUND_ROLES, bp
from .draws import DRAW_ROLES
from .panels import flags_panel, inspector_panel, staff_panel
from .records import FINDING_ROLES

__all__ = ["bp", "init_app", "inspector_panel", "staff_panel"]


def init_app(app) -> None:
    app.register_blueprint(bp)
    register_nav(
        app,
        "inspections.patrol_start",
        _l("Patrol"),
        roles=ROUND_ROLES,
        order=20,
        icon="patrol",
        daily=("inspector",),
    )
    register_nav(
        app,
        "inspections.finding_list",
        _l("Findings"),
        order=22,
        roles=FINDING_ROLES,
        icon="flag",
        daily=("inspector", "discipline", "leader", "staff"),
    )
    register_nav(
        app,
        "inspections.inspection_list",
        _l("Inspections"),
        roles=READER_ROLES,
        order=24,
        icon="list",
        daily=("inspector", "leader"),
    )
    register_nav(
        app,
        "inspections.draw_list",
        _l("Draws"),
        roles=DRAW_ROLES,
        order=26,
        icon="rotate",
        daily=("discipline",),
    )
    register_nav(app, "inspections.draw_public_list", _l("Spot-check results"), order=27)
    register_nav(
        app,
        "inspections.catalogue",
        _l("Checklist"),
        roles=("admin", "inspector", "discipline", "leader"),
        order=28,
        icon="check",
        daily=("admin",),
    )
    # The patrol round kept on the phone: its scripts, the outbox the service worker runs, and
    # the pages fetched ahead for inspectors.
    register_offline(
        app,
        assets=(
            "inspections/inspections.css",
            "inspections/inspections.js",
            "inspections/store.js",
            "inspections/outbox.js",
            "inspections/phone_rounds.js",
            "inspections/round_page.js",
        ),
        scripts=("inspections/store.js", "inspections/outbox.js"),
        page_patterns=offline.OFFLINE_PAGE_PATTERNS,
        pages=offline.offline_pages,
    )
    register_dashboard_panel(app, inspector_panel, roles=("inspector",), order=10)
    register_dashboard_panel(app, staff_panel, roles=("staff",), order=12)
    register_dashboard_panel(app, dashboards.my_week_panel, roles=("inspector",), order=11)
    register_dashboard_panel(
        app, dashboards.findings_month_panel, roles=dashboards.CHART_ROLES, order=40
    )
    register_dashboard_panel(
        app, dashboards.frequent_items_panel, roles=dashboards.CHART_ROLES, order=44
    )
    register_review_section(app, "rounds", dashboards.review_rounds, order=10)
    register_review_section(app, "findings", dashboards.review_findings, order=20)
    register_dashboard_panel(app, flags_panel, roles=("discipline", "leader", "admin"), order=30)
