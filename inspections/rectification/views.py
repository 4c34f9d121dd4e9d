"""Pages of the rectification loop: my rectifications, the verification queue, the board, the
timeline of one rectification with its actions, the repeat-offence list, conduct records and
the administrator's calendar, deadline and keeper settings."""

from __future__ import annotations

import logging
from datetime import date

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
from sqlalchemy.orm import selectinload

from compliance.access import in_scope, roles_required, scope_filter, sites_in_scope
from compliance.audit import record
from compliance.db import db
from compliance.models import Site, StaffMember, Window
from compliance.settings import get_setting, set_setting
from compliance.timeutil import local_today

from ..models import CATEGORIES, SEVERITIES, Photo
from . import services as svc
from .conduct import DECIDING_ROLES, RECORDING_ROLES, decide_complaint, record_conduct
from .forms import (
    CATEGORY_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    CommentForm,
    ConductForm,
    DeadlineForm,
    DecideForm,
    FixOnSpotForm,
    HolidayForm,
    KeeperForm,
    ReassignForm,
    RejectForm,
    RespondForm,
    VerifyForm,
    select_choices,
)
from .models import (
    OPEN_STATUSES,
    STATUSES,
    AreaKeeper,
    ConductRecord,
    Holiday,
    Rectification,
    RectificationEvent,
    RectificationEventPhoto,
    WindowKeeper,
)

logger = logging.getLogger(__name__)

bp = Blueprint("rectification", __name__)

MAX_PHOTOS = 6
PER_PAGE = 30


@bp.app_context_processor
def _labels():
    return {
        "rect_labels": {
            "severity": SEVERITY_LABELS,
            "category": CATEGORY_LABELS,
            "status": STATUS_LABELS,
            "source": SOURCE_LABELS,
            "kind": KIND_LABELS,
            "event": EVENT_LABELS,
            "outcome": OUTCOME_LABELS,
            "level": svc.LEVEL_LABELS,
        }
    }


@bp.errorhandler(sa.exc.OperationalError)
def _write_conflict(error):
    """On SQLite a request whose snapshot another writer overtook cannot write ("database is
    locked"): for these pages that is the same race as a changed version, so say so."""
    db.session.rollback()
    if db.engine.dialect.name != "sqlite" or "locked" not in str(error.orig):
        raise error
    logger.info("write conflict on %s", request.path)
    return render_template(
        "errors/error.html",
        status=409,
        title=_("Please reload"),
        message=str(svc.RectificationChanged().message),
    ), 409


# --- helpers --------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _choice_arg(name: str, choices) -> str | None:
    value = request.args.get(name) or None
    return value if value in choices else None


def _filters_from_args() -> svc.Filters:
    return svc.Filters(
        status=_choice_arg("status", (*STATUSES, "open")),
        overdue=request.args.get("overdue") in ("1", "on", "true", "y"),
        site_id=_int_arg("site"),
        category=_choice_arg("category", CATEGORIES),
        severity=_choice_arg("severity", SEVERITIES),
        responsible_staff_id=_int_arg("responsible"),
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        source=_choice_arg("source", ("finding", "complaint")),
    )


def _load(rect_id: int) -> Rectification:
    rect = db.session.get(Rectification, rect_id)
    if rect is None or not svc.can_view(current_user, rect, db.session):
        abort(404)
    return rect


def _store_photos(files, rect: Rectification) -> list[Photo]:
    """Store uploaded photos, linked to the finding (when there is one). Raises PhotoError."""
    from ..photos import PhotoError, store_photo

    files = [f for f in files if f and f.filename]
    if len(files) > MAX_PHOTOS:
        raise PhotoError(_("At most %(n)s photos.", n=MAX_PHOTOS))
    photos = []
    for f in files:
        photos.append(
            store_photo(
                db.session,
                current_user,
                f.read(),
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                finding_id=rect.finding_id,
            )
        )
    return photos


def _version(form) -> int | None:
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return None


STATUS_FOR = {
    svc.RectificationChanged: 409,
    svc.RectificationConflict: 409,
    svc.RectificationForbidden: 403,
}


def _run_action(rect: Rectification, action) -> tuple[bool, int]:
    """Run a service call and commit; on refusal roll back, flash why and return the status."""
    from ..photos import PhotoError

    try:
        action()
        db.session.commit()
        return True, 200
    except PhotoError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False, 400
    except svc.RectificationError as exc:
        db.session.rollback()
        flash(
            str(exc.message), "warning" if isinstance(exc, svc.RectificationConflict) else "danger"
        )
        return False, STATUS_FOR.get(type(exc), 400)


