"""Reading never writes: with the demo loaded (and every registered job run once, so there are
job runs, monthly reports and reminders to look at), every demo role requests every GET route and
no request may INSERT, UPDATE or DELETE a row (nor leave unsaved changes for the unit of work to
discard).

Which URLs are requested, per role:
- every GET route of the URL map without parameters;
- the parameterised routes the access matrix fills with real records (its `FILLED`);
- every parameterised GET route a page links to (the first link found per route and role), so
  detail pages, downloads and the like are reached with the demo's own records, and routes added
  later are covered without editing this file.

Statements are recorded with a `before_cursor_execute` listener on the engine. The session's own
bookkeeping after a request (last-seen time of the sign-in session or API token) is allowed.
The crawl runs once per backend; each GET endpoint is then one test, so an offender is named.
"""

from __future__ import annotations

import html
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from compliance.db import db, utcnow
from compliance.demo import DEMO_USERS, load_demo
from compliance.models import ROLES, ApiToken, User, UserSession
from compliance.scheduler import get_jobs, run_job
from compliance.timeutil import local_today

from .test_access_matrix import FILLED, GET_CASES, _url, _world, sign_in_fast

WRITES = ("INSERT", "UPDATE", "DELETE")

# The session's own bookkeeping, written after the request in a short transaction of its own.
# Only that one column of one row ("[^,]+": a bind parameter, with a type cast on PostgreSQL).
BOOKKEEPING = (
    re.compile(r"^UPDATE user_session SET last_seen_at=[^,]+ WHERE user_session\.id = \S+$"),
    re.compile(r"^UPDATE api_token SET last_used_at=[^,]+ WHERE api_token\.id = \S+$"),
)

# GET endpoints that still write until their package's conversion is merged (the lead removes
# these marks then): endpoint -> why.
NOT_YET_CONVERTED = {}

HREF = re.compile(r"""\bhref="([^"]+)\"""")


@dataclass
class Sweep:
    """What the crawl found: per endpoint, the offending (role, url, statement) and the roles
    that requested it."""

    offences: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    requested: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


_SWEEPS: dict[str, Sweep] = {}


def _is_write(statement: str) -> bool:
    text = " ".join(statement.split())
    if not text.upper().startswith(WRITES):
        return False
    return not any(pattern.match(text) for pattern in BOOKKEEPING)


class _Discarded(logging.Handler):
    """The unit of work's warning about a GET that left unsaved changes (discarded, not
    written, but still a GET that changed state)."""

    def __init__(self, sink) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if "left unsaved changes" in record.getMessage():
            self.sink(record.getMessage())


def _endpoint_of(adapter, url: str) -> tuple[str, dict] | None:
    path = urlsplit(url).path
    try:
        return adapter.match(path, method="GET")
    except RequestRedirect:
        return None
    except HTTPException:  # not found, or not a GET route
        return None


def _links(response) -> list[str]:
    urls = []
    location = response.headers.get("Location")
    if location:
        urls.append(location)
    if response.mimetype == "text/html":
        urls.extend(html.unescape(href) for href in HREF.findall(response.get_data(as_text=True)))
    internal = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        internal.append(url)
    return internal


def demo_users() -> dict[str, User]:
    """One demo user per role."""
    users = {}
    for username, roles, _scope in DEMO_USERS:
        for role in roles:
            if role not in users:
                users[role] = db.session.scalar(sa.select(User).where(User.username == username))
    return users


def start_urls(app, world=None) -> list[str]:
    """Where the crawl starts: every GET route without parameters (and, given a `world`, the
    access matrix's FILLED routes with its records)."""
    return [
        _url(app, case, world if case.endpoint in FILLED else None)
        for case in GET_CASES
        if (not case.params or (world is not None and case.endpoint in FILLED))
        and case.endpoint != "static"
    ]


def walk(app, roles, start: list[str], get):
    """Crawl as each of `roles`: request every URL of `start`, then the first link found to each
    parameterised GET endpoint (per role). `get(role, endpoint, url)` makes the request and returns
    the response. Yields `(role, endpoint, url, response)` for every request made."""
    adapter = app.url_map.bind("localhost")
    for role in roles:
        queue = list(start)
        linked: set[str] = set()  # parameterised endpoints already requested by this role
        while queue:
            url = queue.pop(0)
            matched = _endpoint_of(adapter, url)
            if matched is None:
                continue
            endpoint, _args = matched
            response = get(role, endpoint, url)
            yield role, endpoint, url, response
            for link in _links(response):
                found = _endpoint_of(adapter, link)
                if found is None or found[0] == "static" or not found[1]:
                    continue
                if found[0] not in linked:
                    linked.add(found[0])
                    queue.append(link)


