"""Chart panels of the rectification loop and its year-in-review sections: the on-time
rectification rate by month, open rectifications by age, rectified and on time in a year, and
the commendations and complaints received.

Each panel is a fixed number of aggregate statements (`services.stats`) over the reader's
sites; its heading links to the list it summarises."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from compliance.access import scope_ids
from compliance.charts import Chart, Series, chart_panel, month_labels
from compliance.db import db
from compliance.memo import period_key, remember, scope_key
from compliance.models import User
from compliance.periods import Period, last_months
from compliance.review import Figure, ReviewContext, Section
from compliance.timeutil import local_today

from .services import stats

OVERDUE_COLOUR = "#b3261e"


def _rate(on_time: int, rectified: int) -> float | None:
    return on_time / rectified if rectified else None


def on_time_chart(key: str, period: Period, by_month: list[dict]) -> Chart:
    short, full = month_labels(period.months)
    return Chart(
        key=key,
        title=_("On-time rectification rate by month"),
        kind="line",
        percent=True,
        categories=short,
        labels=full,
        series=[
            Series(_("On-time rate"), [_rate(row["on_time"], row["rectified"]) for row in by_month])
        ],
        category_header=_("Month"),
        description=_(
            "Share of the rectifications closed in each month that met their deadline; "
            "a month without closures has no point."
        ),
    )


def _counts_table(period: Period, by_month: list[dict]) -> Chart:
    """The counts behind the rate, as a grouped bar chart (closed / of which on time)."""
    short, full = month_labels(period.months)
    return Chart(
        key="review-rectified",
        title=_("Rectified per month, and of those on time"),
        kind="bar",
        categories=short,
        labels=full,
        series=[
            Series(_("Rectified"), [row["rectified"] for row in by_month]),
            Series(_("On time"), [row["on_time"] for row in by_month]),
        ],
        category_header=_("Month"),
    )


def on_time_panel(user: User):
    today = local_today()
    period = Period(last_months(today)[0], today, scope_ids(user))
    by_month = remember(
        ("rectified_by_month", period_key(period)),
        lambda: stats.rectified_by_month(db.session, period),
    )
    closed = sum(r["rectified"] for r in by_month)
    on_time = sum(r["on_time"] for r in by_month)
    rate = _rate(on_time, closed)
    rate_text = "—" if rate is None else f"{rate * 100:.1f}%"
    return chart_panel(
        "on-time-rate",
        _("On-time rectification rate by month"),
        url_for("rectification.board", status="verified", **{"from": period.start.isoformat()}),
        on_time_chart("on-time-rate", period, by_month),
        sub=_(
            "Last 12 months: %(closed)s closed, %(on_time)s on time (%(rate)s)",
            closed=closed,
            on_time=on_time,
            rate=rate_text,
        ),
    )


def age_labels() -> list[str]:
    bounds = [0, *(limit + 1 for limit in stats.AGE_LIMITS)]
    labels = [
        _("%(low)s–%(high)s days", low=low, high=high - 1)
        for low, high in zip(bounds, bounds[1:], strict=False)
    ]
    labels.append(_("%(days)s+ days", days=bounds[-1]))
    return labels


def open_age_panel(user: User):
    today = local_today()
    site_ids = scope_ids(user)
    rows = remember(
        ("open_by_age", scope_key(site_ids), today),
        lambda: stats.open_by_age(db.session, site_ids, today),
    )
    chart = Chart(
        key="open-by-age",
        title=_("Open rectifications by age"),
        kind="stacked",
        categories=age_labels(),
        series=[
            Series(_("Within the deadline"), [r["within"] for r in rows]),
            Series(_("Overdue"), [r["overdue"] for r in rows], colour=OVERDUE_COLOUR),
        ],
        category_header=_("Open for"),
        description=_("Days since each open rectification was opened."),
    )
    total = sum(r["within"] + r["overdue"] for r in rows)
    overdue = sum(r["overdue"] for r in rows)
    return chart_panel(
        "open-by-age",
        _("Open rectifications by age"),
        url_for("rectification.board", status="open"),
        chart,
        sub=_("%(total)s open today, %(overdue)s overdue", total=total, overdue=overdue),
    )


# --- year in review -------------------------------------------------------------------------


def review_rectification(ctx: ReviewContext) -> Section:
    """Rectified and on time (整改), and what the year's findings still leave open."""
    period = ctx.period
    totals = stats.rectification_totals(ctx.session, period, ctx.today)
    site = ctx.one_site
    opened = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    rate = _rate(totals["on_time"], totals["rectified"])
    # The board filters by the day a rectification was opened, so the closed-in-the-year
    # figures have no list of their own.
    figures = [
        Figure("rectified", _("Rectified"), totals["rectified"], None, headline=True),
        Figure("rectified_on_time", _("Rectified on time"), totals["on_time"], None),
        Figure("on_time_rate", _("On-time rate"), rate, None, percent=True, headline=True),
        Figure(
            "opened",
            _("Rectifications opened"),
            totals["opened"],
            ctx.link("rectification.board", site=site, **opened),
        ),
        Figure(
            "still_open",
            _("Of those, still open today"),
            totals["still_open"],
            ctx.link("rectification.board", status="open", site=site, **opened),
        ),
    ]
    charts = []
    if ctx.charts:
        by_month = stats.rectified_by_month(ctx.session, period)
        charts += [
            on_time_chart("review-on-time", period, by_month),
            _counts_table(period, by_month),
        ]
    return Section(
        "rectification",
        _("Rectification"),
        figures,
        charts,
        sentence=_(
            "%(closed)s problems rectified, %(on_time)s of them on time",
            closed=totals["rectified"],
            on_time=totals["on_time"],
        ),
        url=ctx.link("rectification.board", site=site),
    )


def review_conduct(ctx: ReviewContext) -> Section:
    """Commendations and complaints received (表扬 / 投诉)."""
    period = ctx.period
    totals = stats.conduct_totals(ctx.session, period)
    figures = [
        Figure(
            "commendations",
            _("Commendations"),
            totals["commendation"],
            ctx.link("rectification.conduct_list", kind="commendation"),
            headline=True,
        ),
        Figure(
            "complaints",
            _("Complaints"),
            totals["complaint"],
            ctx.link("rectification.conduct_list", kind="complaint"),
            headline=True,
        ),
        Figure(
            "complaints_upheld",
            _("Complaints upheld"),
            totals["upheld"],
            ctx.link("rectification.conduct_list", kind="complaint", outcome="upheld"),
        ),
    ]
    charts = []
    if ctx.charts:
        by_month = stats.conduct_by_month(ctx.session, period)
        short, full = month_labels(period.months)
        charts.append(
            Chart(
                key="review-conduct",
                title=_("Commendations and complaints per month"),
                kind="bar",
                categories=short,
                labels=full,
                series=[
                    Series(_("Commendations"), [r["commendation"] for r in by_month]),
                    Series(_("Complaints"), [r["complaint"] for r in by_month]),
                ],
                category_header=_("Month"),
            )
        )
    return Section(
        "conduct",
        _("Commendations and complaints"),
        figures,
        charts,
        sentence=_(
            "%(commendations)s commendations and %(complaints)s complaints received "
            "(%(upheld)s upheld)",
            commendations=totals["commendation"],
            complaints=totals["complaint"],
            upheld=totals["upheld"],
        ),
        url=ctx.link("rectification.conduct_list"),
    )
