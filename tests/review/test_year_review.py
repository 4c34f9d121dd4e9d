"""The year in review (年度回眸): every figure the source article reports, recomputed from the
rows in Python; the reader's scope and the site filter; who may open it; the charts' points;
the period summary ledger quoting the same figures; a constant number of SQL statements."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from compliance.db import db
from compliance.timeutil import local_day_bounds_utc, local_today

from . import expected
from .conftest import chart_points, page_figures
from .world import YEAR, build_world

# What the article reports, and the key of its figure on the page.
ARTICLE_FIGURES = (
    "patrols",
    "spot_checks",
    "findings_attendance",
    "findings_attire",
    "findings_hygiene",
    "findings_conduct",
    "rectified",
    "rectified_on_time",
    "meetings",
    "pre_job_done",
    "mentoring_done",
    "onboarding_completed",
    "key_posts_rotated",
    "people_rotated",
    "commendations",
    "complaints",
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _expected(site_ids, year=YEAR) -> dict:
    return expected.figures(date(year, 1, 1), date(year, 12, 31), site_ids, local_today(), _now())


def _assert_figures(shown: dict, want: dict) -> None:
    for key, value in want.items():
        assert key in shown, f"the page has no figure {key}"
        if value is None:
            assert shown[key] is None, key
        else:
            assert shown[key] == pytest.approx(value), key


def test_every_figure_of_the_article_is_on_the_page_and_right(client_for, world):
    admin = client_for("admin")
    response = admin.get(f"/year-review?year={YEAR}")
    assert response.status_code == 200
    shown = page_figures(response.get_data(as_text=True))
    assert set(ARTICLE_FIGURES) <= set(shown)
    want = _expected(None)
    _assert_figures(shown, want)
    # The world is not empty: the figures are not trivially zero.
    assert all(want[key] for key in ("patrols", "findings", "rectified", "meetings"))
    assert want["key_posts_rotated"] and want["people_rotated"]
    # Posts, not only people: the same post rotated twice counts once.
    assert want["rotation_moves"] >= want["people_rotated"]


def test_month_and_year_edges_follow_the_local_calendar(client_for, world):
    """A finding at 00:00 on 1 February (local) is February's; one at 00:00 on 1 January of
    the next year is not the year's, one at 00:30 on 1 January is."""
    html = client_for("admin").get(f"/year-review?year={YEAR}").get_data(as_text=True)
    points = chart_points(html, "chart-review-findings")
    by_month = expected.findings_by_month(
        [date(YEAR, m, 1) for m in range(1, 13)], date(YEAR, 12, 31), None
    )
    from inspections.forms import CATEGORY_LABELS

    with force_locale("zh"):
        labels = {str(v): k for k, v in CATEGORY_LABELS.items()}
    drawn = {(cat, labels[series]): value for cat, series, value in points if series}
    for month in range(1, 13):
        for category in ("attendance", "attire", "hygiene", "conduct"):
            want = by_month[month - 1][category]
            got = drawn.get((f"{YEAR}年{month}月", category), 0)
            assert got == want, (month, category)
    # Months without findings still show a point (a stub on the axis).
    empty = [m for m in range(12) if not sum(by_month[m].values())]
    stubs = {cat for cat, series, value in points if not series and value == 0}
    assert {f"{YEAR}年{m + 1}月" for m in empty} == stubs


def test_a_centre_head_sees_only_the_sites_in_scope(client_for, world):
    leader = client_for("leader", sites=[world.home])
    shown = page_figures(leader.get(f"/year-review?year={YEAR}").get_data(as_text=True))
    mine = {world.home.id, world.hall.id}
    want = _expected(mine)
    _assert_figures(shown, want)
    everything = _expected(None)
    assert any(want[k] != everything[k] for k in ARTICLE_FIGURES), "the scope changes nothing"


def test_the_site_filter_narrows_and_a_site_outside_the_scope_is_not_found(client_for, world):
    leader = client_for("leader", sites=[world.home])
    hall = page_figures(
        leader.get(f"/year-review?year={YEAR}&site={world.hall.id}").get_data(as_text=True)
    )
    _assert_figures(hall, _expected({world.hall.id}))
    assert leader.get(f"/year-review?year={YEAR}&site={world.other.id}").status_code == 404
    assert leader.get(f"/year-review?year={YEAR}&site=abc").status_code == 404


