"""Year in review (年度回眸) and the headline dashboard panel: the figures the source article
reports for a year (patrols and spot checks, findings by category, rectified and on time,
thematic meetings, new staff trained and mentored, key posts rotated, commendations and
complaints), contributed by each feature package through `register_review_section`."""

from __future__ import annotations

from .registry import (  # noqa: F401  (the feature packages import these from here)
    Figure,
    ReviewContext,
    Section,
    register_review_section,
    review_sections,
)

REVIEW_ROLES = ("discipline", "leader", "admin", "hr")
HEADLINE_ROLES = ("leader", "discipline", "admin")


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ..ui import register_dashboard_panel, register_nav
    from .views import bp, headline_panel

    app.register_blueprint(bp)
    register_nav(app, "review.year", _l("Year in review"), roles=REVIEW_ROLES, order=81)
    register_dashboard_panel(app, headline_panel, roles=HEADLINE_ROLES, order=5)
