"""Two drawn inspectors sign one spot check on their phones (360x740, headless Chromium): the first
opens it, records a failure and signs; the check stays open; the second sees what the first
recorded, confirms it and signs; only then is it submitted. The published draw of the demo is
readable without signing in, with names masked. No page scrolls sideways."""

from __future__ import annotations

import re

import pytest
from test_phone_layout import DEMO_PASSWORD, PHONE_WIDTH, browser, demo_server  # noqa: F401

pytestmark = pytest.mark.browser


def _phone(browser, locale="zh-CN"):  # noqa: F811
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return context, page


def _sign_in(page, base, username):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide"


def test_two_inspectors_sign_one_spot_check_on_their_phones(demo_server, browser):  # noqa: F811
    base = demo_server
    context, page = _phone(browser)
    try:
        _sign_in(page, base, "inspector")
        # The dashboard lists the spot checks drawn for this inspector.
        link = page.locator("a[href^='/rounds/']").first
        uuid = link.get_attribute("href").rsplit("/", 1)[-1]
        link.click()
        page.wait_for_url(f"**/spot-checks/{uuid}")
        _fits(page)
        assert "开始抽查" in page.content()
        page.click("button:has-text('开始抽查')")
        page.wait_for_url(f"**/rounds/{uuid}")
        page.locator("a.btn.fail").first.click()
        page.wait_for_url("**/fail?target=*")
        page.locator("input[name=item][value='A05']").check(force=True)
        page.fill("input[name=reason]", "叫号屏故障")
        page.locator("form.failform button[type=submit]").click()
        page.wait_for_url(f"**/rounds/{uuid}*")
        page.click("#submit-round")
        page.wait_for_url(f"**/spot-checks/{uuid}")
        assert "已签名" in page.content() and "等待" in page.content()
        _fits(page)
        assert not page.errors, page.errors
    finally:
        context.close()

    context, page = _phone(browser)
    try:
        _sign_in(page, base, "inspector2")
        page.goto(f"{base}/spot-checks/{uuid}")
        text = page.inner_text("main")
        assert "叫号屏故障" in text and "确认并签名" in text
        _fits(page)
        page.fill("textarea[name=remark]", "同意")
        page.click("button:has-text('确认并签名')")
        page.wait_for_url("**/inspections/*")
        assert "抽查已提交" in page.content()
        text = page.inner_text("main")
        assert "同意" in text and text.count("✓") >= 2
        _fits(page)
        assert not page.errors, page.errors
    finally:
        context.close()

    context, page = _phone(browser)
    try:
        response = page.goto(base + "/public/spot-checks")
        assert response.status == 200
        page.locator("a[href^='/public/spot-checks/']").first.click()
        page.wait_for_url(re.compile(r".*/public/spot-checks/\d+$"))
        text = page.inner_text("main")
        assert "何*" in text and "周*" in text and "何强" not in text and "周敏" not in text
        _fits(page)
        assert not page.errors, page.errors
    finally:
        context.close()
