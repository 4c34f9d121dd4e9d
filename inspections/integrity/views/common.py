"""The integrity blueprint and what its pages share: labels, loading a case the user may see
(404 otherwise), query-string helpers."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, request
from flask_login import current_user

from compliance.db import db
from compliance.integers import parse_id, required_version
from compliance.models import ROLES

from .. import services as svc
from ..forms import (
    CONCLUSION_LABELS,
    ENTRY_LABELS,
    EVENT_LABELS,
    MEASURE_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
)
from ..models import IntegrityCase

bp = Blueprint("integrity", __name__)

# Pages naming a case by id: every signed-in role (then 404 unless `svc.can_view_case`).
ANY_ROLE = ROLES
PER_PAGE = 30


@bp.app_context_processor
def _labels():
    return {
        "integrity_labels": {
            "status": STATUS_LABELS,
            "source": SOURCE_LABELS,
            "conclusion": CONCLUSION_LABELS,
            "measure": MEASURE_LABELS,
            "entry": ENTRY_LABELS,
            "event": EVENT_LABELS,
        }
    }


def load_case(case_id: int) -> IntegrityCase:
    case = db.session.get(IntegrityCase, case_id)
    if case is None or not svc.can_view_case(current_user, case, db.session):
        abort(404)
    return case


def int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


def date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def version_of(form) -> int:
    """The version the form carried (a missing or malformed one is refused: 400)."""
    return required_version(form.version.data)
