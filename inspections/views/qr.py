"""Printable QR codes of a site's windows: scanning one opens the patrol round at that window."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask import abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from compliance.access import in_scope, roles_required, sites_in_scope
from compliance.db import db
from compliance.models import Window

from .common import bp, int_arg


@bp.route("/windows/qr")
@roles_required("admin", "inspector", "discipline")
def window_qr():
    sites = sites_in_scope(current_user)
    site_id = int_arg("site") or (sites[0].id if sites else None)
    if site_id is not None and not in_scope(current_user, site_id):
        abort(404)
    windows = list(
        db.session.scalars(
            sa.select(Window)
            .where(Window.site_id == site_id, Window.is_active.is_(True))
            .order_by(Window.code)
        )
    )
    codes = []
    base = current_app.config.get("BASE_URL", "").rstrip("/") or request.host_url.rstrip("/")
    for window in windows:
        url = base + url_for(".window_entry", window_id=window.id)
        image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
        svg = image.to_string(encoding="unicode")
        codes.append((window, Markup(svg[svg.index("<svg") :]), url))
    return render_template("inspections/qr.html", sites=sites, site_id=site_id, codes=codes)