def _form_errors(form) -> None:
    for name, errors in form.errors.items():
        if name == "version":
            continue
        label = getattr(form, name).label.text if hasattr(form, name) else name
        for e in errors:
            flash(f"{label}: {e}", "danger")


def _staff_choices(site_id: int | None = None, blank: str | None = None) -> list[tuple[int, str]]:
    query = (
        sa.select(StaffMember)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.name)
    )
    if site_id:
        query = query.where(StaffMember.site_id == site_id)
    choices = [(s.id, f"{s.name} ({s.staff_no})") for s in db.session.scalars(query)]
    return ([(0, blank)] if blank is not None else []) + choices


# --- lists ----------------------------------------------------------------------------------


@bp.route("/rectifications/mine")
@login_required
def mine():
    today = local_today()
    staff_id = current_user.staff_member_id
    open_rects, closed, commendations, level, count = [], [], [], None, 0
    if staff_id:
        base = (
            sa.select(Rectification)
            .where(Rectification.responsible_staff_id == staff_id)
            .options(selectinload(Rectification.site), selectinload(Rectification.window))
        )
        open_rects = list(
            db.session.scalars(
                base.where(Rectification.status.in_(OPEN_STATUSES)).order_by(
                    Rectification.deadline_on, Rectification.id
                )
            )
        )
        closed = list(
            db.session.scalars(
                base.where(Rectification.status == "verified")
                .order_by(Rectification.closed_at.desc())
                .limit(20)
            )
        )
        commendations = list(
            db.session.scalars(
                sa.select(ConductRecord)
                .where(
                    ConductRecord.staff_member_id == staff_id, ConductRecord.kind == "commendation"
                )
                .order_by(ConductRecord.received_on.desc())
                .limit(20)
            )
        )
        count = svc.offence_counts(db.session, today, [staff_id]).get(staff_id, 0)
        level = svc.level_for(count, svc.ladder_thresholds(db.session))
    return render_template(
        "inspections/rectification/mine.html",
        open_rects=open_rects,
        closed=closed,
        commendations=commendations,
        today=today,
        level=level,
        offence_count=count,
        window_days=get_setting(db.session, svc.WINDOW_KEY),
        linked=bool(staff_id),
    )


