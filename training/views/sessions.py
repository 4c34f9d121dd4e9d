"""Sessions: the list, scheduling with its refusals and warnings, a session's page with more
invitations, cancellation and minutes, and one-tap attendance."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from compliance.access import in_scope, roles_required, scope_filter, scope_ids, sites_in_scope
from compliance.db import db, utcnow
from compliance.integers import id_arg, parse_id
from compliance.models import Post, Site, StaffMember
from compliance.timeutil import local_to_utc, local_today
from compliance.uow import domain_errors

from .. import services as svc
from ..forms import InviteForm, MinutesForm, ReasonForm, SessionForm
from ..models import ATTENDANCE_STATUSES, COURSE_KINDS, Course, SessionAttendee, TrainingSession
from .common import (
    MANAGERS,
    PER_PAGE,
    READERS,
    attendance_labels,
    bp,
    page_number,
    staff_in_scope,
)

# Service field names -> fields of the session form.
SESSION_FIELDS = {"ends_at": "end_time", "starts_at": "start_time", "course": "course_id"}


def _session_or_404(session_id: int) -> TrainingSession:
    ts = db.session.get(TrainingSession, session_id)
    if ts is None or not in_scope(current_user, ts.site_id):
        abort(404)
    return ts


def _invite_choices(form) -> None:
    """Sites and posts to invite; people are typed as staff codes (with suggestions), so the
    page no longer lists everyone in scope. `staff_ids` (people by id) is still accepted on a
    POST, checked against the scope."""
    if request.method == "POST" and request.form.getlist("staff_ids"):
        form.staff_ids.choices = [
            SelectChoice(sid, f"{name} ({no})") for sid, name, no in staff_in_scope()
        ]
    else:
        form.staff_ids.choices = []
    form.invite_site_ids.choices = [
        SelectChoice(s.id, s.name) for s in sites_in_scope(current_user)
    ]
    form.invite_post_ids.choices = [
        SelectChoice(p.id, p.name) for p in db.session.scalars(sa.select(Post).order_by(Post.code))
    ]


def _keep_chosen_people(form) -> None:
    """On a form shown again, people chosen by id stay chosen: as their codes in the text."""
    if not form.staff_ids.data:
        return
    codes = db.session.scalars(
        sa.select(StaffMember.staff_no).where(StaffMember.id.in_(form.staff_ids.data))
    ).all()
    typed = (form.invite_staff_nos.data or "").strip()
    form.invite_staff_nos.data = " ".join([*codes, typed] if typed else codes)


def _invitees_from(form) -> dict[int, str]:
    ids = scope_ids(current_user)
    sites = [s for s in (form.invite_site_ids.data or []) if ids is None or s in ids]
    by_code = getattr(form, "staff_codes_resolved", [])
    return svc.resolve_invitees(
        db.session,
        staff_ids=list(dict.fromkeys([*(form.staff_ids.data or []), *by_code])),
        site_ids=sites,
        post_ids=form.invite_post_ids.data or [],
        new_staff=form.invite_new_staff.data,
        scope_site_ids=ids,
    )


def _flash_left_out(left_out) -> None:
    if left_out:
        flash(
            gettext(
                "%(count)s people were left out because they cannot attend.",
                count=len(left_out),
            ),
            "warning",
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
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
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
        course_id = id_arg("course")
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
        # The refusal is flashed (or put on its field); the people or windows it names are
        # listed on the form with what to do about them.
        with domain_errors(form, fields=SESSION_FIELDS, show_details=False) as outcome:
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
                invitees=_invitees_from(form),
                skip_conflicted=form.skip_conflicted.data,
                confirm_gaps=form.confirm_gaps.data,
            )
            flash(
                gettext(
                    "Session scheduled with %(count)s people invited.", count=len(ts.attendees)
                ),
                "success",
            )
            _flash_left_out(left_out)
            return redirect(url_for("training.session_detail", session_id=ts.id))
        if outcome.failed:
            problems = outcome.error.translated_details()
            if isinstance(outcome.error, svc.SchedulingConflict):
                problem_kind = "conflict"
            elif isinstance(outcome.error, svc.CoverageGap):
                problem_kind = "gap"
    _keep_chosen_people(form)
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


@bp.route("/sessions/<int:session_id>/invite", methods=["POST"])
@roles_required(*MANAGERS)
def session_invite(session_id: int):
    ts = _session_or_404(session_id)
    form = InviteForm()
    _invite_choices(form)
    if not form.validate_on_submit():
        for error in form.invite_staff_nos.errors or [gettext("Choose who to invite.")]:
            flash(str(error), "danger")
        return redirect(url_for("training.session_detail", session_id=ts.id))
    with domain_errors():
        added, left_out = svc.invite_to_session(
            db.session,
            current_user,
            ts,
            _invitees_from(form),
            skip_conflicted=form.skip_conflicted.data,
            confirm_gaps=form.confirm_gaps.data,
        )
        flash(gettext("%(count)s people invited.", count=len(added)), "success")
        _flash_left_out(left_out)
    return redirect(url_for("training.session_detail", session_id=ts.id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*MANAGERS)
def session_cancel(session_id: int):
    ts = _session_or_404(session_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(gettext("A reason is required."), "danger")
    else:
        with domain_errors():
            svc.cancel_session(db.session, current_user, ts, form.reason.data)
            flash(gettext("Session cancelled."), "success")
    return redirect(url_for("training.session_detail", session_id=ts.id))


@bp.route("/sessions/<int:session_id>/minutes", methods=["POST"])
@roles_required(*MANAGERS)
def session_minutes(session_id: int):
    ts = _session_or_404(session_id)
    form = MinutesForm()
    if not form.validate_on_submit():
        flash(gettext("The minutes are empty."), "danger")
    else:
        with domain_errors():
            svc.save_minutes(db.session, current_user, ts, form.minutes.data)
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
        staff_id = parse_id(request.form.get("staff_member_id"))
        status = request.form.get("status", "")
        with domain_errors() as outcome:
            row = svc.mark_attendance(db.session, current_user, ts, staff_id, status)
        if _wants_json():
            if outcome.failed:
                get_flashed_messages()  # the script shows the reason itself, not the next page
                return jsonify(ok=False, reason=outcome.message), outcome.status
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
