"""Axis labels for months and days, and the dashboard card around a chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import render_template
from flask_babel import format_date, get_locale
from markupsafe import Markup

from .chart import Chart


def _chinese() -> bool:
    locale = get_locale()
    return locale is None or str(locale).startswith("zh")


def month_labels(months: Sequence[date]) -> tuple[list[str], list[str]]:
    """Short axis labels ("3月" / "Mar") and full names ("2026年3月" / "Mar 2026") of months."""
    if _chinese():
        return [f"{m.month}月" for m in months], [f"{m.year}年{m.month}月" for m in months]
    return [format_date(m, "MMM") for m in months], [format_date(m, "MMM y") for m in months]


def day_labels(days: Sequence[date]) -> tuple[list[str], list[str]]:
    """Short weekday labels ("周一" / "Mon") and full dates of days."""
    return [format_date(d, "EEE") for d in days], [
        f"{format_date(d, 'EEE')} {d.isoformat()}" for d in days
    ]


def chart_panel(key: str, title: str, url: str | None, chart: Chart, sub: str = "", extra=""):
    """A dashboard card: the heading links to the list the chart summarises."""
    return Markup(
        render_template(
            "main/_chart_panel.html",
            key=key,
            title=title,
            url=url,
            chart=chart,
            sub=sub,
            extra=extra,
        )
    )
