"""The year-in-review registry: each feature package contributes the sections it knows about
(patrols and findings, rectification, commendations and complaints, meetings, new staff, key-post
rotation) with `register_review_section` in its `init_app`, so the core page and the dashboard's
headline panel never import a feature package.

A section function is `func(ctx: ReviewContext) -> Section | None`. It counts over `ctx.period`
(local days, the sites of the reader's scope narrowed by the page's site filter), runs a fixed
number of aggregate statements whatever the amount of data, and builds charts only when
`ctx.charts` is true (the headline panel asks for figures only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import Flask, current_app, url_for
from sqlalchemy.orm import Session

from ..charts import Chart
from ..memo import reader_key, remember, scope_key
from ..models import User
from ..periods import Period


@dataclass
class Figure:
    """One figure: a count (or a rate, `percent`), the list behind it when the reader may open
    it, and an optional note. `headline` figures also appear on the dashboard panel."""

    key: str
    label: str
    value: int | float | None
    url: str | None = None
    note: str = ""
    percent: bool = False
    headline: bool = False

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        if self.percent:
            return f"{self.value * 100:.1f}%"
        return str(self.value)


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure]
    charts: list[Chart] = field(default_factory=list)
    sentence: str = ""  # one clause of the page's lead paragraph
    url: str | None = None  # the list the section summarises
    order: int = 100


@dataclass
class ReviewContext:
    session: Session
    user: User
    period: Period
    today: date
    charts: bool = True

    def link(self, endpoint: str, **params) -> str | None:
        """The URL of a list, or None when the reader's roles do not open it."""
        view = current_app.view_functions.get(endpoint)
        if view is None:
            return None
        roles = getattr(view, "required_roles", None)
        if roles is not None and not self.user.has_role(*roles):
            return None
        return url_for(endpoint, **{k: v for k, v in params.items() if v not in (None, "")})

    @property
    def one_site(self) -> int | None:
        """The site id when the period covers exactly one site (list pages filter by one)."""
        ids = self.period.site_ids
        return next(iter(ids)) if ids is not None and len(ids) == 1 else None


@dataclass(order=True)
class _Entry:
    order: int
    key: str
    func: Callable[[ReviewContext], Section | None] = field(compare=False)


def register_review_section(app: Flask, key: str, func: Callable, order: int = 100) -> None:
    """Add a section to the year in review (and its figures to the headline panel)."""
    app.extensions.setdefault("compliance_review_sections", {})[key] = _Entry(order, key, func)


def review_sections(ctx: ReviewContext) -> list[Section]:
    """Every registered section for the context. A section's figures count a whole period, so
    each is remembered until the next audited write (`compliance.memo`), keyed by what it
    depends on: the period, the scope, charts or not, and the reader's language and roles."""
    entries = sorted(current_app.extensions.get("compliance_review_sections", {}).values())
    period = ctx.period
    base = (period.start, period.end, scope_key(period.site_ids), ctx.charts, ctx.today)
    reader = reader_key(ctx.user)
    sections = []
    for entry in entries:
        section = remember(
            ("review", entry.key, *base, reader), lambda entry=entry: entry.func(ctx), ctx.session
        )
        if section is not None:
            section.order = entry.order
            sections.append(section)
    return sections
