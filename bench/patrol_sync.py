"""Benchmark: the patrol round kept on the phone, in headless Chromium at 360x740 on loopback.

Issue 12 asks for: taps per passing window and per failure with a photo, the bytes of a repeat
visit to the round page, and the sync time of a 20-window round with 5 photo failures.

Builds a 20-window site (40 staff) on a throw-away SQLite database, serves the real app on
127.0.0.1 with a WSGI counter of requests and bytes (status line, headers and body as sent), then:

  * taps: marks 5 failures with a photo each and lets 20 windows pass, counting the clicks the
    script makes (a tap each) and the requests each failure costs;
  * repeat visit: opens the round page a second time and counts what goes over the network
    (baseline, same run: the same page with the static files served as before this change,
    i.e. without the content hash and without the service worker, so every file is re-checked);
  * sync: records the round offline with 5 camera-sized photos (4032x3024 JPEG, noisy, several
    MB each), submits, comes back online and times until the server holds the round with its
    5 findings and 5 photos (the phone made each photo 1600 px before keeping it). Baseline, same
    run: the same round sent through the same API with the camera originals, as the phone did
    before (photos first, then the round), by a Python client on the same loopback.

Usage: .venv/bin/python bench/patrol_sync.py [--photos 5] [--windows 20]
The machine is shared (2 cores, ~8 workers): timings move by tens of percent between runs.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import sys
import tempfile
import threading
import time
import uuid as uuidlib
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "walk-the-hall-2026"
CHROMIUM = "/usr/bin/chromium"


class Counter:
    """WSGI middleware: requests and bytes sent, per path."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests: list[tuple[str, str, int, int]] = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        method = environ.get("REQUEST_METHOD", "")
        state = {"status": 0, "head": 0}

        def counting_start(status, headers, exc_info=None):
            state["status"] = int(status.split()[0])
            state["head"] = len(status) + sum(len(k) + len(v) + 4 for k, v in headers) + 2
            return start_response(status, headers, exc_info)

        body = 0
        for chunk in self.app(environ, counting_start):
            body += len(chunk)
            yield chunk
        with self.lock:
            self.requests.append((method, path, state["status"], state["head"] + body))

    def summary(self):
        with self.lock:
            return len(self.requests), sum(r[3] for r in self.requests), list(self.requests)


def build(session, windows: int):
    from compliance.accounts import create_user
    from compliance.models import Assignment, Post, Site, StaffMember, Window
    from inspections.catalogue import load_standard_catalogue

    site = Site(code="BENCH", name="基准便民服务中心")
    post = Post(code="BP", name="综合受理")
    session.add_all([site, post])
    session.flush()
    for n in range(windows):
        window = Window(site=site, code=f"A{n + 1:02d}", name=f"窗口{n + 1}")
        session.add(window)
        for letter in "AB":
            member = StaffMember(
                staff_no=f"B{n:02d}{letter}",
                name=f"员工{n + 1}{letter}",
                hired_on=date(2020, 1, 1),
                site=site,
            )
            session.add(member)
            session.flush()
            session.add(
                Assignment(
                    staff_member=member,
                    post=post,
                    site=site,
                    window=window,
                    started_on=date(2020, 1, 1),
                )
            )
    load_standard_catalogue(session, None)
    user = create_user(
        session,
        None,
        username="bench",
        display_name="督查员",
        roles=["inspector"],
        password=PASSWORD,
        hash_method="argon2id:256:1:1",
        site_ids=[site.id],
    )
    session.commit()
    window_ids = [w.id for w in session.query(Window).filter_by(site_id=site.id).order_by("code")]
    return site.id, window_ids, user.id