@pytest.mark.parametrize(
    ("roles", "status"),
    [
        (("discipline",), 200),
        (("leader",), 200),
        (("admin",), 200),
        (("hr",), 200),
        (("inspector",), 403),
        (("staff",), 403),
    ],
)
def test_who_may_open_the_year_in_review(client_for, roles, status):
    assert client_for(*roles).get("/year-review").status_code == status


def test_hr_gets_no_link_to_lists_hr_cannot_open(client_for, world):
    html = client_for("hr").get(f"/year-review?year={YEAR}").get_data(as_text=True)
    assert "/findings" not in html and "/rectifications" not in html
    assert "/training/" in html  # the lists HR does read stay linked


def test_a_bad_or_future_year_is_refused_with_a_message(client_for):
    admin = client_for("admin")
    this_year = local_today().year
    for bad in ("abc", "1999", str(this_year + 1), "-1"):
        response = admin.get(f"/year-review?year={bad}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "flash-danger" in html and "2000" in html, bad
        assert f'name="year" min="2000" max="{this_year}" value="{this_year}"' in html


def test_a_meeting_planned_for_later_this_year_is_not_yet_held(client_for, make_site):
    from training.models import Course, TrainingSession

    site = make_site()
    course = Course(code="TM-X", title="专题会议：作风", kind="thematic_meeting")
    db.session.add(course)
    db.session.flush()
    year = local_today().year
    start_of_year = local_day_bounds_utc(date(year, 1, 1))[0]
    for starts in (start_of_year, _now() + timedelta(hours=1)):
        db.session.add(
            TrainingSession(
                course_id=course.id,
                site_id=site.id,
                place="会议室",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                trainer="讲师",
            )
        )
    db.session.commit()
    shown = page_figures(client_for("admin").get("/year-review").get_data(as_text=True))
    assert shown["meetings"] == 1


def test_the_summary_ledger_quotes_the_same_figures(client_for, world, make_user):
    from compliance.ledgers.registry import get_ledger, parse_filters
    from compliance.ledgers.summary import compute_summary

    officer = client_for("discipline")
    shown = page_figures(officer.get(f"/year-review?year={YEAR}").get_data(as_text=True))
    ledger = get_ledger("summary")
    filters = parse_filters(db.session, officer.user, ledger, {"period": str(YEAR)})
    data = compute_summary(db.session, officer.user, filters)
    scalars = {metric.key: value for metric, value in data["scalars"]}
    pairs = {
        "patrols": "patrols",
        "spot_checks": "spot_checks",
        "findings": "findings",
        "rectified": "rectified",
        "rectified_on_time": "rectified_on_time",
        "complaints": "complaints",
        "commendations": "commendations",
        "onboarding_pre_job": "pre_job_done",
        "onboarding_mentored": "mentoring_done",
        "onboarding_completed": "onboarding_completed",
        "rotated_posts": "key_posts_rotated",
        "rotated_people": "people_rotated",
        "rotations": "rotation_moves",
    }
    for ledger_key, page_key in pairs.items():
        assert scalars[ledger_key] == shown[page_key], ledger_key
    # The downloaded workbook (in the reader's language) carries the new rows too.
    response = officer.post("/reports/summary/export", data={"period": str(YEAR)})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = {row[1]: row[2] for row in sheet.iter_rows(values_only=True) if len(row) > 2}
    labels = {metric.key: metric.label for metric, _value in data["scalars"]}
    with force_locale("zh"):
        for ledger_key in ("rotated_posts", "rotated_people", "onboarding_completed"):
            assert values[str(labels[ledger_key])] == scalars[ledger_key], ledger_key


def test_the_page_runs_the_same_number_of_statements_whatever_the_data(
    client_for, world, make_site, make_user, count_statements
):
    admin = client_for("admin")
    admin.get(f"/year-review?year={YEAR}")  # warm up: the session and scope are loaded once
    with count_statements() as small:
        assert admin.get(f"/year-review?year={YEAR}").status_code == 200
    build_world(make_site, make_user, scale=4, seed=99)
    with count_statements() as large:
        assert admin.get(f"/year-review?year={YEAR}").status_code == 200
    assert large.count == small.count
    assert small.count <= 30, small.count
