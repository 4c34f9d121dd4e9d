"""The inbox: every signed-in user's notifications, with links to the records concerned.

Following a notification marks it read, so it is a POST (a small form around its title): a GET
never writes. A notification of someone else's is "not found" (the service raises).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..db import db
from ..integers import page_arg
from .services import inbox_page, mark_all_read, mark_read, safe_link, unread_badge, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 30


@bp.route("/")
@login_required
def inbox():
    unread_only = request.args.get("show") == "unread"
    unread = unread_count(db.session, current_user)
    page = inbox_page(
        db.session,
        current_user,
        page=page_arg(),
        per_page=PER_PAGE,
        unread_only=unread_only,
        unread=unread,
    )
    return render_template(
        "notifications/inbox.html",
        page=page,
        unread_only=unread_only,
        unread=unread,
        safe_link=safe_link,
    )


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_(notification_id: int):
    """Follow a notification: it becomes read and the browser goes to the record (a path inside
    this application only; anything else leads back to the inbox)."""
    row = mark_read(db.session, current_user, notification_id)
    return redirect(safe_link(row.link) or url_for("notifications.inbox"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    mark_read(db.session, current_user, notification_id)
    return redirect(_back())


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    n = mark_all_read(db.session, current_user)
    flash(_("%(count)s notification(s) marked as read.", count=n), "success")
    return redirect(_back())


def _back() -> str:
    """Back to the inbox page the form was on (only inbox URLs are accepted)."""
    target = request.form.get("next", "")
    if target.startswith(url_for("notifications.inbox")) and "//" not in target:
        return target
    return url_for("notifications.inbox")


PANEL_SIZE = 5


def render_inbox_panel(user) -> Markup | None:
    """Dashboard panel: the newest unread notifications, or nothing when all are read. The count
    is the top bar's ("99+" beyond 99), so a backlog costs the landing page nothing."""
    unread = unread_badge(db.session, user)
    # Read the newest unread even when the count is 0 (an index probe that finds nothing): the
    # dashboard then runs the same statements for an empty inbox as for a full one.
    page = inbox_page(db.session, user, per_page=PANEL_SIZE, unread_only=True, unread=PANEL_SIZE)
    if not unread:
        return None
    return Markup(
        render_template(
            "notifications/_panel_inbox.html",
            unread=unread,
            latest=page.items,
            more=isinstance(unread, str) or unread > len(page.items),
            safe_link=safe_link,
        )
    )
