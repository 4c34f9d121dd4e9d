"""The dashboard panel "scores by site and window": the latest closed month's site scores and
its lowest windows, as horizontal bars on a score axis with the card lines. Two statements
(the close, its snapshot rows in scope)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from compliance.access import scope_filter
from compliance.charts import Chart, Series, chart_panel
from compliance.db import db
from compliance.models import User

from ..models import MonthClose, Scheme, ScoreSnapshot

PANEL_ROLES = ("admin", "discipline", "leader", "inspector", "hr")
WINDOWS_SHOWN = 8


def scores_panel(user: User):
    row = db.session.execute(
        sa.select(MonthClose, Scheme)
        .join(Scheme, Scheme.id == MonthClose.scheme_id)
        .where(MonthClose.status == "closed")
        .order_by(MonthClose.month.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    close, scheme = row
    rows = db.session.scalars(
        sa.select(ScoreSnapshot)
        .where(
            ScoreSnapshot.close_id == close.id,
            ScoreSnapshot.subject_kind.in_(("site", "window")),
            scope_filter(user, ScoreSnapshot.site_id),
        )
        .order_by(ScoreSnapshot.subject_kind, ScoreSnapshot.score, ScoreSnapshot.name)
    ).all()
    sites = sorted((r for r in rows if r.subject_kind == "site"), key=lambda r: -r.score)
    windows = [r for r in rows if r.subject_kind == "window"][:WINDOWS_SHOWN]
    if not sites and not windows:
        return None
    shown = [*sites, *windows]
    label = close.month.strftime("%Y-%m")
    names = [
        r.name if r.subject_kind == "site" else _("Window %(name)s", name=r.name) for r in shown
    ]
    chart = Chart(
        key="evaluation-scores",
        title=_("Scores by site and window, %(month)s", month=label),
        kind="hbar",
        categories=names,
        series=[Series(_("Score"), [r.score for r in shown])],
        domain=(0, max(scheme.base_score, max(r.score for r in shown))),
        references=[
            (scheme.yellow_below, _("Yellow card")),
            (scheme.red_below, _("Red card")),
        ],
        links=[
            url_for(
                "evaluation.score_detail", kind=r.subject_kind, subject_id=r.subject_id, month=label
            )
            for r in shown
        ],
        category_header=_("Site or window"),
        description=_(
            "Every site in scope, then the %(n)s lowest-scoring windows of the closed month.",
            n=len(windows),
        ),
    )
    return chart_panel(
        "evaluation-scores",
        _("Scores by site and window"),
        url_for("evaluation.scores", month=label, kind="site"),
        chart,
        sub=_("Month %(month)s, closed; scheme version %(v)s", month=label, v=scheme.version),
    )