def _crawl(app, world) -> Sweep:
    sweep = Sweep()
    current: dict[str, str] = {}

    def note(statement: str) -> None:
        if current:
            sweep.offences[current["endpoint"]].append((current["role"], current["url"], statement))

    def listener(conn, cursor, statement, parameters, context, executemany):
        if current and _is_write(statement):
            note(" ".join(statement.split()))

    start = start_urls(app, world)
    users = demo_users()
    clients = {}
    for role in ROLES:
        client = app.test_client()
        sign_in_fast(client, users[role])
        clients[role] = client
    # Sessions last seen a while ago: the first request of each role records its activity, so the
    # bookkeeping is exercised (and allowed) as in real use.
    for row in db.session.scalars(sa.select(UserSession)):
        row.last_seen_at -= timedelta(minutes=5)
    db.session.commit()

    handler = _Discarded(note)
    uow_logger = logging.getLogger("compliance.uow")
    uow_logger.addHandler(handler)
    sa.event.listen(db.engine, "before_cursor_execute", listener)

    def get(role: str, endpoint: str, url: str):
        current.update(endpoint=endpoint, role=role, url=url)
        try:
            return clients[role].get(url)
        finally:
            current.clear()
            sweep.requested[endpoint].add(role)

    try:
        for _visit in walk(app, list(clients), start, get):
            pass
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
        uow_logger.removeHandler(handler)
    return sweep


@pytest.fixture
def sweep(backend, request) -> Sweep:
    """The crawl's findings for this backend (crawled once, by the first test that asks, in
    that test's rolled-back transaction)."""
    if backend not in _SWEEPS:
        app = request.getfixturevalue("app")
        load_demo(app, db.session)
        db.session.commit()
        for name in sorted(get_jobs(app)):  # a lived-in demo: job runs, monthly reports, reminders
            run_job(app, name, local_today(), trigger="manual")
        world = _world(
            *(
                request.getfixturevalue(name)
                for name in ("make_site", "make_window", "make_post", "make_staff", "make_user")
            )
        )
        _SWEEPS[backend] = _crawl(app, world)
    return _SWEEPS[backend]


def _param(endpoint: str):
    reason = NOT_YET_CONVERTED.get(endpoint)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(endpoint, marks=marks, id=endpoint)


GET_ENDPOINTS = sorted({case.endpoint for case in GET_CASES} - {"static"})


@pytest.mark.parametrize("endpoint", [_param(e) for e in GET_ENDPOINTS])
def test_a_get_request_writes_nothing(sweep, endpoint):
    offences = sweep.offences.get(endpoint, [])
    assert not offences, f"GET {endpoint} wrote:\n" + "\n".join(
        f"  {role} {url}: {statement}" for role, url, statement in offences
    )


def test_the_crawl_requests_every_page_without_parameters_as_every_role(sweep):
    missing = [
        f"{case.endpoint} ({', '.join(sorted(set(ROLES) - sweep.requested[case.endpoint]))})"
        for case in GET_CASES
        if not case.params and case.endpoint != "static"
        if set(ROLES) - sweep.requested[case.endpoint]
    ]
    assert not missing, "not requested: " + "; ".join(missing)


def test_the_crawl_reaches_detail_pages_through_links(sweep):
    """The demo's records are linked from the lists, so detail pages are requested too."""
    reached = {endpoint for endpoint, roles in sweep.requested.items() if roles}
    for endpoint in ("inspections.finding_detail", "org.staff_detail", "admin.user_edit"):
        assert endpoint in reached, f"{endpoint} was never requested"


def test_only_the_sessions_own_bookkeeping_is_allowed(app):
    def sql(statement) -> str:
        return str(statement.compile(dialect=db.engine.dialect))

    allowed = [
        sa.update(UserSession).where(UserSession.id == 1).values(last_seen_at=utcnow()),
        sa.update(ApiToken).where(ApiToken.id == 1).values(last_used_at=utcnow()),
    ]
    refused = [
        sa.update(UserSession).where(UserSession.id == 1).values(ended_at=utcnow()),
        sa.update(UserSession).values(last_seen_at=utcnow()),
        sa.delete(UserSession).where(UserSession.id == 1),
        sa.insert(ApiToken).values(user_id=1, name="x", token_hash="y"),
    ]
    assert not any(_is_write(sql(s)) for s in allowed)
    assert all(_is_write(sql(s)) for s in refused)
