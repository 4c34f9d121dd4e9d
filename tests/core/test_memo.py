"""Aggregates remembered until the next audited write (compliance/memo.py): the year in review and
the dashboard figures are not recomputed while nothing changed, are recomputed on the first view
after any audited write, expire after FIGURE_MEMO_SECONDS, and a writing request never reads
through the memo."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compliance import audit, memo
from compliance.db import db
from compliance.timeutil import local_day_bounds_utc, local_today


@pytest.fixture
def memo_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIGURE_MEMO_SECONDS", 60)
    memo._memo().clear()
    yield memo._memo()
    memo._memo().clear()


def _meeting(site, starts: datetime):
    from training.models import Course, TrainingSession

    course = db.session.scalar(sa.select(Course).where(Course.code == "TM-MEMO"))
    if course is None:
        course = Course(code="TM-MEMO", title="专题会议：作风", kind="thematic_meeting")
        db.session.add(course)
        db.session.flush()
    meeting = TrainingSession(
        course_id=course.id,
        site_id=site.id,
        place="会议室",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        trainer="讲师",
    )
    db.session.add(meeting)
    db.session.commit()
    return meeting


def _meetings_shown(client) -> tuple[float | None, int]:
    """The year in review's "meetings held" figure and the statements the page ran."""
    from tests.review.conftest import page_figures

    statements = []

    def count(*args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/year-review")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return page_figures(response.get_data(as_text=True))["meetings"], len(statements)


def _start_of_year() -> datetime:
    return local_day_bounds_utc(date(local_today().year, 1, 1))[0] + timedelta(hours=2)


def test_figures_are_remembered_until_an_audited_write(memo_on, client_for, make_site):
    site = make_site()
    _meeting(site, _start_of_year())
    admin = client_for("admin")
    first, cold = _meetings_shown(admin)
    assert first == 1
    # A row written without an audit event (no app path does that) is not seen: the page is
    # served from the memo, with fewer statements than the first view.
    meeting = _meeting(site, _start_of_year() + timedelta(days=1))
    again, warm = _meetings_shown(admin)
    assert again == 1 and warm < cold
    assert memo_on.hits > 0
    # Any audited write renews every remembered figure.
    audit.record(db.session, None, "training.session.create", meeting)
    db.session.commit()
    assert _meetings_shown(admin)[0] == 2


def test_remembered_figures_expire_after_the_configured_seconds(
    memo_on, client_for, make_site, monkeypatch
):
    site = make_site()
    _meeting(site, _start_of_year())
    admin = client_for("admin")
    assert _meetings_shown(admin)[0] == 1
    _meeting(site, _start_of_year() + timedelta(days=1))
    assert _meetings_shown(admin)[0] == 1
    later = memo.time.monotonic() + 61
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    assert _meetings_shown(admin)[0] == 2


def test_with_the_memo_off_every_view_counts_afresh(app, client_for, make_site, monkeypatch):
    monkeypatch.setitem(app.config, "FIGURE_MEMO_SECONDS", 0)
    site = make_site()
    _meeting(site, _start_of_year())
    admin = client_for("admin")
    assert _meetings_shown(admin)[0] == 1
    _meeting(site, _start_of_year() + timedelta(days=1))
    assert _meetings_shown(admin)[0] == 2
    assert len(memo._memo()) == 0


def test_readers_of_different_scopes_do_not_share_figures(memo_on, client_for, make_site):
    mine, other = make_site(), make_site()
    _meeting(mine, _start_of_year())
    _meeting(other, _start_of_year())
    assert _meetings_shown(client_for("leader", sites=[mine]))[0] == 1
    assert _meetings_shown(client_for("admin"))[0] == 2


def test_a_writing_request_never_reads_through_the_memo(app, memo_on):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with app.test_request_context("/x", method="POST"):
        assert memo.remember(("k",), compute) == 1
        assert memo.remember(("k",), compute) == 2
    assert len(memo_on) == 0
    with app.test_request_context("/x"):
        assert memo.remember(("k",), compute) == 3
        assert memo.remember(("k",), compute) == 3


def test_the_memo_keeps_its_newest_entries_only():
    kept = memo.Memo(max_entries=2)
    for key in ("a", "b", "c"):
        kept.put(key, 1, key.upper())
    assert kept.get("a", 1, 60) == (False, None)
    assert kept.get("c", 1, 60) == (True, "C")
    assert kept.get("c", 2, 60) == (False, None)  # another audit head
    assert len(kept) == 2


def test_live_scores_are_remembered_with_the_callers_scheme(app, memo_on, make_site, make_user):
    from evaluation import services as svc

    make_site()
    month = local_today().replace(day=1)
    scheme = svc.create_scheme(db.session, make_user(roles=("admin",)), date(2025, 1, 1), {})
    db.session.commit()
    with app.test_request_context("/evaluation/scores"):
        first = svc.live_scores(db.session, scheme, month)
        second = svc.live_scores(db.session, scheme, month)
        assert second.staff is first.staff  # not computed again
        assert second.scheme is scheme


def test_the_dashboard_is_the_same_when_remembered(memo_on, client_for, make_site):
    """Every panel renders from remembered data exactly as from fresh data."""
    make_site()
    admin = client_for("admin")
    memo_on.clear()
    fresh = admin.get("/dashboard").get_data(as_text=True)
    remembered = admin.get("/dashboard").get_data(as_text=True)
    assert memo_on.hits > 0

    def strip(html: str) -> str:  # the CSRF token differs between responses
        import re

        return re.sub(r'name="csrf_token"[^>]*>', "", html)

    assert strip(fresh) == strip(remembered)
