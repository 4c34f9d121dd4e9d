"""End to end, in headless Chromium at 360x740: a patrol round recorded with no network.

The inspector opens a site's round once online, goes offline, marks failures with photos at two
windows (kept in IndexedDB the moment they are saved), reloads (both still there), closes the
page and comes back online: the outbox sends the round by itself, exactly once, even when the
first answer is lost on the way and when the outbox is forced to send everything again. With the
session expired while offline, nothing queued or being typed is lost: the inspector signs in
again from the page and the outbox continues. An item that requires a photo is not saved without
one, and a failure opened again keeps its fields. Photos are turned upright and made smaller on
the phone (long edge 1600 px) before they are kept or sent.
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from compliance.db import db
from tests.e2e.browsing import CHROMIUM, chromium_or_skip, serving

PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def _camera_photo(path, color, orientation=None, size=(4032, 3024)) -> str:
    """A camera-sized JPEG; with `orientation` 6 the camera stored it sideways (EXIF)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], 64):  # some detail, so the JPEG is not trivially small
        draw.line([(x, 0), (size[0] - x, size[1])], fill=(x % 255, 90, 200 - x % 200), width=9)
    out = io.BytesIO()
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        img.save(out, "JPEG", quality=90, exif=exif.tobytes())
    else:
        img.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return str(path)


def _seed(app) -> dict:
    from compliance.accounts import create_user
    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from inspections.catalogue import load_standard_catalogue

    with app.app_context():
        site = Site(code="OFF", name="离线测试中心")
        post = Post(code="OFFP", name="综合受理")
        db.session.add_all([site, post])
        db.session.flush()
        windows, staff = [], []
        for n in range(4):
            window = Window(site=site, code=f"A{n + 1:02d}", name=f"窗口{n + 1}")
            db.session.add(window)
            db.session.flush()
            windows.append(window.id)
            member = StaffMember(
                staff_no=f"OFF{n:02d}", name=f"员工{n + 1}", hired_on=date(2020, 1, 1), site=site
            )
            db.session.add(member)
            db.session.flush()
            db.session.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=window,
                    started_on=date(2020, 1, 1),
                )
            )
            staff.append(member.id)
        load_standard_catalogue(db.session, None)
        create_user(
            db.session,
            None,
            username="walker",
            display_name="督查员",
            roles=["inspector"],
            password=PASSWORD,
            hash_method=app.config["PASSWORD_HASH_METHOD"],
            site_ids=[site.id],
        )
        db.session.commit()
        return {"site_id": site.id, "windows": windows, "staff": staff}


@pytest.fixture
def live_server(backend, fresh_app):
    if backend != "sqlite":
        pytest.skip(
            "browser journeys run on SQLite only (the same code is covered on "
            "PostgreSQL by the request tests)"
        )
    chromium_or_skip()
    app = fresh_app()
    data = _seed(app)
    with serving(app) as base:
        yield app, base, data


