"""What others see of a case: the accused's conclusion notice (once notified: the conclusion and
the measure, never the evidence or who reported it), the evidence photos (case readers only), and
the box on a finding's page ("已移交纪检": the inspector sees that it went to the discipline office,
nothing of the case)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, send_file
from flask_login import current_user

from compliance.access import roles_required
from compliance.db import db

from ...models import Photo
from ...photos import MIME_TYPES, VARIANTS, photo_path
from .. import services as svc
from ..models import IntegrityCase, IntegrityCaseEvent, IntegrityEventPhoto
from .common import ANY_ROLE, bp, load_case


@bp.route("/integrity/notices/<int:case_id>")
@roles_required(*ANY_ROLE)
def notice(case_id: int):
    case = db.session.get(IntegrityCase, case_id)
    if case is None or not svc.can_read_notice(current_user, case):
        abort(404)
    return render_template("inspections/integrity/notice.html", case=case)


@bp.route("/integrity/cases/<int:case_id>/photos/<int:photo_id>/<variant>")
@roles_required(*ANY_ROLE)
def photo(case_id: int, photo_id: int, variant: str):
    """A photo of the case's finding or of one of its timeline entries, for case readers."""
    case = load_case(case_id)
    if variant not in VARIANTS:
        abort(404)
    ph = db.session.get(Photo, photo_id)
    if ph is None:
        abort(404)
    belongs = (case.finding_id is not None and ph.finding_id == case.finding_id) or bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(IntegrityEventPhoto)
            .join(IntegrityCaseEvent, IntegrityCaseEvent.id == IntegrityEventPhoto.event_id)
            .where(IntegrityEventPhoto.photo_id == ph.id, IntegrityCaseEvent.case_id == case.id)
        )
    )
    if not belongs:
        abort(404)
    path = photo_path(current_app.config["UPLOAD_FOLDER"], ph, variant)
    if not path.exists():
        abort(404)
    mimetype = MIME_TYPES[ph.original_format] if variant == "original" else "image/jpeg"
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def finding_box(finding) -> str:
    """On a finding's page: "passed to the discipline office" for an integrity finding, with a
    link to the case for those who may read it."""
    if not finding.is_integrity:
        return ""
    case = db.session.scalar(sa.select(IntegrityCase).where(IntegrityCase.finding_id == finding.id))
    readable = case is not None and svc.can_view_case(current_user, case, db.session)
    return render_template(
        "inspections/integrity/_finding_box.html", case=case if readable else None
    )