@bp.route("/rectifications/queue")
@roles_required("inspector", "admin")
def queue():
    query = svc.verification_queue(db.session, current_user).options(*svc.with_people())
    page = db.paginate(query, page=_int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    return render_template("inspections/rectification/queue.html", page=page, today=local_today())


@bp.route("/rectifications")
@roles_required("discipline", "admin")
def board():
    today = local_today()
    filters = _filters_from_args()
    query = svc.filtered_query(db.session, current_user, filters, today)
    counts = svc.counts_for(db.session, query, today)
    ordered = query.options(*svc.with_people()).order_by(
        Rectification.opened_at.desc(), Rectification.id.desc()
    )
    page = db.paginate(ordered, page=_int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    sites = sites_in_scope(current_user)
    staff = _staff_choices(filters.site_id)
    return render_template(
        "inspections/rectification/board.html",
        page=page,
        counts=counts,
        filters=filters,
        sites=sites,
        staff=staff,
        today=today,
        statuses=STATUSES,
        categories=CATEGORIES,
        severities=SEVERITIES,
    )


@bp.route("/rectifications/flagged")
@roles_required("discipline", "admin")
def flagged():
    today = local_today()
    rows = svc.flagged_staff(db.session, current_user, today, min_level="written_notice")
    return render_template(
        "inspections/rectification/flagged.html",
        rows=rows,
        today=today,
        thresholds=svc.ladder_thresholds(db.session),
        window_days=get_setting(db.session, svc.WINDOW_KEY),
    )


# --- one rectification ----------------------------------------------------------------------


def _timeline_context(rect: Rectification) -> dict:
    events = list(
        db.session.scalars(
            sa.select(RectificationEvent)
            .where(RectificationEvent.rectification_id == rect.id)
            .options(
                selectinload(RectificationEvent.photos), selectinload(RectificationEvent.actor)
            )
            .order_by(RectificationEvent.at, RectificationEvent.id)
        )
    )
    event_photo_ids = {p.id for e in events for p in e.photos}
    before_photos = []
    if rect.finding_id:
        before_photos = [
            p
            for p in db.session.scalars(
                sa.select(Photo).where(Photo.finding_id == rect.finding_id).order_by(Photo.id)
            )
            if p.id not in event_photo_ids
        ]
    offence_count = 0
    subject = rect.finding.staff_member_id if rect.finding else None
    subject = subject or (rect.complaint.staff_member_id if rect.complaint else None)
    level = None
    if subject:
        offence_count = svc.offence_counts(db.session, local_today(), [subject]).get(subject, 0)
        level = svc.level_for(offence_count, svc.ladder_thresholds(db.session))
    return {
        "rect": rect,
        "events": events,
        "before_photos": before_photos,
        "today": local_today(),
        "offence_count": offence_count,
        "level": level,
        "can_respond": svc.respond_refusal(current_user, rect) is None,
        "can_verify": svc.verify_refusal(current_user, rect, db.session) is None,
        "verify_blocked": (
            rect.status == "responded"
            and current_user.has_role(*svc.VERIFYING_ROLES)
            and svc.verify_refusal(current_user, rect, db.session)
        ),
        "can_fix": (
            rect.status in ("open", "rejected") and current_user.has_role(*svc.VERIFYING_ROLES)
        ),
        "can_reassign": rect.is_open and current_user.has_role("admin"),
        "can_comment": (
            current_user.has_role(*svc.SUPERVISING_ROLES)
            or current_user.staff_member_id == rect.responsible_staff_id
        ),
    }


def _render_timeline(rect: Rectification, status: int = 200, **forms):
    ctx = _timeline_context(rect)
    version = {"version": rect.version}
    ctx["respond_form"] = forms.get("respond_form") or RespondForm(data=version)
    ctx["verify_form"] = forms.get("verify_form") or VerifyForm(data=version)
    ctx["reject_form"] = forms.get("reject_form") or RejectForm(data=version)
    ctx["fix_form"] = forms.get("fix_form") or FixOnSpotForm(data=version)
    ctx["comment_form"] = forms.get("comment_form") or CommentForm()
    if ctx["can_reassign"]:
        form = forms.get("reassign_form") or ReassignForm(
            data={
                "version": rect.version,
                "responsible": rect.responsible_staff_id or 0,
                "supervisor": rect.supervisor_staff_id or 0,
            }
        )
        form.responsible.choices = select_choices(_staff_choices(rect.site_id))
        form.supervisor.choices = select_choices(_staff_choices(rect.site_id, blank=_("(none)")))
        ctx["reassign_form"] = form
    for form in ("respond_form", "verify_form", "reject_form", "fix_form"):
        if form not in forms:
            ctx[form].version.data = rect.version
    return render_template("inspections/rectification/timeline.html", **ctx), status


@bp.route("/rectifications/<int:rect_id>")
@login_required
def timeline(rect_id: int):
    return _render_timeline(_load(rect_id))


@bp.route("/rectifications/finding/<int:finding_id>")
@login_required
def for_finding(finding_id: int):
    rect = db.session.scalar(sa.select(Rectification).where(Rectification.finding_id == finding_id))
    if rect is None or not svc.can_view(current_user, rect, db.session):
        abort(404)
    return redirect(url_for(".timeline", rect_id=rect.id))


def _after_action(rect_id: int, ok: bool, status: int, message: str):
    if ok:
        flash(message, "success")
        return redirect(url_for(".timeline", rect_id=rect_id))
    rect = _load(rect_id)
    return _render_timeline(rect, status)


@bp.route("/rectifications/<int:rect_id>/respond", methods=["POST"])
@login_required
def respond(rect_id: int):
    rect = _load(rect_id)
    form = RespondForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, respond_form=form)
    ok, status = _run_action(
        rect,
        lambda: svc.respond(
            db.session,
            current_user,
            rect,
            form.text.data,
            _store_photos(request.files.getlist("photos"), rect)
            if svc.respond_refusal(current_user, rect) is None
            else (),
            expected_version=_version(form),
        ),
    )
    return _after_action(rect_id, ok, status, _("Your response has been sent for verification."))


@bp.route("/rectifications/<int:rect_id>/verify", methods=["POST"])
@login_required
def verify(rect_id: int):
    rect = _load(rect_id)
    form = VerifyForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, verify_form=form)
    ok, status = _run_action(
        rect,
        lambda: svc.verify(
            db.session, current_user, rect, form.note.data, expected_version=_version(form)
        ),
    )
    return _after_action(rect_id, ok, status, _("The rectification is verified and closed."))