@pytest.fixture
def phone(live_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
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
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        context.set_default_timeout(15000)
        try:
            yield context
        finally:
            context.close()
            browser.close()


# --------------------------------------------------------------------------- helpers


def _new_page(context):
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # confirm() of submit and undo
    return page


def _sign_in(page, base, then=None):
    page.goto(base + "/login" + (f"?next={then}" if then else ""))
    page.fill("input[name=username]", "walker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then}" if then else "**/dashboard")


def _wait_for_worker(page):
    """The service worker is installed and controls the page (it claims open pages)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for attempt in range(100):
        if page.evaluate("!!navigator.serviceWorker.controller"):
            return
        if attempt == 30:
            page.reload()  # a page loaded once the worker is active is always controlled
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never took control of the page")


def _open_round_online(page, base, data) -> str:
    page.goto(base + "/patrols")
    _wait_for_worker(page)
    page.click("a[data-offline-start]")  # the patrol page's Start, with JavaScript
    page.wait_for_url("**/patrols/sites/*/round")
    page.wait_for_selector("[data-round-body]:not([hidden])")
    return page.url


def _mark(page, target, item, photo=None, reason=None):
    """✗ on a target, the failed item, a photo, save: what the inspector taps."""
    page.click(f'button[data-fail="{target}"]')
    page.click(f'fieldset:not([hidden]) label.item[data-item="{item}"]')
    if reason:
        page.fill("#ed-reason", reason)
    if photo:
        before = page.locator("[data-editor-photos] img").count()
        page.set_input_files("#ed-photos", photo)
        page.wait_for_selector(f"[data-editor-photos] figure:nth-child({before + 1}) img")
    page.click("#save-failure")
    page.wait_for_selector("#fail-editor", state="hidden")


def _round_uuid(page) -> str:
    return page.evaluate(
        "PatrolStore.listRounds().then(rs => rs.filter(r => r.state !== 'synced')"
        ".sort((a, b) => a.started_at < b.started_at ? -1 : 1)[0].uuid)"
    )


def _counts(app) -> tuple[int, int, int]:
    from inspections.models import Finding, Inspection, Photo

    with app.app_context():
        try:
            return (
                db.session.scalar(sa.select(sa.func.count(Inspection.id))),
                db.session.scalar(sa.select(sa.func.count(Finding.id))),
                db.session.scalar(sa.select(sa.func.count(Photo.id))),
            )
        finally:
            db.session.remove()


def _wait_for_counts(page, app, expected, timeout=30.0) -> None:
    # Waiting through Playwright keeps its event loop (and route handlers) running.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _counts(app) == expected:
            return
        page.wait_for_timeout(200)
    assert _counts(app) == expected


def _wait_for_state(page, uuid, state, timeout=20000):
    step = 100
    for _ in range(timeout // step):
        found = page.evaluate("u => PatrolStore.getRound(u).then(r => r && r.state)", uuid)
        if found == state:
            return
        page.wait_for_timeout(step)
    raise AssertionError(f"round {uuid} is {found!r}, not {state!r}")


def _expire_session(app) -> None:
    """The inspector walked for an hour without a request: the session is idle-expired."""
    from compliance.models import UserSession

    with app.app_context():
        for row in db.session.scalars(sa.select(UserSession)):
            row.created_at -= timedelta(hours=1)
            row.last_seen_at -= timedelta(hours=1)
        db.session.commit()
        db.session.remove()


# --------------------------------------------------------------------------- journeys


def test_round_recorded_offline_syncs_once_by_itself_when_the_network_returns(
    live_server, phone, tmp_path
):
    app, base, data = live_server
    context = phone
    page = _new_page(context)
    _sign_in(page, base)
    _open_round_online(page, base, data)

    context.set_offline(True)
    w1, w2 = (f"w{data['windows'][0]}", f"w{data['windows'][2]}")
    upright = _camera_photo(tmp_path / "sideways.jpg", (160, 40, 40), orientation=6)
    plain = _camera_photo(tmp_path / "counter.jpg", (40, 40, 160))
    _mark(page, w1, "C01", upright, reason="台面杂乱")
    # the feedback appears next to the window just marked
    marked = page.locator(f'section[data-target="{w1}"] [data-marked]')
    assert marked.is_visible() and "C01" in marked.inner_text()
    _mark(page, w2, "C02", plain)
    assert page.locator("[data-fail-list] li").count() == 2
    assert page.locator("[data-fail-count]").inner_text() == "2"
    # the failures list names the window
    assert "A01" in page.locator("[data-fail-list] li").nth(0).inner_text()

    page.reload()  # offline: the service worker answers with the kept page
    page.wait_for_selector("[data-round-body]:not([hidden])")
    assert page.locator("[data-fail-list] li").count() == 2
    uuid = _round_uuid(page)
    page.click("#submit-round")
    _wait_for_state(page, uuid, "queued")
    assert "等待同步" in page.locator("[data-done-state]").inner_text()
    kept = page.evaluate("u => PatrolStore.exportRound(u)", uuid)  # for the forced replay below
    assert len(kept["photos"]) == 2
    page.close()
    assert _counts(app) == (0, 0, 0)

    # The first answer to the round is lost on the way back: the server has it, the phone does
    # not know; it sends again and gets the same round.
    posts = []

    def lose_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        posts.append(route.request.post_data_json["uuid"])
        if len(posts) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    context.route("**/api/v1/inspections", lose_first_answer)
    context.set_offline(False)
    page = _new_page(context)
    # Any page of the app: the service worker runs the outbox (the dashboard has no patrol script).
    page.goto(base + "/dashboard")
    assert page.evaluate("typeof window.PatrolOutbox") == "undefined"
    _wait_for_counts(page, app, (1, 2, 2))
    page.goto(base + "/patrols")
    _wait_for_state(page, uuid, "synced", timeout=30000)
    assert posts[0] == uuid and len(posts) >= 2, posts
    page.wait_for_selector("[data-phone-rounds] .state-synced")

    from inspections.models import Finding, Inspection, Photo

    with app.app_context():
        inspection = db.session.scalars(sa.select(Inspection)).one()
        assert inspection.uuid == uuid and inspection.status == "submitted"
        assert inspection.device_started_at is not None
        findings = db.session.scalars(sa.select(Finding).order_by(Finding.id)).all()
        assert sorted(f.window_id for f in findings) == sorted(
            [data["windows"][0], data["windows"][2]]
        )
        assert findings[0].reason == "台面杂乱"
        photos = db.session.scalars(sa.select(Photo).order_by(Photo.id)).all()
        assert all(p.finding_id is not None for p in photos)
        sizes = sorted((p.width, p.height) for p in photos)
        # long edge 1600; the sideways camera photo arrives upright (portrait)
        assert sizes == [(1200, 1600), (1600, 1200)], sizes
        assert all(p.size_bytes < 1_000_000 for p in photos)
        db.session.remove()

    # The phone's copy is gone once the server confirmed it (a summary stays).
    left = page.evaluate(
        "u => Promise.all([PatrolStore.failuresOf(u), PatrolStore.photosOf(u)])"
        ".then(([f, p]) => f.length + p.length)",
        uuid,
    )
    assert left == 0

    # Forcing the outbox to send the same round again, photos and all, changes nothing.
    kept["round"]["state"] = "queued"
    kept["round"]["next_at"] = None
    for photo in kept["photos"]:
        photo["uploaded"] = False
    answers = []
    page.on(
        "response",
        lambda r: answers.append((r.request.method, r.url, r.status)) if "/api/v1/" in r.url else 0,
    )
    page.evaluate("b => PatrolStore.importRound(b)", kept)
    page.evaluate("PatrolOutbox.run({force: true})")
    _wait_for_state(page, uuid, "synced")
    assert _counts(app) == (1, 2, 2)
    statuses = sorted(status for method, _url, status in answers if method == "POST")
    assert statuses == [200, 200, 200], answers


def test_expired_session_loses_nothing_queued_or_being_typed(live_server, phone, tmp_path):
    app, base, data = live_server
    context = phone
    page = _new_page(context)
    _sign_in(page, base)
    round_url = _open_round_online(page, base, data)
    path = round_url.replace(base, "")

    context.set_offline(True)
    staff = [f"s{i}" for i in data["staff"]]
    _mark(page, staff[0], "B02", _camera_photo(tmp_path / "badge.jpg", (200, 60, 60)))
    _mark(
        page, f"w{data['windows'][1]}", "C04", _camera_photo(tmp_path / "cables.jpg", (20, 90, 20))
    )
    uuid = _round_uuid(page)
    page.click("#submit-round")
    _wait_for_state(page, uuid, "queued")

    # A new round; a failure being typed survives a reload (and later the sign-in detour).
    page.click("[data-new-round]")
    page.click(f'button[data-fail="{staff[3]}"]')
    page.click('fieldset:not([hidden]) label.item[data-item="D06"]')
    page.fill("#ed-reason", "与同事闲聊")
    page.wait_for_timeout(300)
    page.reload()
    page.wait_for_selector("#fail-editor[open]")
    assert page.input_value("#ed-reason") == "与同事闲聊"
    assert page.is_checked('fieldset:not([hidden]) input[value="D06"]')

    # The session expires while the inspector walks offline; the network returns.
    _expire_session(app)
    context.set_offline(False)
    page.click("#save-failure")  # saved on the phone: no server involved
    page.wait_for_selector("#fail-editor", state="hidden")
    _wait_for_state(page, uuid, "attention")
    sign_in = page.locator(f'[data-round="{uuid}"] a', has_text="重新登录")
    assert sign_in.is_visible()
    assert "登录已过期" in page.locator(f'[data-round="{uuid}"] .reason').inner_text()
    assert _counts(app) == (0, 0, 0)

    sign_in.click()  # the sign-in page is reachable with the service worker in place
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "walker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    _wait_for_counts(page, app, (1, 2, 2))
    _wait_for_state(page, uuid, "synced")
    # the round in progress is still there, with what was typed
    page.wait_for_selector("[data-round-body]:not([hidden])")
    assert page.locator("[data-fail-list] li").count() == 1
    assert "员工4" in page.locator("[data-fail-list] li").inner_text()
    page.click("[data-fail-list] li [data-edit]")
    assert page.input_value("#ed-reason") == "与同事闲聊"


def test_photo_required_item_is_not_saved_without_a_photo_and_reopens_with_its_fields(
    live_server, phone, tmp_path
):
    app, base, data = live_server
    page = _new_page(phone)
    _sign_in(page, base)
    _open_round_online(page, base, data)
    target = f"s{data['staff'][1]}"

    page.click(f'button[data-fail="{target}"]')
    page.click('fieldset:not([hidden]) label.item[data-item="B01"]')
    assert page.locator("[data-photo-hint]").is_visible()  # said before saving
    page.fill("#ed-reason", "未穿工装")
    page.fill("#ed-note", "上午十点")
    page.click("#save-failure")
    error = page.locator('[data-item-error="B01"]')
    assert error.is_visible() and "B01" in error.inner_text()  # at the item
    assert page.locator("#fail-editor").is_visible()  # still in the editor
    assert page.locator("[data-fail-list] li").count() == 0

    page.set_input_files("#ed-photos", _camera_photo(tmp_path / "uniform.jpg", (90, 90, 200)))
    page.wait_for_selector("[data-editor-photos] img")
    page.click("#save-failure")
    page.wait_for_selector("#fail-editor", state="hidden")
    assert page.locator("[data-fail-list] li").count() == 1

    # Opened again: the item, reason, note and photo are in place; a change is kept.
    page.click("[data-fail-list] li [data-edit]")
    assert page.is_checked('fieldset:not([hidden]) input[value="B01"]')
    assert page.input_value("#ed-reason") == "未穿工装"
    assert page.input_value("#ed-note") == "上午十点"
    assert page.locator("[data-editor-photos] img").count() == 1
    page.fill("#ed-note", "上午十点，已提醒")
    page.click("#save-failure")
    page.wait_for_selector("#fail-editor", state="hidden")
    assert page.locator("[data-fail-list] li").count() == 1
    # ✗ on the same person and the same item edits the same failure
    page.click(f'button[data-fail="{target}"]')
    page.click('fieldset:not([hidden]) label.item[data-item="B01"]')
    assert page.input_value("#ed-note") == "上午十点，已提醒"
    page.click("[data-editor-cancel]")
    # undo asks first and is a full-size target
    undo = page.locator("[data-fail-list] li [data-undo]")
    box = undo.bounding_box()
    assert box["height"] >= 40 and box["width"] >= 40
    undo.click()  # the confirm() is accepted
    page.wait_for_selector("[data-failures-box]", state="hidden")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"page is {width}px wide on a 360px screen"


def test_sign_out_names_unsent_records_and_clears_the_phone(live_server, phone, tmp_path):
    app, base, data = live_server
    page = phone.new_page()
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    _sign_in(page, base)
    _open_round_online(page, base, data)
    _mark(page, f"s{data['staff'][0]}", "D06", reason="闲聊")
    assert page.evaluate("caches.keys()").count("pages") == 1
    page.click("form[data-signout] button")
    page.wait_for_url("**/login")
    assert len(messages) == 1 and "1 条记录尚未同步" in messages[0]
    left = page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("compliance-patrols");
            open.onsuccess = () => {
                const db = open.result;
                const count = db.transaction("rounds").objectStore("rounds").count();
                count.onsuccess = () => { resolve(count.result); db.close(); };
            };
        })"""
    )
    assert left == 0
    assert "pages" not in page.evaluate("caches.keys()")


