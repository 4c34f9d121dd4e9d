"""User administration pages (administrators) and each user's personal API tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from ..access import roles_required
from ..accounts import create_user, reset_password, set_active, update_user
from ..db import db, utcnow
from ..integers import id_arg, page_arg
from ..models import ApiToken, LoginAttempt, User, UserSession
from ..uow import domain_errors
from . import bp, logger
from .forms import ResetPasswordForm, TokenForm, UserCreateForm, UserEditForm, UserFilterForm
from .services import (
    UserFilters,
    failed_sign_in_count,
    issue_token,
    locked_accounts,
    recent_failed_sign_ins,
    revoke_token,
    role_counts,
    tokens_query,
    users_query,
)

PER_PAGE = 50


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _page_number() -> int:
    return page_arg()


@bp.route("/admin/users")
@roles_required("admin")
def users():
    form = UserFilterForm(request.args)
    form.validate()
    active = {"1": True, "0": False}.get(form.active.data or "")
    filters = UserFilters(role=form.role.data or None, active=active, q=form.q.data or None)
    stmt = users_query(filters).options(selectinload(User.staff_member))
    page = db.paginate(stmt, page=_page_number(), per_page=PER_PAGE, error_out=False)
    locked = {u.id for u, _until in locked_accounts(db.session, current_app.config)}
    return render_template("admin/users.html", form=form, page=page, locked=locked)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        with domain_errors(form):
            user = create_user(
                db.session,
                current_user._get_current_object(),
                username=form.username.data.strip(),
                display_name=form.display_name.data.strip(),
                email=(form.email.data or "").strip() or None,
                roles=form.roles.data,
                site_ids=[] if form.all_sites.data else form.sites.data,
                all_sites=form.all_sites.data,
                staff_member_id=form.staff_member.id if form.staff_member else None,
                password=form.password.data,
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
            logger.info("user %s created by %s", user.id, current_user.id)
            flash(_("User %(name)s has been created.", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


def _edit_page(user: User, form: UserEditForm, pw_form: ResetPasswordForm, status: int = 200):
    tokens = db.session.scalars(tokens_query(user_id=user.id)).all()
    open_sessions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.last_seen_at
            > utcnow() - timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        )
    )
    attempts = db.session.scalars(
        sa.select(LoginAttempt)
        .where(LoginAttempt.user_id == user.id)
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
        .limit(10)
    ).all()
    return (
        render_template(
            "admin/user_edit.html",
            attempts=attempts,
            outcome_label=lambda outcome: OUTCOME_LABELS.get(outcome, outcome),
            user=user,
            form=form,
            pw_form=pw_form,
            tokens=tokens,
            open_sessions=open_sessions,
        ),
        status,
    )


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int):
    user = _get_user_or_404(user_id)
    form = UserEditForm(
        data=None
        if request.method == "POST"
        else {
            "display_name": user.display_name,
            "email": user.email,
            "roles": sorted(user.roles),
            "all_sites": user.all_sites,
            "sites": sorted(user.scope_site_ids),
            "staff_no": user.staff_member.staff_no if user.staff_member else "",
        }
    )
    form.editing_user_id = user.id
    pw_form = ResetPasswordForm(user.username, prefix="pw")
    if form.validate_on_submit():
        with domain_errors(form, fields={"active": "roles"}) as outcome:
            update_user(
                db.session,
                current_user._get_current_object(),
                user,
                display_name=form.display_name.data.strip(),
                email=(form.email.data or "").strip() or None,
                roles=form.roles.data,
                site_ids=[] if form.all_sites.data else form.sites.data,
                all_sites=form.all_sites.data,
                staff_member_id=form.staff_member.id if form.staff_member else None,
                active=user.active,
            )
            flash(_("The changes to %(name)s have been saved.", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        if outcome.failed:
            return _edit_page(_get_user_or_404(user_id), form, pw_form, 400)
    return _edit_page(user, form, pw_form, 400 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required("admin")
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@roles_required("admin")
def user_activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _get_user_or_404(user_id)
    with domain_errors() as outcome:
        set_active(db.session, current_user._get_current_object(), user, active)
    if outcome.failed:
        return redirect(url_for("admin.user_edit", user_id=user_id))
    logger.info(
        "user %s %s by %s", user.id, "activated" if active else "deactivated", current_user.id
    )
    if active:
        flash(_("%(name)s can sign in again.", name=user.username), "success")
    else:
        flash(
            _("%(name)s has been deactivated and signed out everywhere.", name=user.username),
            "success",
        )
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
def user_reset_password(user_id: int):
    user = _get_user_or_404(user_id)
    pw_form = ResetPasswordForm(user.username, prefix="pw")
    if pw_form.validate_on_submit():
        with domain_errors(pw_form):
            reset_password(
                db.session,
                current_user._get_current_object(),
                user,
                pw_form.password.data,
                current_app.config["PASSWORD_HASH_METHOD"],
            )
            logger.info("password of user %s reset by %s", user.id, current_user.id)
            flash(
                _(
                    "The password of %(name)s has been reset; their sessions have ended.",
                    name=user.username,
                ),
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user_id))
    form = UserEditForm(
        data={
            "display_name": user.display_name,
            "email": user.email,
            "roles": sorted(user.roles),
            "all_sites": user.all_sites,
            "sites": sorted(user.scope_site_ids),
            "staff_no": user.staff_member.staff_no if user.staff_member else "",
        },
        formdata=None,
    )
    return _edit_page(user, form, pw_form, 400)


@bp.route("/admin/tokens")
@roles_required("admin")
def tokens():
    include_revoked = request.args.get("revoked") == "1"
    user_id = id_arg("user")
    page = db.paginate(
        tokens_query(user_id=user_id, include_revoked=include_revoked),
        page=_page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/tokens.html",
        page=page,
        include_revoked=include_revoked,
        filter_user=db.session.get(User, user_id) if user_id else None,
    )


@bp.route("/admin/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required("admin")
def token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    _revoke(token)
    target = request.form.get("next")
    if target == "user":
        return redirect(url_for("admin.user_edit", user_id=token.user_id))
    return redirect(url_for("admin.tokens"))


def _revoke(token: ApiToken) -> None:
    with domain_errors() as outcome:
        revoke_token(db.session, current_user._get_current_object(), token)
    if outcome.failed:
        return
    flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def my_tokens():
    user = current_user._get_current_object()
    form = TokenForm()
    new_token = None
    status = 200
    if request.method == "POST":
        if form.validate():
            with domain_errors(form):
                new_token = issue_token(db.session, user, user, form.name.data)
                form = TokenForm(formdata=None)
        if form.errors:
            status = 400
    rows = db.session.scalars(tokens_query(user_id=user.id)).all()
    return render_template(
        "admin/my_tokens.html", form=form, tokens=rows, new_token=new_token
    ), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def my_token_revoke(token_id: int):
    token = db.session.get(ApiToken, token_id)
    # Someone else's token is "not found", not "forbidden": its existence is not revealed.
    if token is None or token.user_id != current_user.id:
        abort(404)
    _revoke(token)
    return redirect(url_for("admin.my_tokens"))


OUTCOME_LABELS = {
    "success": _l("signed in"),
    "bad_password": _l("wrong password"),
    "unknown": _l("unknown username"),
    "locked": _l("while locked"),
    "inactive": _l("deactivated account"),
}


def render_accounts_panel(user: User) -> Markup | None:
    """Dashboard panel for administrators: users by role, locked accounts, failed sign-ins."""
    config = current_app.config
    return Markup(
        render_template(
            "admin/_panel_accounts.html",
            counts=role_counts(db.session),
            locked=locked_accounts(db.session, config),
            failures=recent_failed_sign_ins(db.session, hours=24, limit=5),
            failure_count=failed_sign_in_count(db.session, hours=24),
            outcome_label=lambda outcome: OUTCOME_LABELS.get(outcome, outcome),
        )
    )
