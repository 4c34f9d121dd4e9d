"""List pages issue a fixed number of SQL statements whatever the number of rows (no N+1)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa

from compliance.db import db
from training.onboarding import ensure_onboarding_plan
from training.pairings import add_shadow_log, create_pairing


@contextlib.contextmanager
def count_statements():
    counter = {"n": 0}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _grow(site, make_staff, make_course, make_session, user_for, today, n):
    course = make_course()
    for _ in range(n):
        newbie = make_staff(site=site, hired_on=today - timedelta(days=40))
        mentor = make_staff(site=site, hired_on=today - timedelta(days=4000))
        ensure_onboarding_plan(db.session, None, newbie)
        pairing = create_pairing(
            db.session, None, mentor, newbie, today - timedelta(days=7), today=today
        )
        add_shadow_log(
            db.session,
            user_for(mentor),
            pairing,
            worked_on=today,
            hours=2,
            practised="跟岗",
            today=today,
        )
        make_session(
            course=course, site=site, day=today - timedelta(days=1), statuses={newbie: "present"}
        )
    db.session.commit()


def _count(client, url):
    with count_statements() as counter:
        assert client.get(url).status_code == 200
    return counter["n"]


def test_list_pages_do_not_grow_with_rows(
    client_for, make_site, make_staff, make_course, make_session, user_for, today
):
    site = make_site()
    hr = client_for("hr")
    urls = [
        "/training/plans",
        "/training/pairings",
        "/training/sessions?when=past",
        "/training/plans?show=late",
    ]
    # Two batches, so that the late list has rows already: a plan made after the second course
    # was added lists both courses, and its newcomer attended only the second.
    _grow(site, make_staff, make_course, make_session, user_for, today, 1)
    _grow(site, make_staff, make_course, make_session, user_for, today, 2)
    small = [_count(hr, url) for url in urls]
    _grow(site, make_staff, make_course, make_session, user_for, today, 6)
    large = [_count(hr, url) for url in urls]
    assert dict(zip(urls, large, strict=True)) == dict(zip(urls, small, strict=True))
