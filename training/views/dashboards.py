"""The onboarding-progress chart panel (HR and centre heads) and training's year-in-review
sections: thematic meetings held (专题会议) and new staff who finished pre-job training and
mentoring (岗前培训 + 老带新跟岗). Each is a fixed number of aggregate statements
(`..services.stats`) over the reader's sites."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from flask_babel import gettext as _

from compliance.access import scope_ids
from compliance.charts import Chart, Series, chart_panel
from compliance.db import db
from compliance.models import User
from compliance.review import Figure, ReviewContext, Section
from compliance.timeutil import local_today

from ..services import stats

DONE_COLOUR = "#007a5e"
LEFT_COLOUR = "#5d6678"
PANEL_ROLES = ("hr", "leader")


def onboarding_panel(user: User):
    """Running onboarding plans: steps done and left per new hire, the late ones first."""
    rows, counts = stats.onboarding_progress(db.session, scope_ids(user), local_today())
    if not counts["active"]:
        return None
    names = [_("%(name)s (late)", name=r["name"]) if r["late"] else r["name"] for r in rows]
    chart = Chart(
        key="onboarding-progress",
        title=_("Onboarding progress"),
        kind="hbar",
        categories=names,
        labels=[
            " · ".join((n, r["staff_no"], _("hired %(day)s", day=r["starts_on"].isoformat())))
            for n, r in zip(names, rows, strict=True)
        ],
        series=[
            Series(
                _("Steps done"),
                [r["done"] for r in rows],
                colour=DONE_COLOUR,
            ),
            Series(_("Steps left"), [r["total"] - r["done"] for r in rows], colour=LEFT_COLOUR),
        ],
        links=[url_for("training.plan_detail", plan_id=r["plan_id"]) for r in rows],
        category_header=_("New staff member"),
        description=_("Steps are the plan's courses, being paired with a mentor and the sign-off."),
    )
    return chart_panel(
        "onboarding-progress",
        _("Onboarding progress"),
        url_for("training.plans"),
        chart,
        sub=_(
            "%(active)s onboarding plans running, %(late)s late; the %(shown)s most urgent",
            active=counts["active"],
            late=counts["late"],
            shown=len(rows),
        ),
    )


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def review_meetings(ctx: ReviewContext) -> Section:
    """Thematic meetings (专题会议) and other training sessions held."""
    now = _now_utc()
    held = stats.sessions_held(ctx.session, ctx.period, now)
    topics = stats.meetings_by_course(ctx.session, ctx.period, now) if ctx.charts else []
    sessions_url = ctx.link("training.sessions", when="past")
    figures = [
        Figure(
            "meetings",
            _("Thematic meetings held"),
            held["meetings"],
            ctx.link("training.sessions", when="past", kind=stats.MEETING),
            headline=True,
        ),
        Figure(
            "training_sessions", _("Other training sessions held"), held["sessions"], sessions_url
        ),
        Figure("people_trained", _("People who attended"), held["people"], None),
    ]
    charts = []
    if topics:
        charts.append(
            Chart(
                key="review-meetings",
                title=_("Thematic meetings by topic"),
                kind="hbar",
                categories=[title for title, _n in topics],
                series=[Series(_("Meetings"), [n for _t, n in topics])],
                category_header=_("Topic"),
            )
        )
    return Section(
        "meetings",
        _("Thematic meetings and training"),
        figures,
        charts,
        sentence=_("%(n)s thematic meetings held", n=held["meetings"]),
        url=sessions_url,
    )


def review_onboarding(ctx: ReviewContext) -> Section:
    """New staff: pre-job training and mentoring finished (岗前培训 + 老带新跟岗)."""
    figures_ = stats.onboarding_figures(ctx.session, ctx.period)
    plans_url = ctx.link("training.plans", show="all")
    figures = [
        Figure("new_staff", _("New staff hired"), figures_["hired"], None),
        Figure("pre_job_done", _("Finished pre-job training"), figures_["pre_job"], plans_url),
        Figure(
            "mentoring_done",
            _("Finished mentoring (signed off)"),
            figures_["mentored"],
            ctx.link("training.pairings", status="signed_off"),
        ),
        Figure(
            "onboarding_completed",
            _("Completed onboarding (both)"),
            figures_["completed"],
            ctx.link("training.plans", show="completed"),
            headline=True,
        ),
    ]
    return Section(
        "onboarding",
        _("New staff: pre-job training and mentoring"),
        figures,
        sentence=_(
            "%(completed)s new staff completed pre-job training and mentoring "
            "(%(pre_job)s finished pre-job training, %(mentored)s were signed off by their "
            "mentors)",
            completed=figures_["completed"],
            pre_job=figures_["pre_job"],
            mentored=figures_["mentored"],
        ),
        url=ctx.link("training.plans"),
    )
