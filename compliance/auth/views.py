"""Sign-in, sign-out, the language switch and the current user's account page.

The unit of work commits each POST once it returns (a failed sign-in attempt is logged too, since
the page answers normally); sign-in checks the password before it takes the write lock.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import change_own_password, update_own_settings
from ..db import db
from ..uow import begin_writing, domain_errors, reads_first
from . import bp, logger
from .forms import AccountForm, ChangePasswordForm, LoginForm
from .gate import SignInBusy
from .security import authenticate, end_session, start_session


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.dashboard")


def _start_browser_session(user) -> None:
    """A fresh signed cookie and server-side session for `user` (the language choice is kept)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    user.session_token = start_session(
        db.session, user, request.remote_addr, request.user_agent.string
    )
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@reads_first
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        # The password check reads only; the attempt is logged (and, on success, the session
        # started) once `begin_writing` has taken the write lock.
        try:
            result = authenticate(
                db.session,
                form.username.data,
                form.password.data,
                current_app.config,
                ip=request.remote_addr,
                begin_writing=begin_writing,
            )
        except SignInBusy as busy:
            # Nothing was written and no write lock was ever taken: ask for a retry.
            flash(
                _("Too many people are signing in right now. Please try again in a few seconds."),
                "warning",
            )
            response = make_response(render_template("auth/login.html", form=form), 503)
            response.headers["Retry-After"] = str(busy.retry_after)
            return response
        if result.outcome == "success":
            user = result.user
            end_session(db.session, session.get("_user_id"))
            _start_browser_session(user)  # renews the session at sign-in
            logger.info("user %s signed in", user.id)
            return redirect(_safe_next(request.args.get("next")))
        if result.locked_until is not None:
            flash(
                _(
                    "Too many failed attempts. This account is locked until %(time)s; try again then.",
                    time=format_datetime(result.locked_until, "HH:mm"),
                ),
                "danger",
            )
        elif result.outcome == "inactive":
            flash(_("This account has been deactivated."), "danger")
        else:
            flash(_("Wrong username or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_session(db.session, current_user.get_id())
        logger.info("user %s signed out", current_user.id)
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = AccountForm(obj=user, prefix="acc")
    pw_form = ChangePasswordForm(user.username, prefix="pw")
    if request.method == "POST" and request.form.get("which") == "account" and form.validate():
        update_own_settings(
            db.session,
            user,
            display_name=form.display_name.data,
            email=form.email.data,
            locale=form.locale.data,
            email_opt_out=form.email_opt_out.data,
        )
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("auth.account"))
    if request.method == "POST" and request.form.get("which") == "password" and pw_form.validate():
        with domain_errors(pw_form, fields={"password": "new_password"}):
            change_own_password(
                db.session,
                user,
                pw_form.current_password.data,
                pw_form.new_password.data,
                current_app.config["PASSWORD_HASH_METHOD"],
            )
            # Other devices are signed out; this one keeps a fresh session.
            _start_browser_session(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, pw_form=pw_form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
    return redirect(
        _safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path)
    )
