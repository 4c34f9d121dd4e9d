"""The period summary (汇总表): the figures a year-end report quotes, with native Excel charts.

Each package contributes its figures from its `ledgers.py`, so the core never imports a feature
package:

- `register_summary_metric`: a figure `func(session, user, filters, start, end)` returning an int
  (or, with `breakdown=True`, a dict label -> int that gets its own table and bar chart), counted
  over local days start..end inclusive, within the export's sites and the user's scope;
  `monthly=True` adds it to the month-by-month table, `chart=True` also draws it month by month;
- `register_summary_rate`: a share of two figures (e.g. rectified on time / rectified), shown
  for the period and month by month, with a line chart;
- `register_summary_table`: a table of its own (e.g. a year in review), `func(session, user,
  filters, start, end) -> (headers, rows)`.

The sheet (see `summary_layout`): the title, then the charts side by side in bands of fixed
height at the top of the first printed page, each anchored to a block of empty cells (a chart
never covers a figure), then the tables. The month-by-month table and its charts span the period,
or the twelve months up to its end when the period is shorter (a monthly summary shows the trend
of the year before), and say so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension

from ..timeutil import local_day_bounds_utc
from .printing import lines_of, print_setup, row_height
from .registry import Ledger, register_ledger
from .summary_charts import ChartSpec, layout_charts
from .writer import (
    HEADER_ALIGNMENT,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    TOP,
    WRAP,
    Column,
    ExportInfo,
    clean_text,
    write_parameters_sheet,
)
from .xlsx_adapter import wrap_by_default

TREND_MONTHS = 12
# Column widths of the summary sheet: area / month, figure, then the month-by-month columns.
WIDTHS = (20, 28) + (11,) * 10


@dataclass
class SummaryMetric:
    key: str
    label: Any
    func: Callable[..., int | dict]
    group: Any
    order: int = 100
    monthly: bool = False  # also shown month by month
    breakdown: bool = False  # func returns {label: count}; gets its own table and bar chart
    chart: bool = False  # monthly: also drawn month by month


@dataclass
class SummaryRate:
    key: str
    label: Any
    numerator: str  # metric keys
    denominator: str
    group: Any
    order: int = 100


@dataclass
class SummaryTable:
    key: str
    title: Any
    func: Callable[..., tuple[list, list]]
    order: int = 100


def register_summary_metric(
    app: Flask,
    key: str,
    label,
    func: Callable,
    group,
    order: int = 100,
    monthly: bool = False,
    breakdown: bool = False,
    chart: bool = False,
) -> None:
    """Add a figure to the period summary (called from a package's ledgers.init_app)."""
    app.extensions.setdefault("compliance_summary_metrics", {})[key] = SummaryMetric(
        key, label, func, group, order, monthly, breakdown, chart
    )


def register_summary_rate(
    app: Flask, key: str, label, numerator: str, denominator: str, group, order: int = 100
) -> None:
    """Add a rate (numerator / denominator, two monthly figures) with its trend chart."""
    app.extensions.setdefault("compliance_summary_rates", {})[key] = SummaryRate(
        key, label, numerator, denominator, group, order
    )


def register_summary_table(app: Flask, key: str, title, func: Callable, order: int = 100) -> None:
    """Add a table of its own to the summary, below the figures."""
    app.extensions.setdefault("compliance_summary_tables", {})[key] = SummaryTable(
        key, title, func, order
    )


def _registered(name: str, app: Flask | None = None) -> list:
    app = app or current_app
    return sorted(app.extensions.get(name, {}).values(), key=lambda m: (m.order, m.key))


def summary_metrics(app: Flask | None = None) -> list[SummaryMetric]:
    return _registered("compliance_summary_metrics", app)


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


def trend_range(start: date, end: date) -> tuple[date, date, bool]:
    """The months of the month-by-month table: the period's own, or, for a period shorter than
    `TREND_MONTHS` months, the twelve months up to the period's end. Returns (first day, last
    day, whether the range reaches back before the period)."""
    if len(months_between(start, end)) >= TREND_MONTHS:
        return start, end, False
    first = end.replace(day=1)
    for _ in range(TREND_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, end, True


def rate_of(values: dict, rate: SummaryRate) -> float | None:
    whole = values.get(rate.denominator)
    part = values.get(rate.numerator)
    if not whole or part is None:
        return None
    return round(part / whole, 4)


def compute_summary(session, user, filters: dict) -> dict:
    """All figures of the summary: scalars, breakdowns, rates, tables and the month-by-month
    table (over `trend_range`)."""
    start, end = filters["date_from"], filters["date_to"]
    scalars, breakdowns, monthly_keys = [], [], []
    for metric in summary_metrics():
        value = metric.func(session, user, filters, start, end)
        if metric.breakdown:
            breakdowns.append((metric, value))
        else:
            scalars.append((metric, value))
            if metric.monthly:
                monthly_keys.append(metric)
    values = {m.key: v for m, v in scalars}
    rates = [
        (rate, rate_of(values, rate))
        for rate in _registered("compliance_summary_rates")
        if rate.numerator in values and rate.denominator in values
    ]
    first, last, reaches_back = trend_range(start, end)
    monthly = []
    for m_start, m_end in months_between(first, last):
        monthly.append(
            (m_start, {m.key: m.func(session, user, filters, m_start, m_end) for m in monthly_keys})
        )
    tables = [
        (table, *table.func(session, user, filters, start, end))
        for table in _registered("compliance_summary_tables")
    ]
    return {
        "scalars": scalars,
        "breakdowns": breakdowns,
        "rates": rates,
        "monthly_metrics": monthly_keys,
        "monthly": monthly,
        "trend": (first, last, reaches_back),
        "tables": tables,
    }


def _trend_caption(first: date, last: date, reaches_back: bool) -> str:
    span = f"{first:%Y-%m} – {last:%Y-%m}"
    if reaches_back:
        return pgettext(
            "summary", "Month by month, %(span)s (the %(n)s months up to the end of the period)"
        ) % {"span": span, "n": TREND_MONTHS}
    return pgettext("summary", "Month by month, %(span)s") % {"span": span}


class _Sheet:
    """Rows appended to a write-only sheet, counted, each as tall as its wrapped text."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0

    def put(self, values: list) -> int:
        texts = [
            (v.value if v.alignment.wrap_text else None) if isinstance(v, Cell) else v
            for v in values
        ]
        height = row_height(lines_of(texts, WIDTHS))
        if height is not None and self.row + 1 not in self.ws.row_dimensions:
            self.ws.row_dimensions[self.row + 1] = RowDimension(
                self.ws, index=self.row + 1, ht=height, customHeight=True
            )
        self.ws.append(values)
        self.row += 1
        return self.row

    def bold(self, text) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=clean_text(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        return cell

    def text(self, text) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=clean_text(str(text)))
        cell.alignment = WRAP
        return cell

    def caption(self, text) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=clean_text(str(text)))
        cell.font = HEADER_FONT
        return cell

    def percent(self, value) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = "0.0%"
        cell.alignment = TOP
        return cell

    def number(self, value) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.alignment = TOP
        return cell


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
    wrap_by_default(wb, WRAP)
    ws = wb.create_sheet(pgettext("summary", "Summary"))
    for index, width in enumerate(WIDTHS, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    title_text = (
        f"{info.title} {filters['date_from'].isoformat()} – {filters['date_to'].isoformat()}"
    )
    print_setup(
        ws,
        title=clean_text(title_text) or "",
        footer=labels.get("page_footer", "Page &P of &N"),
        widths=WIDTHS,
        landscape=True,
    )
    sheet = _Sheet(ws)
    charts = _chart_specs(data)
    # Rows 1-2: the title; then the charts' bands (reserved, empty rows); then the tables.
    title = WriteOnlyCell(ws, value=clean_text(title_text))
    title.font = TITLE_FONT
    sheet.put([title])
    first, last, reaches_back = data["trend"]
    sheet.put([])
    placed = layout_charts(ws, charts, first_row=sheet.row + 1, widths=WIDTHS)
    for _ in range(placed.rows):
        sheet.put([])
    figures = 0

    sheet.put([])
    sheet.put([sheet.caption(pgettext("summary", "Key figures of the period"))])
    sheet.put(
        [
            sheet.bold(pgettext("summary", "Area")),
            sheet.bold(pgettext("summary", "Figure")),
            sheet.bold(pgettext("summary", "Value")),
        ]
    )
    for metric, value in data["scalars"]:
        sheet.put([sheet.text(metric.group), sheet.text(metric.label), sheet.number(value)])
        figures += 1
    for rate, value in data["rates"]:
        if value is not None:
            sheet.put([sheet.text(rate.group), sheet.text(rate.label), sheet.percent(value)])
            figures += 1

    for metric, breakdown in data["breakdowns"]:
        sheet.put([])
        head = sheet.put([sheet.bold(metric.label), sheet.bold(pgettext("summary", "Count"))])
        placed.bind(f"breakdown:{metric.key}", head, len(breakdown))
        for label, count in breakdown.items():
            sheet.put([sheet.text(label), sheet.number(count)])
            figures += 1

    if data["monthly"]:
        sheet.put([])
        sheet.put([sheet.caption(_trend_caption(first, last, reaches_back))])
        keys = data["monthly_metrics"]
        rates = [rate for rate, _value in data["rates"]]
        header = [sheet.bold(pgettext("summary", "Month"))]
        header += [sheet.bold(m.label) for m in keys] + [sheet.bold(r.label) for r in rates]
        head = sheet.put(header)
        count = len(data["monthly"])
        for offset, metric in enumerate(keys):
            placed.bind(f"monthly:{metric.key}", head, count, column=offset + 2)
        for offset, rate in enumerate(rates):
            placed.bind(f"rate:{rate.key}", head, count, column=len(keys) + offset + 2)
        for month_start, values in data["monthly"]:
            row = [f"{month_start:%Y-%m}"] + [values[m.key] for m in keys]
            row += [sheet.percent(rate_of(values, rate)) for rate in rates]
            sheet.put(row)
            figures += 1

    for table, headers, rows in data["tables"]:
        sheet.put([])
        sheet.put([sheet.caption(table.title)])
        sheet.put([sheet.bold(h) for h in headers])
        for values in rows:
            sheet.put([sheet.text(v) if isinstance(v, str) else v for v in values])
            figures += 1

    placed.add_to(ws)
    if progress is not None:
        progress(figures)
    write_parameters_sheet(wb, labels.get("parameters", "Parameters"), info, figures, labels)
    wb.save(target)
    return figures


def _chart_specs(data: dict) -> list[ChartSpec]:
    """One chart per figure: each breakdown (bars), each rate month by month (a line with
    markers, so a single month shows), each monthly figure marked `chart` (columns)."""
    first, last, _back = data["trend"]
    span = f"{first:%Y-%m} – {last:%Y-%m}"
    specs = [
        ChartSpec(f"breakdown:{m.key}", "bar", str(m.label))
        for m, breakdown in data["breakdowns"]
        if breakdown
    ]
    if data["monthly"]:
        specs += [
            ChartSpec(f"rate:{rate.key}", "line", f"{rate.label}, {span}", percent=True)
            for rate, _value in data["rates"]
        ]
        specs += [
            ChartSpec(f"monthly:{m.key}", "column", f"{m.label}, {span}")
            for m in data["monthly_metrics"]
            if m.chart
        ]
    return specs


def _count(session, user, filters) -> int:
    first, last, _back = trend_range(filters["date_from"], filters["date_to"])
    return len(summary_metrics()) + len(months_between(first, last))


SUMMARY = Ledger(
    code="summary",
    title=_lp("ledger title", "Period summary"),
    description=_lp(
        "ledger description",
        "The figures a monthly, quarterly or year-end report quotes, with charts.",
    ),
    roles=frozenset({"discipline", "leader", "admin"}),
    columns=[
        Column("figure", _lp("summary", "Figure")),
        Column("value", _lp("summary", "Value"), "int"),
    ],
    render=render_summary,
    count=_count,
    order=5,
)


def init_app(app) -> None:
    register_ledger(app, SUMMARY)
