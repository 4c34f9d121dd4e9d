"""Access matrix: every route x every role -> expected status, built from `app.url_map` so that
routes added later are covered without editing this file.

Rules checked for every (route, method):
- anonymous: pages redirect to /login, the JSON API answers 401 JSON; only the routes in PUBLIC
  are reachable without signing in;
- a signed-in role missing from the view's `required_roles` (set by `compliance.access.roles_required`)
  gets 403, never a redirect;
- an allowed role gets 200 on a GET without URL parameters, 404 on a GET whose parameters name a
  record that does not exist, and 200 on the routes in FILLED whose parameters name real records.
  Writes (POST/PUT/PATCH/DELETE) are only checked for anonymous and forbidden roles.
Explicit rows for the core routes and out-of-scope objects (-> 404) follow.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

from compliance import create_app
from compliance.audit import record
from compliance.db import db
from compliance.models import ROLES

ALL_ROLES = ROLES  # admin, inspector, hr, discipline, staff
ANON = "anonymous"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MISSING_ID = 987654

# Reachable without signing in, and why.
PUBLIC = {
    "static": "stylesheets and scripts",
    "auth.login": "the sign-in page",
    "auth.logout": "signing out when already signed out just goes to the sign-in page",
    "auth.set_language": "choosing the language on the sign-in page",
    "main.healthz": "load balancer health check",
    "main.index": "redirects to the sign-in page or the dashboard",
    "api-docs.openapi_json": "the API description is public",
    "inspections.draw_public_page_list": "published spot-check draws (一公开) are public",
    "inspections.draw_public_page": "a published draw (一公开) at a stable address, names masked; "
    "unpublished or unknown draws answer 404",
    "pwa.manifest": "the web app manifest (browsers fetch it without cookies)",
    "pwa.service_worker": "the service worker script (no personal data)",
    "pwa.offline": "the page shown offline (no personal data)",
}

# The roles every page and API method allows come from its `roles_required` decorator. Only rules
# that depend on the object are listed here: endpoint -> the roles that may read it.
OBJECT_RULES: dict[str, set[str]] = {
    # Declared for every role because window staff are redirected to their own record; other
    # people's records are for training readers only.
    "training.staff_record": {"hr", "discipline", "admin"},
}

# Views that answer an allowed role's plain GET with something other than 200, and why.
EXPECTED_GET: dict[str, int] = {
    "main.index": 302,  # a signed-in user is sent to the dashboard
    "org.staff_lookup": 422,  # the staff lookup needs `q` (what was typed)
}

# A disallowed role that must get 404 rather than 403 (the existence of the object is not
# revealed): endpoint -> status.
FORBIDDEN_STATUS: dict[str, int] = {}


@dataclass(frozen=True)
class Case:
    rule: str
    endpoint: str
    method: str
    params: tuple[tuple[str, str], ...] = field(default=())

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")


def _collect() -> list[Case]:
    collector = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "matrix",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "INSTANCE_PATH": tempfile.gettempdir(),
        }
    )
    cases = []
    for rule in sorted(collector.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        params = []
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                params.append((name, "int"))
            elif isinstance(converter, UUIDConverter):
                params.append((name, "uuid"))
            elif isinstance(converter, AnyConverter):
                params.append((name, "any:" + sorted(converter.items)[0]))
            else:
                params.append((name, "str"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append(Case(rule.rule, rule.endpoint, method, tuple(params)))
    return cases


CASES = _collect()
GET_CASES = [c for c in CASES if c.method == "GET"]


def _case_id(case: Case) -> str:
    return f"{case.method} {case.rule}"


def required_roles(app, case: Case) -> set[str] | None:
    """The roles a view demands (None: any signed-in user, or public)."""
    view = app.view_functions[case.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, case.method.lower(), None)
        roles = getattr(handler, "required_roles", None)
    else:
        roles = getattr(view, "required_roles", None)
    if case.endpoint in OBJECT_RULES:
        inner = OBJECT_RULES[case.endpoint]
        roles = inner if roles is None else set(roles) & inner
    return set(roles) if roles is not None else None


@dataclass
class World:
    """Records the FILLED routes point at, created in the test's transaction."""

    values: dict[str, dict[str, object]]


def _world(make_site, make_window, make_post, make_staff, make_user) -> World:
    site = make_site()
    window = make_window(site=site)
    post = make_post()
    member = make_staff(site=site, post=post, window=window)
    target = make_user(roles=("inspector",))
    event = record(
        db.session,
        None,
        "matrix.check",
        entity_type="Site",
        entity_id=site.id,
        after={"code": site.code},
    )
    db.session.commit()
    return World(
        {
            "admin.user_edit": {"user_id": target.id},
            "audit.event": {"event_id": event.id},
            "org.site_edit": {"site_id": site.id},
            "org.window_edit": {"window_id": window.id},
            "org.post_edit": {"post_id": post.id},
            "org.staff_detail": {"staff_id": member.id},
            "org.staff_edit": {"staff_id": member.id},
        }
    )


