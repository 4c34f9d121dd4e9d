"""Shared fixtures.

The whole suite runs once per database backend: `sqlite` always, `postgres` when
TEST_DATABASE_URL is set (each run gets its own throw-away PostgreSQL database). Every test runs
inside a transaction that is rolled back; views' commits only release a SAVEPOINT.
"""

from __future__ import annotations

import contextvars
import itertools
import os
import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FsaSession
from sqlalchemy.orm import scoped_session, sessionmaker

from compliance import create_app
from compliance.db import db

TEST_PASSWORD = "correct-horse-42"
BACKENDS = ["sqlite", "postgres"]


def pg_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


class _BoundSession(FsaSession):
    """Flask-SQLAlchemy's session, but honouring an explicit connection bind (for tests)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


class _TestScopedSession(scoped_session):
    def remove(self):
        # What a request did not commit is dropped, as in production; committed work stays in
        # the test's outer transaction.
        if self.registry.has():
            self.registry().rollback()


class CsrfClient(FlaskClient):
    """Test client: each request runs in a fresh context (so `g` never leaks between requests)
    and unsafe requests carry a valid CSRF token unless `csrf=False` is passed."""

    _token: str | None = None

    def fetch_csrf_token(self) -> str:
        response = contextvars.Context().run(super().open, "/csrf-probe", method="GET")
        match = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
        assert match, "no CSRF token on the probe page"
        self._token = match.group(1)
        return self._token

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            token = self.fetch_csrf_token()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
            data = kwargs.get("data")
            if isinstance(data, dict) and "csrf_token" not in data:
                data = dict(data)
                data["csrf_token"] = token
                kwargs["data"] = data
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if db.session.registry.has():
            db.session.expire_all()
        return response


def _make_database(backend: str, tmp_path_factory) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        return f"sqlite:///{path}", lambda: None
    url = pg_url()
    if not url:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (set by .ci/run)")
    base = sa.make_url(url)
    name = f"cmp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc.orig}")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def make_test_app(url: str, tmp_path, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "REPORTS_FOLDER": str(tmp_path / "reports"),
        "PASSWORD_HASH_METHOD": "argon2id:256:1:1",
        "AUDIT_KEY": "test-audit-key",
        # Checkpoints outside the database would outlive each test's rolled-back transaction;
        # tests of checkpoints give a folder to an app with real commits (fresh_app).
        "AUDIT_CHECKPOINT_DIR": "",
        "SERVER_NAME": None,
        # Fixtures insert rows directly, without the audit events that renew remembered
        # figures; tests/core/test_memo.py turns the memo on.
        "FIGURE_MEMO_SECONDS": 0,
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = CsrfClient

    @app.route("/csrf-probe")
    def _csrf_probe():
        from flask import render_template_string

        return render_template_string('<meta name="csrf-token" content="{{ csrf_token() }}">')

    return app


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def _app(backend, tmp_path_factory):
    url, drop = _make_database(backend, tmp_path_factory)
    app = make_test_app(url, tmp_path_factory.mktemp("app"))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop()


@pytest.fixture
def app(_app):
    """The app with a per-test transaction that is rolled back afterwards."""
    with _app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        factory = sessionmaker(
            db=db,
            class_=_BoundSession,
            bind=connection,
            join_transaction_mode="create_savepoint",
            query_cls=db.Query,
        )
        db.session = _TestScopedSession(factory, scopefunc=lambda: "test")
        try:
            yield _app
        finally:
            db.session.registry().close()
            db.session = original
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def fresh_app(backend, tmp_path_factory):
    """A factory for apps on their own empty database, with real commits (for concurrency
    tests and migration tests). Each database is dropped at the end of the test."""
    drops = []
    apps = []

    def make(create_schema: bool = True, **extra):
        url, drop = _make_database(backend, tmp_path_factory)
        drops.append(drop)
        new_app = make_test_app(url, tmp_path_factory.mktemp("fresh"), **extra)
        if create_schema:
            with new_app.app_context():
                db.create_all()
        apps.append(new_app)
        return new_app

    yield make
    for a in apps:
        with a.app_context():
            db.session.remove()
            db.engine.dispose()
    for drop in drops:
        drop()


_counter = itertools.count(1)


@pytest.fixture
def make_site(app):
    from compliance.models import Site

    def make(code=None, name=None, kind="centre", parent=None, **kw):
        n = next(_counter)
        site = Site(
            code=code or f"S{n}", name=name or f"测试场所{n}", kind=kind, parent=parent, **kw
        )
        db.session.add(site)
        db.session.commit()
        return site

    return make


@pytest.fixture
def make_window(app, make_site):
    from compliance.models import Window

    def make(site=None, code=None, name=None, **kw):
        n = next(_counter)
        window = Window(
            site=site or make_site(), code=code or f"W{n}", name=name or f"窗口{n}", **kw
        )
        db.session.add(window)
        db.session.commit()
        return window

    return make


@pytest.fixture
def make_post(app):
    from compliance.models import Post

    def make(code=None, name=None, is_key=False, **kw):
        n = next(_counter)
        post = Post(code=code or f"P{n}", name=name or f"岗位{n}", is_key=is_key, **kw)
        db.session.add(post)
        db.session.commit()
        return post

    return make


@pytest.fixture
def make_staff(app, make_site, make_post):
    """make_staff(site=..., post=..., window=..., hired_on=..., started_on=...) -> StaffMember with
    a current assignment (unless assign=False)."""
    from compliance.models import Assignment, StaffMember

    def make(
        site=None,
        post=None,
        window=None,
        name=None,
        hired_on=None,
        started_on=None,
        assign=True,
        status="active",
        **kw,
    ):
        n = next(_counter)
        if site is None:
            site = window.site if window is not None else make_site()
        member = StaffMember(
            staff_no=f"T{n:05d}",
            name=name or f"员工{n}",
            site=site,
            hired_on=hired_on or date.today() - timedelta(days=400),
            status=status,
            **kw,
        )
        db.session.add(member)
        db.session.flush()
        if assign:
            db.session.add(
                Assignment(
                    staff_member=member,
                    post=post or make_post(),
                    site=site,
                    window=window,
                    started_on=started_on or member.hired_on,
                )
            )
        db.session.commit()
        return member

    return make


@pytest.fixture
def make_user(app):
    """make_user(roles=("inspector",), sites=[site] | None for all, staff_member=None)."""
    from compliance.accounts import create_user

    def make(
        roles=("staff",), sites=None, username=None, staff_member=None, password=TEST_PASSWORD, **kw
    ):
        n = next(_counter)
        user = create_user(
            db.session,
            None,
            username=username or f"user{n}",
            display_name=kw.pop("display_name", f"用户{n}"),
            roles=list(roles),
            password=password,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_ids=[s.id for s in sites] if sites else [],
            all_sites=sites is None,
            staff_member_id=staff_member.id if staff_member is not None else None,
            **kw,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(app):
    """login(client, user, password=TEST_PASSWORD) signs the client in (asserts success)."""

    def do(client, user, password=TEST_PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert "/login" not in response.headers["Location"]
        return client

    return do


@pytest.fixture
def client_for(app, make_user, login):
    """client_for(*roles, sites=None) -> a signed-in client for a new user with those roles."""

    def make(*roles, sites=None, **kw):
        user = make_user(roles=roles or ("staff",), sites=sites, **kw)
        c = app.test_client()
        login(c, user)
        c.user = user
        return c

    return make
