"""Search-as-you-type in headless Chromium at 360 px: typing part of a name into the
rectification board's responsible-person filter fills its suggestions from /org/staff/lookup,
and typing into a rotation plan's seat box fills the shared seat suggestions from
/rotation/seats/lookup (the page itself lists only the plan's own seats)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance.db import db
from tests.e2e.browsing import chromium_or_skip, serving

DEMO_PASSWORD = "demo-pass-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip("browser checks run on SQLite only")
    chromium_or_skip()
    from compliance.demo import load_demo
    from compliance.models import StaffMember, User
    from compliance.timeutil import local_today
    from rotation.services.proposals import create_plan_from_proposal

    app = fresh_app()
    with app.app_context():
        load_demo(app, db.session)
        hr = db.session.scalar(sa.select(User).where(User.username == "hr"))
        plan = create_plan_from_proposal(db.session, hr, local_today(), title="轮岗测试")
        staff = db.session.scalar(
            sa.select(StaffMember).where(StaffMember.status == "active").order_by(StaffMember.id)
        )
        facts = {
            "plan_id": plan.id,
            "moves": len(plan.moves),
            "staff": (staff.name, staff.staff_no),
        }
        db.session.commit()
    with serving(app) as base:
        yield base, facts


def _signed_in_page(base: str, username: str):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
    )
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    return playwright, browser, page


def chromium_path() -> str:
    from tests.e2e.browsing import CHROMIUM

    return CHROMIUM


def _wait_for(condition, timeout: float = 10.0):
    """Polls from Python: the app's Content Security Policy forbids the string evaluation that
    page.wait_for_function uses."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def _options(page, datalist: str) -> list[tuple[str, str]]:
    return page.eval_on_selector_all(
        f"datalist#{datalist} option",
        "els => els.map(e => [e.value, e.label || e.textContent])",
    )


def test_typing_a_name_fills_the_staff_suggestions(demo):
    base, facts = demo
    name, staff_no = facts["staff"]
    playwright, browser, page = _signed_in_page(base, "discipline")
    try:
        page.goto(base + "/rectifications")
        field = page.locator("input[data-staff-search]").first
        listed = field.get_attribute("list")
        assert _options(page, listed) == []
        field.fill(name[:2])
        found = _wait_for(lambda: _options(page, listed))
        assert any(value == staff_no for value, _label in found), found
    finally:
        browser.close()
        playwright.stop()


def test_typing_into_a_seat_box_fills_the_seat_suggestions(demo):
    base, facts = demo
    playwright, browser, page = _signed_in_page(base, "hr")
    try:
        page.goto(f"{base}/rotation/plans/{facts['plan_id']}")
        own = _options(page, "seat-options")
        assert 0 < len(own) <= 2 * facts["moves"]  # only the plan's own seats
        box = page.locator("input[list=seat-options]").first
        holder = own[0][1].rsplit("(", 1)[-1].rstrip(")")  # "<post> · <site> <window> (<holder>)"
        box.fill(holder)
        _wait_for(
            lambda: (
                (now := _options(page, "seat-options"))
                and now != own
                and all(holder in label for _value, label in now)
            )
        )
        found = _options(page, "seat-options")
        assert found and all(holder in label for _value, label in found)
        assert all(value.isdigit() for value, _label in found)
    finally:
        browser.close()
        playwright.stop()
