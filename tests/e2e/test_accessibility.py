"""axe-core on every page of every demo role, in headless Chromium at 360x740 (a phone).

Which pages: the crawl of `tests/core/test_get_never_writes.py` (every GET route without
parameters, then the first link to each parameterised route, so detail pages are opened with the
demo's own records), run in-process as one demo account per role on a lived-in demo (every job run
once, and the inspector has an open patrol round with a failure, so the round page with its ✗
buttons is opened too), and signed out (the sign-in page, the public spot-check draws). Of what it
requested, the HTML pages that answered 200 are opened in the browser; downloads, JSON and
redirects are left out.

Each role signs in once through the sign-in form (one browser, one context per role) and axe-core
(bundled with axe-playwright-python: its default rules and the experimental ones that can be
serious) runs on each page. The test fails listing every serious or critical violation: rule, page
and the selectors of every offending element; a page wider than the phone is listed too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from compliance.db import db
from compliance.demo import load_demo
from compliance.models import ROLES, Site, User, Window
from compliance.scheduler import get_jobs, run_job
from compliance.timeutil import local_today
from inspections.models import CheckItem
from inspections.services.rounds import Target, record_failure, start_round
from tests.core.test_access_matrix import sign_in_fast
from tests.core.test_get_never_writes import demo_users, start_urls, walk
from tests.e2e.browsing import chromium_or_skip, serving
from tests.e2e.test_phone_layout import (  # noqa: F401  (the browser fixture)
    DEMO_PASSWORD,
    PHONE_WIDTH,
    browser,
)

pytestmark = pytest.mark.browser

ANONYMOUS = "anonymous"
BLOCKING = ("serious", "critical")
# axe-core's default rules plus its experimental ones that can be serious or critical
# (label-content-name-mismatch among them: a button's accessible name must contain its visible
# text; td-has-header: every data cell of a table has a column header).
EXPERIMENTAL = (
    "css-orientation-lock",
    "label-content-name-mismatch",
    "p-as-heading",
    "table-fake-caption",
    "td-has-header",
)
AXE_RUN = "options => axe.run(document, options).then(results => results.violations)"
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {rule: {"enabled": True} for rule in EXPERIMENTAL},
}


def _pages(app, extra: list[str]) -> dict[str, tuple[str | None, list[str]]]:
    """Per role (and signed out): (the demo username, the HTML pages it reads with a 200)."""
    with app.app_context():
        users = demo_users()
        usernames = {role: users[role].username for role in ROLES}
        clients = {ANONYMOUS: app.test_client()}
        for role in ROLES:
            clients[role] = app.test_client()
            sign_in_fast(clients[role], users[role])
        pages: dict[str, list[str]] = defaultdict(list)

        def get(role, _endpoint, url):
            return clients[role].get(url)

        for role, _endpoint, url, response in walk(
            app, list(clients), start_urls(app) + extra, get
        ):
            if (
                response.status_code == 200
                and response.mimetype == "text/html"
                and not url.startswith("/api/")
                and url not in pages[role]
            ):
                pages[role].append(url)
        db.session.remove()
    return {role: (usernames.get(role), pages[role]) for role in clients}


def _open_round() -> str:
    """The inspector's unfinished patrol round with one failure marked (the ✗ buttons and the
    failures list of the round page); returns its URL, where the crawl starts too."""
    inspector = db.session.scalar(sa.select(User).where(User.username == "inspector"))
    window = db.session.scalars(
        sa.select(Window).join(Site).where(Site.code == "DM").order_by(Window.code)
    ).first()
    item = db.session.scalars(
        sa.select(CheckItem)
        .where(CheckItem.target == "window", CheckItem.is_active.is_(True))
        .order_by(CheckItem.code)
    ).first()
    round_ = start_round(db.session, inspector, window.site)
    record_failure(
        db.session,
        inspector,
        round_,
        target=Target("window", window.id),
        item_code=item.code,
        reason="地面有积水",
    )
    return f"/rounds/{round_.uuid}"


@pytest.fixture
def lived_in_demo(backend, fresh_app):
    """(app, base URL of a live server, [URLs to start the crawl at as well]) on the demo with
    every job run once and an open patrol round."""
    if backend != "sqlite":
        pytest.skip(
            "browser checks run on SQLite only (the markup does not depend on the database)"
        )
    chromium_or_skip()
    pytest.importorskip(
        "axe_playwright_python", reason="axe-playwright-python (axe-core) is not installed"
    )
    app = fresh_app()
    with app.app_context():
        load_demo(app, db.session)
        db.session.commit()
        for name in sorted(get_jobs(app)):  # job runs, monthly reports, reminders to look at
            run_job(app, name, local_today(), trigger="manual")
        round_url = _open_round()
        db.session.commit()
        db.session.remove()
    with serving(app) as base:
        yield app, base, [round_url]


def _run_axe(page) -> list[dict]:
    for attempt in range(3):
        try:
            return page.evaluate(AXE_RUN, AXE_OPTIONS)
        except Exception:  # a page that reloaded itself while axe ran (progress pages)
            if attempt == 2:
                raise
            page.wait_for_load_state("load")
    return []


def _check(chromium, base: str, role: str, username: str | None, urls: list[str]):
    """Open each page as `role`; return [(rule, impact, url, targets)] for blocking violations
    (and the pages wider than the phone, as the rule "reflow")."""
    import axe_playwright_python

    context = chromium.new_context(
        viewport={"width": PHONE_WIDTH, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        service_workers="block",
    )
    # axe-core as bundled by axe-playwright-python, loaded into each page once, before its scripts.
    context.add_init_script(path=str(Path(axe_playwright_python.__file__).with_name("axe.min.js")))
    page = context.new_page()
    page.set_default_timeout(20000)
    found = []
    try:
        if username is not None:
            page.goto(base + "/login")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")
        for url in urls:
            response = page.goto(base + url)
            assert response is not None and response.status == 200, (
                f"{role} {url}: HTTP {response.status if response else '?'} in the browser"
            )
            for violation in _run_axe(page):
                if violation["impact"] in BLOCKING:
                    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                    found.append((violation["id"], violation["impact"], url, targets))
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH:
                found.append(("reflow", "serious", url, [f"the page is {width}px wide"]))
    finally:
        context.close()
    return found


def test_axe_finds_no_serious_or_critical_violation_on_any_page_of_any_role(
    lived_in_demo,
    browser,  # noqa: F811  (the fixture)
):
    app, base, extra = lived_in_demo
    started = time.monotonic()
    pages = _pages(app, extra)
    assert len(pages[ANONYMOUS][1]) >= 2, f"signed out: only {pages[ANONYMOUS][1]}"
    for role in ROLES:
        assert len(pages[role][1]) >= 5, f"{role} reads only {pages[role][1]}"
    assert extra[0] in pages["inspector"][1], "the round page was not opened"

    found = []
    for role, (username, urls) in pages.items():
        found += [(role, *v) for v in _check(browser, base, role, username, urls)]

    opened = sum(len(urls) for _u, urls in pages.values())
    for role, (_username, urls) in pages.items():
        print(f"{role}: {' '.join(urls)}")
    print(f"\naxe-core: {opened} pages in {time.monotonic() - started:.0f} s")
    by_rule: dict[tuple[str, str], list[str]] = defaultdict(list)
    for role, rule, impact, url, targets in found:
        by_rule[(rule, impact)].append(f"  {role} {url}: {', '.join(targets)}")
    report = [
        f"{rule} ({impact}) on {len(lines)} pages:\n" + "\n".join(lines)
        for (rule, impact), lines in sorted(by_rule.items())
    ]
    assert not found, f"{len(found)} serious/critical violations on {opened} pages:\n" + "\n".join(
        report
    )