def test_same_id_with_other_content_is_shown_with_both_versions(live_server, phone, tmp_path):
    """A 409 is never swallowed: the phone shows its version and the server's, and the
    inspector sends the phone's as a new round."""
    from compliance.models import User
    from inspections.services import create_inspection

    app, base, data = live_server
    context = phone
    page = _new_page(context)
    _sign_in(page, base)
    _open_round_online(page, base, data)
    context.set_offline(True)
    _mark(page, f"w{data['windows'][0]}", "C01", _camera_photo(tmp_path / "a.jpg", (90, 30, 30)))
    uuid = _round_uuid(page)
    page.click("#submit-round")
    _wait_for_state(page, uuid, "queued")
    # Meanwhile the server got a round with the same id and other content (e.g. another device).
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == "walker")).one()
        create_inspection(
            db.session,
            user,
            {"uuid": uuid, "site_id": data["site_id"], "note": "另一台设备", "failures": []},
        )
        db.session.commit()
        db.session.remove()
    context.set_offline(False)
    page.goto(base + "/patrols")
    _wait_for_state(page, uuid, "attention")
    item = page.locator(f'[data-round="{uuid}"]')
    assert "内容不同" in item.locator(".reason").inner_text()
    versions = item.locator(".version")
    assert versions.count() == 2
    assert "C01" in versions.nth(0).inner_text()  # the phone's
    assert "没有问题" in versions.nth(1).inner_text()  # the server's: no failures
    assert _counts(app) == (1, 0, 1)  # the photo went up; nothing else changed
    item.locator("[data-act=resend-new]").click()
    _wait_for_counts(page, app, (2, 1, 2))
    page.wait_for_selector("[data-phone-rounds] .state-synced")


