"""Chart panels of the dashboards and the year-in-review sections of inspections: findings per
month by category, the check items failed most often, an inspector's rounds this week; patrols
and spot checks made, findings by category.

Every panel runs a fixed number of aggregate statements (see `..services.stats`), limited to the
reader's sites; its heading links to the list it summarises."""

from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from compliance.access import scope_ids
from compliance.charts import Chart, Series, chart_panel, day_labels, month_labels
from compliance.db import db
from compliance.memo import period_key, remember
from compliance.models import User
from compliance.periods import Period, last_months, next_month
from compliance.review import Figure, ReviewContext, Section
from compliance.timeutil import local_today

from ..forms import CATEGORY_LABELS, KIND_LABELS
from ..models import CATEGORIES, INSPECTION_KINDS
from ..services import stats

CHART_ROLES = ("discipline", "leader", "admin")


def _one_site(site_ids) -> int | None:
    return next(iter(site_ids)) if site_ids is not None and len(site_ids) == 1 else None


def _month_end(month, period: Period):
    return min(next_month(month) - timedelta(days=1), period.end)


def findings_chart(key: str, period: Period, by_month: list[dict], link: bool = True) -> Chart:
    """Findings per month, stacked by category; each month's row links to its findings."""
    months = period.months
    short, full = month_labels(months)
    site = _one_site(period.site_ids)
    links = None
    if link:
        links = [
            url_for(
                "inspections.finding_list",
                start=max(m, period.start).isoformat(),
                end=_month_end(m, period).isoformat(),
                site=site,
            )
            for m in months
        ]
    return Chart(
        key=key,
        title=_("Findings per month by category"),
        kind="stacked",
        categories=short,
        labels=full,
        series=[Series(str(CATEGORY_LABELS[c]), [row[c] for row in by_month]) for c in CATEGORIES],
        links=links,
        category_header=_("Month"),
    )


def findings_month_panel(user: User):
    """Discipline officers, centre heads and administrators: the last twelve months."""
    today = local_today()
    period = Period(last_months(today)[0], today, scope_ids(user))
    by_month = remember(
        ("findings_by_month", period_key(period)),
        lambda: stats.findings_by_month(db.session, period),
    )
    chart = findings_chart("findings-by-month", period, by_month)
    return chart_panel(
        "findings-by-month",
        _("Findings per month by category"),
        url_for("inspections.finding_list", start=period.start.isoformat()),
        chart,
        sub=_("Last 12 months, every site in your scope"),
    )


def _item_text(row: dict) -> str:
    locale = get_locale()
    return row["text_en"] if locale is not None and str(locale).startswith("en") else row["text_zh"]


def frequent_items_chart(key: str, period: Period, rows: list[dict]) -> Chart:
    site = _one_site(period.site_ids)
    names = [f"{r['code']} {_item_text(r)}" for r in rows]
    return Chart(
        key=key,
        title=_("The most frequent check items"),
        kind="hbar",
        categories=names,
        series=[Series(_("Findings"), [r["count"] for r in rows])],
        links=[
            url_for(
                "inspections.finding_list",
                item=r["code"],
                start=period.start.isoformat(),
                end=period.end.isoformat(),
                site=site,
            )
            for r in rows
        ],
        category_header=_("Check item"),
    )


def frequent_items_panel(user: User):
    today = local_today()
    period = Period(today - timedelta(days=89), today, scope_ids(user))
    rows = remember(
        ("frequent_items", period_key(period)), lambda: stats.frequent_items(db.session, period)
    )
    return chart_panel(
        "frequent-items",
        _("The most frequent check items"),
        url_for("inspections.finding_list", start=period.start.isoformat()),
        frequent_items_chart("frequent-items", period, rows),
        sub=_("Last 90 days, the %(n)s items failed most often", n=len(rows) or 8),
    )


