"""Pages of the inspections package: patrol rounds and spot checks on a phone, findings,
inspections, the checklist catalogue, window QR codes, draws, schedules and photos."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from compliance.access import in_scope, roles_required, scope_filter, scope_ids, sites_in_scope
from compliance.db import db
from compliance.models import Site, StaffMember, User, Window
from compliance.timeutil import local_day_bounds_utc, local_today

from . import draws as draw_svc
from . import schedules
from .access import READER_ROLES, can_view_finding, can_view_inspection, can_view_photo
from .forms import (
    CATEGORY_LABELS,
    KIND_LABELS,
    SEVERITY_LABELS,
    TARGET_LABELS,
    WEEKDAYS,
    CheckItemForm,
    DrawForm,
    DrawScheduleForm,
)
from .models import (
    CATEGORIES,
    INSPECTION_KINDS,
    SEVERITIES,
    CheckItem,
    CheckItemVersion,
    CheckResult,
    Draw,
    DrawSchedule,
    Finding,
    Inspection,
    InspectionInspector,
    PatrolPlan,
    Photo,
)
from .photos import MAX_BYTES, MIME_TYPES, VARIANTS, PhotoError, photo_path, store_photo
from .services import (
    InspectionError,
    Target,
    active_items,
    draft_failures,
    may_work_on,
    record_failure,
    remove_failure,
    round_targets,
    set_location,
    site_roster,
    start_round,
    submit_round,
)

bp = Blueprint("inspections", __name__)
PER_PAGE = 30
ROUND_ROLES = ("inspector", "admin", "discipline")


@bp.app_context_processor
def _labels():
    return {
        "category_labels": CATEGORY_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "target_labels": TARGET_LABELS,
        "kind_labels": KIND_LABELS,
    }


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _page() -> int:
    return max(1, _int_arg("page") or 1)


# --------------------------------------------------------------------------- photos


@bp.route("/photos/<int:photo_id>/<variant>")
@login_required
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


# --------------------------------------------------------------------------- starting a round


def _my_open_rounds(user: User) -> list[Inspection]:
    """Drafts the user can work on: their own rounds and spot checks they were drawn for."""
    team = sa.select(InspectionInspector.inspection_id).where(
        InspectionInspector.user_id == user.id
    )
    return list(
        db.session.scalars(
            sa.select(Inspection)
            .options(
                joinedload(Inspection.site),
                joinedload(Inspection.target_window),
                joinedload(Inspection.target_staff),
            )
            .where(
                Inspection.status == "draft",
                sa.or_(Inspection.inspector_id == user.id, Inspection.id.in_(team)),
            )
            .order_by(Inspection.created_at.desc())
            .limit(50)
        )
    )


@bp.route("/patrols")
@roles_required(*ROUND_ROLES)
def patrol_start():
    today = local_today()
    status = {s.site.id: s for s in schedules.patrol_status(db.session, today, current_user)}
    return render_template(
        "inspections/patrol_start.html",
        sites=sites_in_scope(current_user),
        status=status,
        open_rounds=_my_open_rounds(current_user),
        highlight=_int_arg("site"),
    )


def _open_or_resume(site: Site) -> Inspection:
    draft = db.session.scalars(
        sa.select(Inspection)
        .where(
            Inspection.status == "draft",
            Inspection.kind == "patrol",
            Inspection.site_id == site.id,
            Inspection.inspector_id == current_user.id,
        )
        .order_by(Inspection.created_at.desc())
        .limit(1)
    ).first()
    if draft is not None:
        return draft
    inspection = start_round(
        db.session,
        current_user,
        site,
        uuid=request.form.get("uuid") or None,
        device_time=request.form.get("device_time"),
        latitude=request.form.get("latitude"),
        longitude=request.form.get("longitude"),
        accuracy=request.form.get("accuracy"),
    )
    db.session.commit()
    return inspection


@bp.route("/patrols/start", methods=["POST"])
@roles_required(*ROUND_ROLES)
def patrol_begin():
    site_id = request.form.get("site_id", "")
    site = db.session.get(Site, int(site_id)) if site_id.isdigit() else None
    if site is None or not in_scope(current_user, site.id):
        abort(404)
    try:
        inspection = _open_or_resume(site)
    except InspectionError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".patrol_start"))
    return redirect(url_for(".round", uuid=inspection.uuid))


@bp.route("/patrols/window/<int:window_id>")
@roles_required(*ROUND_ROLES)
def window_entry(window_id: int):
    """Where a window's QR code leads: the site's open round (started if needed) at that window."""
    window = db.session.get(Window, window_id)
    if window is None or not in_scope(current_user, window.site_id):
        abort(404)
    inspection = _open_or_resume(window.site)
    return redirect(url_for(".round", uuid=inspection.uuid, _anchor=f"w{window.id}"))


# --------------------------------------------------------------------------- the round page


def _round_or_404(uuid: str, *, work: bool = False) -> Inspection:
    inspection = db.session.scalars(
        sa.select(Inspection)
        .options(joinedload(Inspection.site), selectinload(Inspection.team))
        .where(Inspection.uuid == uuid)
    ).first()
    if inspection is None or not in_scope(current_user, inspection.site_id):
        abort(404)
    if work and not may_work_on(current_user, inspection):
        if inspection.status != "draft":
            return inspection
        abort(403)
    return inspection


def _round_targets(inspection: Inspection, roster) -> list:
    """Windows to show: a spot check of a window or a staff member shows that window only."""
    if inspection.target_window_id is not None:
        return [w for w in roster.windows if w.id == inspection.target_window_id]
    if inspection.target_staff_id is not None:
        entry = roster.entry_for(inspection.target_staff_id)
        return [entry.window] if entry else []
    return roster.windows


@bp.route("/rounds/<uuid>")
@roles_required(*ROUND_ROLES)
def round(uuid: str):  # noqa: A001  (the endpoint name users see in URLs)
    inspection = _round_or_404(uuid, work=True)
    if inspection.status != "draft":
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    roster = site_roster(db.session, inspection.site, local_today())
    failures = draft_failures(db.session, inspection)
    photo_counts = dict(
        db.session.execute(
            sa.select(Photo.check_result_id, sa.func.count(Photo.id))
            .where(Photo.inspection_uuid == inspection.uuid, Photo.check_result_id.is_not(None))
            .group_by(Photo.check_result_id)
        ).all()
    )
    by_target: dict[str, int] = {}
    for f in failures:
        key = (
            f"s{f.staff_member_id}"
            if f.staff_member_id
            else f"w{f.window_id}"
            if f.window_id
            else "a"
        )
        by_target[key] = by_target.get(key, 0) + 1
    return render_template(
        "inspections/round.html",
        inspection=inspection,
        roster=roster,
        windows=_round_targets(inspection, roster),
        failures=failures,
        by_target=by_target,
        photo_counts=photo_counts,
        show_area=inspection.draw_id is None,
        only_staff=inspection.target_staff_id,
    )


def _target_label(inspection: Inspection, target: Target, roster) -> str:
    if target.kind == "area":
        return _("Site area: %(site)s", site=inspection.site.name)
    if target.kind == "window":
        window = next((w for w in roster.windows if w.id == target.id), None)
        if window is None:
            abort(404)
        return _("Window %(label)s", label=window.label)
    entry = roster.entry_for(target.id)
    if entry is None:
        abort(404)
    return f"{entry.staff.name} · {entry.window.label}"


@bp.route("/rounds/<uuid>/fail", methods=["GET", "POST"])
@roles_required(*ROUND_ROLES)
def fail(uuid: str):
    """The small panel: choose the failed item, reason, note and photos for one target."""
    inspection = _round_or_404(uuid, work=True)
    if inspection.status != "draft":
        return redirect(url_for(".inspection_detail", inspection_id=inspection.id))
    try:
        target = Target.parse(request.values.get("target", ""))
    except InspectionError:
        abort(404)
    roster = site_roster(db.session, inspection.site, local_today())
    if target not in round_targets(inspection, roster):
        abort(404)  # e.g. the area, or another window, in a spot check of one window
    label = _target_label(inspection, target, roster)
    items = [(i, v) for i, v in active_items(db.session) if i.target == target.kind]
    error = None
    form = {"item": request.values.get("item", ""), "severity": "", "reason": "", "note": ""}
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in ("item", "severity", "reason", "note")})
        files = [f for f in request.files.getlist("photos") if f and f.filename]
        try:
            if not form["item"]:
                raise InspectionError(_("Choose the item that failed."), "item")
            result = record_failure(
                db.session,
                current_user,
                inspection,
                target=target,
                item_code=form["item"],
                severity=form["severity"] or None,
                reason=form["reason"],
                note=form["note"],
                roster=roster,
            )
            for upload in files:
                store_photo(
                    db.session,
                    current_user,
                    upload.read(),
                    upload_folder=current_app.config["UPLOAD_FOLDER"],
                    inspection_uuid=inspection.uuid,
                    check_result_id=result.id,
                    max_bytes=current_app.config.get("PHOTO_MAX_BYTES", MAX_BYTES),
                )
            db.session.commit()
        except (InspectionError, PhotoError) as exc:
            db.session.rollback()
            error = exc.message
        else:
            flash(_("Failure recorded."), "success")
            anchor = (
                "area"
                if target.kind == "area"
                else (f"w{result.window_id}" if result.window_id else None)
            )
            return redirect(url_for(".round", uuid=inspection.uuid, _anchor=anchor))
    existing = [
        f
        for f in draft_failures(db.session, inspection)
        if (
            f.staff_member_id
            if target.kind == "staff"
            else f.window_id
            if target.kind == "window"
            else None
        )
        == target.id
        and (target.kind != "window" or f.staff_member_id is None)
    ]
    photos = {}
    if existing:
        for p in db.session.scalars(
            sa.select(Photo).where(Photo.check_result_id.in_([f.id for f in existing]))
        ):
            photos.setdefault(p.check_result_id, []).append(p)
    entry = roster.entry_for(target.id) if target.kind == "staff" else None
    return render_template(
        "inspections/fail.html",
        inspection=inspection,
        target=target,
        label=label,
        items=items,
        form=form,
        error=error,
        existing=existing,
        photos=photos,
        on_leave=bool(entry and entry.on_leave),
    ), (422 if error else 200)


@bp.route("/rounds/<uuid>/failures/<int:result_id>/remove", methods=["POST"])
@roles_required(*ROUND_ROLES)
def remove(uuid: str, result_id: int):
    inspection = _round_or_404(uuid, work=True)
    result = db.session.get(CheckResult, result_id)
    if result is None or result.inspection_id != inspection.id:
        abort(404)
    try:
        remove_failure(db.session, current_user, inspection, result)
        db.session.commit()
        flash(_("Failure removed."), "success")
    except InspectionError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for(".round", uuid=inspection.uuid))


@bp.route("/rounds/<uuid>/save", methods=["POST"])
@roles_required(*ROUND_ROLES)
def save(uuid: str):
    """Save the draft (note, location) to resume later; failures are saved as they are made."""
    inspection = _round_or_404(uuid, work=True)
    if inspection.status == "draft":
        if inspection.latitude is None:
            set_location(
                inspection,
                request.form.get("latitude"),
                request.form.get("longitude"),
                request.form.get("accuracy"),
            )
        inspection.note = (request.form.get("note") or "").strip() or None
        db.session.commit()
        flash(_("Round saved. You can resume it from the patrol page."), "success")
    return redirect(url_for(".patrol_start"))


@bp.route("/rounds/<uuid>/submit", methods=["POST"])
@roles_required(*ROUND_ROLES)
def submit(uuid: str):
    inspection = _round_or_404(uuid, work=True)
    try:
        findings = submit_round(
            db.session,
            current_user,
            inspection,
            device_time=request.form.get("device_time"),
            latitude=request.form.get("latitude"),
            longitude=request.form.get("longitude"),
            accuracy=request.form.get("accuracy"),
            note=request.form.get("note"),
        )
        if inspection.draw_id is not None:
            draw_svc.refresh_status(db.session, db.session.get(Draw, inspection.draw_id))
        db.session.commit()
    except InspectionError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".round", uuid=uuid))
    flash(_("Round submitted: %(n)s findings.", n=len(findings)), "success")
    return redirect(url_for(".inspection_detail", inspection_id=inspection.id))


# --------------------------------------------------------------------------- inspections


@bp.route("/inspections")
@roles_required(*READER_ROLES)
def inspection_list():
    query = (
        sa.select(Inspection)
        .options(joinedload(Inspection.site), joinedload(Inspection.inspector))
        .where(
            scope_filter(current_user, Inspection.site_id),
            sa.or_(Inspection.status == "submitted", Inspection.inspector_id == current_user.id),
        )
    )
    f = _filters()
    if f["site"]:
        query = query.where(Inspection.site_id == f["site"])
    if f["kind"] in INSPECTION_KINDS:
        query = query.where(Inspection.kind == f["kind"])
    if f["inspector"]:
        query = query.where(Inspection.inspector_id == f["inspector"])
    if f["start"]:
        query = query.where(Inspection.started_at >= local_day_bounds_utc(f["start"])[0])
    if f["end"]:
        query = query.where(Inspection.started_at < local_day_bounds_utc(f["end"])[1])
    page = db.paginate(
        query.order_by(Inspection.started_at.desc(), Inspection.id.desc()),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("inspections/inspection_list.html", page=page, f=f, **_filter_choices())


def _filters() -> dict:
    return {
        "site": _int_arg("site"),
        "kind": request.args.get("kind", ""),
        "category": request.args.get("category", ""),
        "severity": request.args.get("severity", ""),
        "inspector": _int_arg("inspector"),
        "staff": _int_arg("staff"),
        "start": _date_arg("start"),
        "end": _date_arg("end"),
    }


def _filter_choices() -> dict:
    from .forms import inspector_choices

    return {
        "sites": sites_in_scope(current_user),
        "inspectors": inspector_choices(),
        "categories": CATEGORIES,
        "severities": SEVERITIES,
        "kinds": INSPECTION_KINDS,
    }


@bp.route("/inspections/<int:inspection_id>")
@roles_required(*READER_ROLES)
def inspection_detail(inspection_id: int):
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or not can_view_inspection(current_user, inspection):
        abort(404)
    counts = dict(
        db.session.execute(
            sa.select(CheckResult.result, sa.func.count(CheckResult.id))
            .where(CheckResult.inspection_id == inspection.id)
            .group_by(CheckResult.result)
        ).all()
    )
    findings = list(
        db.session.scalars(
            sa.select(Finding)
            .options(joinedload(Finding.staff_member), joinedload(Finding.window))
            .where(Finding.inspection_id == inspection.id)
            .order_by(Finding.id)
        )
    )
    failures = [] if findings else draft_failures(db.session, inspection)
    photos = _photos_for(finding_ids=[f.id for f in findings], result_ids=[f.id for f in failures])
    return render_template(
        "inspections/inspection_detail.html",
        inspection=inspection,
        counts=counts,
        findings=findings,
        failures=failures,
        photos=photos,
        can_work=may_work_on(current_user, inspection),
    )


def _photos_for(finding_ids=(), result_ids=()) -> dict:
    photos: dict = {}
    if finding_ids:
        for p in db.session.scalars(
            sa.select(Photo).where(Photo.finding_id.in_(finding_ids)).order_by(Photo.id)
        ):
            photos.setdefault(("f", p.finding_id), []).append(p)
    if result_ids:
        for p in db.session.scalars(
            sa.select(Photo).where(Photo.check_result_id.in_(result_ids)).order_by(Photo.id)
        ):
            photos.setdefault(("r", p.check_result_id), []).append(p)
    return photos


# --------------------------------------------------------------------------- findings


def _finding_query(user: User):
    query = sa.select(Finding).options(
        joinedload(Finding.site),
        joinedload(Finding.staff_member),
        joinedload(Finding.window),
        joinedload(Finding.found_by),
        joinedload(Finding.inspection),
    )
    own = (
        Finding.staff_member_id == user.staff_member_id
        if user.staff_member_id is not None
        else sa.false()
    )
    if user.has_role(*READER_ROLES):
        return query.where(sa.or_(scope_filter(user, Finding.site_id), own))
    return query.where(own)


@bp.route("/findings")
@login_required
def finding_list():
    if not current_user.has_role(*READER_ROLES) and current_user.staff_member_id is None:
        abort(403)
    query = _finding_query(current_user)
    f = _filters()
    staff_no = (request.args.get("staff_no") or "").strip()
    if staff_no:
        f["staff"] = (
            db.session.scalar(sa.select(StaffMember.id).where(StaffMember.staff_no == staff_no))
            or -1
        )
    f["staff_no"] = staff_no
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
    page = db.paginate(
        query.order_by(Finding.found_at.desc(), Finding.id.desc()),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
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
        **_filter_choices(),
    )


@bp.route("/findings/<int:finding_id>")
@login_required
def finding_detail(finding_id: int):
    finding = db.session.get(Finding, finding_id)
    if finding is None or not can_view_finding(current_user, finding):
        abort(404)
    photos = _photos_for(finding_ids=[finding.id]).get(("f", finding.id), [])
    # Photos taken at the inspection, then later evidence (e.g. of the rectification).
    at_inspection = [
        p
        for p in photos
        if finding.check_result_id is not None and p.check_result_id == finding.check_result_id
    ]
    later = [p for p in photos if p not in at_inspection]
    extra = current_app.extensions.get("finding_detail_extra")
    return render_template(
        "inspections/finding_detail.html",
        finding=finding,
        photos=at_inspection,
        later_photos=later,
        extra=Markup(extra(finding)) if extra else None,
    )


# --------------------------------------------------------------------------- catalogue


@bp.route("/catalogue")
@roles_required("admin", "inspector", "discipline")
def catalogue():
    rows = db.session.execute(
        sa.select(CheckItem, CheckItemVersion)
        .join(CheckItemVersion, CheckItemVersion.id == CheckItem.current_version_id)
        .order_by(CheckItem.category, CheckItem.sort_order, CheckItem.code)
    ).all()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    rows = sorted(rows, key=lambda r: (order[r[0].category], r[0].sort_order, r[0].code))
    return render_template("inspections/catalogue.html", rows=rows)


@bp.route("/catalogue/new", methods=["GET", "POST"])
@bp.route("/catalogue/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def catalogue_edit(item_id: int | None = None):
    from .services import create_check_item, update_check_item

    item = db.session.get(CheckItem, item_id) if item_id else None
    if item_id and item is None:
        abort(404)
    form = CheckItemForm()
    if item is not None and request.method == "GET":
        v = item.current_version
        form.code.data, form.category.data, form.target.data = item.code, item.category, item.target
        form.text_zh.data, form.text_en.data, form.severity.data = v.text_zh, v.text_en, v.severity
        form.points.data, form.photo_required.data = v.points, v.photo_required
        form.sort_order.data, form.is_active.data = item.sort_order, item.is_active
    if item is not None:
        form.code.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            if item is None:
                item = create_check_item(
                    db.session,
                    current_user,
                    code=form.code.data,
                    category=form.category.data,
                    target=form.target.data,
                    text_zh=form.text_zh.data,
                    text_en=form.text_en.data,
                    severity=form.severity.data,
                    points=form.points.data,
                    photo_required=form.photo_required.data,
                    sort_order=form.sort_order.data or 0,
                )
                item.is_active = form.is_active.data
            else:
                update_check_item(
                    db.session,
                    current_user,
                    item,
                    text_zh=form.text_zh.data,
                    text_en=form.text_en.data,
                    severity=form.severity.data,
                    points=form.points.data,
                    photo_required=form.photo_required.data,
                    is_active=form.is_active.data,
                    sort_order=form.sort_order.data or 0,
                )
            db.session.commit()
            flash(_("Check item saved."), "success")
            return redirect(url_for(".catalogue"))
        except InspectionError as exc:
            db.session.rollback()
            getattr(form, exc.field or "code", form.code).errors.append(exc.message)
    versions = []
    if item is not None:
        versions = list(
            db.session.scalars(
                sa.select(CheckItemVersion)
                .where(CheckItemVersion.item_id == item.id)
                .order_by(CheckItemVersion.version.desc())
            )
        )
    return render_template(
        "inspections/catalogue_edit.html", form=form, item=item, versions=versions
    )


# --------------------------------------------------------------------------- QR codes


@bp.route("/windows/qr")
@roles_required("admin", "inspector", "discipline")
def window_qr():
    import qrcode
    import qrcode.image.svg

    sites = sites_in_scope(current_user)
    site_id = _int_arg("site") or (sites[0].id if sites else None)
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


# --------------------------------------------------------------------------- draws


def _draw_or_404(draw_id: int) -> Draw:
    draw = db.session.get(Draw, draw_id)
    if draw is None:
        abort(404)
    allowed = scope_ids(current_user)
    if allowed is not None and not set(draw.site_ids or []) <= allowed:
        abort(404)
    return draw


def _draw_view_data(draw: Draw) -> dict:
    inspections = list(
        db.session.scalars(
            sa.select(Inspection)
            .options(
                selectinload(Inspection.team).joinedload(InspectionInspector.user),
                joinedload(Inspection.target_window),
                joinedload(Inspection.target_staff),
            )
            .where(Inspection.draw_id == draw.id)
            .order_by(Inspection.id)
        )
    )
    users = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(draw.inspector_pool)))
    }
    if draw.target_kind == "window":
        targets = {
            w.id: w.label
            for w in db.session.scalars(sa.select(Window).where(Window.id.in_(draw.target_pool)))
        }
    else:
        targets = {
            s.id: f"{s.name} ({s.staff_no})"
            for s in db.session.scalars(
                sa.select(StaffMember).where(StaffMember.id.in_(draw.target_pool))
            )
        }
    sites = list(db.session.scalars(sa.select(Site).where(Site.id.in_(draw.site_ids))))
    by_target = {(i.target_window_id or i.target_staff_id): i for i in inspections}
    findings: dict[int, list[Finding]] = {}
    if inspections:
        for f in db.session.scalars(
            sa.select(Finding)
            .where(Finding.inspection_id.in_([i.id for i in inspections]))
            .order_by(Finding.id)
        ):
            findings.setdefault(f.inspection_id, []).append(f)
    return {
        "draw": draw,
        "inspections": inspections,
        "users": users,
        "targets": targets,
        "sites": sites,
        "by_target": by_target,
        "findings": findings,
    }


@bp.route("/draws")
@roles_required(*draw_svc.DRAW_ROLES)
def draw_list():
    page = db.paginate(
        sa.select(Draw).order_by(Draw.created_at.desc(), Draw.id.desc()),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    draw_schedules = list(db.session.scalars(sa.select(DrawSchedule).order_by(DrawSchedule.id)))
    return render_template(
        "inspections/draw_list.html", page=page, schedules=draw_schedules, weekdays=WEEKDAYS
    )


def _draw_form_args(form) -> dict:
    return dict(
        title=form.title.data,
        target_kind=form.target_kind.data,
        site_ids=form.sites.data,
        post_ids=form.posts.data,
        inspector_ids=form.inspectors.data,
        target_count=form.target_count.data,
        target_percent=form.target_percent.data,
        inspectors_per_target=form.inspectors_per_target.data,
    )


@bp.route("/draws/new", methods=["GET", "POST"])
@roles_required(*draw_svc.DRAW_ROLES)
def draw_new():
    form = DrawForm(current_user)
    if form.validate_on_submit():
        try:
            draw = draw_svc.create_draw(
                db.session, current_user, day=local_today(), **_draw_form_args(form)
            )
            db.session.commit()
            flash(_("Draw made: %(n)s targets.", n=len(draw.result)), "success")
            return redirect(url_for(".draw_detail", draw_id=draw.id))
        except InspectionError as exc:
            db.session.rollback()
            field = {"site_ids": "sites", "inspector_ids": "inspectors"}.get(exc.field, exc.field)
            getattr(form, field or "title", form.title).errors.append(exc.message)
    return render_template("inspections/draw_form.html", form=form, title=_("New spot-check draw"))


@bp.route("/draws/schedules/new", methods=["GET", "POST"])
@roles_required(*draw_svc.DRAW_ROLES)
def draw_schedule_new():
    form = DrawScheduleForm(current_user)
    if form.validate_on_submit():
        try:
            draw_svc.create_schedule(
                db.session, current_user, weekday=form.weekday.data, **_draw_form_args(form)
            )
            db.session.commit()
            flash(_("Recurring draw saved."), "success")
            return redirect(url_for(".draw_list"))
        except InspectionError as exc:
            db.session.rollback()
            field = {"site_ids": "sites", "inspector_ids": "inspectors"}.get(exc.field, exc.field)
            getattr(form, field or "title", form.title).errors.append(exc.message)
    return render_template("inspections/draw_form.html", form=form, title=_("New weekly draw"))


@bp.route("/draws/<int:draw_id>")
@roles_required(*draw_svc.DRAW_ROLES)
def draw_detail(draw_id: int):
    draw = _draw_or_404(draw_id)
    draw_svc.refresh_status(db.session, draw)
    db.session.commit()
    data = _draw_view_data(draw)
    data["reproduced"] = draw_svc.rerun(draw) == draw.result
    return render_template("inspections/draw_detail.html", public=False, **data)


@bp.route("/draws/schedules/<int:schedule_id>/toggle", methods=["POST"])
@roles_required(*draw_svc.DRAW_ROLES)
def draw_schedule_toggle(schedule_id: int):
    schedule = db.session.get(DrawSchedule, schedule_id)
    if schedule is None:
        abort(404)
    draw_svc.set_schedule_active(db.session, current_user, schedule, not schedule.is_active)
    db.session.commit()
    flash(
        _("Recurring draw resumed.") if schedule.is_active else _("Recurring draw paused."),
        "success",
    )
    return redirect(url_for(".draw_list"))


@bp.route("/draws/<int:draw_id>/publish", methods=["POST"])
@roles_required(*draw_svc.DRAW_ROLES)
def draw_publish(draw_id: int):
    draw = _draw_or_404(draw_id)
    try:
        draw_svc.publish_draw(db.session, current_user, draw)
        db.session.commit()
        flash(_("Draw published."), "success")
    except InspectionError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for(".draw_detail", draw_id=draw_id))


@bp.route("/spot-checks/published")
@login_required
def draw_public_list():
    page = db.paginate(
        sa.select(Draw).where(Draw.status == "published").order_by(Draw.published_at.desc()),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("inspections/draw_public_list.html", page=page)


@bp.route("/spot-checks/published/<int:draw_id>")
@login_required
def draw_public(draw_id: int):
    draw = db.session.get(Draw, draw_id)
    if draw is None or draw.status != "published":
        abort(404)
    data = _draw_view_data(draw)
    data["reproduced"] = draw_svc.rerun(draw) == draw.result
    return render_template("inspections/draw_detail.html", public=True, **data)


# --------------------------------------------------------------------------- patrol plans


@bp.route("/patrols/plans", methods=["GET", "POST"])
@roles_required("admin")
def patrol_plans():
    sites = sites_in_scope(current_user)
    if request.method == "POST":
        try:
            for site in sites:
                value = request.form.get(f"rounds_{site.id}", "").strip()
                if value == "":
                    continue
                plan = db.session.get(PatrolPlan, site.id)
                if plan is None or str(plan.rounds_per_day) != value:
                    schedules.set_patrol_plan(db.session, current_user, site, value)
            db.session.commit()
            flash(_("Patrol plans saved."), "success")
            return redirect(url_for(".patrol_plans"))
        except InspectionError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    plans = {p.site_id: p.rounds_per_day for p in db.session.scalars(sa.select(PatrolPlan))}
    return render_template("inspections/patrol_plans.html", sites=sites, plans=plans)


# --------------------------------------------------------------------------- dashboard


def inspector_panel(user: User):
    if not user.has_role("inspector"):
        return None
    due = schedules.sites_due(db.session, local_today(), user)
    assigned = [i for i in _my_open_rounds(user) if i.kind == "spot_check"]
    return Markup(render_template("inspections/_panel_inspector.html", due=due, assigned=assigned))


def staff_panel(user: User):
    if user.staff_member_id is None or user.has_role(*READER_ROLES):
        return None
    since = local_day_bounds_utc(local_today() - timedelta(days=30))[0]
    findings = list(
        db.session.scalars(
            sa.select(Finding)
            .where(Finding.staff_member_id == user.staff_member_id, Finding.found_at >= since)
            .order_by(Finding.found_at.desc())
            .limit(5)
        )
    )
    return Markup(render_template("inspections/_panel_staff.html", findings=findings))


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from compliance.ui import register_dashboard_panel, register_nav

    app.register_blueprint(bp)
    register_nav(app, "inspections.patrol_start", _l("Patrol"), roles=ROUND_ROLES, order=20)
    register_nav(
        app,
        "inspections.finding_list",
        _l("Findings"),
        order=22,
        roles=("admin", "inspector", "discipline", "staff"),
    )
    register_nav(
        app, "inspections.inspection_list", _l("Inspections"), roles=READER_ROLES, order=24
    )
    register_nav(app, "inspections.draw_list", _l("Draws"), roles=draw_svc.DRAW_ROLES, order=26)
    register_nav(app, "inspections.draw_public_list", _l("Spot-check results"), order=27)
    register_nav(
        app,
        "inspections.catalogue",
        _l("Checklist"),
        roles=("admin", "inspector", "discipline"),
        order=28,
    )
    register_dashboard_panel(app, inspector_panel, roles=("inspector",), order=10)
    register_dashboard_panel(app, staff_panel, roles=("staff",), order=12)