def test_round_survives_a_restarted_browser_and_sites_are_kept_ahead(live_server, tmp_path):
    """A round recorded offline is still there after the browser is closed and started again;
    every site's round page is fetched ahead, so a site never opened works offline too."""
    from playwright.sync_api import sync_playwright

    app, base, data = live_server
    profile = tmp_path / "profile"
    options = {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--no-first-run"],
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    }
    round_path = f"/patrols/sites/{data['site_id']}/round"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), **options)
        context.set_default_timeout(15000)
        page = _new_page(context)
        _sign_in(page, base)
        _wait_for_worker(page)
        for _ in range(100):  # the dashboard asked the service worker to fetch ahead
            kept = page.evaluate(
                "caches.open('pages').then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname))"
            )
            if round_path in kept:
                break
            page.wait_for_timeout(100)
        assert round_path in kept and "/patrols" in kept
        context.set_offline(True)
        page.goto(base + round_path)  # never opened online: kept ahead
        page.wait_for_selector("[data-round-body]:not([hidden])")
        _mark(page, f"s{data['staff'][2]}", "B02", _camera_photo(tmp_path / "b.jpg", (10, 90, 10)))
        context.close()

        context = p.chromium.launch_persistent_context(str(profile), **options)
        context.set_default_timeout(15000)
        context.set_offline(True)
        page = _new_page(context)
        page.goto(base + round_path)
        page.wait_for_selector("[data-round-body]:not([hidden])")
        assert page.locator("[data-fail-list] li").count() == 1
        page.click("[data-fail-list] li [data-edit]")
        assert page.locator("[data-editor-photos] img").count() == 1
        context.close()


