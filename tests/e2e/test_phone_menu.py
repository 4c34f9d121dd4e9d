"""Every demo role, in headless Chromium at 360x740: the daily entries are on screen in the
bottom bar without scrolling, every other menu entry is one tap away under "More" and on screen
once it is open, every target is at least 40 px, and on a desktop the full menu row is back."""

from __future__ import annotations

import os
import shutil

import pytest

from compliance.db import db
from tests.e2e.browsing import CHROMIUM, serving

DEMO_PASSWORD = "demo-pass-2026"
ROLES = ("admin", "inspector", "hr", "discipline", "leader", "staff")

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip("browser checks run on SQLite only")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
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
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _on_screen(box, width=360, height=740) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 0.5
        and box["y"] + box["height"] <= height + 0.5
    )


def test_every_menu_entry_is_on_screen_or_one_tap_away_on_a_phone(demo_server, browser):
    problems = []
    for username in ROLES:
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(demo_server + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        everything = page.eval_on_selector_all(
            "nav.mainnav a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert page.locator("nav.mainnav").is_hidden(), "the desktop row shows on a phone"
        bar = page.locator("nav.tabbar > a")
        seen = []
        for i in range(bar.count()):
            box = bar.nth(i).bounding_box()
            seen.append(bar.nth(i).get_attribute("href"))
            if not _on_screen(box) or box["height"] < 40 or box["width"] < 40:
                problems.append(f"{username}: bar entry {seen[-1]} at {box}")
        if bar.count() < 2:
            problems.append(f"{username}: only {bar.count()} entries in the bar")
        more = page.locator("nav.tabbar details.navmore > summary")
        if more.count():
            more.click()  # one tap
            sheet = page.locator("nav.tabbar details.navmore .sheet a")
            for i in range(sheet.count()):
                link = sheet.nth(i)
                link.scroll_into_view_if_needed()
                box = link.bounding_box()
                seen.append(link.get_attribute("href"))
                if not _on_screen(box) or box["height"] < 40:
                    problems.append(f"{username}: More entry {seen[-1]} at {box}")
            page.keyboard.press("Escape")
            if page.locator("nav.tabbar details.navmore[open]").count():
                problems.append(f"{username}: Escape does not close More")
        if sorted(seen) != sorted(everything):
            problems.append(f"{username}: phone menu {sorted(seen)} != {sorted(everything)}")
        # a tap on a bar entry goes there
        bar.nth(1).click()
        page.wait_for_load_state()
        if page.locator("nav.tabbar > a.active").count() != 1:
            problems.append(f"{username}: the current entry is not marked in the bar")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 360:
            problems.append(f"{username}: page {page.url} is {width}px wide")
        page.set_viewport_size({"width": 1280, "height": 800})
        if not page.locator("nav.mainnav").is_visible() or page.locator("nav.tabbar").is_visible():
            problems.append(f"{username}: a desktop does not get the menu row")
        context.close()
    assert not problems, "\n".join(problems)
