"""Static files carry their content hash in the URL and are cached for a year; a page's repeat
visit asks for none of them again. A changed file gets a new URL; a URL without the current hash
is never cached for long."""

from __future__ import annotations

import re

from flask import url_for

from compliance.static_assets import StaticHasher


def test_pages_link_static_files_with_their_content_hash(client):
    html = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links, "the sign-in page links no static file"
    for link in links:
        assert re.search(r"\?v=[0-9a-f]{12}$", link), link


def test_hashed_static_file_is_cached_for_a_year_and_immutable(app, client):
    with app.test_request_context():
        url = url_for("static", filename="app.css")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_static_file_without_the_current_hash_is_revalidated(client):
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"


def test_a_changed_file_gets_a_new_hash(tmp_path):
    asset = tmp_path / "x.css"
    asset.write_text("a { color: red }")
    hasher = StaticHasher(str(tmp_path))
    first = hasher.version("x.css")
    asset.write_text("a { color: blue }")
    assert hasher.version("x.css") != first
    assert hasher.version("../etc/passwd") is None
    assert hasher.version("missing.css") is None