def my_week_panel(user: User):
    """An inspector's submitted rounds per day of this week (Monday to Sunday)."""
    if not user.has_role("inspector"):
        return None
    today = local_today()
    monday = today - timedelta(days=today.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    per_day = stats.rounds_by_day(db.session, user.id, days)
    short, full = day_labels(days)
    chart = Chart(
        key="my-week",
        title=_("My rounds this week"),
        kind="stacked",
        categories=short,
        labels=full,
        series=[Series(str(KIND_LABELS[k]), [row[k] for row in per_day]) for k in INSPECTION_KINDS],
        category_header=_("Day"),
    )
    total = sum(sum(row.values()) for row in per_day)
    return chart_panel(
        "my-week",
        _("My rounds this week"),
        url_for("inspections.inspection_list", inspector=user.id, start=monday.isoformat()),
        chart,
        sub=_("%(n)s rounds submitted since Monday %(day)s", n=total, day=monday.isoformat()),
    )


# --- year in review -------------------------------------------------------------------------


def review_rounds(ctx: ReviewContext) -> Section:
    """Patrols and spot checks made (日常巡查 + 随机抽查)."""
    period = ctx.period
    # With charts, the monthly counts give the totals too (one pass over the year, not two).
    by_month = stats.rounds_by_month(ctx.session, period) if ctx.charts else None
    if by_month is not None:
        counts = {k: sum(row[k] for row in by_month) for k in INSPECTION_KINDS}
    else:
        counts = stats.rounds_by_kind(ctx.session, period)
    dates = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    site = ctx.one_site
    figures = [
        Figure(
            "rounds",
            _("Inspections made"),
            counts["patrol"] + counts["spot_check"],
            ctx.link("inspections.inspection_list", site=site, **dates),
        ),
        Figure(
            "patrols",
            _("Patrols"),
            counts["patrol"],
            ctx.link("inspections.inspection_list", kind="patrol", site=site, **dates),
            headline=True,
        ),
        Figure(
            "spot_checks",
            _("Spot checks"),
            counts["spot_check"],
            ctx.link("inspections.inspection_list", kind="spot_check", site=site, **dates),
            headline=True,
        ),
    ]
    charts = []
    if by_month is not None:
        short, full = month_labels(period.months)
        charts.append(
            Chart(
                key="review-rounds",
                title=_("Patrols and spot checks per month"),
                kind="stacked",
                categories=short,
                labels=full,
                series=[
                    Series(str(KIND_LABELS[k]), [row[k] for row in by_month])
                    for k in INSPECTION_KINDS
                ],
                category_header=_("Month"),
            )
        )
    return Section(
        "rounds",
        _("Patrols and spot checks"),
        figures,
        charts,
        sentence=_(
            "%(total)s inspections by daily patrol and random spot check (%(patrols)s patrols, "
            "%(spot)s spot checks)",
            total=counts["patrol"] + counts["spot_check"],
            patrols=counts["patrol"],
            spot=counts["spot_check"],
        ),
        url=figures[0].url,
    )


def review_findings(ctx: ReviewContext) -> Section:
    """Findings by category (在岗 / 着装 / 卫生 / 服务规范)."""
    period = ctx.period
    by_month = stats.findings_by_month(ctx.session, period) if ctx.charts else None
    if by_month is not None:
        counts = {c: sum(row[c] for row in by_month) for c in CATEGORIES}
    else:
        counts = stats.findings_by_category(ctx.session, period)
    dates = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    site = ctx.one_site
    total = sum(counts.values())
    figures = [
        Figure(
            "findings",
            _("Findings"),
            total,
            ctx.link("inspections.finding_list", site=site, **dates),
            headline=True,
        )
    ]
    for category in CATEGORIES:
        figures.append(
            Figure(
                f"findings_{category}",
                str(CATEGORY_LABELS[category]),
                counts[category],
                ctx.link("inspections.finding_list", category=category, site=site, **dates),
            )
        )
    charts = []
    if by_month is not None:
        charts.append(
            findings_chart("review-findings", period, by_month, link=figures[0].url is not None)
        )
        rows = stats.frequent_items(ctx.session, period)
        chart = frequent_items_chart("review-items", period, rows)
        if figures[0].url is None:
            chart.links = None
        charts.append(chart)
    parts = _(", ").join(
        _("%(category)s %(n)s", category=CATEGORY_LABELS[c], n=counts[c]) for c in CATEGORIES
    )
    return Section(
        "findings",
        _("Findings"),
        figures,
        charts,
        sentence=_("%(total)s problems found (%(parts)s)", total=total, parts=parts),
        url=figures[0].url,
    )
