"""The bulletin page in headless Chromium at 360 px: it fits the screen, logs no console error
(no inline script), and on paper only the document prints."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.db import db
from tests.e2e.browsing import CHROMIUM, chromium_or_skip, serving
from tests.e2e.test_phone_layout import PHONE_WIDTH

pytestmark = pytest.mark.browser
PASSWORD = "bulletin-pass-2026"


@pytest.fixture
def bulletin_server(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip("browser checks run on SQLite only (the request tests cover PostgreSQL)")
    chromium_or_skip()
    from compliance.accounts import create_user
    from compliance.models import Site, Window
    from evaluation.bulletins import services
    from evaluation.models import MonthClose, Scheme, ScoreSnapshot

    app = fresh_app()
    with app.app_context():
        site = Site(code="C0", name="城关区政务服务中心便民服务大厅东区分中心", kind="centre")
        window = Window(site=site, code="01", name="不动产登记与税费缴纳综合受理窗口")
        db.session.add_all([site, window])
        user = create_user(
            db.session,
            None,
            username="officer",
            display_name="纪检员",
            roles=["discipline"],
            password=PASSWORD,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_ids=[],
            all_sites=True,
        )
        scheme = Scheme(version=1, effective_from=date(2026, 1, 1), name="考评办法")
        db.session.add(scheme)
        db.session.flush()
        close = MonthClose(
            month=date(2026, 10, 1), scheme_id=scheme.id, closed_by_id=user.id, status="closed"
        )
        db.session.add(close)
        db.session.flush()
        long_label = "未按规定着装，未佩戴工牌且在窗口内摆放与工作无关的私人物品" * 2
        db.session.add(
            ScoreSnapshot(
                close_id=close.id,
                subject_kind="window",
                subject_id=window.id,
                name="01 不动产登记与税费缴纳综合受理窗口",
                site_id=site.id,
                window_id=window.id,
                score=92.5,
                rank=1,
                deductions=7.5,
                detail=[
                    {
                        "kind": "finding",
                        "ref_kind": "finding",
                        "ref_id": 1,
                        "points": -7.5,
                        "label": long_label,
                        "on": "2026-10-12",
                    }
                ],
            )
        )
        bulletin = services.draft_bulletin(
            db.session,
            user,
            kind="month",
            year=2026,
            index=10,
            site_id=None,
            today=date(2026, 11, 5),
        )
        bulletin_id = bulletin.id
        db.session.commit()
    with serving(app) as base:
        yield base, bulletin_id


def test_the_bulletin_page_fits_a_phone_and_prints_only_the_document(bulletin_server):
    from playwright.sync_api import sync_playwright

    base, bulletin_id = bulletin_server
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                viewport={"width": PHONE_WIDTH, "height": 740}, is_mobile=True, locale="zh-CN"
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + "/login")
            page.fill("input[name=username]", "officer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")
            for path in (
                "/evaluation/bulletins/",
                f"/evaluation/bulletins/{bulletin_id}",
                f"/evaluation/bulletins/{bulletin_id}/edit",
            ):
                errors.clear()
                response = page.goto(base + path)
                assert response.status == 200, path
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE_WIDTH, f"{path} is {width}px wide"
                assert not errors, f"{path}: {errors}"
            page.goto(base + f"/evaluation/bulletins/{bulletin_id}")
            assert "关于2026年10月窗口考评情况的通报" in page.inner_text("article.bulletin")
            page.emulate_media(media="print")
            assert not page.is_visible(".bulletin-bar")
            assert not page.is_visible("nav.mainnav")
            assert page.is_visible("article.bulletin h1")
        finally:
            browser.close()