def test_server_round_keeps_what_was_typed_across_an_expired_session(live_server, phone):
    """The server-recorded round (spot checks, browsers without offline support): a session that
    expired while the inspector typed sends them to sign in, and back to the panel with the text."""
    app, base, data = live_server
    page = _new_page(phone)
    _sign_in(page, base)
    page.goto(base + "/patrols")
    page.eval_on_selector("form.start-round", "form => form.requestSubmit()")
    page.wait_for_url("**/rounds/*")
    page.click(f'a.btn.fail[href$="target=s{data["staff"][0]}"]')
    page.click('label.item:has(input[value="D06"])')
    page.fill("#reason", "与同事闲聊")
    page.fill("#note", "十点二十分")
    _expire_session(app)
    page.click("#save-failure")
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "walker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/fail?target=*")
    assert page.locator("#draft-restored").is_visible()
    assert page.is_checked('input[name="item"][value="D06"]')
    assert page.input_value("#reason") == "与同事闲聊" and page.input_value("#note") == "十点二十分"
    page.click("#save-failure")
    page.wait_for_url("**/rounds/*")
    assert page.locator("#feedback").is_visible()
    # saved: opening the panel again for that person starts empty
    page.click(f'a.btn.fail[href$="target=s{data["staff"][0]}"]')
    assert page.input_value("#reason") == "" and page.locator("#draft-restored").is_hidden()
