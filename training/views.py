"""Pages of the training package: courses, sessions and attendance, onboarding plans and
templates, mentor pairings with shadow logs and sign-off, and each person's own training."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from compliance.access import in_scope, roles_required, scope_filter, scope_ids, sites_in_scope
from compliance.db import db, utcnow
from compliance.models import Post, Site, StaffMember, User
from compliance.timeutil import local_to_utc, local_today, to_local

from . import notify
from . import onboarding as onb
from . import pairings as prs
from . import services as svc
from .errors import CoverageGap, SchedulingConflict, TrainingError
from .forms import (
    AssessForm,
    ConfirmLogForm,
    CourseForm,
    ExtendForm,
    InviteForm,
    MinutesForm,
    PairingForm,
    ReasonForm,
    SessionForm,
    ShadowLogForm,
    TemplateForm,
    kind_labels,
)
from .models import (
    ATTENDANCE_STATUSES,
    COURSE_KINDS,
    Course,
    MentorPairing,
    OnboardingPlan,
    OnboardingTemplate,
    OnboardingTemplateCourse,
    SessionAttendee,
    ShadowLog,
    TrainingSession,
)

bp = Blueprint("training", __name__, url_prefix="/training")

ANY_ROLE = ("admin", "inspector", "hr", "discipline", "staff")
MANAGERS = ("hr", "admin")
READERS = ("hr", "admin", "discipline")
PER_PAGE = 50


def translate(message: tuple[str, dict] | str) -> str:
    """A (msgid, params) pair from a service, in the user's language; string params that are
    themselves msgids (e.g. a rule's wording) are translated too."""
    if isinstance(message, str):
        return gettext(message)
    msgid, params = message
    params = {k: gettext(v) if isinstance(v, str) else v for k, v in params.items()}
    return gettext(msgid, **params)


def error_text(exc: TrainingError) -> str:
    return gettext(exc.message, **exc.params) if exc.params else gettext(exc.message)


@bp.app_template_filter("training_msg")
def _training_msg(message) -> str:
    return translate(message)


@bp.app_template_filter("local_dt")
def _local_dt(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(value)
    return local.strftime(fmt) if local else ""


@bp.context_processor
def _labels():
    return {
        "kind_labels": kind_labels(),
        "attendance_labels": attendance_labels(),
        "pairing_status_labels": pairing_status_labels(),
        "today": local_today(),
    }


def attendance_labels() -> dict[str, str]:
    return {
        "present": gettext("Present"),
        "late": gettext("Late"),
        "absent": gettext("Absent"),
        "excused": gettext("Excused absence"),
    }


def pairing_status_labels() -> dict[str, str]:
    return {
        "active": gettext("In progress"),
        "assessed": gettext("Awaiting HR approval"),
        "signed_off": gettext("Signed off"),
        "ended": gettext("Ended early"),
    }


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _staff_in_scope():
    return db.session.execute(
        sa.select(StaffMember.id, StaffMember.name, StaffMember.staff_no)
        .where(StaffMember.status == "active", scope_filter(current_user, StaffMember.site_id))
        .order_by(StaffMember.name)
    ).all()


def _staff_or_404(staff_id: int) -> StaffMember:
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or not in_scope(current_user, staff.site_id):
        abort(404)
    return staff


# --- courses ------------------------------------------------------------------------------


@bp.route("/courses")
@roles_required(*READERS)
def courses():
    kind = request.args.get("kind")
    query = sa.select(Course).order_by(Course.kind, Course.code)
    if kind in COURSE_KINDS:
        query = query.where(Course.kind == kind)
    rows = db.session.scalars(query).all()
    return render_template("training/courses.html", courses=rows, kind=kind, kinds=COURSE_KINDS)


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def course_edit(course_id: int | None = None):
    course = db.get_or_404(Course, course_id) if course_id else None
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            svc.save_course(
                db.session,
                current_user,
                course,
                code=form.code.data,
                title=form.title.data.strip(),
                kind=form.kind.data,
                description=(form.description.data or "").strip() or None,
                duration_minutes=form.duration_minutes.data,
                is_active=form.is_active.data,
            )
        except TrainingError as exc:
            db.session.rollback()
            form.code.errors.append(error_text(exc))
        else:
            db.session.commit()
            flash(gettext("Course saved."), "success")
            return redirect(url_for("training.courses"))
    return render_template("training/course_form.html", form=form, course=course)


# --- sessions -----------------------------------------------------------------------------


def _session_or_404(session_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, session_id)
    if ts is None or not in_scope(current_user, ts.site_id):
        abort(404)
    return ts


def _invite_choices(form) -> None:
    form.staff_ids.choices = [
        SelectChoice(sid, f"{name} ({no})") for sid, name, no in _staff_in_scope()
    ]
    form.invite_site_ids.choices = [
        SelectChoice(s.id, s.name) for s in sites_in_scope(current_user)
    ]
    form.invite_post_ids.choices = [
        SelectChoice(p.id, p.name) for p in db.session.scalars(sa.select(Post).order_by(Post.code))
    ]


def _invitees_from(form) -> dict[int, str]:
    ids = scope_ids(current_user)
    sites = [s for s in (form.invite_site_ids.data or []) if ids is None or s in ids]
    return svc.resolve_invitees(
        db.session,
        staff_ids=form.staff_ids.data or [],
        site_ids=sites,
        post_ids=form.invite_post_ids.data or [],
        new_staff=form.invite_new_staff.data,
        scope_site_ids=ids,
    )


@bp.route("/sessions")
@roles_required(*READERS)
def sessions():
    when = request.args.get("when", "upcoming")
    now = utcnow()
    query = (
        sa.select(TrainingSession)
        .where(scope_filter(current_user, TrainingSession.site_id))
        .options(joinedload(TrainingSession.course), joinedload(TrainingSession.site))
    )
    if when == "past":
        query = query.where(TrainingSession.ends_at <= now).order_by(
            TrainingSession.starts_at.desc()
        )
    else:
        when = "upcoming"
        query = query.where(TrainingSession.ends_at > now).order_by(TrainingSession.starts_at)
    kind = request.args.get("kind")
    if kind in COURSE_KINDS:
        query = query.join(Course, Course.id == TrainingSession.course_id).where(
            Course.kind == kind
        )
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    counts = {}
    if page.items:
        counts = {
            sid: (invited, marked)
            for sid, invited, marked in db.session.execute(
                sa.select(
                    SessionAttendee.session_id,
                    sa.func.count(SessionAttendee.id),
                    sa.func.count(SessionAttendee.status),
                )
                .where(SessionAttendee.session_id.in_([s.id for s in page.items]))
                .group_by(SessionAttendee.session_id)
            )
        }
    return render_template(
        "training/sessions.html", page=page, when=when, kind=kind, kinds=COURSE_KINDS, counts=counts
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def session_new():
    form = SessionForm()
    form.course_id.choices = [
        SelectChoice(c.id, f"{c.code} {c.title}")
        for c in db.session.scalars(
            sa.select(Course).where(Course.is_active.is_(True)).order_by(Course.kind, Course.code)
        )
    ]
    form.site_id.choices = [SelectChoice(s.id, s.name) for s in sites_in_scope(current_user)]
    _invite_choices(form)
    if request.method == "GET":
        course_id = request.args.get("course", type=int)
        if course_id:
            form.course_id.data = course_id
        form.day.data = local_today() + timedelta(days=1)
    problems: list[str] = []
    problem_kind = None
    if form.validate_on_submit():
        course = db.session.get(Course, form.course_id.data)
        site = db.session.get(Site, form.site_id.data)
        starts = local_to_utc(datetime.combine(form.day.data, form.start_time.data))
        ends = local_to_utc(datetime.combine(form.day.data, form.end_time.data))
        try:
            invitees = _invitees_from(form)
            ts, left_out = svc.schedule_session(
                db.session,
                current_user,
                course=course,
                site=site,
                place=form.place.data,
                starts_at=starts,
                ends_at=ends,
                trainer=form.trainer.data,
                capacity=form.capacity.data,
                invitees=invitees,
                skip_conflicted=form.skip_conflicted.data,
                confirm_gaps=form.confirm_gaps.data,
            )
        except TrainingError as exc:
            db.session.rollback()
            problems = [error_text(exc)] + [translate(d) for d in exc.details]
            problem_kind = (
                "conflict"
                if isinstance(exc, SchedulingConflict)
                else "gap"
                if isinstance(exc, CoverageGap)
                else "error"
            )
        else:
            _notify_invited(ts, [a.staff_member_id for a in ts.attendees], notify.INVITED)
            db.session.commit()
            flash(
                gettext(
                    "Session scheduled with %(count)s people invited.", count=len(ts.attendees)
                ),
                "success",
            )
            if left_out:
                flash(
                    gettext(
                        "%(count)s people were left out because they cannot attend.",
                        count=len(left_out),
                    ),
                    "warning",
                )
            return redirect(url_for("training.session_detail", session_id=ts.id))
    return render_template(
        "training/session_form.html", form=form, problems=problems, problem_kind=problem_kind
    )


@bp.route("/sessions/<int:session_id>")
@roles_required(*READERS)
def session_detail(session_id: int):
    ts = _session_or_404(session_id)
    attendees = db.session.scalars(
        sa.select(SessionAttendee)
        .where(SessionAttendee.session_id == ts.id)
        .options(joinedload(SessionAttendee.staff_member))
        .order_by(SessionAttendee.id)
    ).all()
    invite_form = InviteForm()
    _invite_choices(invite_form)
    minutes_form = MinutesForm(minutes=ts.minutes)
    return render_template(
        "training/session_detail.html",
        ts=ts,
        attendees=attendees,
        invite_form=invite_form,
        minutes_form=minutes_form,
        cancel_form=ReasonForm(),
        can_manage=current_user.has_role(*MANAGERS),
    )


def _notify_invited(ts: TrainingSession, staff_ids: list[int], title_msgid: str) -> None:
    """Tell invited people (those with an account) about their session."""
    if not staff_ids:
        return
    users = db.session.scalars(
        sa.select(User).where(User.staff_member_id.in_(staff_ids), User.active.is_(True))
    ).all()
    notify.notify_each(
        db.session,
        users,
        "training.session",
        title_msgid,
        link=url_for("training.my_training"),
        entity=ts,
        title=ts.course.title,
        time=to_local(ts.starts_at).strftime("%Y-%m-%d %H:%M"),
        place=ts.place,
    )


@bp.route("/sessions/<int:session_id>/invite", methods=["POST"])
@roles_required(*MANAGERS)
def session_invite(session_id: int):
    ts = _session_or_404(session_id)
    form = InviteForm()
    _invite_choices(form)
    if not form.validate_on_submit():
        flash(gettext("Choose who to invite."), "danger")
        return redirect(url_for("training.session_detail", session_id=ts.id))
    try:
        added, left_out = svc.invite_to_session(
            db.session,
            current_user,
            ts,
            _invitees_from(form),
            skip_conflicted=form.skip_conflicted.data,
            confirm_gaps=form.confirm_gaps.data,
        )
    except TrainingError as exc:
        db.session.rollback()
        flash(" ".join([error_text(exc)] + [translate(d) for d in exc.details]), "danger")
    else:
        _notify_invited(ts, added, notify.INVITED)
        db.session.commit()
        flash(gettext("%(count)s people invited.", count=len(added)), "success")
        if left_out:
            flash(
                gettext(
                    "%(count)s people were left out because they cannot attend.",
                    count=len(left_out),
                ),
                "warning",
            )
    return redirect(url_for("training.session_detail", session_id=ts.id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*MANAGERS)
def session_cancel(session_id: int):
    ts = _session_or_404(session_id)
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise TrainingError("A reason is required.")
        svc.cancel_session(db.session, current_user, ts, form.reason.data)
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        _notify_invited(ts, [a.staff_member_id for a in ts.attendees], notify.CANCELLED)
        db.session.commit()
        flash(gettext("Session cancelled."), "success")
    return redirect(url_for("training.session_detail", session_id=ts.id))


@bp.route("/sessions/<int:session_id>/minutes", methods=["POST"])
@roles_required(*MANAGERS)
def session_minutes(session_id: int):
    ts = _session_or_404(session_id)
    form = MinutesForm()
    try:
        if not form.validate_on_submit():
            raise TrainingError("The minutes are empty.")
        svc.save_minutes(db.session, current_user, ts, form.minutes.data)
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        db.session.commit()
        flash(gettext("Minutes saved."), "success")
    return redirect(url_for("training.session_detail", session_id=ts.id))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def attendance(session_id: int):
    """One tap per person: each button posts one person's status (JS keeps the page)."""
    ts = _session_or_404(session_id)
    if request.method == "POST":
        staff_id = request.form.get("staff_member_id", type=int)
        status = request.form.get("status", "")
        try:
            if staff_id is None:
                raise TrainingError("This person is not invited to the session.")
            row = svc.mark_attendance(db.session, current_user, ts, staff_id, status)
        except TrainingError as exc:
            db.session.rollback()
            if _wants_json():
                return jsonify(ok=False, reason=error_text(exc)), 409
            flash(error_text(exc), "danger")
        else:
            db.session.commit()
            if _wants_json():
                return jsonify(
                    ok=True,
                    staff_member_id=staff_id,
                    status=row.status,
                    label=attendance_labels()[row.status],
                )
        return redirect(url_for("training.attendance", session_id=ts.id) + f"#p{staff_id or ''}")
    attendees = db.session.scalars(
        sa.select(SessionAttendee)
        .where(SessionAttendee.session_id == ts.id)
        .join(StaffMember, StaffMember.id == SessionAttendee.staff_member_id)
        .options(joinedload(SessionAttendee.staff_member))
        .order_by(StaffMember.name)
    ).all()
    tally = {s: sum(1 for a in attendees if a.status == s) for s in ATTENDANCE_STATUSES}
    return render_template(
        "training/attendance.html",
        ts=ts,
        attendees=attendees,
        statuses=ATTENDANCE_STATUSES,
        tally=tally,
    )


# --- my training --------------------------------------------------------------------------


@bp.route("/my")
@roles_required(*ANY_ROLE)
def my_training():
    staff_id = current_user.staff_member_id
    if staff_id is None:
        return render_template("training/my.html", staff=None)
    staff = db.session.get(StaffMember, staff_id)
    upcoming, history = svc.staff_sessions(db.session, staff_id)
    plan = db.session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_id)
    )
    progress = onb.plan_progress(db.session, [plan])[0] if plan else None
    pairings = db.session.scalars(
        sa.select(MentorPairing)
        .where(sa.or_(MentorPairing.mentor_id == staff_id, MentorPairing.mentee_id == staff_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc())
    ).all()
    to_confirm = _logs_to_confirm(staff_id)
    my_logs = db.session.scalars(
        sa.select(ShadowLog)
        .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
        .where(sa.or_(MentorPairing.mentor_id == staff_id, MentorPairing.mentee_id == staff_id))
        .options(joinedload(ShadowLog.pairing))
        .order_by(ShadowLog.worked_on.desc(), ShadowLog.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "training/my.html",
        staff=staff,
        upcoming=upcoming,
        history=history,
        progress=progress,
        pairings=pairings,
        to_confirm=to_confirm,
        my_logs=my_logs,
    )


def _logs_to_confirm(staff_id: int) -> list[ShadowLog]:
    return db.session.scalars(
        sa.select(ShadowLog)
        .join(MentorPairing, MentorPairing.id == ShadowLog.pairing_id)
        .where(
            MentorPairing.mentor_id == staff_id,
            ShadowLog.confirmed_at.is_(None),
            MentorPairing.status.in_(("active", "assessed")),
        )
        .options(joinedload(ShadowLog.pairing).joinedload(MentorPairing.mentee))
        .order_by(ShadowLog.worked_on)
    ).all()


# --- onboarding plans and templates -------------------------------------------------------


@bp.route("/plans")
@roles_required(*READERS)
def plans():
    show = request.args.get("show", "active")
    query = (
        sa.select(OnboardingPlan)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .options(joinedload(OnboardingPlan.staff_member))
        .order_by(OnboardingPlan.starts_on.desc(), OnboardingPlan.id.desc())
    )
    if show in ("active", "late"):
        query = query.where(OnboardingPlan.status == "active", StaffMember.status != "left")
    elif show == "completed":
        query = query.where(OnboardingPlan.status == "completed")
    else:
        show = "all"
    rows = db.session.scalars(query).all()
    progress = onb.plan_progress(db.session, rows)
    if show == "late":
        progress = [p for p in progress if p.is_late]
    without_plan = _new_staff_without_plan()
    return render_template(
        "training/plans.html",
        progress=progress,
        show=show,
        without_plan=without_plan,
        can_manage=current_user.has_role(*MANAGERS),
    )


def _new_staff_without_plan() -> list[StaffMember]:
    ids = svc.new_staff_ids(db.session, scope_ids(current_user))
    if not ids:
        return []
    return db.session.scalars(
        sa.select(StaffMember)
        .where(
            StaffMember.id.in_(ids),
            StaffMember.id.not_in(sa.select(OnboardingPlan.staff_member_id)),
        )
        .order_by(StaffMember.hired_on.desc())
    ).all()


@bp.route("/plans/create", methods=["POST"])
@roles_required(*MANAGERS)
def plans_create():
    """Create the plan of one staff member (staff_member_id) or of every new staff member in
    scope who has none."""
    staff_id = request.form.get("staff_member_id", type=int)
    try:
        if staff_id:
            members = [_staff_or_404(staff_id)]
        else:
            members = _new_staff_without_plan()
        for member in members:
            onb.ensure_onboarding_plan(db.session, current_user, member)
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        db.session.commit()
        flash(gettext("%(count)s onboarding plans created.", count=len(members)), "success")
    return redirect(url_for("training.plans"))


@bp.route("/plans/<int:plan_id>")
@roles_required(*READERS)
def plan_detail(plan_id: int):
    plan = db.get_or_404(OnboardingPlan, plan_id)
    if not in_scope(current_user, plan.staff_member.site_id):
        abort(404)
    progress = onb.plan_progress(db.session, [plan])[0]
    upcoming, history = svc.staff_sessions(db.session, plan.staff_member_id)
    pairings = db.session.scalars(
        sa.select(MentorPairing)
        .where(MentorPairing.mentee_id == plan.staff_member_id)
        .order_by(MentorPairing.starts_on.desc())
    ).all()
    return render_template(
        "training/plan_detail.html",
        progress=progress,
        upcoming=upcoming,
        history=history,
        pairings=pairings,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/staff/<int:staff_id>")
@roles_required(*ANY_ROLE)
def staff_record(staff_id: int):
    """One person's training record: plan and its progress, sessions, pairings as mentor or
    mentee. Staff are sent to their own page; readers see people in their scope."""
    if current_user.staff_member_id == staff_id and not current_user.has_role(*READERS):
        return redirect(url_for("training.my_training"))
    if not current_user.has_role(*READERS):
        abort(403)
    staff = _staff_or_404(staff_id)
    plan = db.session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == staff_id)
    )
    progress = onb.plan_progress(db.session, [plan])[0] if plan else None
    upcoming, history = svc.staff_sessions(db.session, staff_id)
    pairings = db.session.scalars(
        sa.select(MentorPairing)
        .where(sa.or_(MentorPairing.mentor_id == staff_id, MentorPairing.mentee_id == staff_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc())
    ).all()
    log_stats = (
        {
            pid: (n, hours)
            for pid, n, hours in db.session.execute(
                sa.select(
                    ShadowLog.pairing_id, sa.func.count(ShadowLog.id), sa.func.sum(ShadowLog.hours)
                )
                .where(ShadowLog.pairing_id.in_([p.id for p in pairings]))
                .group_by(ShadowLog.pairing_id)
            )
        }
        if pairings
        else {}
    )
    return render_template(
        "training/staff_record.html",
        staff=staff,
        progress=progress,
        upcoming=upcoming,
        history=history,
        pairings=pairings,
        log_stats=log_stats,
        is_new=svc.is_new_staff(db.session, staff_id),
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/templates")
@roles_required(*READERS)
def templates_list():
    rows = db.session.scalars(
        sa.select(OnboardingTemplate)
        .options(
            selectinload(OnboardingTemplate.items).selectinload(OnboardingTemplateCourse.course)
        )
        .order_by(OnboardingTemplate.is_default.desc(), OnboardingTemplate.name)
    ).all()
    return render_template(
        "training/templates.html", templates=rows, can_edit=current_user.has_role("admin")
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def template_edit(template_id: int | None = None):
    template = db.get_or_404(OnboardingTemplate, template_id) if template_id else None
    form = TemplateForm(obj=template)
    all_courses = db.session.scalars(
        sa.select(Course).where(Course.is_active.is_(True)).order_by(Course.kind, Course.code)
    ).all()
    chosen = {i.course_id: i.due_days for i in template.items} if template else {}
    errors: list[str] = []
    if request.method == "POST":
        chosen = {}
        for course in all_courses:
            if request.form.get(f"course_{course.id}"):
                days = request.form.get(f"days_{course.id}", type=int)
                if days is None or days < 0:
                    errors.append(
                        gettext("Give the days after hire for %(course)s.", course=course.title)
                    )
                    days = 0
                chosen[course.id] = days
    if form.validate_on_submit() and not errors:
        try:
            onb.save_template(
                db.session,
                current_user,
                template,
                name=form.name.data,
                mentor_weeks=form.mentor_weeks.data,
                is_default=form.is_default.data,
                is_active=form.is_active.data,
                courses=chosen,
            )
        except TrainingError as exc:
            db.session.rollback()
            errors.append(error_text(exc))
        else:
            db.session.commit()
            flash(gettext("Template saved."), "success")
            return redirect(url_for("training.templates_list"))
    return render_template(
        "training/template_form.html",
        form=form,
        template=template,
        courses=all_courses,
        chosen=chosen,
        errors=errors,
    )


# --- pairings -----------------------------------------------------------------------------


def _pairing_or_404(pairing_id: int) -> tuple[MentorPairing, str | None]:
    pairing = db.session.get(MentorPairing, pairing_id)
    if pairing is None:
        abort(404)
    role = prs.role_in_pairing(current_user, pairing)
    if role is not None:
        return pairing, role
    if current_user.has_role(*READERS) and in_scope(current_user, pairing.mentee.site_id):
        return pairing, None
    abort(404)


@bp.route("/pairings")
@roles_required(*READERS)
def pairings():
    status = request.args.get("status", "open")
    query = (
        sa.select(MentorPairing)
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(scope_filter(current_user, StaffMember.site_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.starts_on.desc(), MentorPairing.id.desc())
    )
    if status == "open":
        query = query.where(MentorPairing.status.in_(("active", "assessed")))
    elif status in ("assessed", "signed_off", "ended"):
        query = query.where(MentorPairing.status == status)
    else:
        status = "all"
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    stats = {}
    if page.items:
        stats = {
            pid: (n, pending, last)
            for pid, n, pending, last in db.session.execute(
                sa.select(
                    ShadowLog.pairing_id,
                    sa.func.count(ShadowLog.id),
                    sa.func.count(ShadowLog.id) - sa.func.count(ShadowLog.confirmed_at),
                    sa.func.max(ShadowLog.worked_on),
                )
                .where(ShadowLog.pairing_id.in_([p.id for p in page.items]))
                .group_by(ShadowLog.pairing_id)
            )
        }
    return render_template(
        "training/pairings.html",
        page=page,
        status=status,
        stats=stats,
        can_manage=current_user.has_role(*MANAGERS),
    )


@bp.route("/pairings/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def pairing_new():
    mentee_id = request.values.get("mentee", type=int)
    if not mentee_id:
        candidates = db.session.scalars(
            sa.select(StaffMember)
            .where(
                StaffMember.id.in_(svc.new_staff_ids(db.session, scope_ids(current_user))),
                StaffMember.id.not_in(
                    sa.select(MentorPairing.mentee_id).where(
                        MentorPairing.status.in_(("active", "assessed"))
                    )
                ),
            )
            .order_by(StaffMember.hired_on.desc())
        ).all()
        return render_template("training/pairing_pick.html", candidates=candidates)
    mentee = _staff_or_404(mentee_id)
    suggestions = prs.suggest_mentors(db.session, mentee, scope_site_ids=scope_ids(current_user))
    form = PairingForm()
    form.mentor_id.choices = [
        SelectChoice(s.staff.id, s.staff.name) for s in suggestions if s.eligible
    ]
    plan = db.session.scalar(
        sa.select(OnboardingPlan).where(OnboardingPlan.staff_member_id == mentee.id)
    )
    if request.method == "GET":
        form.starts_on.data = max(local_today(), mentee.hired_on)
        form.weeks.data = plan.mentor_weeks if plan else 12
        if form.mentor_id.choices:
            form.mentor_id.data = form.mentor_id.choices[0].value
    error = None
    if form.validate_on_submit():
        mentor = _staff_or_404(form.mentor_id.data)
        try:
            pairing = prs.create_pairing(
                db.session,
                current_user,
                mentor,
                mentee,
                form.starts_on.data,
                weeks=form.weeks.data,
                note=form.note.data,
            )
        except TrainingError as exc:
            db.session.rollback()
            error = error_text(exc)
        else:
            _notify_pairing(pairing)
            db.session.commit()
            flash(
                gettext(
                    "%(mentor)s now mentors %(mentee)s.", mentor=mentor.name, mentee=mentee.name
                ),
                "success",
            )
            return redirect(url_for("training.pairing_detail", pairing_id=pairing.id))
    open_pairing = db.session.scalar(
        sa.select(MentorPairing)
        .where(
            MentorPairing.mentee_id == mentee.id, MentorPairing.status.in_(("active", "assessed"))
        )
        .limit(1)
    )
    return render_template(
        "training/pairing_new.html",
        mentee=mentee,
        suggestions=suggestions,
        form=form,
        error=error,
        plan=plan,
        open_pairing=open_pairing,
    )


def _notify_pairing(pairing: MentorPairing) -> None:
    link = url_for("training.pairing_detail", pairing_id=pairing.id)
    mentor = db.session.get(StaffMember, pairing.mentor_id)
    mentee = db.session.get(StaffMember, pairing.mentee_id)
    notify.notify_each(
        db.session,
        prs.users_of(db.session, pairing.mentor_id),
        "training.pairing",
        notify.YOU_MENTOR,
        link=link,
        entity=pairing,
        name=mentee.name,
    )
    notify.notify_each(
        db.session,
        prs.users_of(db.session, pairing.mentee_id),
        "training.pairing",
        notify.YOUR_MENTOR,
        link=link,
        entity=pairing,
        name=mentor.name,
    )


@bp.route("/pairings/<int:pairing_id>")
@roles_required(*ANY_ROLE)
def pairing_detail(pairing_id: int):
    pairing, role = _pairing_or_404(pairing_id)
    logs = db.session.scalars(
        sa.select(ShadowLog)
        .where(ShadowLog.pairing_id == pairing.id)
        .options(joinedload(ShadowLog.author))
        .order_by(ShadowLog.worked_on.desc(), ShadowLog.id.desc())
    ).all()
    total_hours = sum((log.hours for log in logs), start=0)
    log_form = ShadowLogForm(worked_on=min(local_today(), pairing.ends_on))
    return render_template(
        "training/pairing_detail.html",
        pairing=pairing,
        role=role,
        logs=logs,
        total_hours=total_hours,
        log_form=log_form,
        confirm_form=ConfirmLogForm(),
        assess_form=AssessForm(),
        extend_form=ExtendForm(),
        end_form=ReasonForm(),
        can_manage=current_user.has_role(*MANAGERS)
        and role != "mentor"
        and in_scope(current_user, pairing.mentee.site_id),
    )


def _back(pairing: MentorPairing):
    return redirect(url_for("training.pairing_detail", pairing_id=pairing.id))


def _form_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return gettext("The data is not valid")


@bp.route("/pairings/<int:pairing_id>/logs", methods=["POST"])
@roles_required(*ANY_ROLE)
def pairing_log(pairing_id: int):
    pairing, role = _pairing_or_404(pairing_id)
    form = ShadowLogForm()
    if not form.validate_on_submit():
        flash(_form_error(form), "danger")
        return _back(pairing)
    try:
        log = prs.add_shadow_log(
            db.session,
            current_user,
            pairing,
            worked_on=form.worked_on.data,
            hours=form.hours.data,
            practised=form.practised.data,
            mentor_comment=form.mentor_comment.data,
        )
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
        return _back(pairing)
    if role == "mentee":
        notify_log_to_confirm(pairing, log)
    db.session.commit()
    flash(gettext("Shadow log saved."), "success")
    return _back(pairing)


def notify_log_to_confirm(pairing: MentorPairing, log: ShadowLog) -> None:
    """Tell the mentor a mentee's entry waits for confirmation (pages and API)."""
    notify.notify_each(
        db.session,
        prs.users_of(db.session, pairing.mentor_id),
        "training.log_to_confirm",
        notify.LOG_TO_CONFIRM,
        link=url_for("training.pairing_detail", pairing_id=pairing.id),
        entity=log,
        name=pairing.mentee.name,
    )


@bp.route("/logs/<int:log_id>/confirm", methods=["POST"])
@roles_required(*ANY_ROLE)
def log_confirm(log_id: int):
    log = db.get_or_404(ShadowLog, log_id)
    pairing, _role = _pairing_or_404(log.pairing_id)
    form = ConfirmLogForm()
    try:
        if not form.validate_on_submit():
            raise TrainingError(_form_error(form))
        prs.confirm_shadow_log(db.session, current_user, log, form.mentor_comment.data)
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        db.session.commit()
        flash(gettext("Shadow log confirmed."), "success")
    if request.form.get("next") == "my":
        return redirect(url_for("training.my_training"))
    return _back(pairing)


def _pairing_action(pairing, form, invalid_message, action, success_message):
    """Run one sign-off step from a posted form: refuse an invalid form with `invalid_message`
    (None = the form's own first error), commit on success, roll back on TrainingError."""
    try:
        if not form.validate_on_submit():
            raise TrainingError(invalid_message or _form_error(form))
        action()
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        db.session.commit()
        flash(success_message, "success")
    return _back(pairing)


@bp.route("/pairings/<int:pairing_id>/assess", methods=["POST"])
@roles_required(*ANY_ROLE)
def pairing_assess(pairing_id: int):
    pairing, _role = _pairing_or_404(pairing_id)
    form = AssessForm()
    return _pairing_action(
        pairing,
        form,
        None,
        lambda: prs.assess_pairing(
            db.session, current_user, pairing, form.outcome.data, form.reason.data
        ),
        gettext("Assessment saved."),
    )


@bp.route("/pairings/<int:pairing_id>/approve", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_approve(pairing_id: int):
    pairing, _role = _pairing_or_404(pairing_id)
    try:
        prs.approve_sign_off(db.session, current_user, pairing)
    except TrainingError as exc:
        db.session.rollback()
        flash(error_text(exc), "danger")
    else:
        notify.notify_each(
            db.session,
            prs.users_of(db.session, pairing.mentee_id)
            + prs.users_of(db.session, pairing.mentor_id),
            "training.signed_off",
            notify.SIGNED_OFF,
            link=url_for("training.pairing_detail", pairing_id=pairing.id),
            entity=pairing,
        )
        db.session.commit()
        flash(gettext("Pairing signed off."), "success")
    return _back(pairing)


@bp.route("/pairings/<int:pairing_id>/extend", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_extend(pairing_id: int):
    pairing, _role = _pairing_or_404(pairing_id)
    form = ExtendForm()
    return _pairing_action(
        pairing,
        form,
        None,
        lambda: prs.extend_pairing(
            db.session, current_user, pairing, form.weeks.data, form.reason.data
        ),
        gettext("Pairing extended."),
    )


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
@roles_required(*MANAGERS)
def pairing_end(pairing_id: int):
    pairing, _role = _pairing_or_404(pairing_id)
    form = ReasonForm()
    return _pairing_action(
        pairing,
        form,
        "A reason is required.",
        lambda: prs.end_pairing(db.session, current_user, pairing, form.reason.data),
        gettext("Pairing ended."),
    )


# --- dashboard panels ---------------------------------------------------------------------


def render_hr_panel(user) -> Markup | None:
    plans_q = (
        sa.select(OnboardingPlan)
        .join(StaffMember, StaffMember.id == OnboardingPlan.staff_member_id)
        .where(
            OnboardingPlan.status == "active",
            StaffMember.status != "left",
            scope_filter(user, StaffMember.site_id),
        )
        .options(joinedload(OnboardingPlan.staff_member))
    )
    late = [
        p for p in onb.plan_progress(db.session, db.session.scalars(plans_q).all()) if p.is_late
    ]
    awaiting = db.session.scalars(
        sa.select(MentorPairing)
        .join(StaffMember, StaffMember.id == MentorPairing.mentee_id)
        .where(MentorPairing.status == "assessed", scope_filter(user, StaffMember.site_id))
        .options(joinedload(MentorPairing.mentor), joinedload(MentorPairing.mentee))
        .order_by(MentorPairing.assessed_at)
    ).all()
    if not late and not awaiting:
        return None
    return Markup(
        render_template(
            "training/_panel_hr.html",
            late=late[:8],
            late_count=len(late),
            awaiting=awaiting[:8],
            awaiting_count=len(awaiting),
        )
    )


def render_staff_panel(user) -> Markup | None:
    if user.staff_member_id is None:
        return None
    upcoming, _history = svc.staff_sessions(db.session, user.staff_member_id)
    to_confirm = _logs_to_confirm(user.staff_member_id)
    if not upcoming and not to_confirm:
        return None
    return Markup(
        render_template(
            "training/_panel_staff.html",
            next_session=upcoming[0] if upcoming else None,
            to_confirm=to_confirm,
        )
    )
