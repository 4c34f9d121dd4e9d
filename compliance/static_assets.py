"""Static files with their content hash in the URL, cached for a year.

`url_for("static", filename="app.css")` gives `/static/app.css?v=<hash of the file>`: a browser
keeps the file for a year without asking again (`Cache-Control: public, max-age=31536000,
immutable`), and a changed file gets a new URL. A request without the current hash (an old page,
or a hand-typed URL) is answered with `no-cache`, so a stale copy is never pinned.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 31_536_000
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"

_lock = threading.Lock()


class StaticHasher:
    """The content hash of each static file, recomputed when the file changes (its size or
    modification time), so a development server never serves a stale hash."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).resolve()
        self._known: dict[str, tuple[int, int, str]] = {}

    def path(self, filename: str) -> Path | None:
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        return path

    def version(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256 (None for a missing file)."""
        path = self.path(filename)
        if path is None:
            return None
        stat = path.stat()
        known = self._known.get(filename)
        if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            return known[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with _lock:
            self._known[filename] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def hasher(app: Flask) -> StaticHasher:
    return app.extensions["static_hasher"]


def static_url_version(app: Flask, filename: str) -> str | None:
    return hasher(app).version(filename)


def init_app(app: Flask) -> None:
    app.extensions["static_hasher"] = StaticHasher(app.static_folder or os.devnull)

    @app.url_defaults
    def _hashed_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = hasher(app).version(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _static_cache(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        given = request.args.get("v")
        if given and given == hasher(app).version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
