"""Helpers of the dashboard and year-in-review tests: a supervised year, reading figures and
chart points back from a page, and counting SQL statements."""

from __future__ import annotations

import lxml.html
import pytest

from tests.statements import count_queries

from .world import build_world


@pytest.fixture
def world(app, make_site, make_user):
    return build_world(make_site, make_user)


def page_figures(html: str) -> dict[str, float | None]:
    """The figure tiles of a page: key -> value."""
    doc = lxml.html.fromstring(html)
    out = {}
    for li in doc.xpath("//li[@data-figure]"):
        value = li.get("data-value")
        out[li.get("data-figure")] = None if value in ("", None) else float(value)
    return out


def chart_points(html: str, chart_id: str) -> list[tuple[str, str, float]]:
    """(category, series, value) of every drawn data point of one chart."""
    doc = lxml.html.fromstring(html)
    figure = doc.get_element_by_id(chart_id)
    return [
        (el.get("data-category"), el.get("data-series"), float(el.get("data-value")))
        for el in figure.xpath(".//*[contains(concat(' ', @class, ' '), ' pt ')]")
    ]


@pytest.fixture
def count_statements(app):
    """with count_statements() as counter: ...; counter.count is the number of SQL statements."""

    return count_queries
