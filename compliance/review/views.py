"""The year-in-review page and the headline panel of the dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..access import roles_required, scope_ids, site_tree_ids, sites_in_scope
from ..db import db
from ..ledgers.registry import get_ledger
from ..periods import Period
from ..timeutil import local_today
from .registry import ReviewContext, review_sections

bp = Blueprint("review", __name__)

FIRST_YEAR = 2000


def _year_arg(today) -> int:
    """The requested year; a bad or future one is refused with a message (the current year is
    shown instead)."""
    text = (request.args.get("year") or "").strip()
    if not text:
        return today.year
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= today.year:
        flash(
            _(
                "Give a year between %(first)s and %(last)s; showing %(last)s.",
                first=FIRST_YEAR,
                last=today.year,
            ),
            "danger",
        )
        return today.year
    return int(text)


def _site_arg(sites):
    """The site filter: a site in the reader's scope (and the sites below it), or None for the
    whole scope. A site outside the scope is answered like one that does not exist (404)."""
    text = (request.args.get("site") or "").strip()
    if not text:
        return None
    site = next((s for s in sites if text.isdigit() and s.id == int(text)), None)
    if site is None:
        abort(404)
    return site


def lead_paragraph(year: int, today, sections) -> str:
    """The sentence a year-end report quotes, one clause per section."""
    clauses = _("; ").join(s.sentence for s in sections if s.sentence)
    if not clauses:
        return ""
    if year == today.year:
        return _(
            "In %(year)s up to %(day)s, %(clauses)s.",
            year=year,
            day=today.isoformat(),
            clauses=clauses,
        )
    return _("In %(year)s, %(clauses)s.", year=year, clauses=clauses)


@bp.route("/year-review")
@roles_required("discipline", "leader", "admin", "hr")
def year():
    today = local_today()
    year = _year_arg(today)
    sites = sites_in_scope(current_user)
    site = _site_arg(sites)
    visible = scope_ids(current_user)
    site_ids = visible
    if site is not None:
        site_ids = site_tree_ids(db.session, [site.id])
        if visible is not None:
            site_ids &= visible
    period = Period.year(year, site_ids)
    ctx = ReviewContext(db.session, current_user, period, today)
    sections = review_sections(ctx)
    summary = get_ledger("summary")
    return render_template(
        "review/year.html",
        year=year,
        today=today,
        site=site,
        sites=sites,
        sections=sections,
        lead=lead_paragraph(year, today, sections),
        can_export=summary is not None and summary.allowed(current_user),
        years=list(range(today.year, max(FIRST_YEAR, today.year - 5) - 1, -1)),
    )


def headline_panel(user) -> Markup | None:
    """This year so far, in the reader's scope: the headline figures of every section."""
    today = local_today()
    period = Period(today.replace(month=1, day=1), today, scope_ids(user))
    ctx = ReviewContext(db.session, user, period, today, charts=False)
    figures = [f for s in review_sections(ctx) for f in s.figures if f.headline]
    if not figures:
        return None
    return Markup(render_template("review/_panel_headline.html", figures=figures, period=period))
