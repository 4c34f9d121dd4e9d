"""Inspections and findings: the lists with their filters, the detail pages and the photos.

Readers (admin, discipline, inspector) see the records of their sites; window staff see the
findings recorded against themselves (an object rule, `can_view_finding`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, request, send_file
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import roles_required, scope_filter
from compliance.db import db
from compliance.models import ROLES, StaffMember
from compliance.pagination import keyset_paginate
from compliance.timeutil import local_day_bounds_utc

from ..access import (
    FLAG_READER_ROLES,
    READER_ROLES,
    can_view_finding,
    can_view_inspection,
    can_view_photo,
    findings_clause,
)
from ..check_results import result_counts
from ..models import (
    CATEGORIES,
    INSPECTION_KINDS,
    SEVERITIES,
    CheckItem,
    CheckItemVersion,
    Finding,
    Inspection,
    InspectionFlag,
    InspectionInspector,
    Photo,
)
from ..photos import MIME_TYPES, VARIANTS, photo_path
from ..services import draft_failures, may_work_on, took_part
from .common import PER_PAGE, bp, filter_choices, list_filters, photos_for

# Window staff read the findings recorded against themselves.
FINDING_ROLES = (*READER_ROLES, "staff")

# --------------------------------------------------------------------------- photos


@bp.route("/photos/<int:photo_id>/<variant>")
@roles_required(*ROLES)
def photo(photo_id: int, variant: str):
    """Serve one photo variant to a user allowed to see it (404 otherwise, so ids cannot be
    probed)."""
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
        name = f"photo-{row.id}{path.suffix}"
        as_attachment = True
    else:
        mimetype = "image/jpeg"
        name = f"photo-{row.id}-{variant}.jpg"
        as_attachment = False
    response = send_file(
        path, mimetype=mimetype, as_attachment=as_attachment, download_name=name, conditional=True
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --------------------------------------------------------------------------- inspections


@bp.route("/inspections")
@roles_required(*READER_ROLES)
def inspection_list():
    # The filters select ids only (the index (site_id, started_at, id) serves filter and order);
    # the page's rows are loaded with their site, inspectors and flags after the limit.
    query = sa.select(Inspection.id).where(
        scope_filter(current_user, Inspection.site_id),
        sa.or_(Inspection.status == "submitted", Inspection.inspector_id == current_user.id),
    )
    f = list_filters()
    show_flags = current_user.has_role(*FLAG_READER_ROLES)
    f["flagged"] = show_flags and request.args.get("flagged") == "1"
    if f["site"]:
        query = query.where(Inspection.site_id == f["site"])
    if f["kind"] in INSPECTION_KINDS:
        query = query.where(Inspection.kind == f["kind"])
    if f["inspector"]:
        query = query.where(took_part(f["inspector"]))
    if f["flagged"]:
        query = query.where(sa.exists().where(InspectionFlag.inspection_id == Inspection.id))
    if f["start"]:
        query = query.where(Inspection.started_at >= local_day_bounds_utc(f["start"])[0])
    if f["end"]:
        query = query.where(Inspection.started_at < local_day_bounds_utc(f["end"])[1])
    page = keyset_paginate(
        query, Inspection.started_at, Inspection.id, _load_inspections, per_page=PER_PAGE
    )
    return render_template(
        "inspections/inspection_list.html",
        page=page,
        f=f,
        show_flags=show_flags,
        **filter_choices(),
    )


def _load_inspections(ids: list[int]) -> list[Inspection]:
    # The people's names only: their roles and sites (loaded with every User by default) would
    # cost statements that come and go with which users happen to be on the page.
    return list(
        db.session.scalars(
            sa.select(Inspection)
            .where(Inspection.id.in_(ids))
            .options(
                joinedload(Inspection.site),
                joinedload(Inspection.inspector).lazyload("*"),
                selectinload(Inspection.team).joinedload(InspectionInspector.user).lazyload("*"),
                selectinload(Inspection.flags),
            )
        )
    )


@bp.route("/inspections/<int:inspection_id>")
@roles_required(*READER_ROLES)
def inspection_detail(inspection_id: int):
    # The same statements whoever recorded the round and whatever it holds: the inspection with
    # its site, inspector (name only), drawn team and flags in one go (the scope is read even for
    # one's own round), then its counts, findings and photos.
    show_flags = current_user.has_role(*FLAG_READER_ROLES)
    options = [
        joinedload(Inspection.site),
        joinedload(Inspection.inspector).lazyload("*"),
        selectinload(Inspection.team).joinedload(InspectionInspector.user).lazyload("*"),
    ]
    if show_flags:
        options.append(selectinload(Inspection.flags))
    inspection = db.session.scalar(
        sa.select(Inspection)
        .where(
            Inspection.id == inspection_id,
            sa.or_(
                Inspection.inspector_id == current_user.id,
                scope_filter(current_user, Inspection.site_id),
            ),
        )
        .options(*options)
    )
    if inspection is None or not can_view_inspection(current_user, inspection):
        abort(404)
    counts = result_counts(db.session, inspection.id)
    findings = list(
        db.session.scalars(
            sa.select(Finding)
            .options(joinedload(Finding.staff_member), joinedload(Finding.window))
            .where(Finding.inspection_id == inspection.id)
            .order_by(Finding.id)
        )
    )
    # A submitted round's failures are its findings; a draft's are still check results.
    failures = draft_failures(db.session, inspection) if inspection.status == "draft" else []
    photos = photos_for(finding_ids=[f.id for f in findings], result_ids=[f.id for f in failures])
    return render_template(
        "inspections/inspection_detail.html",
        inspection=inspection,
        counts=counts,
        findings=findings,
        failures=failures,
        photos=photos,
        can_work=may_work_on(current_user, inspection),
        show_flags=show_flags,
    )


# --------------------------------------------------------------------------- findings


def _load_findings(ids: list[int]) -> list[Finding]:
    return list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.id.in_(ids))
            .options(
                joinedload(Finding.site),
                joinedload(Finding.staff_member),
                joinedload(Finding.window),
                joinedload(Finding.found_by),
                joinedload(Finding.inspection),
            )
        )
    )


@bp.route("/findings")
@roles_required(*FINDING_ROLES)
def finding_list():
    if not current_user.has_role(*READER_ROLES) and current_user.staff_member_id is None:
        abort(403)  # a staff account not linked to a staff member has no findings of its own
    # Ids first, filtered and ordered by the index (site_id, found_at, id), limited to one page;
    # then the page's findings with what they show.
    query = sa.select(Finding.id).where(findings_clause(current_user))
    f = list_filters()
    staff_no = (request.args.get("staff_no") or "").strip()
    if staff_no:
        f["staff"] = (
            db.session.scalar(sa.select(StaffMember.id).where(StaffMember.staff_no == staff_no))
            or -1
        )
    f["staff_no"] = staff_no
    item_code = (request.args.get("item") or "").strip()
    f["item"], f["item_code"] = None, item_code
    if item_code:
        # A check item by its code (the dashboards' "most frequent items" link here): findings
        # recorded against any of its versions.
        f["item"] = db.session.scalar(sa.select(CheckItem).where(CheckItem.code == item_code))
        versions = sa.select(CheckItemVersion.id).where(
            CheckItemVersion.item_id == (f["item"].id if f["item"] is not None else -1)
        )
        query = query.where(Finding.item_version_id.in_(versions))
    if f["site"]:
        query = query.where(Finding.site_id == f["site"])
    if f["category"] in CATEGORIES:
        query = query.where(Finding.category == f["category"])
    if f["severity"] in SEVERITIES:
        query = query.where(Finding.severity == f["severity"])
    if f["inspector"]:
        query = query.where(Finding.found_by_id == f["inspector"])
    if f["staff"]:
        query = query.where(Finding.staff_member_id == f["staff"])
    if f["kind"] in INSPECTION_KINDS:
        query = query.where(
            Finding.inspection_id.in_(sa.select(Inspection.id).where(Inspection.kind == f["kind"]))
        )
    if f["start"]:
        query = query.where(Finding.found_at >= local_day_bounds_utc(f["start"])[0])
    if f["end"]:
        query = query.where(Finding.found_at < local_day_bounds_utc(f["end"])[1])
    page = keyset_paginate(query, Finding.found_at, Finding.id, _load_findings, per_page=PER_PAGE)
    photo_counts = dict(
        db.session.execute(
            sa.select(Photo.finding_id, sa.func.count(Photo.id))
            .where(Photo.finding_id.in_([x.id for x in page.items] or [-1]))
            .group_by(Photo.finding_id)
        ).all()
    )
    member = db.session.get(StaffMember, f["staff"]) if f["staff"] else None
    staff_name = member.name if member is not None else ""
    return render_template(
        "inspections/finding_list.html",
        page=page,
        f=f,
        photo_counts=photo_counts,
        staff_name=staff_name,
        reader=current_user.has_role(*READER_ROLES),
        **filter_choices(),
    )


@bp.route("/findings/<int:finding_id>")
@roles_required(*FINDING_ROLES)
def finding_detail(finding_id: int):
    # Everything the page shows in the one statement (the same statements whether the finding
    # names a person, a window, a checklist item and a round, or none of them).
    finding = db.session.scalar(
        sa.select(Finding)
        .where(Finding.id == finding_id)
        .options(
            joinedload(Finding.site),
            joinedload(Finding.staff_member),
            joinedload(Finding.window),
            joinedload(Finding.item_version),
            joinedload(Finding.inspection),
            # The author's name only (their roles and sites load with every User by default).
            joinedload(Finding.found_by).lazyload("*"),
        )
    )
    if finding is None or not can_view_finding(current_user, finding):
        abort(404)
    photos = photos_for(finding_ids=[finding.id]).get(("f", finding.id), [])
    # Photos taken at the inspection, then later evidence (e.g. of the rectification).
    at_inspection = [
        p
        for p in photos
        if finding.check_result_id is not None and p.check_result_id == finding.check_result_id
    ]
    later = [p for p in photos if p not in at_inspection]
    # Boxes the rectification loop and the integrity cases add (each returns "" when not theirs).
    boxes = [box(finding) for box in current_app.extensions.get("finding_detail_extra", [])]
    extra = Markup("".join(str(b) for b in boxes if b)) or None
    return render_template(
        "inspections/finding_detail.html",
        finding=finding,
        photos=at_inspection,
        later_photos=later,
        extra=extra,
    )