@bp.route("/rectifications/<int:rect_id>/reject", methods=["POST"])
@login_required
def reject(rect_id: int):
    rect = _load(rect_id)
    form = RejectForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, reject_form=form)
    ok, status = _run_action(
        rect,
        lambda: svc.reject(
            db.session, current_user, rect, form.reason.data, expected_version=_version(form)
        ),
    )
    return _after_action(
        rect_id, ok, status, _("The response was rejected; the rectification is open again.")
    )


@bp.route("/rectifications/<int:rect_id>/fix-on-spot", methods=["POST"])
@roles_required("inspector", "admin")
def fix_on_spot(rect_id: int):
    rect = _load(rect_id)
    form = FixOnSpotForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, fix_form=form)
    ok, status = _run_action(
        rect,
        lambda: svc.fix_on_spot(
            db.session,
            current_user,
            rect,
            form.text.data,
            _store_photos(request.files.getlist("photos"), rect),
            witness=form.witness.data,
            expected_version=_version(form),
        ),
    )
    return _after_action(rect_id, ok, status, _("Recorded as fixed on the spot and closed."))


@bp.route("/rectifications/<int:rect_id>/comment", methods=["POST"])
@login_required
def comment(rect_id: int):
    rect = _load(rect_id)
    form = CommentForm()
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, comment_form=form)
    ok, status = _run_action(
        rect, lambda: svc.add_comment(db.session, current_user, rect, form.text.data)
    )
    return _after_action(rect_id, ok, status, _("The comment has been added."))


@bp.route("/rectifications/<int:rect_id>/reassign", methods=["POST"])
@roles_required("admin")
def reassign(rect_id: int):
    rect = _load(rect_id)
    form = ReassignForm()
    form.responsible.choices = select_choices(_staff_choices(rect.site_id))
    form.supervisor.choices = select_choices(_staff_choices(rect.site_id, blank=_("(none)")))
    if not form.validate_on_submit():
        _form_errors(form)
        return _render_timeline(rect, 400, reassign_form=form)
    ok, status = _run_action(
        rect,
        lambda: svc.reassign(
            db.session,
            current_user,
            rect,
            form.responsible.data or None,
            form.supervisor.data or None,
            form.reason.data,
            expected_version=_version(form),
        ),
    )
    return _after_action(rect_id, ok, status, _("The responsible person has been changed."))


