"""The patrol round kept on the phone: one page per site carrying what a round needs (the windows,
who is on duty today, the checklist in force), which the service worker keeps so that a round can
be started, filled and submitted without a network. The round lives in the phone's IndexedDB and
reaches the server through the idempotent API (`POST /api/v1/inspections`, keyed by the round's
UUID; photos by their SHA-256) when the network allows; see compliance/static/inspections/.

Without JavaScript the server-rendered round (`rounds.py`) is used instead.
"""

from __future__ import annotations

import json

from flask import abort, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from compliance.access import in_scope, roles_required, sites_in_scope
from compliance.db import db
from compliance.models import Site
from compliance.timeutil import local_today

from ..forms import SEVERITY_LABELS
from ..services import active_items, site_roster
from .common import ROUND_ROLES, bp

# Sites whose round pages are fetched ahead for an inspector (a centre with its halls and
# stations is well under this; users who see every site keep only the pages they open).
PRECACHE_SITES = 30
# Paths whose pages the service worker keeps once visited (network first).
OFFLINE_PAGE_PATTERNS = (r"^/patrols$", r"^/patrols/sites/\d+/round$")


@bp.app_template_filter("json_data")
def json_data(value) -> Markup:
    """JSON for a `<script type="application/json">` block: Chinese as UTF-8 rather than
    \\uXXXX escapes (half the bytes), with the characters that could end the block escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return Markup(text)


def round_data(site: Site, day, roster, items) -> dict:
    """What the page's script needs to run a round of `site` on the phone."""
    locale = str(get_locale() or "zh")
    area = _("Site area")
    targets: dict[str, dict] = {"a": {"kind": "area", "label": area, "where": area}}
    leave = []
    for window in roster.windows:
        short = _("Window %(label)s", label=window.code)
        targets[f"w{window.id}"] = {
            "kind": "window",
            "label": _("Window %(label)s", label=window.label),
            "where": short,
        }
        for entry in roster.duty.get(window.id, []):
            targets[f"s{entry.staff.id}"] = {
                "kind": "staff",
                "label": f"{entry.staff.name} · {window.label}",
                "where": f"{entry.staff.name} · {short}",
            }
            if entry.on_leave:
                leave.append(f"s{entry.staff.id}")
    return {
        "site": {"id": site.id, "name": site.name},
        "day": day.isoformat(),
        "user": current_user.id,
        "checklist": max((v.id for _i, v in items), default=0),
        "items": [
            {
                "code": item.code,
                "target": item.target,
                "category": item.category,
                "text": version.text(locale),
                "severity": version.severity,
                "photo": bool(version.photo_required),
            }
            for item, version in items
        ],
        "targets": targets,
        "severities": {key: str(label) for key, label in SEVERITY_LABELS.items()},
        "leave": leave,
        "urls": {
            "session": url_for(".offline_session"),
            "inspections": "/api/v1/inspections",
            "login": url_for("auth.login", next=url_for(".offline_round", site_id=site.id)),
            "detail": url_for(".inspection_list"),
            "round": url_for(".offline_round", site_id=0),
        },
    }


@bp.route("/patrols/sites/<int:site_id>/round")
@roles_required(*ROUND_ROLES)
def offline_round(site_id: int):
    """A patrol round of the site recorded on the phone (the page's script keeps it, offline
    too, and sends it when the network allows)."""
    site = db.session.get(Site, site_id)
    if site is None or not in_scope(current_user, site.id):
        abort(404)
    day = local_today()
    roster = site_roster(db.session, site, day)
    items = active_items(db.session)
    return render_template(
        "inspections/offline_round.html",
        site=site,
        roster=roster,
        items=items,
        day=day,
        data=round_data(site, day, roster, items),
    )


@bp.route("/patrols/offline/session")
@roles_required(*ROUND_ROLES)
def offline_session():
    """Who is signed in and a fresh CSRF token, for the phone's outbox before it sends (the
    token kept in a page from the cache may be from an earlier sign-in). Not stored by browsers."""
    return jsonify(user=current_user.id, csrf_token=generate_csrf())


def offline_pages(user) -> list[tuple[str, str]]:
    """Pages an inspector needs on the phone: the patrol page and a round page per site."""
    if not user.has_role(*ROUND_ROLES):
        return []
    pages = [(url_for("inspections.patrol_start"), _("Patrol"))]
    if user.has_role("inspector") and not user.all_sites:
        for site in sites_in_scope(user)[:PRECACHE_SITES]:
            pages.append(
                (
                    url_for("inspections.offline_round", site_id=site.id),
                    _("Patrol: %(site)s", site=site.name),
                )
            )
    return pages
