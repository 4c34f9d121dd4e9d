"""The installable web app: the manifest, the service worker and the page shown when a page is
not available offline.

The service worker (`/sw.js`, scope `/`) keeps the app shell (stylesheets, scripts, icons, the
offline page) and the pages feature packages declare usable offline. Feature packages register
what they need with `register_offline(...)`; the core never imports them:

- `assets`: static files the shell keeps (e.g. the patrol page's script);
- `scripts`: static files the service worker itself loads with `importScripts` (e.g. the patrol
  outbox, so it can send queued rounds when no page is open);
- `page_patterns`: regular expressions of paths whose pages are kept once visited (network
  first; the kept copy when the network fails);
- `pages(user)`: the pages to fetch ahead for the signed-in user, as `(url, title)` pairs.

Pages kept on the phone are personal: the service worker drops them (and asks the packages to
drop their data) when the user signs out, after warning about anything not yet sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .access import roles_required
from .models import ROLES

bp = Blueprint("pwa", __name__)

# What every page needs, kept by the service worker at install.
SHELL_ASSETS = (
    "app.css",
    "app.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-512.png",
)
# Pages that always come from the network (signing in must work while pages are kept).
NETWORK_ONLY = ("/login", "/logout", "/lang/", "/api/", "/sw.js", "/pwa/")


@dataclass
class OfflineRegistry:
    assets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    page_patterns: list[str] = field(default_factory=list)
    page_providers: list[Callable] = field(default_factory=list)


def _registry(app) -> OfflineRegistry:
    return app.extensions.setdefault("compliance_offline", OfflineRegistry())


def register_offline(
    app,
    *,
    assets=(),
    scripts=(),
    page_patterns=(),
    pages: Callable | None = None,
) -> None:
    """Declare what a feature package needs on the phone (see the module docstring)."""
    registry = _registry(app)
    registry.assets.extend(a for a in assets if a not in registry.assets)
    registry.scripts.extend(s for s in scripts if s not in registry.scripts)
    registry.page_patterns.extend(page_patterns)
    if pages is not None:
        registry.page_providers.append(pages)


def _static_urls(filenames) -> list[str]:
    return [url_for("static", filename=name) for name in filenames]


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest (public: browsers fetch it without cookies)."""
    body = {
        "name": _("Service centre window supervision"),
        "short_name": _("Window supervision"),
        "description": _("Patrols, spot checks and rectification in the service hall."),
        "lang": "zh-CN",
        "dir": "ltr",
        "id": "/",
        "start_url": url_for("main.dashboard"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#b3261e",
        "icons": [
            {
                "src": url_for("static", filename="icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, generated from the current static files: a changed file changes this
    script, and browsers install the new version on the next visit."""
    registry = _registry(current_app)
    shell = _static_urls([*SHELL_ASSETS, *registry.assets])
    scripts = _static_urls(registry.scripts)
    body = render_template(
        "pwa/sw.js",
        shell=shell,
        scripts=scripts,
        offline_url=url_for("pwa.offline"),
        precache_url=url_for("pwa.precache"),
        patterns=registry.page_patterns,
        network_only=NETWORK_ONLY,
    )
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    body = body.replace("__VERSION__", version)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
def offline():
    """What the service worker shows for a page it does not keep while there is no network.
    Public and personal-data free: its script lists what is kept on the phone."""
    response = current_app.make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/pwa/precache.json")
@roles_required(*ROLES)
def precache():
    """The pages the signed-in user needs on the phone (fetched by the service worker)."""
    pages: list[dict] = []
    for provider in _registry(current_app).page_providers:
        for url, title in provider(current_user) or ():
            pages.append({"url": url, "title": str(title)})
    return jsonify(user=current_user.id, pages=pages)


def init_app(app) -> None:
    _registry(app)
    app.register_blueprint(bp)
