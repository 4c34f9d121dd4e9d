"""The period summary (汇总表): the figures a year-end report quotes, with native Excel charts.

Each package contributes its figures with `register_summary_metric` from its `ledgers.py`, so the
core never imports a feature package. A metric is `func(session, user, filters, start, end)`
returning an int (or, for a breakdown such as findings by category, a dict label -> int), counted
over local days start..end inclusive, within the export's sites and the user's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference

from ..timeutil import local_day_bounds_utc
from .registry import Ledger, register_ledger
from .writer import (
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    Column,
    ExportInfo,
    clean_text,
    write_parameters_sheet,
)


@dataclass
class SummaryMetric:
    key: str
    label: Any
    func: Callable[..., int | dict]
    group: Any
    order: int = 100
    monthly: bool = False  # also shown month by month
    breakdown: bool = False  # func returns {label: count}; gets its own table and bar chart


def register_summary_metric(
    app: Flask,
    key: str,
    label,
    func: Callable,
    group,
    order: int = 100,
    monthly: bool = False,
    breakdown: bool = False,
) -> None:
    """Add a figure to the period summary (called from a package's ledgers.init_app)."""
    app.extensions.setdefault("compliance_summary_metrics", {})[key] = SummaryMetric(
        key, label, func, group, order, monthly, breakdown
    )


def summary_metrics(app: Flask | None = None) -> list[SummaryMetric]:
    app = app or current_app
    return sorted(
        app.extensions.get("compliance_summary_metrics", {}).values(),
        key=lambda m: (m.order, m.key),
    )


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start of `start`, start of the day after `end`) in naive UTC, for timestamp columns."""
    return local_day_bounds_utc(start)[0], local_day_bounds_utc(end)[1]


def months_between(start: date, end: date) -> list[tuple[date, date]]:
    months = []
    cursor = start.replace(day=1)
    while cursor <= end:
        following = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
        months.append((max(cursor, start), min(following - timedelta(days=1), end)))
        cursor = following
    return months


def compute_summary(session, user, filters: dict) -> dict:
    """All figures of the summary: scalars, breakdowns and the month-by-month table."""
    start, end = filters["date_from"], filters["date_to"]
    metrics = summary_metrics()
    scalars, breakdowns, monthly_keys = [], [], []
    for metric in metrics:
        value = metric.func(session, user, filters, start, end)
        if metric.breakdown:
            breakdowns.append((metric, value))
        else:
            scalars.append((metric, value))
            if metric.monthly:
                monthly_keys.append(metric)
    monthly = []
    for m_start, m_end in months_between(start, end):
        monthly.append(
            (m_start, {m.key: m.func(session, user, filters, m_start, m_end) for m in monthly_keys})
        )
    return {
        "scalars": scalars,
        "breakdowns": breakdowns,
        "monthly_metrics": monthly_keys,
        "monthly": monthly,
    }


def _rate(values: dict) -> float | None:
    closed = values.get("rectified")
    on_time = values.get("rectified_on_time")
    if not closed or on_time is None:
        return None
    return round(on_time / closed, 4)


def render_summary(
    session,
    user,
    filters: dict,
    target,
    *,
    info: ExportInfo,
    labels: dict,
    timezone: str,
    progress=None,
) -> int:
    """Write the summary workbook (write-only); returns the number of figure rows."""
    data = compute_summary(session, user, filters)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Summary"))
    for letter, width in zip("ABCDEFGHIJ", (18, 26, 12, 12, 12, 12, 12, 12, 12, 12), strict=True):
        ws.column_dimensions[letter].width = width
    row_no = 0

    def put(values: list) -> int:
        nonlocal row_no
        ws.append(values)
        row_no += 1
        return row_no

    def bold(text) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=clean_text(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        return cell

    title = WriteOnlyCell(
        ws,
        value=clean_text(
            f"{info.title} {filters['date_from'].isoformat()} – {filters['date_to'].isoformat()}"
        ),
    )
    title.font = TITLE_FONT
    put([title])
    put([])
    put([bold(_("Area")), bold(_("Figure")), bold(_("Value"))])
    figures = 0
    for metric, value in data["scalars"]:
        put([clean_text(str(metric.group)), clean_text(str(metric.label)), value])
        figures += 1
    rate_total = _rate({m.key: v for m, v in data["scalars"]})
    if rate_total is not None:
        cell = WriteOnlyCell(ws, value=rate_total)
        cell.number_format = "0.0%"
        put([clean_text(_("Rectification")), clean_text(_("On-time rate")), cell])
        figures += 1

    charts = []
    for metric, breakdown in data["breakdowns"]:
        put([])
        head = put([bold(metric.label), bold(_("Count"))])
        for label, count in breakdown.items():
            put([clean_text(str(label)), count])
            figures += 1
        if breakdown:
            chart = BarChart()
            chart.type = "col"
            chart.title = str(metric.label)
            chart.legend = None
            chart.y_axis.title = _("Count")
            chart.add_data(
                Reference(ws, min_col=2, min_row=head, max_row=head + len(breakdown)),
                titles_from_data=True,
            )
            chart.set_categories(
                Reference(ws, min_col=1, min_row=head + 1, max_row=head + len(breakdown))
            )
            chart.height, chart.width = 7, 14
            charts.append(chart)

    if data["monthly"]:
        put([])
        keys = data["monthly_metrics"]
        with_rate = {"rectified", "rectified_on_time"} <= {m.key for m in keys}
        header = [bold(_("Month"))] + [bold(m.label) for m in keys]
        if with_rate:
            header.append(bold(_("On-time rate")))
        head = put(header)
        for month_start, values in data["monthly"]:
            month = WriteOnlyCell(ws, value=month_start.replace(day=1))
            month.number_format = "yyyy-mm"
            row = [month] + [values[m.key] for m in keys]
            if with_rate:
                rate = WriteOnlyCell(ws, value=_rate(values))
                rate.number_format = "0.0%"
                row.append(rate)
            put(row)
            figures += 1
        if with_rate:
            rate_col = len(keys) + 2
            chart = LineChart()
            chart.title = _("On-time rectification rate by month")
            chart.y_axis.number_format = "0%"
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = 1
            chart.legend = None
            chart.add_data(
                Reference(ws, min_col=rate_col, min_row=head, max_row=head + len(data["monthly"])),
                titles_from_data=True,
            )
            chart.set_categories(
                Reference(ws, min_col=1, min_row=head + 1, max_row=head + len(data["monthly"]))
            )
            chart.height, chart.width = 7, 14
            charts.append(chart)
    anchor_row = 3
    for chart in charts:
        ws.add_chart(chart, f"E{anchor_row}")
        anchor_row += 16
    if progress is not None:
        progress(figures)
    write_parameters_sheet(wb, _("Parameters"), info, figures, labels)
    wb.save(target)
    return figures


def _count(session, user, filters) -> int:
    return len(summary_metrics()) + len(months_between(filters["date_from"], filters["date_to"]))


SUMMARY = Ledger(
    code="summary",
    title=_l("Period summary"),
    description=_l("The figures a monthly, quarterly or year-end report quotes, with charts."),
    roles=frozenset({"discipline", "leader", "admin"}),
    columns=[Column("figure", _l("Figure")), Column("value", _l("Value"), "int")],
    render=render_summary,
    count=_count,
    order=5,
)


def init_app(app) -> None:
    register_ledger(app, SUMMARY)
