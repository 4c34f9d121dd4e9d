"""Every demo role, in headless Chromium at 360x740: the dashboard and every page of the main
menu answer without a server error, fit the screen (no sideways scrolling of the whole page:
wide tables scroll inside `.table-wrap` or stack) and log no console errors (a CSP violation
from an inline script or style shows up there)."""

from __future__ import annotations

import pytest

from compliance.db import db
from tests.e2e.browsing import CHROMIUM, chromium_or_skip, serving

DEMO_PASSWORD = "demo-pass-2026"
ROLES = ("admin", "inspector", "hr", "discipline", "staff")
PHONE_WIDTH = 360

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip(
            "browser checks run on SQLite only (the same pages are covered on "
            "PostgreSQL by the request tests)"
        )
    chromium_or_skip()
    from compliance.demo import load_demo

    app = fresh_app()
    with app.app_context():
        load_demo(app, db.session)
        db.session.commit()
    with serving(app) as base:
        yield base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _check_role(browser, base: str, username: str) -> tuple[list[str], list[str]]:
    """Sign in as `username` on a phone; return (pages visited, problems found)."""
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    problems: list[str] = []
    visited: list[str] = []
    try:
        page.goto(base + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        menu = page.eval_on_selector_all(
            "nav.mainnav a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert "/dashboard" in menu, f"{username}: the menu has no dashboard link"
        for href in menu:
            console.clear()
            response = page.goto(base + href)
            visited.append(href)
            if response is None or response.status >= 400:
                problems.append(f"{username} {href}: HTTP {response.status if response else '?'}")
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH:
                problems.append(
                    f"{username} {href}: page is {width}px wide on a {PHONE_WIDTH}px screen"
                )
            problems.extend(f"{username} {href}: console error: {text}" for text in console)
    finally:
        context.close()
    return visited, problems


def test_every_role_menu_fits_a_phone_without_console_errors(demo_server, browser):
    problems: list[str] = []
    pages = 0
    for username in ROLES:
        visited, found = _check_role(browser, demo_server, username)
        assert len(visited) >= 3, f"{username} sees only {visited}"
        pages += len(visited)
        problems.extend(found)
    assert pages >= 30
    assert not problems, "\n".join(problems)
