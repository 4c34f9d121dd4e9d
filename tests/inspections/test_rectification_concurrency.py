"""Two inspectors acting on the same rectification at once: exactly one succeeds, the other is
told that it has changed. Real commits on the test's own database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from compliance.accounts import create_user
from compliance.db import db
from compliance.domain import StaleError
from compliance.errors import status_of
from compliance.models import Assignment, Post, Site, StaffMember, User
from inspections.hooks import fire_finding_created
from inspections.models import Finding
from inspections.rectification import services as svc
from inspections.rectification.models import Rectification, RectificationEvent

PASSWORD = "correct-horse-42"


def _setup(app) -> dict:
    with app.app_context(), app.test_request_context():
        site = Site(code="CC", name="并发中心")
        post = Post(code="PC", name="岗位")
        db.session.add_all([site, post])
        db.session.flush()
        member = StaffMember(
            staff_no="C0001",
            name="张三",
            site_id=site.id,
            hired_on=date.today() - timedelta(days=400),
        )
        db.session.add(member)
        db.session.flush()
        db.session.add(
            Assignment(
                staff_member_id=member.id,
                post_id=post.id,
                site_id=site.id,
                started_on=member.hired_on,
            )
        )
        method = app.config["PASSWORD_HASH_METHOD"]
        staff_user = create_user(
            db.session,
            None,
            username="cstaff",
            display_name="张三",
            roles=["staff"],
            password=PASSWORD,
            hash_method=method,
            site_ids=[site.id],
            staff_member_id=member.id,
        )
        inspectors = [
            create_user(
                db.session,
                None,
                username=f"cinsp{i}",
                display_name=f"督查{i}",
                roles=["inspector"],
                password=PASSWORD,
                hash_method=method,
                site_ids=[site.id],
            )
            for i in (1, 2)
        ]
        finding = Finding(
            category="attire",
            target="staff",
            site_id=site.id,
            staff_member_id=member.id,
            severity="minor",
            description="未着工装",
        )
        db.session.add(finding)
        db.session.flush()
        fire_finding_created(db.session, inspectors[0], finding)
        rect = db.session.scalar(
            sa.select(Rectification).where(Rectification.finding_id == finding.id)
        )
        svc.respond(db.session, staff_user, rect, "已整改")
        db.session.commit()
        return {
            "rect_id": rect.id,
            "version": rect.version,
            "inspectors": [u.id for u in inspectors],
            "usernames": [u.username for u in inspectors],
        }


def _race(app, data, actions) -> list[str]:
    barrier = threading.Barrier(len(actions))
    results: list[str] = []
    lock = threading.Lock()

    def worker(user_id, action):
        with app.app_context(), app.test_request_context():
            try:
                rect = db.session.get(Rectification, data["rect_id"])
                user = db.session.get(User, user_id)
                assert rect.version == data["version"]
                barrier.wait(timeout=10)
                try:
                    action(db.session, user, rect)
                    db.session.commit()
                    outcome = "ok"
                except StaleError as exc:
                    db.session.rollback()
                    outcome = "changed:" + str(exc)
            except Exception as exc:  # recorded so the test fails with the reason
                db.session.rollback()
                outcome = f"error:{type(exc).__name__}:{exc}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [
        threading.Thread(target=worker, args=(uid, act))
        for uid, act in zip(data["inspectors"], actions, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_inspectors_verifying_at_once_exactly_one_succeeds(fresh_app):
    app = fresh_app()
    data = _setup(app)
    verify = lambda s, u, r: svc.verify(s, u, r, "ok", expected_version=data["version"])  # noqa: E731
    results = _race(app, data, [verify, verify])
    assert sorted(r.split(":")[0] for r in results) == ["changed", "ok"], results
    assert any("changed" in r for r in results)
    with app.app_context():
        rect = db.session.get(Rectification, data["rect_id"])
        assert rect.status == "verified"
        kinds = db.session.scalars(
            sa.select(RectificationEvent.kind).where(RectificationEvent.rectification_id == rect.id)
        ).all()
        assert kinds.count("verified") == 1


def test_verify_and_reject_at_once_leave_one_outcome(fresh_app):
    app = fresh_app()
    data = _setup(app)
    verify = lambda s, u, r: svc.verify(s, u, r, "ok", expected_version=data["version"])  # noqa: E731
    reject = lambda s, u, r: svc.reject(s, u, r, "不合格", expected_version=data["version"])  # noqa: E731
    results = _race(app, data, [verify, reject])
    assert sorted(r.split(":")[0] for r in results) == ["changed", "ok"], results
    with app.app_context():
        rect = db.session.get(Rectification, data["rect_id"])
        kinds = db.session.scalars(
            sa.select(RectificationEvent.kind).where(RectificationEvent.rectification_id == rect.id)
        ).all()
        assert (kinds.count("verified"), kinds.count("rejected")) in ((1, 0), (0, 1))
        assert rect.status in ("verified", "rejected")
        assert rect.rejection_count == (1 if rect.status == "rejected" else 0)


def test_second_inspector_on_the_page_sees_that_it_changed(fresh_app):
    app = fresh_app()
    data = _setup(app)
    with app.app_context():
        clients = []
        for username in data["usernames"]:
            c = app.test_client()
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 302
            clients.append(c)
        # Both opened the page at the same version.
        for c in clients:
            page = c.get(f"/rectifications/{data['rect_id']}")
            assert page.status_code == 200
            assert f'value="{data["version"]}"' in page.get_data(as_text=True)
        url = f"/rectifications/{data['rect_id']}/verify"
        first = clients[0].post(url, data={"version": data["version"]})
        assert first.status_code == 302
        second = clients[1].post(
            url, data={"version": data["version"]}, headers={"Accept-Language": "en"}
        )
        assert second.status_code == 409
        assert "has changed in the meantime" in second.get_data(as_text=True)
        rect = db.session.get(Rectification, data["rect_id"])
        assert rect.status == "verified" and rect.verified_by_id == data["inspectors"][0]


def test_two_pages_posting_at_the_same_moment_give_one_success_and_one_409(fresh_app):
    app = fresh_app()
    data = _setup(app)
    with app.app_context():
        clients = []
        for username in data["usernames"]:
            c = app.test_client()
            assert (
                c.post("/login", data={"username": username, "password": PASSWORD}).status_code
                == 302
            )
            c.fetch_csrf_token()
            clients.append(c)
    url = f"/rectifications/{data['rect_id']}/verify"
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    details: list = []
    lock = threading.Lock()

    def post(c):
        with app.app_context():
            token = c._token
            barrier.wait(timeout=10)
            response = c.post(
                url,
                data={"version": data["version"], "csrf_token": token},
                headers={"X-CSRFToken": token},
                csrf=False,
            )
            with lock:
                statuses.append(response.status_code)
                details.append(
                    (
                        response.status_code,
                        response.headers.get("Location"),
                        response.get_data(as_text=True)[-3000:],
                    )
                )

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [302, 409], details
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(RectificationEvent.kind).where(
                RectificationEvent.rectification_id == data["rect_id"]
            )
        ).all()
        assert kinds.count("verified") == 1


# --- the version check decides (PostgreSQL) ---------------------------------------------------
#
# On SQLite one writer at a time holds the database, and a transaction whose snapshot another
# writer overtook cannot write at all ("database is locked", reported as changed): the tests
# above pass there even without the version check. On PostgreSQL (READ COMMITTED) the second
# UPDATE of the row simply succeeds after the first commits, unless its WHERE clause carries the
# version it loaded. These tests show that the version check is what refuses the second one.

SQLITE_REASON = (
    "SQLite refuses the second writer with 'database is locked' whatever the version check; "
    "only PostgreSQL shows that the version check decides"
)


def _two_sessions(app, data):
    """Two independent sessions (each its own connection), both holding the rectification at
    the version the inspectors saw, each with its inspector."""
    sessions = [Session(db.engine), Session(db.engine)]
    loaded = []
    for session, user_id in zip(sessions, data["inspectors"], strict=True):
        rect = session.get(Rectification, data["rect_id"])
        user = session.get(User, user_id)
        assert rect.version == data["version"] and rect.status == "responded"
        loaded.append((session, user, rect))
    return loaded


def _verified_events(app, data) -> list[int | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(RectificationEvent.actor_id).where(
                    RectificationEvent.rectification_id == data["rect_id"],
                    RectificationEvent.kind == "verified",
                )
            )
        )


def test_second_verification_of_the_same_version_is_stale_after_the_first_commits(
    fresh_app, backend
):
    if backend == "sqlite":
        pytest.skip(SQLITE_REASON)
    app = fresh_app()
    data = _setup(app)
    with app.app_context(), app.test_request_context():
        (s1, u1, r1), (s2, u2, r2) = _two_sessions(app, data)
        try:
            svc.verify(s1, u1, r1, "ok", expected_version=data["version"])
            s1.commit()
            # The second inspector still holds version v: only the version in the UPDATE's
            # WHERE clause can tell that the row has moved on.
            assert r2.version == data["version"] and r2.status == "responded"
            with pytest.raises(StaleError) as refused:
                svc.verify(s2, u2, r2, "ok", expected_version=data["version"])
            s2.rollback()
        finally:
            s1.close()
            s2.close()
    assert refused.value.code == "rectification.changed"
    assert status_of(refused.value) == 409
    assert _verified_events(app, data) == [data["inspectors"][0]]
    with app.app_context():
        rect = db.session.get(Rectification, data["rect_id"])
        assert rect.status == "verified" and rect.verified_by_id == data["inspectors"][0]
        assert rect.version == data["version"] + 1


def test_second_verification_waiting_on_the_row_lock_is_stale_when_the_first_commits(
    fresh_app, backend
):
    """Both verify at once: the second UPDATE waits on the first's row lock, and when the first
    commits it finds the row at a new version and matches nothing."""
    if backend == "sqlite":
        pytest.skip(SQLITE_REASON)
    app = fresh_app()
    data = _setup(app)
    outcome: dict = {}

    with app.app_context(), app.test_request_context():
        (s1, u1, r1), (s2, u2, r2) = _two_sessions(app, data)

        def second():
            try:
                svc.verify(s2, u2, r2, "ok", expected_version=data["version"])
                s2.commit()
                outcome["result"] = "ok"
            except StaleError as exc:
                s2.rollback()
                outcome["result"] = exc
            except Exception as exc:  # recorded so the test fails with the reason
                s2.rollback()
                outcome["result"] = f"error:{type(exc).__name__}:{exc}"

        try:
            svc.verify(s1, u1, r1, "ok", expected_version=data["version"])  # holds the row lock
            thread = threading.Thread(target=second)
            thread.start()
            _wait_for_lock_wait(db.engine)
            s1.commit()
            thread.join(timeout=30)
            assert not thread.is_alive()
        finally:
            s1.close()
            s2.close()
    result = outcome.get("result")
    assert isinstance(result, StaleError), result
    assert result.code == "rectification.changed" and status_of(result) == 409
    assert _verified_events(app, data) == [data["inspectors"][0]]


def _wait_for_lock_wait(engine, timeout: float = 10.0) -> None:
    """Wait until some connection waits on a lock (the second UPDATE on the first's row)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second verification never waited on the row lock")


def test_page_whose_write_is_refused_by_the_version_check_answers_409(fresh_app, backend):
    """The second inspector's page loaded the rectification at version v; the first inspector
    verifies and commits just before the page's write reaches the database. The version in the
    UPDATE refuses it: the page answers 409 with the reason, never a 500, and nothing of the
    second verification remains."""
    if backend == "sqlite":
        pytest.skip(SQLITE_REASON)
    app = fresh_app()
    data = _setup(app)
    first_id, second_id = data["inspectors"]
    with app.app_context():
        client = app.test_client()
        response = client.post(
            "/login", data={"username": data["usernames"][1], "password": PASSWORD}
        )
        assert response.status_code == 302

    done = []

    def first_verifies_meanwhile(session, flush_context, instances):
        if done or not any(isinstance(o, Rectification) for o in session.dirty):
            return
        done.append(True)
        with Session(db.engine) as other:
            rect = other.get(Rectification, data["rect_id"])
            svc.verify(other, other.get(User, first_id), rect, "ok", data["version"])
            other.commit()

    with app.app_context():
        sa.event.listen(db.session, "before_flush", first_verifies_meanwhile)
        try:
            response = client.post(
                f"/rectifications/{data['rect_id']}/verify",
                data={"version": data["version"]},
                headers={"Accept-Language": "en"},
            )
        finally:
            sa.event.remove(db.session, "before_flush", first_verifies_meanwhile)
    assert done, "the page never wrote the rectification"
    assert response.status_code == 409, response.get_data(as_text=True)[-2000:]
    assert "has changed in the meantime" in response.get_data(as_text=True)
    assert _verified_events(app, data) == [first_id]
    with app.app_context():
        rect = db.session.get(Rectification, data["rect_id"])
        assert rect.verified_by_id == first_id != second_id