# Routes whose parameters are filled with real records (expected 200 for allowed roles).
FILLED = {
    "admin.user_edit",
    "audit.event",
    "org.site_edit",
    "org.window_edit",
    "org.post_edit",
    "org.staff_detail",
    "org.staff_edit",
}


def _url(app, case: Case, world: World | None) -> str:
    values: dict[str, object] = {}
    filled = world.values.get(case.endpoint, {}) if world else {}
    for name, kind in case.params:
        if name in filled:
            values[name] = filled[name]
        elif kind == "int":
            values[name] = MISSING_ID
        elif kind == "uuid":
            values[name] = uuid.UUID(int=MISSING_ID)
        elif kind.startswith("any:"):
            values[name] = kind[4:]
        else:
            values[name] = "missing"
    if case.endpoint == "static":
        values = {"filename": "app.css"}
    rule = next(
        r for r in app.url_map.iter_rules() if r.rule == case.rule and r.endpoint == case.endpoint
    )
    return rule.build(values)[1]


def sign_in_fast(client, user) -> None:
    """Start a server-side session for `user` and put its token in the client's cookie, as the
    sign-in page does (without spending a password check per request of the matrix)."""
    from compliance.auth.security import start_session

    token = start_session(db.session, user, "127.0.0.1", "pytest")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


@pytest.fixture
def signed_in(app, make_user, make_staff):
    """signed_in(role) -> a client signed in as a new user with that single role, all sites.
    A staff user is linked to a staff member, as real window staff are."""

    def make(role: str, sites=None):
        staff_member = make_staff() if role == "staff" else None
        user = make_user(roles=(role,), staff_member=staff_member, sites=sites)
        client = app.test_client()
        sign_in_fast(client, user)
        client.user = user
        return client

    return make


def _request(client, case: Case, url: str):
    if case.method == "GET":
        return client.get(url)
    kwargs = {"json": {}} if case.is_api else {"data": {}}
    return client.open(url, method=case.method, **kwargs)


def _assert_anonymous_refused(case: Case, response) -> None:
    if case.is_api:
        assert response.status_code == 401, f"{_case_id(case)} anonymous -> {response.status_code}"
        assert response.is_json and response.json["code"] == "unauthorized"
    else:
        assert response.status_code == 302, f"{_case_id(case)} anonymous -> {response.status_code}"
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("case", [c for c in CASES if c.endpoint not in PUBLIC], ids=_case_id)
def test_anonymous_is_sent_to_sign_in(app, client, case):
    response = _request(client, case, _url(app, case, None))
    _assert_anonymous_refused(case, response)


@pytest.mark.parametrize("case", [c for c in CASES if c.endpoint not in PUBLIC], ids=_case_id)
def test_role_matrix(
    app, signed_in, make_site, make_window, make_post, make_staff, make_user, case
):
    """One row of the matrix: the route as each of the five roles."""
    roles = required_roles(app, case)
    world = (
        _world(make_site, make_window, make_post, make_staff, make_user)
        if case.endpoint in FILLED
        else None
    )
    url = _url(app, case, world)
    wrong = []
    for role in ALL_ROLES:
        allowed = roles is None or role in roles
        if allowed and case.method in WRITE_METHODS:
            continue  # writes by allowed roles are tested by each feature's own tests
        response = _request(signed_in(role), case, url)
        status = response.status_code
        if not allowed:
            expected = {FORBIDDEN_STATUS.get(case.endpoint, 403)}
            if case.endpoint in OBJECT_RULES and case.params and case.endpoint not in FILLED:
                # An object rule runs after the record was looked up (404 when missing).
                expected.add(404)
        elif case.endpoint in FILLED or not case.params:
            expected = {EXPECTED_GET.get(case.endpoint, 200)}
        else:
            expected = {404}  # the parameters name records that do not exist
        if status not in expected:
            wrong.append(
                f"{role}: expected {' or '.join(map(str, sorted(expected)))}, got {status}"
            )
        elif case.is_api and status >= 400:
            if not (response.is_json and response.json.get("status") == status):
                wrong.append(f"{role}: {status} is not a JSON error")
    required = sorted(roles) if roles is not None else "any signed-in user"
    assert not wrong, f"{_case_id(case)} (roles: {required}): " + "; ".join(wrong)


def test_every_non_public_route_is_role_checked_or_login_protected(app, client):
    """A route without `required_roles` must still refuse anonymous users (login_required or the
    API guard); only PUBLIC routes are open."""
    open_routes = []
    for case in CASES:
        if case.endpoint in PUBLIC or required_roles(app, case):
            continue
        response = _request(client, case, _url(app, case, None))
        refused = (
            response.status_code == 401
            if case.is_api
            else response.status_code == 302 and "/login" in response.headers.get("Location", "")
        )
        if not refused:
            open_routes.append(f"{_case_id(case)} -> {response.status_code}")
    assert not open_routes, "routes reachable without signing in: " + ", ".join(open_routes)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.endpoint in PUBLIC and c.method == "GET"], ids=_case_id
)
def test_public_routes_need_no_sign_in(app, client, case):
    response = client.get(_url(app, case, None))
    # A public page of a record answers 404 for a record that does not exist (never a sign-in).
    assert response.status_code in ((200, 302, 404) if case.params else (200, 302))
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


