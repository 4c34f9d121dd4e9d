"""The installable web app: a manifest with the Chinese name and icons served by the app, a
service worker generated from the current static files (a changed file changes it), sign-in and
the API never answered from what the phone keeps, an offline page without personal data, and a
sign-out that warns before what is kept on the phone is dropped."""

from __future__ import annotations

import io
import re

from PIL import Image


def test_manifest_names_the_app_in_chinese_with_icons_served_by_the_app(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "便民服务中心窗口督查" and manifest["lang"] == "zh-CN"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/dashboard"
    sizes = set()
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")  # no CDN
        image = client.get(icon["src"])
        assert image.status_code == 200
        width, height = Image.open(io.BytesIO(image.data)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_pages_link_the_manifest_and_the_service_worker(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="service-worker" content="/sw.js"' in html


def test_service_worker_is_public_revalidated_and_keeps_sign_in_on_the_network(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    script = response.get_data(as_text=True)
    assert "__VERSION__" not in script
    assert re.search(r'"/static/app\.css\?v=[0-9a-f]{12}"', script)
    network_only = re.search(r"var NETWORK_ONLY = (\[.*?\]);", script).group(1)
    for path in ("/login", "/logout", "/api/"):
        assert f'"{path}"' in network_only


def test_a_changed_static_file_changes_the_service_worker(app, client, tmp_path):
    from compliance.static_assets import StaticHasher

    before = client.get("/sw.js").get_data(as_text=True)
    folder = tmp_path / "static"
    folder.mkdir()
    for name in ("app.css", "app.js"):
        (folder / name).write_text(f"/* {name} changed */")
    original = app.extensions["static_hasher"]
    fake = StaticHasher(str(folder))
    known = original.version
    app.extensions["static_hasher"].version = lambda name: fake.version(name) or known(name)
    try:
        after = client.get("/sw.js").get_data(as_text=True)
    finally:
        app.extensions["static_hasher"].version = known
    version = re.compile(r'var VERSION = "([0-9a-f]{12})"')
    assert version.search(before).group(1) != version.search(after).group(1)


def test_offline_page_is_public_and_shows_nobody(client_for, client):
    inspector = client_for("inspector", display_name="王督查")
    page = inspector.get("/offline").get_data(as_text=True)
    assert "王督查" not in page and "csrf" not in page.lower()
    assert client.get("/offline").status_code == 200


def test_sign_out_warns_before_unsent_records_are_dropped(client_for):
    html = client_for("inspector").get("/dashboard").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout"[^>]*>', html).group(0)
    assert "data-signout" in form
    assert "退出登录会把它们从手机上删除" in form and "{n}" in form
