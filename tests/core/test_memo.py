"""Aggregates remembered while still right (compliance/memo.py): the year in review and the
dashboard figures are not recomputed while nothing changed; after other people's writes they are
reused for FIGURE_STALE_SECONDS at most; after the reader's own write never; they expire after
FIGURE_MEMO_SECONDS; a writing request never reads through the memo."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from compliance import audit, memo
from compliance.db import db
from compliance.timeutil import local_day_bounds_utc, local_today


@pytest.fixture
def memo_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIGURE_MEMO_SECONDS", 300)
    monkeypatch.setitem(app.config, "FIGURE_STALE_SECONDS", 30)
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


def test_figures_are_remembered_until_an_audited_write(
    memo_on, app, client_for, make_site, monkeypatch
):
    monkeypatch.setitem(app.config, "FIGURE_STALE_SECONDS", 0)
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


def test_after_other_peoples_writes_figures_are_reused_for_the_stale_seconds_only(
    memo_on, client_for, make_site, monkeypatch
):
    site = make_site()
    _meeting(site, _start_of_year())
    leader = client_for("admin")
    assert _meetings_shown(leader)[0] == 1
    meeting = _meeting(site, _start_of_year() + timedelta(days=1))
    audit.record(db.session, None, "training.session.create", meeting)  # somebody else
    db.session.commit()
    assert _meetings_shown(leader)[0] == 1  # half a minute behind at most
    later = memo.time.monotonic() + 31
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    assert _meetings_shown(leader)[0] == 2


def test_after_the_readers_own_write_figures_are_fresh(memo_on, client_for, make_site):
    site = make_site()
    _meeting(site, _start_of_year())
    reader = client_for("admin")
    assert _meetings_shown(reader)[0] == 1
    meeting = _meeting(site, _start_of_year() + timedelta(days=1))
    event = audit.record(db.session, None, "training.session.create", meeting)
    db.session.commit()
    with reader.session_transaction() as cookie:  # what note_write leaves after their POST
        cookie[memo.WROTE_KEY] = event.id
    assert _meetings_shown(reader)[0] == 2


def test_an_audited_write_in_a_request_notes_the_writer_in_the_session(app, make_site):
    site = make_site()
    with app.test_request_context("/x", method="POST", headers={"Cookie": "session=x"}):
        from flask import session

        event = audit.record(db.session, None, "site.update", site)
        assert session[memo.WROTE_KEY] == event.id
    with app.test_request_context("/x", method="POST"):  # no cookie: an API token, a job
        from flask import session

        audit.record(db.session, None, "site.update", site)
        assert memo.WROTE_KEY not in session
    db.session.rollback()


def test_remembered_figures_expire_after_the_configured_seconds(
    memo_on, client_for, make_site, monkeypatch
):
    site = make_site()
    _meeting(site, _start_of_year())
    admin = client_for("admin")
    assert _meetings_shown(admin)[0] == 1
    _meeting(site, _start_of_year() + timedelta(days=1))
    assert _meetings_shown(admin)[0] == 1
    later = memo.time.monotonic() + 301
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
    # another head, within the stale seconds: reused unless the reader wrote after it
    assert kept.get("c", 2, 60, stale_age=30, wrote=1) == (True, "C")
    assert kept.get("c", 2, 60, stale_age=30, wrote=2) == (False, None)
    assert kept.get("c", 2, 60, stale_age=30, wrote=None) == (False, None)  # unknown reader
    assert kept.get("c", 0, 60, stale_age=30, wrote=0) == (False, None)  # head went back
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


def test_a_real_post_by_the_reader_notes_their_write(memo_on, client_for):
    from compliance.models import AuditEvent
    from tests.core.test_admin_users import _create_form

    admin = client_for("admin")
    response = admin.post("/admin/users/new", data=_create_form(all_sites="y"))
    assert response.status_code in (302, 303)
    newest = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    with admin.session_transaction() as cookie:
        assert cookie[memo.WROTE_KEY] == newest
