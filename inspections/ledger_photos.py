"""Photos in the ledgers, each once with its role: the photo of the problem, or one sent later
with a response or an on-the-spot fix (those are linked to the finding too, and are never shown
as the problem's photo). Shared by the inspection and rectification ledgers."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_pgettext as _lp
from flask_babel import pgettext

from .models import Photo
from .rectification.models import (
    Rectification,
    RectificationEvent,
    RectificationEventPhoto,
)

PHOTO_ROLE_LABELS = {
    "problem": _lp("photo role", "Problem"),
    "response": _lp("photo role", "Response"),
    "fixed_on_spot": _lp("photo role", "On-the-spot fix"),
}


def _photo_url(prefix: str) -> str:
    return current_app.config.get("BASE_URL", "").rstrip("/") + prefix + "/{}/display"


def _event_photo_roles(session, clause) -> list[tuple[int, int, int | None, str]]:
    """(rectification id, photo id, the rectification's finding id, role) of the photos sent
    with a response or an on-the-spot fix."""
    rows = session.execute(
        sa.select(
            RectificationEvent.rectification_id,
            RectificationEventPhoto.photo_id,
            Rectification.finding_id,
            RectificationEvent.kind,
        )
        .join(RectificationEvent, RectificationEvent.id == RectificationEventPhoto.event_id)
        .join(Rectification, Rectification.id == RectificationEvent.rectification_id)
        .where(clause)
        .order_by(RectificationEventPhoto.photo_id)
    ).all()
    return [
        (rect_id, photo_id, finding_id, "fixed_on_spot" if kind == "fixed_on_spot" else "response")
        for rect_id, photo_id, finding_id, kind in rows
    ]


def photos_by_finding(session, finding_ids) -> dict[int, list[tuple[str, int]]]:
    """Each finding's photos, each once, in upload order, with its role: "problem" (taken when
    the problem was found), "response" or "fixed_on_spot" (sent later on the rectification, which
    also links them to the finding: they are never shown as the problem's photo)."""
    ids = {i for i in finding_ids if i}
    if not ids:
        return {}
    roles: dict[int, tuple[int, str]] = {}
    for _rect, photo_id, finding_id, role in _event_photo_roles(
        session, Rectification.finding_id.in_(ids)
    ):
        roles.setdefault(photo_id, (finding_id, role))
    for finding_id, photo_id in session.execute(
        sa.select(Photo.finding_id, Photo.id).where(Photo.finding_id.in_(ids))
    ):
        roles.setdefault(photo_id, (finding_id, "problem"))
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for photo_id in sorted(roles):
        finding_id, role = roles[photo_id]
        out[finding_id].append((role, photo_id))
    return out


def photos_by_rectification(session, findings_of: dict[int, int | None]):
    """`photos_by_finding` for rectifications ({rectification id: finding id or None}); a
    rectification of a complaint has only the photos of its responses."""
    by_finding = photos_by_finding(session, findings_of.values())
    out: dict[int, list[tuple[str, int]]] = {}
    for rect_id, finding_id in findings_of.items():
        if finding_id is not None:
            out[rect_id] = by_finding.get(finding_id, [])
    without = [rect_id for rect_id, finding_id in findings_of.items() if finding_id is None]
    if without:
        seen: dict[int, set[int]] = defaultdict(set)
        for rect_id, photo_id, _finding, role in _event_photo_roles(
            session, Rectification.id.in_(without)
        ):
            if photo_id not in seen[rect_id]:
                seen[rect_id].add(photo_id)
                out.setdefault(rect_id, []).append((role, photo_id))
    return out


def photo_lines(prefix: str):
    """A function writing one line per photo, its role and its link (the labels and the link
    resolved once per export)."""
    url = _photo_url(prefix)
    line = pgettext("photo link", "%(role)s: %(url)s")
    labels = {key: str(label) for key, label in PHOTO_ROLE_LABELS.items()}

    def lines(photos) -> str | None:
        if not photos:
            return None
        return "\n".join(
            line % {"role": labels[role], "url": url.format(photo_id)} for role, photo_id in photos
        )

    return lines