# Explicit rows for the core routes: (method, path, role or None, expected status).
CORE_ROWS: list[tuple[str, str, str | None, int]] = [
    ("GET", "/login", None, 200),
    ("GET", "/healthz", None, 200),
    ("GET", "/api/v1/openapi.json", None, 200),
    ("GET", "/", None, 302),
    ("GET", "/dashboard", None, 302),
    ("GET", "/account", None, 302),
    ("GET", "/admin/users", None, 302),
    ("GET", "/audit", None, 302),
    ("GET", "/api/v1/users/me", None, 401),
    ("GET", "/api/v1/nowhere", None, 401),
    *[("GET", "/dashboard", r, 200) for r in ALL_ROLES],
    *[("GET", "/account", r, 200) for r in ALL_ROLES],
    *[("GET", "/account/tokens", r, 200) for r in ALL_ROLES],
    *[("GET", "/api/v1/users/me", r, 200) for r in ALL_ROLES],
    *[("GET", "/admin/users", r, 200 if r == "admin" else 403) for r in ALL_ROLES],
    *[("GET", "/admin/users/new", r, 200 if r == "admin" else 403) for r in ALL_ROLES],
    *[("GET", "/admin/tokens", r, 200 if r == "admin" else 403) for r in ALL_ROLES],
    *[("GET", "/api/v1/users", r, 200 if r == "admin" else 403) for r in ALL_ROLES],
    *[("GET", "/audit", r, 200 if r in ("admin", "discipline") else 403) for r in ALL_ROLES],
    *[("POST", "/audit/verify", r, 302 if r == "admin" else 403) for r in ALL_ROLES],
    ("GET", "/admin/users/987654", "admin", 404),
    ("GET", "/audit/987654", "discipline", 404),
    ("GET", "/api/v1/nowhere", "staff", 404),
]


@pytest.mark.parametrize(
    "method,path,role,expected", CORE_ROWS, ids=[f"{m} {p} {r or ANON}" for m, p, r, _ in CORE_ROWS]
)
def test_core_routes(client, signed_in, method, path, role, expected):
    c = signed_in(role) if role else client
    response = c.open(path, method=method)
    assert response.status_code == expected
    if path.startswith("/api/v1/") and path != "/api/v1/openapi.json":
        assert response.is_json
        if expected >= 400:
            assert response.json["status"] == expected


# Out-of-scope objects: a user limited to site A opening a site-B record gets 404.
@pytest.fixture
def two_sites(make_site, make_window, make_staff, make_user, login, app):
    site_a, site_b = make_site(), make_site()
    window_b = make_window(site=site_b)
    staff_a, staff_b = make_staff(site=site_a), make_staff(site=site_b)
    event_a = record(db.session, None, "staff.update", staff_a)
    event_b = record(db.session, None, "staff.update", staff_b)
    db.session.commit()

    def client(role: str):
        user = make_user(roles=(role,), sites=[site_a])
        c = app.test_client()
        login(c, user)
        return c

    return {
        "client": client,
        "staff_a": staff_a,
        "staff_b": staff_b,
        "window_b": window_b,
        "event_a": event_a,
        "event_b": event_b,
        "site_b": site_b,
    }


SCOPE_ROWS: list[tuple[str, str, str, str, int]] = [
    # role, URL template, object key, expected
    ("discipline", "/audit/{id}", "event_b", 404),
    ("discipline", "/audit/{id}", "event_a", 200),
    ("inspector", "/org/staff/{id}", "staff_b", 404),
    ("inspector", "/org/staff/{id}", "staff_a", 200),
    ("hr", "/org/staff/{id}/edit", "staff_b", 404),
    ("inspector", "/api/v1/staff/{id}", "staff_b", 404),
    ("inspector", "/api/v1/staff/{id}", "staff_a", 200),
    ("inspector", "/api/v1/windows/{id}", "window_b", 404),
    ("inspector", "/api/v1/sites/{id}", "site_b", 404),
]


@pytest.mark.parametrize(
    "role,template,key,expected",
    SCOPE_ROWS,
    ids=[f"{r} {t.format(id=k)}" for r, t, k, _ in SCOPE_ROWS],
)
def test_out_of_scope_objects_are_not_found(app, two_sites, role, template, key, expected):
    c = two_sites["client"](role)
    url = template.format(id=two_sites[key].id)
    response = c.get(url)
    assert response.status_code == expected, url
    if url.startswith("/api/") and expected == 404:
        assert response.is_json and response.json["status"] == 404
