"""Pages of the inspections package: patrols, spot checks, findings, catalogue, QR codes, photos."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from compliance.db import db

from .access import can_view_photo
from .models import Photo
from .photos import MIME_TYPES, VARIANTS, photo_path

bp = Blueprint("inspections", __name__)


@bp.route("/photos/<int:photo_id>/<variant>")
@login_required
def photo(photo_id: int, variant: str):
    """Serve one photo variant to a user allowed to see it (404 otherwise, never 403, so ids
    cannot be probed)."""
    if variant not in VARIANTS:
        abort(404)
    row = db.session.get(Photo, photo_id)
    if row is None or not can_view_photo(current_user, row):
        abort(404)
    path = photo_path(current_app.config["UPLOAD_FOLDER"], row, variant)
    if not path.is_file():
        abort(404)
    if variant == "original":
        mimetype = MIME_TYPES[row.original_format]
        name = f"photo-{row.id}.{path.suffix.lstrip('.')}"
        as_attachment = True
    else:
        mimetype = "image/jpeg"
        name = f"photo-{row.id}-{variant}.jpg"
        as_attachment = False
    response = send_file(path, mimetype=mimetype, as_attachment=as_attachment,
                         download_name=name, max_age=0, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