def camera_photos(folder: Path, count: int) -> list[Path]:
    """Camera-sized JPEGs with real detail (noise), as a phone takes them."""
    from PIL import Image

    base = Image.merge(
        "RGB", [Image.effect_noise((4032, 3024), 48 + 8 * i) for i in range(3)]
    ).convert("RGB")
    paths = []
    for i in range(count):
        tint = Image.new("RGB", base.size, (40 * i % 255, 120, 200 - 30 * i))
        img = Image.blend(base, tint, 0.35)
        path = folder / f"camera{i}.jpg"
        img.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_for(page, check, timeout=120.0, step=50):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        page.wait_for_timeout(step)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--windows", type=int, default=20)
    args = parser.parse_args()

    import sqlalchemy as sa
    from playwright.sync_api import sync_playwright

    from compliance import create_app
    from compliance.db import db
    from inspections.models import Finding, Inspection, Photo

    tmp = Path(tempfile.mkdtemp(prefix="patrol_sync_"))
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": str(tmp / "instance"),
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "REPORTS_FOLDER": str(tmp / "reports"),
        "PASSWORD_HASH_METHOD": "argon2id:256:1:1",
        "AUDIT_KEY": "bench",
        "EXPORT_WORKER": "none",
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        site_id, window_ids, _user = build(db.session, args.windows)
    counter = Counter(app.wsgi_app)
    app.wsgi_app = counter
    server = serve(app)
    base = f"http://127.0.0.1:{server.server_port}"

    # The same app as before this change for the baseline of the repeat visit: static URLs
    # without the content hash (served "no-cache", so a browser re-checks each one).
    old = create_app(config)
    old.url_default_functions[None] = [
        f for f in old.url_default_functions.get(None, []) if f.__name__ != "_hashed_static"
    ]
    old_counter = Counter(old.wsgi_app)
    old.wsgi_app = old_counter
    old_server = serve(old)
    old_base = f"http://127.0.0.1:{old_server.server_port}"

    def counts(key):
        """(submitted inspections, findings, attached photos) of the round with this UUID."""
        with app.app_context():
            try:
                inspection = db.session.scalars(
                    sa.select(Inspection).where(
                        Inspection.uuid == key, Inspection.status == "submitted"
                    )
                ).first()
                if inspection is None:
                    return (0, 0, 0)
                findings = db.session.scalar(
                    sa.select(sa.func.count(Finding.id)).where(
                        Finding.inspection_id == inspection.id
                    )
                )
                attached = db.session.scalar(
                    sa.select(sa.func.count(Photo.id)).where(
                        Photo.inspection_uuid == key, Photo.finding_id.is_not(None)
                    )
                )
                return (1, findings, attached)
            finally:
                db.session.remove()

    photos = camera_photos(tmp, args.photos)
    sizes = [p.stat().st_size for p in photos]
    print(f"machine: 2 cores shared by ~8 workers; loopback; {args.windows} windows, 2 staff each")
    print(f"camera photos: {args.photos} x 4032x3024 JPEG, {sum(sizes) / 1e6:.1f} MB in all")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )

        def phone(**extra):
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                locale="zh-CN",
                **extra,
            )
            context.set_default_timeout(60000)
            page = context.new_page()
            page.on("dialog", lambda d: d.accept())
            return context, page

        def sign_in(page, url):
            page.goto(url + "/login")
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard")

        # ---------------------------------------------------------------- repeat visit
        context, page = phone()
        sign_in(page, base)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.goto(base + "/patrols")
        page.click("a[data-offline-start]")
        page.wait_for_selector("[data-round-body]:not([hidden])")
        round_url = page.url
        page.wait_for_timeout(1500)  # the service worker fetched ahead what the inspector needs
        counter.reset()
        page.goto(base + "/dashboard")
        page.goto(round_url)
        page.wait_for_selector("[data-round-body]:not([hidden])")
        page.wait_for_timeout(500)
        n, total, rows = counter.summary()
        html = context.request.get(round_url).body()
        visit = [r for r in rows if r[1] != "/dashboard"]
        new_requests = len(visit)
        new_bytes = sum(r[3] for r in visit)
        static_new = sum(1 for r in visit if r[1].startswith("/static/"))

        old_context, old_page = phone(service_workers="block")
        sign_in(old_page, old_base)
        old_page.goto(old_base + "/patrols")
        old_page.eval_on_selector("form.start-round", "f => f.requestSubmit()")
        old_page.wait_for_url("**/rounds/*")
        old_round = old_page.url
        old_counter.reset()
        old_page.goto(old_base + "/dashboard")
        old_page.goto(old_round)
        old_page.wait_for_timeout(500)
        _n, _t, old_rows = old_counter.summary()
        old_visit = [r for r in old_rows if r[1] != "/dashboard"]
        old_context.close()

        # the server-rendered round with this change (spot checks, no JavaScript): HTTP cache only
        srv_context, srv_page = phone(service_workers="block")
        sign_in(srv_page, base)
        srv_page.goto(base + "/patrols")
        srv_page.eval_on_selector("form.start-round", "f => f.requestSubmit()")
        srv_page.wait_for_url("**/rounds/*")
        srv_round = srv_page.url
        counter.reset()
        srv_page.goto(base + "/dashboard")
        srv_page.goto(srv_round)
        srv_page.wait_for_timeout(500)
        _n, _t, srv_rows = counter.summary()
        srv_visit = [r for r in srv_rows if r[1] != "/dashboard"]
        srv_context.close()

        print("\nrepeat visit to the round page (what crosses the network):")
        print(
            f"  round kept on the phone (service worker): {new_requests} request(s), "
            f"{new_bytes / 1024:.1f} KiB, static files re-checked: {static_new} "
            f"(the page itself: {len(html) / 1024:.1f} KiB, "
            f"{len(gzip.compress(html)) / 1024:.1f} KiB gzipped by a reverse proxy)"
        )
        print(
            f"  server-rendered round, hashed static URLs: {len(srv_visit)} request(s), "
            f"{sum(r[3] for r in srv_visit) / 1024:.1f} KiB, static files re-checked: "
            f"{sum(1 for r in srv_visit if r[1].startswith('/static/'))}"
        )
        print(
            f"  baseline (before: static files no-cache): {len(old_visit)} request(s), "
            f"{sum(r[3] for r in old_visit) / 1024:.1f} KiB, static files re-checked: "
            f"{sum(1 for r in old_visit if r[1].startswith('/static/'))} "
            f"({', '.join(sorted({str(r[2]) for r in old_visit if r[1].startswith('/static/')}))})"
        )

        # ---------------------------------------------------------------- taps and sync
        taps = 0
        resize_ms = []
        context.set_offline(True)
        counter.reset()
        targets = [f"w{window_ids[i * (args.windows // args.photos)]}" for i in range(args.photos)]
        for i, target in enumerate(targets):
            page.click(f'button[data-fail="{target}"]')
            page.click('fieldset:not([hidden]) label.item[data-item="C01"]')
            t0 = time.perf_counter()
            page.set_input_files("#ed-photos", str(photos[i]))  # a tap: the camera opens
            page.wait_for_selector("[data-editor-photos] img")
            resize_ms.append((time.perf_counter() - t0) * 1000)
            page.click("#save-failure")
            page.wait_for_selector("#fail-editor", state="hidden")
            taps += 4
        offline_requests = counter.summary()[0]
        page.click("#submit-round")  # one tap for the whole round
        uuid = page.evaluate(
            "PatrolStore.listRounds().then(rs => rs.filter(r => r.state === 'queued')[0].uuid)"
        )
        kept = page.evaluate(
            "u => PatrolStore.photosOf(u).then(ps => ps.map(p => [p.size, p.width, p.height]))",
            uuid,
        )
        counter.reset()
        t0 = time.perf_counter()
        context.set_offline(False)  # the page's "online" handler starts the outbox
        ok = wait_for(page, lambda: counts(uuid) == (1, args.photos, args.photos))
        sync_s = time.perf_counter() - t0
        synced = wait_for(
            page,
            lambda: (
                page.evaluate("u => PatrolStore.getRound(u).then(r => r.state)", uuid) == "synced"
            ),
            timeout=30,
        )
        _n, sent_bytes, sync_rows = counter.summary()
        context.close()
        browser.close()

    print("\ntaps (the page's own; the camera app's shutter is extra):")
    print(f"  per passing window: 0 (all {args.windows} windows pass without a tap)")
    print(f"  per failure with a photo: {taps // args.photos} (✗, item, photo, save)")
    print(f"  requests while marking {args.photos} failures: {offline_requests} (all on the phone)")
    print("  submit: 1 tap for the whole round")

    print("\nphotos on the phone:")
    print(
        f"  kept: {', '.join(f'{w}x{h} {s / 1024:.0f} KiB' for s, w, h in kept)} "
        f"(camera originals {', '.join(f'{s / 1e6:.1f} MB' for s in sizes)})"
    )
    print(
        f"  made smaller in {min(resize_ms):.0f}-{max(resize_ms):.0f} ms each (headless Chromium)"
    )

    print(f"\nsync of a {args.windows}-window round with {args.photos} photo failures (loopback):")
    if not (ok and synced):
        print("  DID NOT SYNC in 120 s:", [r[:3] for r in sync_rows], counts(uuid))
    print(
        f"  outbox (phone-sized photos): {sync_s:.2f} s from the network's return to the "
        f"round on the server; {len(sync_rows)} requests, {sent_bytes / 1024:.0f} KiB answered"
    )

    # Baseline: the camera originals through the same API, photos first, then the round.
    with sync_playwright() as p:
        api = p.request.new_context(base_url=base)
        login = api.get("/login").text()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        api.post(
            "/login",
            form={"username": "bench", "password": PASSWORD, "csrf_token": csrf},
            max_redirects=0,
        )
        token = api.get("/patrols/offline/session").json()["csrf_token"]
        key = str(uuidlib.uuid4())
        datas = [p_.read_bytes() for p_ in photos]
        payload = {
            "uuid": key,
            "site_id": site_id,
            "failures": [
                {"target": t, "item_code": "C01", "photos": [hashlib.sha256(d).hexdigest()]}
                for t, d in zip(targets, datas, strict=True)
            ],
        }
        t0 = time.perf_counter()
        for data in datas:
            r = api.post(
                f"/api/v1/inspections/{key}/photos",
                multipart={
                    "file": {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": data},
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
                headers={"X-CSRFToken": token},
                timeout=120000,
            )
            assert r.status == 201, r.text()
        r = api.post("/api/v1/inspections", data=payload, headers={"X-CSRFToken": token})
        assert r.status == 201, r.text()
        baseline_s = time.perf_counter() - t0
        api.dispose()
    print(
        f"  baseline (camera originals, {sum(sizes) / 1e6:.1f} MB uploaded): {baseline_s:.2f} s "
        f"for the same round through the same API"
    )
    server.shutdown()
    old_server.shutdown()


if __name__ == "__main__":
    main()