@bp.route("/rectifications/photos/<int:photo_id>/<variant>")
@login_required
def photo(photo_id: int, variant: str):
    """A photo of a finding or of a rectification event, for people who may see the
    rectification."""
    from ..photos import MIME_TYPES, VARIANTS, photo_path

    if variant not in VARIANTS:
        abort(404)
    ph = db.session.get(Photo, photo_id)
    if ph is None:
        abort(404)
    rects = list(
        db.session.scalars(
            sa.select(Rectification)
            .join(RectificationEvent, RectificationEvent.rectification_id == Rectification.id)
            .join(
                RectificationEventPhoto, RectificationEventPhoto.event_id == RectificationEvent.id
            )
            .where(RectificationEventPhoto.photo_id == ph.id)
        )
    )
    if ph.finding_id:
        rects += list(
            db.session.scalars(
                sa.select(Rectification).where(Rectification.finding_id == ph.finding_id)
            )
        )
    if not any(svc.can_view(current_user, r, db.session) for r in rects):
        abort(404)
    path = photo_path(current_app.config["UPLOAD_FOLDER"], ph, variant)
    if not path.exists():
        abort(404)
    mimetype = MIME_TYPES[ph.original_format] if variant == "original" else "image/jpeg"
    response = send_file(path, mimetype=mimetype, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --- conduct records ------------------------------------------------------------------------


@bp.route("/conduct")
@roles_required(*RECORDING_ROLES)
def conduct_list():
    kind = _choice_arg("kind", ("complaint", "commendation"))
    outcome = _choice_arg("outcome", ("pending", "upheld", "not_upheld"))
    query = (
        sa.select(ConductRecord)
        .where(scope_filter(current_user, ConductRecord.site_id))
        .options(selectinload(ConductRecord.staff_member), selectinload(ConductRecord.site))
        .order_by(ConductRecord.received_on.desc(), ConductRecord.id.desc())
    )
    if kind:
        query = query.where(ConductRecord.kind == kind)
    if outcome:
        query = query.where(ConductRecord.outcome == outcome)
    staff_id = _int_arg("staff")
    if staff_id:
        query = query.where(ConductRecord.staff_member_id == staff_id)
    page = db.paginate(query, page=_int_arg("page") or 1, per_page=PER_PAGE, error_out=False)
    return render_template(
        "inspections/rectification/conduct_list.html", page=page, kind=kind, outcome=outcome
    )


@bp.route("/conduct/new", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def conduct_new():
    form = ConductForm()
    form.staff_member.choices = select_choices(_staff_choices())
    if request.method == "GET":
        form.received_on.data = local_today()
        if request.args.get("kind") in ("complaint", "commendation"):
            form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            row = record_conduct(
                db.session,
                current_user,
                kind=form.kind.data,
                source=form.source.data,
                staff_member_id=form.staff_member.data,
                received_on=form.received_on.data,
                text=form.text.data,
                reference=form.reference.data,
                severity=form.severity.data,
            )
            db.session.commit()
            flash(_("The record has been saved."), "success")
            return redirect(url_for(".conduct_detail", record_id=row.id))
        except svc.RectificationError as exc:
            db.session.rollback()
            form.text.errors = [*form.text.errors, str(exc.message)]
    return render_template(
        "inspections/rectification/conduct_form.html", form=form
    ), 400 if form.errors else 200


def _load_conduct(record_id: int) -> ConductRecord:
    row = db.session.get(ConductRecord, record_id)
    if row is None or not in_scope(current_user, row.site_id):
        abort(404)
    return row


@bp.route("/conduct/<int:record_id>", methods=["GET", "POST"])
@roles_required(*RECORDING_ROLES)
def conduct_detail(record_id: int):
    row = _load_conduct(record_id)
    form = DecideForm()
    can_decide = (
        row.kind == "complaint"
        and row.outcome == "pending"
        and current_user.has_role(*DECIDING_ROLES)
    )
    if request.method == "POST":
        if not can_decide:
            abort(403 if not current_user.has_role(*DECIDING_ROLES) else 409)
        if form.validate_on_submit():
            try:
                rect = decide_complaint(
                    db.session,
                    current_user,
                    row,
                    upheld=form.outcome.data == "upheld",
                    reason=form.reason.data,
                )
                db.session.commit()
            except svc.RectificationError as exc:
                db.session.rollback()
                flash(str(exc.message), "danger")
                return redirect(url_for(".conduct_detail", record_id=record_id))
            if rect is not None:
                flash(_("The complaint is upheld; a rectification has been opened."), "success")
                return redirect(url_for(".timeline", rect_id=rect.id))
            flash(_("The complaint is recorded as not upheld."), "success")
            return redirect(url_for(".conduct_detail", record_id=record_id))
    rect = db.session.scalar(sa.select(Rectification).where(Rectification.complaint_id == row.id))
    return render_template(
        "inspections/rectification/conduct_detail.html",
        row=row,
        form=form,
        can_decide=can_decide,
        rect=rect,
    ), 400 if form.errors else 200


# --- administration -------------------------------------------------------------------------


@bp.route("/rectifications/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings():
    thresholds = svc.ladder_thresholds(db.session)
    form = DeadlineForm(
        data={
            "critical": svc.deadline_days(db.session, "critical"),
            "major": svc.deadline_days(db.session, "major"),
            "minor": svc.deadline_days(db.session, "minor"),
            **thresholds,
            "window_days": get_setting(db.session, svc.WINDOW_KEY),
            "escalate_after": get_setting(db.session, svc.ESCALATE_KEY),
        }
    )
    holiday_form = HolidayForm(prefix="h")
    if request.method == "POST" and request.form.get("which") == "settings":
        if form.validate_on_submit():
            set_setting(
                db.session,
                current_user,
                svc.DEADLINE_KEY,
                {s: getattr(form, s).data for s in SEVERITIES},
            )
            set_setting(
                db.session,
                current_user,
                svc.THRESHOLDS_KEY,
                {k: getattr(form, k).data for k in ("reminder", "written_notice", "talk")},
            )
            set_setting(db.session, current_user, svc.WINDOW_KEY, form.window_days.data)
            set_setting(db.session, current_user, svc.ESCALATE_KEY, form.escalate_after.data)
            db.session.commit()
            flash(_("The settings have been saved."), "success")
            return redirect(url_for(".settings"))
    elif request.method == "POST" and request.form.get("which") == "holiday":
        if holiday_form.validate_on_submit():
            day = holiday_form.day.data
            existing = db.session.get(Holiday, day)
            before = {"kind": existing.kind, "name": existing.name} if existing else None
            if existing is None:
                existing = Holiday(day=day)
                db.session.add(existing)
            existing.kind = holiday_form.kind.data
            existing.name = holiday_form.name.data.strip()
            db.session.flush()
            record(
                db.session,
                current_user,
                "holiday.update" if before else "holiday.create",
                entity_type="Holiday",
                entity_id=day.isoformat(),
                before=before,
                after={"kind": existing.kind, "name": existing.name},
            )
            db.session.commit()
            flash(_("The calendar has been updated."), "success")
            return redirect(url_for(".settings"))
    elif request.method == "POST" and request.form.get("which") == "remove":
        try:
            day = date.fromisoformat(request.form.get("day", ""))
        except ValueError:
            abort(400)
        existing = db.session.get(Holiday, day)
        if existing is not None:
            before = {"kind": existing.kind, "name": existing.name}
            db.session.delete(existing)
            db.session.flush()
            record(
                db.session,
                current_user,
                "holiday.delete",
                entity_type="Holiday",
                entity_id=day.isoformat(),
                before=before,
            )
            db.session.commit()
            flash(_("The day has been removed from the calendar."), "success")
        return redirect(url_for(".settings"))
    today = local_today()
    holidays = list(
        db.session.scalars(
            sa.select(Holiday)
            .where(Holiday.day >= date(today.year - 1, 1, 1))
            .order_by(Holiday.day)
        )
    )
    status = 400 if (form.errors or holiday_form.errors) else 200
    return render_template(
        "inspections/rectification/settings.html",
        form=form,
        holiday_form=holiday_form,
        holidays=holidays,
    ), status


@bp.route("/rectifications/keepers", methods=["GET", "POST"])
@roles_required("admin")
def keepers():
    sites = sites_in_scope(current_user)
    site_id = _int_arg("site") or (sites[0].id if sites else None)
    if site_id and not in_scope(current_user, site_id):
        abort(404)
    choices = _staff_choices(site_id, blank=_("(none)"))
    form = KeeperForm()
    form.keeper.choices = select_choices(choices)
    form.supervisor.choices = select_choices(choices)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        target = form.target.data or ""
        valid_ids = {c[0] for c in choices}
        if form.keeper.data not in valid_ids or form.supervisor.data not in valid_ids:
            abort(400)
        keeper_id, supervisor_id = form.keeper.data or None, form.supervisor.data or None
        if target.startswith("w") and target[1:].isdigit():
            window = db.session.get(Window, int(target[1:]))
            if window is None or window.site_id != site_id:
                abort(404)
            row = db.session.get(WindowKeeper, window.id) or WindowKeeper(window_id=window.id)
            entity_id = f"window:{window.id}"
        elif target.startswith("s") and target[1:].isdigit() and int(target[1:]) == site_id:
            row = db.session.get(AreaKeeper, site_id) or AreaKeeper(site_id=site_id)
            entity_id = f"site:{site_id}"
        else:
            abort(400)
        before = (
            {"keeper": row.keeper_staff_id, "supervisor": row.supervisor_staff_id}
            if row.keeper_staff_id or row.supervisor_staff_id
            else None
        )
        row.keeper_staff_id, row.supervisor_staff_id = keeper_id, supervisor_id
        db.session.add(row)
        db.session.flush()
        record(
            db.session,
            current_user,
            "keeper.update",
            entity_type="Keeper",
            entity_id=entity_id,
            before=before,
            after={"keeper": keeper_id, "supervisor": supervisor_id},
        )
        db.session.commit()
        flash(_("The keeper has been saved."), "success")
        return redirect(url_for(".keepers", site=site_id))
    windows = (
        list(
            db.session.scalars(
                sa.select(Window).where(Window.site_id == site_id).order_by(Window.code)
            )
        )
        if site_id
        else []
    )
    window_rows = {
        k.window_id: k
        for k in db.session.scalars(
            sa.select(WindowKeeper).where(WindowKeeper.window_id.in_([w.id for w in windows]))
        )
    }
    area = db.session.get(AreaKeeper, site_id) if site_id else None
    assignees = svc.window_assignees(db.session, [w.id for w in windows])
    staff_names = dict(choices)
    return render_template(
        "inspections/rectification/keepers.html",
        sites=sites,
        site=db.session.get(Site, site_id) if site_id else None,
        windows=windows,
        window_rows=window_rows,
        area=area,
        choices=choices,
        assignees=assignees,
        staff_names=staff_names,
    )
