"""The discipline officer on a phone (headless Chromium, 360x740, demo data): an integrity case,
a complaint with its callbacks, the complaint form, the 好差评 import and the counts by check item
answer, fit the screen and log no console errors; the complaint form shows only the field for
what the complaint is about."""

from __future__ import annotations

import pytest

from tests.e2e.test_phone_layout import (  # noqa: F401  (the demo server and browser fixtures)
    DEMO_PASSWORD,
    PHONE_WIDTH,
    browser,
    demo_server,
)

pytestmark = pytest.mark.browser


def test_discipline_pages_fit_a_phone_and_the_complaint_form_follows_its_subject(
    demo_server,  # noqa: F811
    browser,  # noqa: F811
):
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
    try:
        page.goto(demo_server + "/login")
        page.fill("input[name=username]", "discipline")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard")
        page.goto(demo_server + "/integrity/cases")
        case_href = page.get_attribute("table.list a[href^='/integrity/cases/']", "href")
        page.goto(demo_server + "/complaints?status=closed")
        complaint_href = page.get_attribute("table.list a[href^='/complaints/']", "href")
        for href in (
            case_href,
            complaint_href,
            "/complaints/new",
            "/complaints/import",
            "/complaints/by-item",
            "/complaints/categories",
            "/integrity/cases",
        ):
            console.clear()
            response = page.goto(demo_server + href)
            if response is None or response.status >= 400:
                problems.append(f"{href}: HTTP {response.status if response else '?'}")
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE_WIDTH:
                problems.append(f"{href}: page is {width}px wide on a {PHONE_WIDTH}px screen")
            problems.extend(f"{href}: console error: {text}" for text in console)
        # The form: a complaint about a window shows the window field, not the staff one.
        page.goto(demo_server + "/complaints/new?kind=complaint")
        assert page.is_visible("select[name=staff_member]")
        assert not page.is_visible("select[name=window]")
        page.check("input[name=subject][value=window]")
        assert page.is_visible("select[name=window]")
        assert not page.is_visible("select[name=staff_member]")
        page.select_option("select[name=kind]", "commendation")
        assert not page.is_visible("select[name=category]")
        assert page.is_visible("select[name=staff_member]")
    finally:
        context.close()
    assert case_href and complaint_href
    assert not problems, "\n".join(problems)
