"""The dashboards' chart panels: each panel's figures recomputed from the rows in Python, for
the reader's roles and sites only, with a heading that links to the list behind it, and a
fixed number of SQL statements whatever the amount of data."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale

from compliance.db import db
from compliance.periods import last_months
from compliance.timeutil import local_today

from . import expected
from .conftest import chart_points, page_figures
from .world import build_world


@pytest.fixture
def this_year(app, make_site, make_user):
    """The supervised world laid over the current year (and the weeks around it)."""
    return build_world(make_site, make_user, year=local_today().year, seed=11)


def _labels(mapping) -> dict[str, str]:
    with force_locale("zh"):
        return {str(label): key for key, label in mapping.items()}


def _render(app, panel, user) -> str:
    with app.test_request_context():
        html = panel(user)
    return str(html) if html is not None else ""


def test_findings_per_month_are_counted_by_category_in_the_local_calendar(
    app, this_year, make_user
):
    from inspections.forms import CATEGORY_LABELS
    from inspections.views import dashboards

    admin = make_user(roles=("admin",))
    html = _render(app, dashboards.findings_month_panel, admin)
    today = local_today()
    months = last_months(today)
    want = expected.findings_by_month(months, today, None)
    labels = _labels(CATEGORY_LABELS)
    drawn = Counter()
    for category, series, value in chart_points(html, "chart-findings-by-month"):
        if series:
            drawn[(category, labels[series])] += value
    for i, month in enumerate(months):
        for category in ("attendance", "attire", "hygiene", "conduct"):
            got = drawn[(f"{month.year}年{month.month}月", category)]
            assert got == want[i][category], (month, category)
    assert sum(sum(c.values()) for c in want) > 0
    assert 'href="/findings?start=' in html  # the heading opens the findings list


def test_a_centre_head_sees_only_the_findings_of_the_sites_in_scope(app, this_year, make_user):
    from inspections.views import dashboards

    leader = make_user(roles=("leader",), sites=[this_year.home])
    html = _render(app, dashboards.findings_month_panel, leader)
    today = local_today()
    mine = expected.findings_by_month(
        last_months(today), today, {this_year.home.id, this_year.hall.id}
    )
    drawn = sum(v for _c, s, v in chart_points(html, "chart-findings-by-month") if s)
    assert drawn == sum(sum(c.values()) for c in mine)
    everything = expected.findings_by_month(last_months(today), today, None)
    assert drawn < sum(sum(c.values()) for c in everything)


def test_on_time_rate_by_month(app, this_year, make_user):
    from inspections.rectification import dashboards

    admin = make_user(roles=("discipline",))
    html = _render(app, dashboards.on_time_panel, admin)
    today = local_today()
    months = last_months(today)
    want = expected.rectified_by_month(months, today, None)
    drawn = {cat: value for cat, _s, value in chart_points(html, "chart-on-time-rate")}
    for month, (closed, on_time) in zip(months, want, strict=True):
        label = f"{month.year}年{month.month}月"
        if closed:
            assert drawn[label] == pytest.approx(on_time / closed), label
        else:
            assert label not in drawn, "a month without closures has no point"
    assert any(c for c, _o in want), "the world closes rectifications in the window"
    assert 'href="/rectifications?status=verified' in html


def test_open_rectifications_by_age(app, this_year, make_user):
    from inspections.rectification import dashboards
    from inspections.rectification.services import stats

    leader = make_user(roles=("leader",), sites=[this_year.home])
    mine = {this_year.home.id, this_year.hall.id}
    today = local_today()
    want = expected.open_by_age(today, mine)
    got = stats.open_by_age(db.session, mine, today)
    assert [(r["within"], r["overdue"]) for r in got] == want
    html = _render(app, dashboards.open_age_panel, leader)
    total = sum(value for _c, series, value in chart_points(html, "chart-open-by-age") if series)
    assert total == sum(a + b for a, b in want)
    assert 'href="/rectifications?status=open"' in html


def test_the_most_frequent_check_items_come_first(app, this_year, make_user):
    from compliance.periods import Period
    from inspections.services import stats
    from inspections.views import dashboards

    today = local_today()
    start = today - timedelta(days=89)
    want = expected.frequent_items(start, today, None)
    rows = stats.frequent_items(db.session, Period(start, today, None))
    ranked = sorted(want.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    assert [(r["code"], r["count"]) for r in rows] == ranked
    admin = make_user(roles=("admin",))
    html = _render(app, dashboards.frequent_items_panel, admin)
    assert len(chart_points(html, "chart-frequent-items")) == len(ranked)
    for code, _n in ranked:
        assert f"item={code}" in html  # each row opens the findings of that item


def test_an_inspector_sees_their_own_rounds_of_this_week(app, make_site, make_user):
    import uuid

    from inspections.models import Inspection, InspectionInspector
    from inspections.views import dashboards

    site = make_site()
    me = make_user(roles=("inspector",), sites=[site])
    colleague = make_user(roles=("inspector",), sites=[site])
    today = local_today()
    monday = today - timedelta(days=today.weekday())

    def round_on(day: date, inspector, kind="patrol", status="submitted", team=()):
        at = datetime(day.year, day.month, day.day, 2)  # 10:00 local
        inspection = Inspection(
            uuid=str(uuid.uuid4()),
            kind=kind,
            status=status,
            site_id=site.id,
            inspector_id=inspector.id,
            started_at=at,
            submitted_at=at if status == "submitted" else None,
        )
        db.session.add(inspection)
        db.session.flush()
        for position, member in enumerate(team):
            db.session.add(
                InspectionInspector(
                    inspection_id=inspection.id, user_id=member.id, position=position
                )
            )

    round_on(monday, me)
    round_on(monday, me)
    round_on(today, me, kind="spot_check")
    round_on(today, colleague, kind="spot_check", team=(colleague, me))  # drawn with a colleague
    round_on(today, colleague)  # not mine
    round_on(today, me, status="draft")  # not submitted
    round_on(monday - timedelta(days=1), me)  # last week
    db.session.commit()
    html = _render(app, dashboards.my_week_panel, me)
    points = chart_points(html, "chart-my-week")
    total = sum(value for _c, series, value in points if series)
    assert total == 4
    by_day = Counter()
    for category, series, value in points:
        if series:
            by_day[category.split(" ")[-1]] += value
    assert by_day[monday.isoformat()] == (2 if monday != today else 4)
    assert by_day[today.isoformat()] == (2 if monday != today else 4)
    assert len({c for c, _s, _v in points}) == 7  # every day has a point, zero days a stub
    assert f"inspector={me.id}" in html


def test_onboarding_progress_matches_the_plans_page(app, this_year, make_user):
    from compliance.models import StaffMember
    from training import onboarding
    from training.models import OnboardingPlan
    from training.services import stats

    today = local_today()
    rows, counts = stats.onboarding_progress(db.session, None, today, limit=100)
    plans = [
        p
        for p in db.session.scalars(db.select(OnboardingPlan))
        if p.status == "active" and db.session.get(StaffMember, p.staff_member_id).status != "left"
    ]
    progress = {p.plan.id: p for p in onboarding.plan_progress(db.session, plans, today)}
    assert counts == {"active": len(plans), "late": sum(p.is_late for p in progress.values())}
    assert {r["plan_id"] for r in rows} == set(progress)
    for row in rows:
        p = progress[row["plan_id"]]
        assert (row["done"], row["total"], row["late"]) == (
            p.steps_done,
            p.steps_total,
            p.is_late,
        )
    lates = [r["late"] for r in rows]
    assert lates == sorted(lates, reverse=True), "the late plans come first"


def test_tenure_due_buckets_follow_the_tenure_board(app, this_year, make_user):
    from rotation import services
    from rotation.services import stats
    from rotation.views import dashboards

    today = local_today()
    board = services.tenure_board(db.session, today)
    want = [0, 0, 0, 0]
    for row in board:
        days = row.days_left
        if days <= 0:
            want[0] += 1
        elif days <= 30:
            want[1] += 1
        elif days <= 60:
            want[2] += 1
        elif days <= 90:
            want[3] += 1
    assert stats.tenure_due(db.session, None, today)["buckets"] == want
    assert want[0], "the world has holders past their tenure"
    hr = make_user(roles=("hr",))
    html = _render(app, dashboards.tenure_panel, hr)
    drawn = sum(value for _c, series, value in chart_points(html, "chart-tenure-due") if series)
    assert drawn == sum(want)
    assert 'href="/rotation/"' in html


def test_the_headline_panel_quotes_this_year_so_far(app, this_year, make_user):
    from compliance.review.views import headline_panel

    leader = make_user(roles=("leader",), sites=[this_year.home])
    html = _render(app, headline_panel, leader)
    today = local_today()
    want = expected.figures(
        date(today.year, 1, 1),
        today,
        {this_year.home.id, this_year.hall.id},
        today,
        datetime.now(UTC).replace(tzinfo=None),
    )
    shown = page_figures(html)
    assert {"patrols", "spot_checks", "findings", "rectified", "on_time_rate"} <= set(shown)
    for key, value in shown.items():
        assert value == pytest.approx(want[key]) if want[key] is not None else value is None, key


PANEL_IDS = {
    "headline": "panel-headline",
    "findings": "panel-findings-by-month",
    "on_time": "panel-on-time-rate",
    "age": "panel-open-by-age",
    "items": "panel-frequent-items",
    "week": "panel-my-week",
    "onboarding": "panel-onboarding-progress",
    "tenure": "panel-tenure-due",
}


@pytest.mark.parametrize(
    ("roles", "visible"),
    [
        (("leader",), {"headline", "findings", "on_time", "age", "items", "onboarding", "tenure"}),
        (("discipline",), {"headline", "findings", "on_time", "age", "items"}),
        (("admin",), {"headline", "findings", "on_time", "age", "items"}),
        (("hr",), {"onboarding", "tenure"}),
        (("inspector",), {"week"}),
        (("staff",), set()),
    ],
)
def test_each_role_sees_its_own_panels(client_for, this_year, roles, visible):
    sites = [this_year.home, this_year.other] if "inspector" in roles else None
    html = client_for(*roles, sites=sites).get("/dashboard").get_data(as_text=True)
    shown = {name for name, ident in PANEL_IDS.items() if f'id="{ident}"' in html}
    assert shown == visible


PANELS = [
    ("inspections.views.dashboards", "findings_month_panel", ("admin",)),
    ("inspections.views.dashboards", "frequent_items_panel", ("admin",)),
    ("inspections.views.dashboards", "my_week_panel", ("inspector",)),
    ("inspections.rectification.dashboards", "on_time_panel", ("admin",)),
    ("inspections.rectification.dashboards", "open_age_panel", ("admin",)),
    ("training.views.dashboards", "onboarding_panel", ("hr",)),
    ("rotation.views.dashboards", "tenure_panel", ("hr",)),
    ("compliance.review.views", "headline_panel", ("leader",)),
]


@pytest.mark.parametrize(("module", "name", "roles"), PANELS, ids=[p[1] for p in PANELS])
def test_a_panel_runs_the_same_number_of_statements_whatever_the_data(
    app, make_site, make_user, count_statements, module, name, roles
):
    import importlib

    panel = getattr(importlib.import_module(module), name)
    first = build_world(make_site, make_user, year=local_today().year, seed=3)
    user = make_user(roles=roles, sites=None if "leader" not in roles else [first.home])

    def measure():
        db.session.expire_all()
        with app.test_request_context():
            panel(user)  # warm up: the user, their roles and sites are loaded again
        with app.test_request_context(), count_statements() as counter:
            assert panel(user) is not None
        return counter

    small = measure()
    build_world(make_site, make_user, year=local_today().year, scale=4, seed=5)
    large = measure()
    assert large.count == small.count, (small.count, large.count)
    assert small.count <= 12
