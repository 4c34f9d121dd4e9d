from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash

from ..audit import record
from ..db import db
from . import bp, logger
from .forms import AccountForm, ChangePasswordForm, LoginForm
from .security import authenticate, end_all_sessions, end_session, set_password, start_session


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(
            db.session,
            form.username.data,
            form.password.data,
            current_app.config,
            ip=request.remote_addr,
        )
        if result.outcome == "success":
            user = result.user
            old_token = session.get("_user_id")
            end_session(db.session, old_token)
            lang = session.get("lang")
            session.clear()  # renew the session at sign-in
            if lang:
                session["lang"] = lang
            user.session_token = start_session(
                db.session, user, request.remote_addr, request.user_agent.string
            )
            login_user(user)
            db.session.commit()
            logger.info("user %s signed in", user.id)
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()  # keep the logged attempt
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
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = AccountForm(obj=user, prefix="acc")
    pw_form = ChangePasswordForm(user.username, prefix="pw")
    if request.method == "POST" and request.form.get("which") == "account" and form.validate():
        before = {
            "display_name": user.display_name,
            "email": user.email,
            "locale": user.locale,
            "email_opt_out": user.email_opt_out,
        }
        form.populate_obj(user)
        record(db.session, user, "user.update_self", user, before=before)
        db.session.commit()
        flash(_("Your settings have been saved."), "success")
        return redirect(url_for("auth.account"))
    if request.method == "POST" and request.form.get("which") == "password" and pw_form.validate():
        if not check_password_hash(user.password_hash, pw_form.current_password.data):
            pw_form.current_password.errors.append(_("The current password is wrong."))
        else:
            set_password(
                user, pw_form.new_password.data, current_app.config["PASSWORD_HASH_METHOD"]
            )
            # Other devices are signed out; this one keeps a fresh session.
            end_all_sessions(db.session, user)
            session.clear()
            user.session_token = start_session(
                db.session, user, request.remote_addr, request.user_agent.string
            )
            login_user(user)
            record(db.session, user, "user.change_password", user, after={"password": "changed"})
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, pw_form=pw_form)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(
        _safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path)
    )
